"""One definition per journal event: what the writer writes is what the readers accept,
field for field, and `bot` means one thing."""

from __future__ import annotations

import io
import json
from collections import defaultdict

import pytest

from botdeck.chat.simulated import ScriptedLine, SimulatedChat
from botdeck.config import parse_config
from botdeck.core.jobs import Job
from botdeck.engine import build_engine
from botdeck.engine.journal import Journal
from botdeck.model.chat import ChatMessage
from botdeck.model.events import (
    AutoModHeld,
    ChannelEventSeen,
    ChatSeen,
    EngineEvent,
    FaultSeen,
    JobChanged,
    ModerationAction,
    ModerationSeen,
    RedemptionSettled,
    Reviewed,
    StateChanged,
)
from botdeck.model.faults import Fault, FaultEdge
from botdeck.model.jobs import JobStage, Outcome, Priority, ReplyContext, RouterState
from botdeck.model.journal import FIELDS, LINES, JournalEvent
from botdeck.model.journal_check import LineError, check_line, field_types
from botdeck.model.live import ReadingGap, SharedChat
from botdeck.model.review import TIMEOUT, Verdict
from botdeck.model.snapshot import ResumeSummary
from botdeck.model.stream import ChannelEvent, EventKind, Reaction, RedemptionStatus
from tests.harness.virtual_time import run_virtual

NOW = 1_795_000_000.0


def line(text: str = "@pixelsage hi", **kw: object) -> ChatMessage:
    fields = {"id": "m1", "user": "viewer1", "text": text, "timestamp": NOW} | kw
    return ChatMessage(**fields)  # type: ignore[arg-type]


def job(**kw: object) -> Job:
    fields = {
        "id": 7,
        "bot": "pixelsage",
        "priority": Priority.HIGH,
        "delay": 1.0,
        "context": ReplyContext(line(), depth=1),
        "created_at": NOW - 3,
        "finished_at": NOW,
    } | kw
    return Job(**fields)  # type: ignore[arg-type]


def every_kind_of_event() -> list[EngineEvent]:
    """The engine's events with every optional field set at least once."""
    typed = ReplyContext(line("typed at the console"), depth=0, manual=True)
    return [
        ChatSeen(line()),
        ChatSeen(line("@viewer1 hi", id="m2", user="pixelsage", is_bot=True, depth=1)),
        ChatSeen(line("@pixelsage what game is this?", id="synthetic-1", synthetic=True)),
        JobChanged(JobStage.ENQUEUED, job()),
        JobChanged(
            JobStage.ENQUEUED,
            job(requeued=1, context=ReplyContext(line(), depth=1, resumes=3)),
        ),
        JobChanged(JobStage.STARTED, job()),
        JobChanged(
            JobStage.FINISHED,
            job(
                outcome=Outcome.SENT,
                result="@viewer1 hey",
                send_wait=0.5,
                tokens_in=9,
                tokens_out=4,
                ai_calls=2,
                ai_failed=1,
                dropped=1,
            ),
        ),
        JobChanged(JobStage.FINISHED, job(outcome=Outcome.SENT, result="hi", context=typed)),
        JobChanged(JobStage.FINISHED, job(outcome=Outcome.SENT, result="@a @b", carrier=6)),
        *(
            JobChanged(JobStage.FINISHED, job(outcome=outcome, reason="r", **costs))
            for outcome in (Outcome.FAILED, Outcome.CANCELLED, Outcome.SKIPPED)
            for costs in (
                {},
                {
                    "carrier": 6,
                    "send_wait": 0.0,
                    "tokens_in": 3,
                    "tokens_out": 0,
                    "ai_calls": 1,
                    "dropped": 2,
                },
            )
        ),
        StateChanged(RouterState.DRAINING),
        StateChanged(RouterState.PAUSED, by="mod_jane", command="!botdeck pause"),
        ModerationSeen(ModerationAction.DELETE, msg="m1", ended=1),
        ModerationSeen(ModerationAction.CLEAR_USER, user="troll", known=False),
        Reviewed(job(), Verdict.APPROVED, by=TIMEOUT),
        Reviewed(job(), Verdict.EDITED, text="@viewer1 better"),
        JobChanged(
            JobStage.ENQUEUED,
            job(context=ReplyContext(line(), 1, reaction=Reaction(EventKind.RAID, "hi", True))),
        ),
        ChannelEventSeen(ChannelEvent(EventKind.RAID, "e1", NOW, user="raider", count=200)),
        ChannelEventSeen(
            ChannelEvent(EventKind.CHEER, "e2", NOW, user="a", count=5, message="hi", test=True)
        ),
        ChannelEventSeen(ChannelEvent(EventKind.UNSUPPORTED, "e3", NOW, detail="watch_streak")),
        RedemptionSettled("r1", RedemptionStatus.FULFILLED, 7),
        RedemptionSettled("r2", RedemptionStatus.CANCELED, 8, unapplied="not botdeck's reward"),
        AutoModHeld(job(), "@viewer1 hey"),
        ReadingGap(NOW - 20, NOW),
        SharedChat(("partner_one", "partner_two")),
        SharedChat(()),
        FaultSeen(Fault("ai_down", NOW - 1, NOW + 59, FaultEdge.AI, "AI down: refused")),
        FaultSeen(Fault("raid", NOW, None, FaultEdge.CHANNEL, "")),
    ]


