"""The journal's JSON-lines contract, on a fixed clock and an in-memory stream."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from botdeck.core.jobs import Job
from botdeck.engine.journal import FLUSH_INTERVAL, Journal
from botdeck.model.chat import ChatMessage
from botdeck.model.events import ModerationAction, ModerationSeen
from botdeck.model.jobs import JobStage, Outcome, Priority, ReplyContext, RouterState
from botdeck.model.journal import JournalEvent, Reason
from botdeck.model.stream import EventKind, RedemptionStatus
from tests.harness.virtual_time import now, run_virtual

NOW = 1_700_000_000.12345


def journal() -> tuple[Journal, io.StringIO]:
    stream = io.StringIO()
    return Journal(stream, clock=lambda: NOW), stream


def records(stream: io.StringIO) -> list[dict]:
    text = stream.getvalue()
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def message(text: str = "hello", **kw) -> ChatMessage:
    fields = {"id": "msg-7", "user": "viewer42", "text": text, "timestamp": 1.0} | kw
    return ChatMessage(**fields)


def job(**kw) -> Job:
    fields = {
        "id": 3,
        "bot": "pixelsage",
        "priority": Priority.HIGH,
        "delay": 1.23456,
        "context": ReplyContext(message(), depth=1),
        "created_at": 10.0,
    } | kw
    return Job(**fields)


# ---------------------------------------------------------------- every line
def test_every_line_is_json_with_ts_and_event():
    log, stream = journal()
    log.chat(message())
    log.job(JobStage.ENQUEUED, job())
    log.state(RouterState.PAUSED)
    log.listen(ModerationSeen(ModerationAction.CLEAR))
    lines = records(stream)
    assert len(lines) == 4 == log.lines_written
    for line in lines:
        assert line["ts"] == pytest.approx(round(NOW, 3))
        assert isinstance(line["event"], str)
    assert [line["event"] for line in lines] == ["chat", "enqueued", "state", "moderation"]
    assert lines[3]["action"] == "clear"


def test_ts_is_rounded_to_milliseconds():
    log, stream = journal()
    log.chat(message())
    assert records(stream)[0]["ts"] == 1_700_000_000.123


# ---------------------------------------------------------------- chat
def test_a_viewer_chat_line_carries_msg_user_and_text_only():
    log, stream = journal()
    log.chat(message("what game is this?"))
    assert records(stream) == [
        {
            "ts": round(NOW, 3),
            "event": "chat",
            "msg": "msg-7",
            "user": "viewer42",
            "text": "what game is this?",
        }
    ]


def test_a_bot_chat_line_carries_is_bot_and_depth_never_bot():
    """`bot` is a bot's login in every event; a chat line's flag has a name of its own."""
    log, stream = journal()
    log.chat(message("@cozybean nah", user="pixelsage", is_bot=True, depth=2))
    (line,) = records(stream)
    assert "bot" not in line
    assert line["is_bot"] is True
    assert line["depth"] == 2
    assert (line["msg"], line["user"], line["text"]) == ("msg-7", "pixelsage", "@cozybean nah")


@pytest.mark.parametrize(
    "text",
    [
        'she said "hi" \\o/',
        "naïve café — ünïcödé",
        "日本語のテキスト",
        "family 👨\u200d👩\u200d👧 and 🎉🔥",
        "tab-free {json: [1, 2]} </script>",
        "\u2028 line separator and \u2029",
    ],
)
def test_text_round_trips_exactly(text):
    log, stream = journal()
    log.chat(message(text))
    assert stream.getvalue().count("\n") == 1  # one JSON line per record
    assert records(stream)[0]["text"] == text


# ---------------------------------------------------------------- jobs
def test_enqueued_carries_job_bot_priority_label_msg_and_delay():
    log, stream = journal()
    log.job(JobStage.ENQUEUED, job())
    (line,) = records(stream)
    assert line == {
        "ts": round(NOW, 3),
        "event": "enqueued",
        "job": 3,
        "bot": "pixelsage",
        "priority": "high",
        "msg": "msg-7",
        "delay": 1.235,
    }


@pytest.mark.parametrize(
    ("priority", "label"),
    [(Priority.HIGH, "high"), (Priority.NORMAL, "normal"), (Priority.LOW, "low")],
)
def test_priority_is_written_as_its_label(priority, label):
    log, stream = journal()
    log.job(JobStage.STARTED, job(priority=priority))
    assert records(stream)[0]["priority"] == label


def test_started_carries_the_job_fields():
    log, stream = journal()
    log.job(JobStage.STARTED, job())
    (line,) = records(stream)
    assert line["event"] == "started"
    assert (line["job"], line["bot"], line["priority"], line["msg"]) == (
        3,
        "pixelsage",
        "high",
        "msg-7",
    )


def test_sent_carries_text_and_latency():
    log, stream = journal()
    done = job(outcome=Outcome.SENT, result="@viewer42 hi there 🎉", finished_at=12.5)
    log.job(JobStage.FINISHED, done)
    (line,) = records(stream)
    assert line["event"] == "sent"
    assert line["text"] == "@viewer42 hi there 🎉"
    assert line["latency"] == pytest.approx(2.5)
    assert (line["job"], line["bot"], line["msg"]) == (3, "pixelsage", "msg-7")


@pytest.mark.parametrize("outcome", [Outcome.FAILED, Outcome.CANCELLED, Outcome.SKIPPED])
def test_failed_cancelled_and_skipped_carry_a_reason(outcome):
    log, stream = journal()
    log.job(JobStage.FINISHED, job(outcome=outcome, reason="model timed out"))
    (line,) = records(stream)
    assert line["event"] == outcome.value
    assert line["reason"] == "model timed out"
    assert (line["job"], line["bot"], line["priority"], line["msg"]) == (
        3,
        "pixelsage",
        "high",
        "msg-7",
    )
    assert "text" not in line


def test_a_finished_event_without_an_outcome_writes_nothing():
    log, stream = journal()
    log.job(JobStage.FINISHED, job())
    assert stream.getvalue() == ""


def test_job_events_only_use_contract_event_names():
    log, stream = journal()
    log.job(JobStage.ENQUEUED, job())
    log.job(JobStage.STARTED, job())
    for outcome in Outcome:
        log.job(JobStage.FINISHED, job(outcome=outcome, reason="r", finished_at=11.0))
    assert {line["event"] for line in records(stream)} <= {event.value for event in JournalEvent}


def test_the_vocabulary_is_the_contracts():
    """DESIGN.md's event names and reasons, spelled exactly."""
    assert {event.value for event in JournalEvent} == {
        "chat", "enqueued", "started", "sent", "failed", "cancelled", "skipped", "state",
        "moderation", "reviewed", "run", "fault", "channel_event", "redemption",
        "held", "reading_gap", "shared_chat",  # third round (shared_chat: botdeck's own)
    }  # fmt: skip
    assert {kind.value for kind in EventKind} == {
        "raid", "sub", "gift", "follow", "cheer", "redeem", "announcement", "online",
        "offline", "update", "unsupported",
    }  # fmt: skip
    assert {status.value for status in RedemptionStatus} == {"FULFILLED", "CANCELED"}
    second_round = {
        "deleted_by_moderator", "user_removed", "operator", "muted", "rejected", "resumed",
        "expired", "ai_unavailable",
    }  # fmt: skip
    assert second_round <= {reason.value for reason in Reason}
    assert {"automod_denied", "automod"} <= {reason.value for reason in Reason}


