"""The dashboard at 80x24, 100x30, 120x40 and 200x60, with a fixed seed, frozen clocks and
a settled engine: the plain demo, and the most crowded screen (a backlog past its
warning, two notices, replies held for review, a bot's queue open)."""

from __future__ import annotations

import pytest

from botdeck.chat.simulated import ScriptedLine
from tests.harness.dashboard import make_app, mentions, wait_until

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
