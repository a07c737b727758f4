"""What matters stays on screen at 80x24, 100x30, 120x40 and 200x60: the router state,
the backlog warning with its threshold, every notice, the stop and quit keys; cards
shrink first. Checked on the screen's text, and as snapshots (test_snapshots.py)."""

from __future__ import annotations

import pytest

from botdeck.tui.layout import MIN_CHAT_ROWS, plan_layout
from botdeck.tui.widgets.bot_card import BotCard, CardSize
from tests.harness.dashboard import make_app, mentions, screen_text, wait_until

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
        expected = "-compact" if size == (80, 24) else "-full"
        assert all(card.has_class(expected) for card in app.query(BotCard))


def test_the_plan_gives_up_card_rows_first():
    roomy = plan_layout(120, 40, bots=3)
    assert (roomy.cards, roomy.columns) == (CardSize.FULL, 3)
    crowded = plan_layout(80, 24, bots=5, alert_rows=3, review_rows=4, queue=True)
    assert crowded.cards is CardSize.LINE and crowded.queue_height == 5
    assert crowded.review_height == 6
    assert plan_layout(80, 24, bots=3).cards is CardSize.FULL  # two rows of two
    assert plan_layout(80, 24, bots=3, queue=True).cards is CardSize.COMPACT


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

    script = [ScriptedEvent(0, ChatSettings(followers_only=True)), *mentions(30)]
    app = make_app(script, delays=0.0, router={"backlog_warning": 20})
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.size > 20)
        await pilot.press("2")
        await wait_until(pilot, lambda: "queue: genejacqueman" in screen_text(app))
        cards = list(app.query(BotCard))
        assert all(card.has_class("-line") and card.outer_size.height == 1 for card in cards)
        rows = screen_text(app).splitlines()
        assert sum("paused by the chat mode: followers-only" in row for row in rows) == 3
        assert any(row.startswith(" 2 genejacqueman chat mode  size 10") for row in rows)
        assert app.query_one("#chat").outer_size.height >= MIN_CHAT_ROWS
