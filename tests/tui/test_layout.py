"""What matters stays on screen at 80x24, 100x30, 120x40 and 200x60: the router state,
the backlog warning with its threshold, every notice, the stop and quit keys; cards
shrink first. Checked on the screen's text, and as snapshots (test_snapshots.py)."""

from __future__ import annotations

import math
import re

import pytest

from botdeck.model.jobs import RouterState
from botdeck.tui.layout import MIN_CHAT_ROWS, plan_layout
from botdeck.tui.widgets.bot_card import BotCard, CardSize
from botdeck.tui.widgets.queue import Columns, job_rows
from tests.harness.dashboard import FIVE_BOTS, make_app, mentions, screen_text, wait_until
from tests.harness.staged import staged_app

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
NOTICES = (
    "AI server unreachable: connection refused (replies wait, up to 300 s)",
    "Twitch: reconnecting (attempt 2)",
)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_warnings_state_and_the_stop_and_quit_keys_are_always_visible(size):
    app = make_app(
        mentions(60),
        delays=0.0,  # replies are written at once and held for review
        router={"backlog_warning": 20},
        review={"bots": ["*"]},
        notices=NOTICES,
    )
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.size > 20)
        await pilot.press("1")  # the queue open too: the most crowded screen
        await wait_until(pilot, lambda: "queue: stickyman1776" in screen_text(app))
        await wait_until(pilot, lambda: "e Edit" in screen_text(app))  # a reply in review
        shown = screen_text(app)
        rows = shown.splitlines()
        assert len(rows) == size[1] and "router: running" in rows[0]
        size_now = app.engine.snapshot().queues.size
        assert f"BACKLOG {size_now} > 20" in shown and "(threshold 20)" in shown
        for notice in NOTICES:
            assert notice[: size[0] - 6] in shown  # its own line, cut only at the edge
        footer = rows[-1]
        assert footer.startswith("x Stop q Quit")
        # The palette key covers the last column, so no stale text of a key the footer
        # could not fit shows past it in a real terminal ("^p palettee" once).
        assert app.query_one("FooterKey.-command-palette").region.right == size[0]
        assert "queue: stickyman1776" in shown and "chat" in shown


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_cards_shrink_before_the_chat_does(size):
    app = make_app(mentions(6), delays=0.0, notices=NOTICES)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.messages == 6)
        await pilot.press("1")
        await wait_until(pilot, lambda: "queue: stickyman1776" in screen_text(app))
        chat = app.query_one("#chat")
        assert chat.outer_size.height >= MIN_CHAT_ROWS
        # Even at 80x24 with a queue open, three bots keep their full boxes, in one row.
        assert all(card.has_class("-full") for card in app.query(BotCard))
        assert len({card.region.y for card in app.query(BotCard)}) == 1


def test_the_plan_gives_up_card_rows_first():
    roomy = plan_layout(120, 40, bots=3)
    assert (roomy.cards, roomy.columns) == (CardSize.FULL, 3)
    crowded = plan_layout(80, 24, bots=5, alert_rows=3, review_rows=4, queue=True)
    # Five one-line cards, three alerts, a reply in review and a queue on 24 rows: the
    # review keeps its minimum (its list scrolls), the queue one row; the chat its three.
    assert crowded.cards is CardSize.LINE and crowded.review_height == 5
    assert crowded.queue_height == 3
    # Three bots on 80 columns: three boxes in a row, never one left alone on a row.
    assert (plan_layout(80, 24, bots=3).cards, plan_layout(80, 24, bots=3).columns) == (
        CardSize.FULL,
        3,
    )
    assert plan_layout(80, 24, bots=3, queue=True).cards is CardSize.FULL
    assert plan_layout(120, 40, bots=5).columns == 3  # three and two, not four and one
    assert plan_layout(200, 60, bots=5).columns == 5
    assert plan_layout(79, 24, bots=3).too_small and plan_layout(80, 23, bots=3).too_small
    assert not plan_layout(80, 24, bots=3).too_small


