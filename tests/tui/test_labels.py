"""Every member of every domain enum, rendered in every widget that shows it.

mypy makes each label function in `botdeck.tui.labels` exhaustive; this test draws each
member where the operator sees it (the queue inspector, the header, the alerts, the chat,
the review panel, the help screen, the cards, the quit toasts), in the real dashboard, so a
member that has a label but breaks a widget fails here. `test_every_enum_is_accounted_for`
fails when an enum is added to the data layer without a decision here about where (or
whether) it shows.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
from dataclasses import replace

import pytest

import botdeck.model
from botdeck.chat.simulated import ScriptedLine
from botdeck.engine import QuitResult, QuitStep
from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus, Role
from botdeck.model.console import QueuedMentions
from botdeck.model.events import (
    AIAvailability,
    AIState,
    ChannelEventSeen,
    FaultSeen,
    JobChanged,
    ModerationAction,
    ModerationSeen,
    RedemptionSettled,
    StateChanged,
)
from botdeck.model.faults import Fault, FaultEdge
from botdeck.model.jobs import JobStage, Outcome, Phase, Priority, ReplyContext, RouterState
from botdeck.model.journal import JournalEvent, Reason
from botdeck.model.keys import When
from botdeck.model.live import BotRemoval, LiveSnapshot, OfflineAction, Removal
from botdeck.model.review import PendingReview, Verdict
from botdeck.model.room import Audience, PassKind
from botdeck.model.snapshot import Expired, ResumeSummary
from botdeck.model.stream import ChannelEvent, EventKind, RedemptionStatus, Reward, StreamInfo
from botdeck.tui.chatlines import (
    OutcomeFolds,
    event_line,
    fault_line,
    moderation_line,
    redemption_line,
)
from botdeck.tui.labels import (
    fault_label,
    mentions_choice,
    muted_toast,
    offline_words,
    outcome_word,
    pass_label,
    phase_label,
    priority_label,
    removal_flag,
    when_note,
)
from botdeck.tui.screens.help import HelpScreen
from botdeck.tui.screens.mute import MuteDialog, Taker
from botdeck.tui.widgets.bot_card import BotCard, CardSize
from botdeck.tui.widgets.chat_log import ChatLog
from botdeck.tui.widgets.queue import QueueInspector
from botdeck.tui.widgets.review import ReviewPanel
from botdeck.tui.widgets.status import AlertBar, StatusBar
from tests.harness.dashboard import BOTS, make_app, screen_text, wait_until
from tests.harness.staged import StagedJob

# Where each enum of the data layer is seen by the operator; the ones never shown say why.
SHOWN = {
    Phase: "queue inspector (phase column), a reply opened in full",
    Priority: "queue inspector (priority column), a reply opened in full",
    RouterState: "header, chat state lines",
    ConnectionStatus: "header, alert line when in trouble",
    Outcome: "chat outcome lines",
    Reason: "chat outcome lines (the reason after the outcome)",
    AIState: "chat notice and toast",
    ModerationAction: "chat moderation lines",
    Verdict: "review panel (what the timeout does)",
    When: "help screen (when column), footer and palette (check_action)",
    QueuedMentions: "mute dialog (one choice each), the toast after it",
    PassKind: "bot cards (the lower border: passed: emotes 41, spam 12)",
    Expired: "the resume toast and the headless line (ResumeSummary.describe)",
    EventKind: "chat event lines (the ★ marker)",
    RedemptionStatus: "chat redemption lines (fulfilled, refunded)",
    Removal: "bot cards (timed out until, banned) and the alert (BotRemoval.describe)",
    OfflineAction: "header (on offline: keep | drain, and what it did)",
    FaultEdge: "a drill's fault: the chat line, its toast's title, the alert line while it lasts",
}
NOT_SHOWN = {
    Role: "decides send limits; the cards show the limits, not the role",
    JobStage: "the event stream's transitions; the screen shows phases and outcomes",
    JournalEvent: "journal line names, read by the report, never drawn in the dashboard",
    Audience: "a bot's config; the cards count the mentions it refused (passed: audience)",
}


def _model_enums() -> set[type[enum.Enum]]:
    found: set[type[enum.Enum]] = set()
    for info in pkgutil.iter_modules(botdeck.model.__path__, "botdeck.model."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, enum.Enum) and value.__module__ == module.__name__:
                found.add(value)
    return found


def test_every_enum_is_accounted_for():
    assert _model_enums() == set(SHOWN) | set(NOT_SHOWN)


def _job(job_id: int, phase: Phase, priority: Priority, **fields: object) -> StagedJob:
    line = ChatMessage(f"m{job_id}", "viewer1", f"line {job_id}", 0.0)
    context = ReplyContext(line, depth=0)
    return StagedJob(job_id, BOTS[0], priority, phase, context, 0.0, viewer="viewer1", **fields)  # type: ignore[arg-type]


async def test_every_phase_and_priority_shows_in_the_queue_and_in_full(monkeypatch):
    app = make_app([])
    jobs = [
        _job(number, phase, priority)
        for number, (phase, priority) in enumerate(
            (phase, priority) for phase in Phase for priority in Priority
        )
    ]
    # The dashboard's own poll draws these: the engine answers with a job in every phase.
    monkeypatch.setattr(app.engine, "jobs_of", lambda bot: list(jobs))
    monkeypatch.setattr(app.engine, "find_job", lambda job_id: jobs[job_id])
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("1")
        await wait_until(pilot, lambda: len(app.query_one(QueueInspector).table.rows) == len(jobs))
        table = app.query_one(QueueInspector).table
        for index, job in enumerate(jobs):
            table.select(job.id)
            await pilot.pause()
            drawn = table.render_line(index - table.scroll_offset.y).text
            assert phase_label(job.phase) in drawn
            assert priority_label(job.priority) in drawn
        for job in jobs[:: len(Priority)]:  # each phase once, opened in full
            table.select(job.id)
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(app.screen_stack) == 2)
            assert f"{job.phase.value}" in screen_text(app)
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == 1)
        assert app.is_running


async def test_every_router_state_and_connection_status_shows_in_the_header_and_alerts():
    app = make_app([])
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        snap = app.engine.snapshot()
        status, alerts = app.query_one(StatusBar), app.query_one(AlertBar)
        for state in RouterState:
            for connection in ConnectionStatus:
                shown = replace(
                    snap,
                    queues=replace(snap.queues, state=state),
                    connection=ConnectionState(connection, 1, "why"),
                )
                status.show(shown, 5.0)
                alerts.show(shown, 20)
                await pilot.pause()
                assert state.value in status.plain
                assert connection.value in status.plain
        app._on_event(StateChanged(RouterState.PAUSED))
        assert app.is_running


async def test_every_channel_event_and_redemption_fate_shows_in_the_chat_in_its_style():
    app = make_app([ScriptedLine(0, "viewer1", "hello")])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        expected = []
        for number, kind in enumerate(EventKind):
            event = ChannelEvent(
                kind,
                f"e{number}",
                0.0,
                user="[bold]raider",  # never markup
                count=3,
                message="hi [red]there",
                reward=Reward("r", "Ask stickyman1776") if kind is EventKind.REDEEM else None,
                stream=StreamInfo("Celeste", "any%") if kind is EventKind.UPDATE else None,
                detail="watch_streak" if kind is EventKind.UNSUPPORTED else "",
            )
            app._on_event(ChannelEventSeen(event))
            app._on_event(ChannelEventSeen(event))  # an unsupported one is said once
            expected.append(event_line(event, app._clock()))
        for number, status in enumerate(RedemptionStatus):
            settled = RedemptionSettled(f"r{number}", status, number)
            app._on_event(settled)
            expected.append(redemption_line(settled, app._clock()))
        app.flush_chat()
        await pilot.pause()
        chat = "\n".join(app.query_one(ChatLog).lines)
        for line in expected:
            assert line in chat
        assert chat.count("unsupported event: watch_streak") == 1
        assert "raid: [bold]raider with 3 viewers" in chat and "Celeste · any%" in chat
        assert "redemption refunded" in chat and "redemption fulfilled" in chat
        assert app.is_running


async def test_every_outcome_reason_ai_state_and_moderation_action_shows_in_the_chat():
    app = make_app([ScriptedLine(0, "viewer1", "hello")])
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        expected = []
        for number, (outcome, reason) in enumerate(
            (outcome, reason) for outcome in Outcome for reason in Reason
        ):
            job = _job(number, Phase.DONE, Priority.HIGH, outcome=outcome, reason=reason.value)
            app._on_event(JobChanged(JobStage.FINISHED, job))  # type: ignore[arg-type]
            if (word := outcome_word(outcome)) is not None:  # a sent reply is its own line
                expected.append(f"→ viewer1 {word}: {reason.value}")
        for state in AIState:
            app._on_event(AIAvailability(state, f"reason {state.value}", 3.0))
        for action in ModerationAction:
            seen = ModerationSeen(action, user="spammer", ended=1)
            app._on_event(seen)
            expected.append(moderation_line(seen, app._clock()))
        app.flush_chat()
        await pilot.pause()
        chat = "\n".join(app.query_one(ChatLog).lines)
        for line in expected:
            assert line in chat
        for state in AIState:
            assert f"reason {state.value}" in chat or state is AIState.UP
        assert "AI back after 3 s" in chat
        assert {Outcome.FAILED, Outcome.SKIPPED, Outcome.CANCELLED} == {
            outcome
            for outcome in Outcome
            if OutcomeFolds().add(_job(0, Phase.DONE, Priority.LOW, outcome=outcome), 0.0)  # type: ignore[arg-type]
        }
        assert app.is_running


async def test_every_verdict_shows_in_the_review_panel():
    app = make_app([])
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ReviewPanel)
        for verdict in Verdict:
            review = PendingReview(1, BOTS[0], "viewer1", "a line", "a reply", 30.0, verdict)
            assert panel.show([review], 100) > 0
            await pilot.pause()
            assert "if nobody decides" in panel.shown
        assert app.is_running


async def test_every_when_shows_in_the_help_and_every_card_size_draws():
    app = make_app([])
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(HelpScreen({}))
        await pilot.pause()
        help_text = screen_text(app)
        for when in When:
            assert when_note(when) in help_text
        await pilot.press("escape")
        snap = app.engine.snapshot()
        card = app.query_one(f"#card-{BOTS[0]}", BotCard)
        for size in CardSize:
            card.show(snap.queues.bot(BOTS[0]), None, size=size, reviewing=True,
                      selected=True, passed=1, cooldown_hits=1)  # fmt: skip
            await pilot.pause()
            assert BOTS[0] in screen_text(app)
        assert app.is_running


@pytest.mark.parametrize("step", list(QuitStep))
def test_every_quit_step_has_words(step: QuitStep):
    assert QuitResult(step, "q", cancelled=2, left=3, key=True).describe().startswith("q")


async def test_every_mute_choice_shows_in_the_mute_dialog_and_its_toast():
    app = make_app([])
    async with app.run_test(size=(120, 40)) as pilot:
        takers = [Taker(2, BOTS[1], 0)]
        await app.push_screen(MuteDialog(BOTS[0], lambda: 7, takers))
        await pilot.pause()
        shown = screen_text(app)
        for choice in QueuedMentions:
            assert mentions_choice(choice, 7, BOTS[1]) in shown
            assert muted_toast(choice, BOTS[0], 7, BOTS[1]).startswith(f"{BOTS[0]} muted")
        await pilot.press("escape")


async def test_every_pass_kind_shows_on_the_card():
    app = make_app([])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        snap = app.engine.snapshot()
        card = app.query_one(f"#card-{BOTS[0]}", BotCard)
        for size in (CardSize.FULL, CardSize.COMPACT):
            for count, kind in enumerate(PassKind, start=1):
                card.show(snap.queues.bot(BOTS[0]), None, size=size, room_passes={kind: count})
                await pilot.pause()
                assert f"passed: {pass_label(kind)} {count}" in screen_text(app)
        assert app.is_running


async def test_every_expiry_cause_shows_in_the_resume_toast():
    summary = ResumeSummary(
        "previous.jsonl",
        resumed=1,
        expired=len(Expired),
        why=dict.fromkeys(Expired, 1),
        missing_bots=("gone_bot",),
    )
    app = make_app([])
    async with app.run_test(size=(200, 40)) as pilot:
        app.session.say(summary.describe(), "information")
        await wait_until(pilot, lambda: bool(app._notifications))
        toast = next(iter(app._notifications)).message
        for cause in Expired:
            assert f"1 {cause.value}" in toast
        assert "(gone_bot)" in toast


async def test_every_removal_shows_on_the_card_and_every_offline_action_in_the_header():
    app = make_app([])
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        snap = app.engine.snapshot()
        card = app.query_one(f"#card-{BOTS[0]}", BotCard)
        for kind in Removal:
            removal = BotRemoval(kind, 1_795_000_600.0 if kind is Removal.TIMEOUT else None)
            card.show(snap.queues.bot(BOTS[0]), None, size=CardSize.FULL, removal=removal)
            await pilot.pause()
            assert removal_flag(removal) in screen_text(app)
            assert removal.describe(BOTS[0])
        status = app.query_one(StatusBar)
        for action in OfflineAction:
            for offline in (False, True):
                live = LiveSnapshot(on_offline=action, offline=offline, shared_with=("partner",))
                twitch = ConnectionState(ConnectionStatus.CONNECTED)  # a stream can go offline
                status.show(replace(snap, live=live, connection=twitch), 5.0)
                await pilot.pause()
                assert offline_words(action, offline) in status.plain
                assert "SHARED CHAT #partner" in status.plain


async def test_every_fault_edge_shows_in_the_chat_a_toast_and_the_alerts():
    app = make_app([])
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        now = app._clock()
        faults = [
            Fault(edge.value, now, now + 60, edge, f"a fault at the {edge.value} edge")
            for edge in FaultEdge
        ]
        for fault in faults:
            app._on_event(FaultSeen(fault))
        app.flush_chat()
        await pilot.pause()
        chat = "\n".join(app.query_one(ChatLog).lines)
        titles = {note.title for note in app._notifications}
        alerts = app.query_one(AlertBar)
        snap = replace(app.engine.snapshot(), faults=tuple(faults))
        rows = alerts.show(snap, 20)
        await pilot.pause()
        for fault in faults:
            edge, _ = fault_label(fault.edge)
            assert fault_line(fault) in chat
            assert f"drill: {edge}" in titles
        assert rows == 4  # at most 4 alert lines: the rest are counted on the last
        assert "DRILL AI" in alerts.plain
        assert app.is_running
