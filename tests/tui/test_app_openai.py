"""The dashboard on the real openai SDK against the loopback fake: failures and skips show."""

from __future__ import annotations

from botdeck.chat.simulated import ScriptedLine, SimulatedChat
from botdeck.config import parse_config
from botdeck.engine import SourceParts
from botdeck.tui.app import BotdeckApp
from botdeck.tui.themes import SHIPPED_DIR, discover_themes
from botdeck.tui.widgets.chat_log import ChatLog
from botdeck.tui.widgets.status import Overview, StatusBar
from botdeck.tui.widgets.text_lines import TextLines
from tests.fakes.openai_server import FakeOpenAI, reply, status
from tests.harness.dashboard import app_for, frozen_clock, wait_until

KEY_ENV = "BOTDECK_TUI_TEST_KEY"
KEY = "sk-tui-test-0123456789abcdef"


async def test_dashboard_marks_failures_and_skips_with_reasons(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    server = FakeOpenAI(bots=("alpha_bot",))
    await server.start()
    try:
        server.script_chat(
            reply("happy to help!"),
            status(429, {"message": "You exceeded your quota", "code": "insufficient_quota"}),
            reply("just go die already"),
        )
        config = parse_config(
            {
                "router": {
                    "global_concurrency": 1,
                    "random_reply_chance": 0.0,
                    "delays": {"high": [0.0, 0.0], "normal": [0.0, 0.0], "low": [0.0, 0.0]},
                },
                "ai": {
                    "provider": "openai",
                    "base_url": server.base_url,
                    "api_key_env": KEY_ENV,
                    "model": "fake-model-1",
                    "timeout": 2.0,
                },
                "bots": [{"name": "alpha_bot", "persona": "a helpful regular"}],
            }
        )
        lines = [ScriptedLine(0, f"viewer{i}", f"@alpha_bot question {i}") for i in range(3)]
        source = SimulatedChat(lines, keep_open=True, clock=frozen_clock, speed=1.0)
        app = app_for(config, source=SourceParts(source),
                         themes=discover_themes(SHIPPED_DIR), clock=frozen_clock)  # fmt: skip

        def settled() -> bool:
            queues = app.engine.snapshot().queues
            return len(server.chats) == 3 and queues.size == 0 and queues.pending == 0

        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, settled)
            app.flush_chat()
            app.refresh_numbers()
            chat = "\n".join(app.query_one(ChatLog).lines)
            header = app.query_one(StatusBar).plain
            overview = app.query_one(Overview).plain
        assert "➤ alpha_bot: @viewer0 happy to help!" in chat
        assert "✗ alpha_bot → viewer1 failed: quota exceeded (insufficient_quota)" in chat
        assert "⊘ alpha_bot → viewer2 skipped: blocked" in chat
        assert "go die" not in chat  # a blocked reply is never shown, let alone sent
        assert "responder: fake-model-1" in header
        assert "tokens 50" in overview  # 2 completions x 25; the blocked one is billed too
        assert KEY not in chat + header + overview
    finally:
        await server.close()


def openai_app(server: FakeOpenAI, lines: list[ScriptedLine], **ai) -> BotdeckApp:
    config = parse_config(
        {
            "router": {
                "random_reply_chance": 0.0,
                "delays": {"high": [0.0, 0.0], "normal": [0.0, 0.0], "low": [0.0, 0.0]},
            },
            "ai": {
                "provider": "openai",
                "base_url": server.base_url,
                "api_key_env": KEY_ENV,
                "model": "fake-model-1",
                "timeout": 2.0,
                **ai,
            },
            "send_limits": {"enabled": False},
            "bots": [{"name": "alpha_bot", "persona": "a helpful regular"}],
        }
    )
    source = SimulatedChat(lines, keep_open=True, clock=frozen_clock, speed=1.0)
    return app_for(config, source=SourceParts(source),
                      themes=discover_themes(SHIPPED_DIR), clock=frozen_clock)  # fmt: skip


async def test_an_outage_shows_in_the_header_the_card_and_the_chat_until_it_ends(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    server = FakeOpenAI(bots=("alpha_bot",))
    await server.start()
    try:
        await server.go_down()
        app = openai_app(server, [ScriptedLine(0, "viewer1", "@alpha_bot you there?")])
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_until(pilot, lambda: app.engine.snapshot().queues.bots[0].ai_waiting)
            app.refresh_numbers()
            header = app.query_one(StatusBar).plain
            card = app.query_one("#card-alpha_bot #stats", TextLines).plain
            assert header.startswith("router: running  AI down for ")
            assert "wait AI 1" in card
            await server.come_back()
            await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 1)
            app.flush_chat()
            app.refresh_numbers()
            chat = "\n".join(app.query_one(ChatLog).lines)
            assert "AI down for" not in app.query_one(StatusBar).plain
        assert "─ AI down: cannot reach 127.0.0.1:" in chat
        assert "─ AI back after " in chat
        assert "➤ alpha_bot: @viewer1 hello from the fake model" in chat
    finally:
        await server.close()


async def test_a_refused_key_is_an_error_toast_that_says_what_to_fix(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    server = FakeOpenAI(bots=("alpha_bot",))
    await server.start()
    try:
        server.chat_default = status(401, {"message": "bad key", "code": "invalid_api_key"})
        app = openai_app(server, [ScriptedLine(0, "viewer1", "@alpha_bot hi")])
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_until(pilot, lambda: app.engine.snapshot().queues.failed == 1)
            await wait_until(pilot, lambda: any(n.severity == "error" for n in app._notifications))
            errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == [f"AI refused: {server.base_url[7:-3]} refused the API key (401): "
                          f"check the key in {KEY_ENV}"]  # fmt: skip
    finally:
        await server.close()