def test_every_card_width_holds_its_figures():
    """A boxed card is never narrower than `size 128  pend 2/2` and `budget 0/20 wait 28s`."""
    for width, height in SIZES:
        for bots in (1, 3, 5):
            for queue in (False, True):
                layout = plan_layout(width, height, bots=bots, queue=queue, review_rows=6)
                if layout.cards is not CardSize.LINE:
                    assert layout.card_width >= len("budget 0/20 wait 28s"), (width, bots)
                if bots > 1 and layout.cards is not CardSize.LINE:
                    last_row = bots - (math.ceil(bots / layout.columns) - 1) * layout.columns
                    assert last_row > 1 or layout.columns == 1, (width, bots, layout.columns)


def test_chat_connection_trouble_is_an_alert_line():
    from dataclasses import replace

    from botdeck.model.chat import ConnectionState, ConnectionStatus
    from botdeck.model.jobs import RouterState
    from botdeck.model.snapshot import EngineSnapshot, Percentiles, SchedulerSnapshot
    from botdeck.tui.widgets.status import alert_lines

    queues = SchedulerSnapshot(
        RouterState.RUNNING, 0, 0, 8, 0, 0, 0, 0, 0.0, Percentiles.empty(), ()
    )
    snap = EngineSnapshot(queues, ConnectionState(ConnectionStatus.CONNECTED), "offline", "c")
    assert alert_lines(snap, 20) == []
    trouble = replace(snap, connection=ConnectionState(ConnectionStatus.RECONNECTING, attempt=2))
    assert [line.plain for line in alert_lines(trouble, 20)] == ["! chat: reconnecting (attempt 2)"]


async def test_at_80x24_held_and_selected_cards_stay_one_line_each():
    from botdeck.chat.simulated import ScriptedEvent
    from botdeck.model.channel import ChatSettings

    # Five bots, four alert lines and a queue: at 80x24 the cards are one line each.
    script = [ScriptedEvent(0, ChatSettings(followers_only=True)), *mentions(30, bots=FIVE_BOTS)]
    app = make_app(script, delays=0.0, router={"backlog_warning": 20}, bots=FIVE_BOTS)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.size > 20)
        await pilot.press("2")
        await wait_until(pilot, lambda: "queue: genejacqueman" in screen_text(app))
        cards = list(app.query(BotCard))
        assert all(card.has_class("-line") and card.outer_size.height == 1 for card in cards)
        rows = screen_text(app).splitlines()
        assert sum("paused by the chat mode: followers-only" in row for row in rows) == 2
        assert any("and 3 more notices" in row for row in rows)
        assert any(row.startswith(" 2 genejacqueman chat mode size 6 pend") for row in rows)
        assert app.query_one("#chat").outer_size.height >= MIN_CHAT_ROWS


STAGED = [(size, bots) for size in SIZES for bots in (1, 3, 5)]
STAGED_IDS = [f"{w}x{h}-{bots}bots" for (w, h), bots in STAGED]
SIZES_OF_BOTS = (41, 78, 115, 152, 189)  # each staged bot's backlog (tests/harness/staged.py)


async def staged_screen(app, pilot, queue: bool) -> list[str]:
    if queue:
        await pilot.press("1")
        await wait_until(pilot, lambda: "queue: stickyman1776" in screen_text(app))
    app.flush_chat()
    await wait_until(pilot, lambda: "12:40:05" in screen_text(app))
    await wait_until(pilot, lambda: screen_text(app).splitlines()[-1].startswith("x Stop"))
    app.refresh_numbers()
    await pilot.pause()  # the layout settled (the review panel sized on its first poll)
    return screen_text(app).splitlines()