def written() -> list[dict]:
    stream = io.StringIO()
    journal = Journal(stream, clock=lambda: NOW)
    journal.run_started("somechannel", client_id="abc123", source="twitch", version="0.1.0")
    for event in every_kind_of_event():
        journal.listen(event)
    journal.closed_by_restart(3, "pixelsage", Priority.HIGH, "m1", "resumed", resumed_as=9)
    return [json.loads(row) for row in stream.getvalue().splitlines()]


def test_every_event_has_one_definition_and_every_field_a_meaning():
    assert set(LINES) == set(JournalEvent)
    used = {name for kind in JournalEvent for name in field_types(kind)}
    assert used == set(FIELDS)  # no field without a meaning, no meaning without a field


def test_what_the_writer_writes_reads_back_unchanged_and_uses_every_field():
    lines = written()
    seen: dict[str, set[str]] = defaultdict(set)
    for record in lines:
        assert check_line(record) == record  # nothing missing, nothing of the wrong type
        seen[record["event"]] |= set(record)
    for kind in JournalEvent:  # the sample exercises every field the schema defines
        assert seen[kind.value] == set(field_types(kind)), kind


def test_bot_is_a_login_in_every_event_that_has_it():
    for kind in JournalEvent:
        shown, _ = field_types(kind).get("bot", ("text", True))
        assert shown == "text", kind
    chat = [record for record in written() if record["event"] == "chat"]
    assert all("bot" not in record for record in chat)
    assert [record.get("is_bot") for record in chat] == [None, True, None]


def test_an_older_journals_chat_flag_bot_true_reads_as_is_bot():
    old = {"ts": NOW, "event": "chat", "msg": "m2", "user": "alpha", "text": "hi", "bot": True}
    assert check_line(old)["is_bot"] is True  # type: ignore[typeddict-item]
    assert "bot" not in check_line(old)
    new_wins = {**old, "is_bot": False}
    assert check_line(new_wins)["is_bot"] is False  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"ts": NOW, "event": "chat", "user": "u", "text": "t"}, 'a chat event without "msg"'),
        ({"ts": NOW, "event": "run"}, 'a run event without "channel"'),
        (
            {"ts": NOW, "event": "state", "state": "asleep"},
            'a state event without "state" (running, paused, draining, drained or stopped)',
        ),
        (
            {
                "ts": NOW,
                "event": "sent",
                "job": True,
                "bot": "a",
                "priority": "high",
                "msg": None,
                "text": "x",
            },
            'a sent event without "job"',
        ),
        (
            {"ts": NOW, "event": "reviewed", "job": 1, "verdict": "maybe", "by": "operator"},
            'a reviewed event without "verdict" (approved, edited or rejected)',
        ),
    ],
)
def test_a_required_field_missing_or_of_the_wrong_type_makes_the_line_unusable(record, problem):
    with pytest.raises(LineError) as caught:
        check_line(record)
    assert str(caught.value) == problem


def test_an_optional_field_of_the_wrong_type_is_left_out_and_unknown_fields_dropped():
    record = {
        "ts": NOW, "event": "sent", "job": 1, "bot": "a", "priority": "high", "msg": "m1",
        "text": "hi", "latency": "slow", "send_wait": float("inf"), "manual": "yes",
        "tokens_in": 2.5, "from_the_future": 1,
    }  # fmt: skip
    assert check_line(record) == {
        "ts": NOW, "event": "sent", "job": 1, "bot": "a", "priority": "high", "msg": "m1",
        "text": "hi",
    }  # fmt: skip


def test_a_run_built_from_a_config_starts_its_journal_with_its_channel_and_client():
    """The `run` line comes with the run's first event (a run that never began writes
    nothing, and a journal's first line still means a run has begun)."""
    config = parse_config(
        {
            "chat": {"source": "simulated", "channel": "testchan"},
            "twitch": {"client_id": "abc123"},
            "bots": [{"name": "pixelsage"}],
        }
    )
    stream = io.StringIO()
    chat = SimulatedChat([ScriptedLine(0.0, "viewer1", "hello")], speed=1.0)
    engine = build_engine(config, journal_stream=stream, source=chat, clock=lambda: NOW)
    assert stream.getvalue() == ""

    async def main() -> None:
        await engine.connect()
        await engine.run_chat()
        await engine.wait_idle()
        await engine.close()

    run_virtual(main())
    first, second = (json.loads(row) for row in stream.getvalue().splitlines()[:2])
    assert first == {
        "ts": NOW, "event": "run", "channel": "testchan", "client_id": "abc123",
        "source": "simulated", "version": first["version"],
    }  # fmt: skip
    assert check_line(first) == first
    assert second["event"] == "chat" and second["ts"] == first["ts"]


def test_a_resume_summary_names_a_missing_bot_as_not_in_the_config():
    from botdeck.model.snapshot import Expired

    summary = ResumeSummary(
        "j.jsonl", expired=1, why={Expired.NOT_CONFIGURED: 1}, missing_bots=("gone_bot",)
    )
    assert "1 for bots not in the config (gone_bot): expired" in summary.describe()
    assert "too old or not mentions" not in summary.describe()
