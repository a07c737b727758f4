"""What the dashboard shows of moderators and chat modes: the mode in the header, a
paused bot's reason and cooldown hits on its card, and moderators' actions in the chat."""

from __future__ import annotations

from botdeck.chat.simulated import ScriptedEvent, ScriptedLine
from botdeck.model.channel import ChatSettings, MessageDeleted, UserCleared
from botdeck.model.jobs import RouterState
from botdeck.tui.widgets.bot_card import BotCard
from botdeck.tui.widgets.chat_log import ChatLog
from botdeck.tui.widgets.status import AlertBar, StatusBar
from botdeck.tui.widgets.text_lines import TextLines
from tests.harness.dashboard import BOTS, make_app, wait_until

STICKY, GENE, PIXEL = BOTS


def text_of(widget: TextLines) -> str:
    return widget.plain


async def test_a_held_bot_says_why_and_the_header_shows_the_mode():
    script = [
        ScriptedEvent(0, ChatSettings(followers_only=True, slow=5)),
        ScriptedLine(0.1, "viewer", f"@{STICKY} hi"),
    ]
    app = make_app(script, delays=0.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.bot(STICKY).size == 1)
        app.refresh_numbers()
        await pilot.pause()
        header = text_of(app.query_one(StatusBar))
        assert "mode: slow 5s, followers-only" in header
        card = app.query_one(f"#card-{STICKY}", BotCard)
        assert card.has_class("-held")
        # The reason is too long for the box's title: the box says `chat mode` on its edge
        # and the alert line below the header says why, whole.
        assert card.border_title == f"1 {STICKY}" and card.border_subtitle == "chat mode"
        alerts = text_of(app.query_one(AlertBar)).splitlines()  # its own line, whole
        assert f"! {STICKY} paused by the chat mode: followers-only: make this bot" in alerts[0]
        assert len(alerts) == len(BOTS)
        assert "size 1" in text_of(app.query_one(f"#card-{STICKY} #stats", TextLines))
        assert all(app.query_one(f"#card-{bot}", BotCard).has_class("-held") for bot in BOTS)
        app.flush_chat()
        lines = app.query_one(ChatLog).lines
        assert any(
            "chat mode: slow 5s, followers-only; paused: " + ", ".join(BOTS) in line
            for line in lines
        )


async def test_moderators_actions_and_a_chat_stop_show_in_the_chat_without_the_text():
    script = [
        ScriptedLine(0, "troll", f"@{GENE} something awful"),
        ScriptedEvent(0.1, MessageDeleted("sim-1")),
        ScriptedEvent(0.2, UserCleared("spammer")),
        ScriptedLine(0.3, "mod_jane", "!botdeck stop", badges=("moderator",)),
    ]
    app = make_app(script, delays=5.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.state is RouterState.STOPPED)
        app.flush_chat()
        lines = app.query_one(ChatLog).lines
    assert any("moderator deleted a line: 1 unsent reply withdrawn" in line for line in lines)
    assert any(
        "moderator removed spammer: 0 unsent replies withdrawn; botdeck had not seen it" in line
        for line in lines
    )
    assert any("router stopped (by mod_jane: stop)" in line for line in lines)
    assert sum("something awful" in line for line in lines) == 1  # only the line itself


async def test_cooldown_hits_show_on_the_card_that_would_have_answered():
    script = [ScriptedLine(i * 0.01, "chatty", f"talking about line {i}") for i in range(6)]
    # Every line drawn, and the bots' share of chat not limited: only cooldowns stop them.
    app = make_app(script, delays=0.0, router={"random_reply_chance": 1.0, "chat_share": 1.0})
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: sum(app.engine.snapshot().cooldown_hits.values()) == 5)
        app.refresh_numbers()
        await pilot.pause()
        hits = app.engine.snapshot().cooldown_hits
        for bot, count in hits.items():
            assert f"cooldown {count}" in text_of(app.query_one(f"#card-{bot} #stats", TextLines))