@pytest.mark.parametrize(("size", "bots"), STAGED, ids=STAGED_IDS)
@pytest.mark.parametrize("crowded", [False, True], ids=["cards", "queue-review"])
async def test_what_matters_is_whole_at_every_size_and_bot_count(size, bots, crowded):
    app = staged_app(bots, review=crowded)
    async with app.run_test(size=size) as pilot:
        rows = await staged_screen(app, pilot, queue=crowded)
        shown = "\n".join(rows)
        assert len(rows) == size[1]
        assert rows[0].lstrip().startswith("router: running") and "up 01:23:45" in rows[0]
        totals = next(row for row in rows if row.lstrip().startswith("size "))
        assert "p50 2.3s" in totals and "p95 14.8s" in totals, totals
        assert "BACKLOG" in shown and "(threshold 20)" in shown
        for index, backlog in enumerate(SIZES_OF_BOTS[:bots]):
            assert re.search(rf"size {backlog}\s+pend(ing)? 2/2", shown), (index, shown)
        assert shown.count("budget 0/20 wait 28s") == bots
        assert shown.count("merging ×12") == (bots + 1) // 2  # bots 1, 3, 5 merge
        footer = rows[-1]
        assert footer.startswith("x Stop q Quit")
        if size == (120, 40):
            assert "i Say" in footer
        chat = app.query_one("#chat")
        assert chat.content_size.height >= 3  # three lines at the least
        first = chat.content_region.y
        chat_rows = [rows[y][chat.content_region.x :].rstrip("│ ▁▂▃▄▅▆▇█") for y in range(
            first, first + chat.content_size.height)]  # fmt: skip
        shown_rows = [row for row in chat_rows if row.strip()]
        assert shown_rows and re.match(r"\d\d:\d\d:\d\d ", shown_rows[0]), chat_rows
        if crowded:
            assert "queue: stickyman1776" in shown and "review · 2 held" in shown
            assert "#1030" in shown  # the queue shows the job ids the toasts use


async def test_a_terminal_smaller_than_80x24_shows_one_line_and_the_bots_carry_on():
    app = make_app(mentions(30, at=0.5), delays=0.0)
    async with app.run_test(size=(70, 20)) as pilot:
        await wait_until(pilot, lambda: "make the window" in screen_text(app))
        rows = [row.strip() for row in screen_text(app).splitlines() if row.strip()]
        assert rows == ["make the window at least 80x24 (it is 70x20); the bots carry on"]
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 30)  # meanwhile
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: "router: running" in screen_text(app))
        assert "make the window" not in screen_text(app)
        await pilot.resize_terminal(79, 40)
        await wait_until(pilot, lambda: "(it is 79x40)" in screen_text(app))
        await pilot.press("q")  # the keys still work
        await wait_until(pilot, lambda: app.engine.state is RouterState.DRAINED)


def test_the_queue_shows_the_group_column_only_when_a_reply_is_merged():
    from tests.harness.staged import NOW, queue_of

    merged = job_rows(queue_of("stickyman1776"), NOW)  # type: ignore[arg-type]
    plain = [row for row in merged if not row.group]
    assert Columns.fit(merged, 120).group and not Columns.fit(plain, 120).group
    assert "group" not in Columns.fit(plain, 120).header()
    # Names up to Twitch's 25 characters are whole when there is room, cut only when not.
    assert Columns.fit(merged, 120).viewer == 25 and Columns.fit(merged, 78).viewer >= 14


@pytest.mark.parametrize("queue", [False, True], ids=["cards", "queue"])
async def test_eight_bots_at_80x24_leave_the_chat_three_lines(queue):
    bots = [f"bot{n}" for n in range(8)]
    app = make_app(mentions(8, bots=bots), delays=0.0, bots=bots)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 8)
        if queue:
            await pilot.press("1")
            await wait_until(pilot, lambda: f"queue: {bots[0]}" in screen_text(app))
        app.flush_chat()
        await pilot.pause()
        assert len(app.query(BotCard)) == 8
        assert app.query_one("#chat").content_size.height >= 3, screen_text(app)
