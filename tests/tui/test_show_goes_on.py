"""The show goes on: no state crashes the dashboard, a dashboard that fails takes no
mention with it, and from the emergency stop's key on nothing is sent.

The crash of issue 20 first: the real dashboard, the real openai SDK against a loopback
server that refuses connections, the first bot's queue open while replies wait out the
outage (that phase had no label: `KeyError` ended the app and every queued mention).
"""

from __future__ import annotations

import io

from botdeck.chat.simulated import ScriptedLine, SimulatedChat
from botdeck.config import parse_config
from botdeck.engine import EXIT_OK, EXIT_STOPPED, SourceParts
from botdeck.model.jobs import Phase, RouterState
from botdeck.tui.app import BotdeckApp
from botdeck.tui.run import run_dashboard
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.screens.help import HelpScreen
from botdeck.tui.themes import SHIPPED_DIR, discover_themes
from botdeck.tui.widgets import status
from botdeck.tui.widgets.queue import QueueInspector
from tests.fakes.openai_server import FakeOpenAI
from tests.harness.dashboard import (
    BOTS,
    app_for,
    frozen_clock,
    make_app,
    mentions,
    screen_text,
    wait_until,
)
from tests.harness.journals import OUTCOMES, events_of

KEY_ENV = "BOTDECK_SHOW_TEST_KEY"


def outcomes(journal: io.StringIO) -> dict[int, str]:
    return {e["job"]: e["event"] for e in events_of(journal) if e["event"] in OUTCOMES}


def outage_app(server: FakeOpenAI, lines: list[ScriptedLine], journal: io.StringIO) -> BotdeckApp:
    config = parse_config(
        {
            "router": {
                "random_reply_chance": 0.0,
                "max_depth": 0,
                "delays": {"high": [0.0, 0.0], "normal": [0.0, 0.0], "low": [0.0, 0.0]},
            },
            "ai": {
                "provider": "openai",
                "base_url": server.base_url,
                "api_key_env": KEY_ENV,
                "model": "fake-model-1",
                "timeout": 2.0,
            },
            "send_limits": {"enabled": False},
            "bots": [{"name": bot, "persona": f"persona of {bot}"} for bot in BOTS],
        }
    )
    source = SimulatedChat(lines, keep_open=True, clock=frozen_clock, speed=1.0)
    return app_for(config, source=SourceParts(source), journal=journal,
                      themes=discover_themes(SHIPPED_DIR), clock=frozen_clock)  # fmt: skip


async def test_an_ai_outage_with_queues_open_and_keys_pressed_answers_every_mention(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-show-test-0123456789")
    server = FakeOpenAI(bots=BOTS)
    await server.start()
    journal = io.StringIO()
    try:
        await server.go_down()  # refused connections: Ollama not started, a wrong port
        lines = [ScriptedLine(0, f"viewer{i}", f"@{BOTS[0]} are you there {i}?") for i in range(6)]
        app = outage_app(server, lines, journal)
        async with app.run_test(size=(120, 40)) as pilot:

            def waiting_for_ai() -> bool:
                jobs = app.engine.jobs_of(BOTS[0])
                return any(job.phase is Phase.AI_WAIT for job in jobs)

            await wait_until(pilot, waiting_for_ai, within=20)
            await pilot.press("1")  # the first bot's queue, with replies in phase ai_wait
            await wait_until(pilot, lambda: "AIwait" in screen_text(app))
            await pilot.press("2")
            await pilot.press("v")  # review on for the second bot (it has no replies)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
            screen_text(app)
            await pilot.press("escape")
            await pilot.press("1")
            await wait_until(pilot, lambda: "AIwait" in screen_text(app))
            assert app.is_running
            await server.come_back()
            await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 6, within=60)
            await pilot.press("q")
            await wait_until(pilot, lambda: app.return_code is not None, within=20)
        assert app.return_code == EXIT_OK
        assert set(outcomes(journal).values()) == {"sent"}
        assert len(outcomes(journal)) == 6
    finally:
        await server.close()


async def test_a_widget_that_raises_mid_raid_takes_no_mention_with_it(monkeypatch):
    """The dashboard's own runner, as `botdeck demo` runs it (Textual's headless driver):
    a widget raises while a raid is queued; the run goes on without a screen, answers
    every mention and ends with the exit code of a headless run."""
    journal = io.StringIO()
    app = make_app(mentions(30), delays=0.05, journal=journal, keep_open=False,
                   router={"global_concurrency": 2, "per_bot_concurrency": 1})  # fmt: skip
    shown = 0
    original = status.Overview.show

    def fails_mid_raid(self: status.Overview, *args: object, **kwargs: object) -> None:
        nonlocal shown
        shown += 1
        if shown == 3:
            assert app.engine.snapshot().queues.size > 0  # a raid is queued
            raise RuntimeError("a widget bug")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(status.Overview, "show", fails_mid_raid)
    code = await run_dashboard(app, headless=True)
    assert isinstance(app.failure, RuntimeError)
    assert code == EXIT_OK  # what a headless run that drained returns, not Textual's 1
    assert len(outcomes(journal)) == 30
    assert set(outcomes(journal).values()) == {"sent"}
    states = [e["state"] for e in events_of(journal) if e["event"] == "state"]
    assert states[-1] == "drained"


async def test_nothing_is_sent_from_the_stop_key_on_and_y_cancels_the_rest():
    journal = io.StringIO()
    app = make_app(mentions(24), delays=0.05, journal=journal,
                   router={"global_concurrency": 6, "per_bot_concurrency": 2})  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent >= 3)
        await pilot.press("x")
        pressed = frozen_clock()  # the journal's clock: what "after the key" means
        sent_at_key = app.engine.snapshot().queues.sent
        assert app.engine.sends_held
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmStop))

        def blocked_at_the_gate() -> int:
            return sum(1 for job in app.engine.running_jobs() if job.phase is Phase.SENDING)

        await wait_until(pilot, lambda: blocked_at_the_gate() >= 3)  # they got there, and wait
        assert "sends held" in screen_text(app)
        assert app.engine.snapshot().queues.sent == sent_at_key
        await pilot.press("y")
        assert app.engine.state is RouterState.STOPPED
        assert not app.engine.sends_held
        await pilot.press("q")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == EXIT_STOPPED
    journaled = events_of(journal)
    key_line = max(i for i, e in enumerate(journaled) if e["event"] == "sent")
    sent = [e for e in journaled if e["event"] == "sent"]
    assert len(sent) == sent_at_key
    assert all(e["ts"] <= pressed for e in sent)
    stopped = next(i for i, e in enumerate(journaled) if e.get("state") == "stopped")
    assert key_line < stopped  # no `sent` between the key and `stopped`
    assert len(outcomes(journal)) == 24  # every mention has its outcome


async def test_n_lets_the_held_replies_go_on_in_order():
    journal = io.StringIO()
    app = make_app(mentions(12), delays=0.05, journal=journal,
                   router={"global_concurrency": 3, "per_bot_concurrency": 1})  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent >= 1)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmStop))
        held = app.engine.snapshot().queues.sent
        await wait_until(
            pilot,
            lambda: sum(1 for j in app.engine.running_jobs() if j.phase is Phase.SENDING) >= 2,
        )
        assert app.engine.snapshot().queues.sent == held
        await pilot.press("n")
        assert not app.engine.sends_held
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 12)
        assert app.engine.state is RouterState.RUNNING
        assert isinstance(app.query_one(QueueInspector), QueueInspector)
    assert set(outcomes(journal).values()) == {"sent"}
