"""The dashboard at 80x24, 100x30, 120x40 and 200x60, with a fixed seed, frozen clocks and
a settled engine: the plain demo, and the most crowded screen (a backlog past its
warning, two notices, replies held for review, a bot's queue open); stream night with 1,
3 and 5 bots at each size (staged figures: tests/harness/staged.py); a terminal too small."""

from __future__ import annotations

import pytest

from botdeck.chat.simulated import ScriptedLine
from tests.harness.dashboard import make_app, mentions, screen_text, wait_until
from tests.harness.staged import staged_app

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
IDS = [f"{w}x{h}" for w, h in SIZES]
CHATTER = [
    ScriptedLine(0.0, "mossy_otter", "that jump was clean"),
    ScriptedLine(0.0, "neon_panda", "@pixelsage @genejacqueman settle this: cats or dogs?"),
    ScriptedLine(0.0, "mallory", "[bold]not bold[/bold] \x1b[31mnot red"),
]
NOTICES = (
    "AI server unreachable: connection refused (replies wait, up to 300 s)",
    "Twitch: reconnecting (attempt 2)",
)


def settled(app, replies: int):
    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == replies)
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending == 0)
        app.flush_chat()
        app.refresh_numbers()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_demo_layout(snap_compare, size):
    app = make_app(mentions(6) + CHATTER, delays=0.0)
    assert snap_compare(app, terminal_size=size, run_before=settled(app, replies=8))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_crowded_layout(snap_compare, size):
    clock = [0.0]
    app = make_app(
        mentions(60),
        delays=0.0,
        router={"backlog_warning": 20},
        review={"bots": ["*"], "timeout": 3600},
        notices=NOTICES,
        monotonic=lambda: clock[0],
    )

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: len(app.engine.reviews()) == 6)
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines == 60)
        jobs = app.engine.jobs_of("stickyman1776")
        clock[0] = max(job.created_at for job in jobs) + 5.5  # every job 5 s old
        await pilot.press("1")
        app.flush_chat()
        app.refresh_numbers()
        await pilot.pause(0.3)
        app.refresh_numbers()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


STAGED = [(size, bots) for size in SIZES for bots in (1, 3, 5)]


@pytest.mark.parametrize(
    ("size", "bots"), STAGED, ids=[f"{w}x{h}-{bots}bots" for (w, h), bots in STAGED]
)
def test_stream_night_layout(snap_compare, size, bots):
    """The first bot's queue open (a merged reply, long names) and the last bot's replies
    in review, a backlog past its warning and a notice."""
    app = staged_app(bots)

    async def run_before(pilot) -> None:
        await pilot.press("1")
        app.flush_chat()
        await wait_until(pilot, lambda: "12:40:05" in screen_text(app))
        await wait_until(pilot, lambda: screen_text(app).splitlines()[-1].startswith("x Stop"))
        app.refresh_numbers()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_too_small_a_terminal(snap_compare):
    app = make_app(mentions(6), delays=0.0)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: "make the window" in screen_text(app))

    assert snap_compare(app, terminal_size=(70, 20), run_before=run_before)
