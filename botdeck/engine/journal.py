"""The journal: one JSON object per line for every chat line, job transition and state change.

The contract (kept stable for outside tools): each line has `ts` (Unix seconds) and `event`
(`botdeck.model.journal.JournalEvent`). Job events carry `job`, `bot`, `priority`, `msg`;
`sent` carries `text`; failed/skipped/cancelled carry `reason`. Optional fields, for
`botdeck report`: `latency` on `sent`; on any outcome, `send_wait` (seconds the reply
waited for its bot's send limit, when a limiter runs) and `tokens_in`/`tokens_out` (when the
responder reported any); `by` on a `state` event someone other than the operator caused
(and `command`, the chat command that caused it); `requeued` on an `enqueued` event of a
job that went back to the queue unsent (its bot was held by a chat mode, or the merged
reply carrying it was withdrawn). `moderation` events carry `action`, `msg` or `user`,
`ended` (replies it ended) and `unknown` when botdeck had not seen the line or user;
never the text of a deleted line. `manual: true` on the `sent` of a line the operator
typed as a bot (its `msg` is null: it answers no chat line). `reviewed` (`job`,
`verdict`, `by`, and `text` when edited) records the operator's verdict on a reply held
for review. `synthetic: true` on a `chat` line a rehearsal made up (`--mention-rate`).
`resumes` on the `enqueued` of a job that takes over one a previous run left open, and
`resumed_as` on that old job's `skipped` (see `botdeck.engine.resume`).
Secrets never reach it: nothing here reads config, only chat and job fields.

The journal is an ordinary listener of the engine's event stream (`Journal.listen`),
subscribed first so a reply is journaled before anything reacts to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from botdeck.model.chat import ChatMessage
from botdeck.model.events import (
    ChatSeen,
    EngineEvent,
    JobChanged,
    ModerationSeen,
    Reviewed,
    StateChanged,
)
from botdeck.model.jobs import JobStage, JobView, Outcome, Priority, RouterState
from botdeck.model.journal import OUTCOME_EVENT, JournalEvent

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.2


def _costs(job: JobView) -> dict[str, Any]:
    """Optional outcome fields: the wait for the send limiter, and tokens when there were any."""
    costs: dict[str, Any] = {}
    if job.send_wait is not None:
        costs["send_wait"] = round(job.send_wait, 3)
    if job.tokens_in or job.tokens_out:
        costs["tokens_in"] = job.tokens_in
        costs["tokens_out"] = job.tokens_out
    return costs


Streams = TextIO | Sequence[TextIO] | None


class Journal:
    """Writes journal lines to text streams (a file, stdout, or both); each line is flushed
    within 0.2 s, a state change at once, and everything on close."""

    def __init__(
        self, streams: Streams, clock: Callable[[], float] = time.time, *, owns: bool = False
    ) -> None:
        if streams is None:
            streams = ()
        elif not isinstance(streams, Sequence):
            streams = (streams,)
        self._streams: list[TextIO] = list(streams)
        self._clock = clock
        self._owns = owns  # close the streams on close() (else whoever opened them does)
        self._flush_handle: asyncio.TimerHandle | None = None
        self.lines_written = 0
        self._stopped: str | None = None  # why journaling stopped, if it did

    @property
    def enabled(self) -> bool:
        return bool(self._streams)

    @property
    def notices(self) -> tuple[str, ...]:
        """A journal that could not be written, for the dashboard and the summary."""
        return (self._stopped,) if self._stopped else ()

    def write(self, event: JournalEvent, **fields: Any) -> None:
        if not self._streams:
            return
        record = {"ts": round(self._clock(), 3), "event": event.value}
        record.update(fields)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        for stream in list(self._streams):
            try:
                stream.write(line)
            except OSError as error:
                self._lost(stream, error)
        if self._streams:
            self.lines_written += 1
            self._schedule_flush()

    def listen(self, event: EngineEvent) -> None:
        """The engine's event stream, journaled."""
        if isinstance(event, JobChanged):
            self.job(event.stage, event.job)
        elif isinstance(event, ChatSeen):
            self.chat(event.message)
        elif isinstance(event, StateChanged):
            self.state(event.state, event.by, event.command)
        elif isinstance(event, ModerationSeen):
            self.moderation(event)
        elif isinstance(event, Reviewed):
            self.reviewed(event)

    # ------------------------------------------------------- typed helpers
    def chat(self, message: ChatMessage) -> None:
        fields: dict[str, Any] = {"msg": message.id, "user": message.user, "text": message.text}
        if message.is_bot:
            fields["bot"] = True
            fields["depth"] = message.depth
        if message.synthetic:
            fields["synthetic"] = True  # made up by a rehearsal (--mention-rate), not real chat
        self.write(JournalEvent.CHAT, **fields)

    def state(self, state: RouterState, by: str | None = None, command: str | None = None) -> None:
        fields: dict[str, Any] = {"state": state.value}
        if by is not None:
            fields["by"] = by
        if command is not None:
            fields["command"] = command
        self.write(JournalEvent.STATE, **fields)
        if self._flush_handle is not None:
            self.flush()  # a drain or a stop is on disk before anything else happens

    def moderation(self, event: ModerationSeen) -> None:
        fields: dict[str, Any] = {"action": event.action}
        if event.msg is not None:
            fields["msg"] = event.msg
        if event.user is not None:
            fields["user"] = event.user
        fields["ended"] = event.ended
        if not event.known:
            fields["unknown"] = True
        self.write(JournalEvent.MODERATION, **fields)

    def reviewed(self, event: Reviewed) -> None:
        fields: dict[str, Any] = {"job": event.job.id, "verdict": event.verdict.value}
        fields["by"] = event.by
        if event.text is not None:
            fields["text"] = event.text
        self.write(JournalEvent.REVIEWED, **fields)

    def job(self, stage: JobStage, job: JobView) -> None:
        manual = job.context.manual
        fields: dict[str, Any] = {
            "job": job.id,
            "bot": job.bot,
            "priority": job.priority.label,
            "msg": None if manual else job.context.message.id,
        }
        if job.carrier is not None and job.outcome is not None:
            fields["coalesced_into"] = job.carrier  # answered by that job's reply
        if stage is JobStage.ENQUEUED:
            if job.requeued:
                fields["requeued"] = job.requeued
            if job.context.resumes is not None:
                fields["resumes"] = job.context.resumes
            self.write(JournalEvent.ENQUEUED, **fields, delay=round(job.delay, 3))
        elif stage is JobStage.STARTED:
            self.write(JournalEvent.STARTED, **fields)
        elif job.outcome is Outcome.SENT:
            latency = (job.finished_at or 0.0) - job.created_at
            if manual:
                fields["manual"] = True
            self.write(
                JournalEvent.SENT,
                **fields,
                text=job.result,
                latency=round(latency, 3),
                **_costs(job),
            )
        elif job.outcome is not None:
            event = OUTCOME_EVENT[job.outcome]
            self.write(event, **fields, reason=job.reason, **_costs(job))

    def closed_by_restart(
        self, job: int, bot: str, priority: Priority, msg: str, reason: str, resumed_as: int | None
    ) -> None:
        """The outcome a restart gives a job the previous run left open (`skipped`: resumed
        as a new job, or expired)."""
        fields: dict[str, Any] = {"job": job, "bot": bot, "priority": priority.label, "msg": msg}
        fields["reason"] = reason
        if resumed_as is not None:
            fields["resumed_as"] = resumed_as
        self.write(JournalEvent.SKIPPED, **fields)

    # ------------------------------------------------------------ flushing
    def _schedule_flush(self) -> None:
        if self._flush_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_handle = loop.call_later(FLUSH_INTERVAL, self.flush)

    def flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        for stream in list(self._streams):
            try:
                stream.flush()
            except OSError as error:
                self._lost(stream, error)

    def _lost(self, stream: TextIO, error: OSError) -> None:
        """The reader went away (`| head`) or the disk is full: stop journaling there, say
        so once, and let the run go on; the replies matter more than their record."""
        why = error.strerror or type(error).__name__
        if stream in self._streams:
            self._streams.remove(stream)
        if self._streams:  # stdout went away; the file goes on
            log.warning("journal output stopped after %s lines: %s", self.lines_written, why)
            return
        self._stopped = f"journal stopped after {self.lines_written:,} lines: {why}"
        log.warning("%s", self._stopped)

    def close(self) -> None:
        self.flush()
        if self._owns:
            for stream in self._streams:
                close_file(stream)
            self._streams.clear()


def close_file(stream: TextIO) -> None:
    """Close a journal's file after its run. Its writes may have failed (disk full, file
    removed), which the journal already reported once as a notice: closing must not raise
    it again and turn a finished run into a traceback."""
    with contextlib.suppress(OSError):
        stream.close()