# ---------------------------------------------------------------- state
def test_state_writes_the_state_value():
    log, stream = journal()
    log.state(RouterState.DRAINING)
    assert records(stream) == [{"ts": round(NOW, 3), "event": "state", "state": "draining"}]


# ---------------------------------------------------------------- stream and flushing
def test_a_journal_without_a_stream_writes_nothing():
    log = Journal(None, clock=lambda: NOW)
    assert not log.enabled
    log.chat(message())
    log.job(JobStage.ENQUEUED, job())
    log.state(RouterState.DRAINING)
    log.close()
    assert log.lines_written == 0


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_outside_an_event_loop_each_write_is_flushed_at_once():
    stream = CountingStream()
    log = Journal(stream, clock=lambda: NOW)
    assert log.enabled
    log.chat(message())
    assert stream.flushes == 1
    log.state(RouterState.RUNNING)
    log.job(JobStage.ENQUEUED, job())
    assert stream.flushes == 3
    assert stream.getvalue().count("\n") == 3


async def test_in_an_event_loop_lines_wait_for_the_flush_timer_but_a_state_change_does_not():
    stream = CountingStream()
    log = Journal(stream, clock=lambda: NOW)
    log.chat(message())
    log.job(JobStage.ENQUEUED, job())
    assert stream.flushes == 0  # batched: flushed within FLUSH_INTERVAL
    log.state(RouterState.DRAINING)
    assert stream.flushes == 1  # everything so far is on disk now
    log.close()


def test_each_line_is_flushed_within_the_flush_interval():
    async def first_flush_after_a_write() -> float:
        stream = CountingStream()
        log = Journal(stream, clock=lambda: NOW)
        log.chat(message())
        started = now()
        flushed = asyncio.Event()
        stream.flush = flushed.set  # type: ignore[method-assign]
        await flushed.wait()
        return now() - started

    assert run_virtual(first_flush_after_a_write()) == FLUSH_INTERVAL


def test_a_journal_writes_to_every_stream_and_loses_only_the_one_that_fails():
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    kept = io.StringIO()
    log = Journal([ClosedPipe(), kept], clock=lambda: NOW)
    log.state(RouterState.DRAINING)
    log.state(RouterState.DRAINED)
    assert log.enabled
    assert [r["state"] for r in records(kept)] == ["draining", "drained"]


def test_close_flushes_the_stream():
    stream = CountingStream()
    log = Journal(stream, clock=lambda: NOW)
    log.close()
    assert stream.flushes == 1


def test_a_reader_that_goes_away_stops_the_journal_once_and_quietly():
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            if self.getvalue().count("\n") >= 2:
                raise BrokenPipeError(32, "Broken pipe")
            return super().write(text)

    stream = ClosedPipe()
    journal = Journal(stream, clock=lambda: 1.0)
    for _ in range(5):
        journal.state(RouterState.RUNNING)  # never raises into the engine
    assert journal.lines_written == 2
    assert stream.getvalue().count("\n") == 2
