"""The journal: one JSON object per line for every chat line, job transition and state change.

What each line carries is defined once, in `botdeck.model.journal` (one `TypedDict` per
event; `line_for` turns the engine's events into lines), and the README's tables are drawn
from it. The contract (kept stable for outside tools): each line has `ts` (Unix seconds)
and `event`; job events carry `job`, `bot`, `priority`, `msg`; `sent` carries `text`;
failed/skipped/cancelled carry `reason`. Each run starts with a `run` line naming its
channel and Twitch client, so a restart never resumes another channel's replies.
Secrets never reach it: it writes chat and job fields, and of the config only the run's
channel and its (public) client id.

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
from typing import TextIO

from botdeck.model.chat import ChatMessage
from botdeck.model.events import ChatSeen, EngineEvent, JobChanged, StateChanged
from botdeck.model.jobs import JobStage, JobView, Priority, RouterState
from botdeck.model.journal import (
    JournalEvent,
    JournalLine,
    RunLine,
    SkippedLine,
    line_for,
    priority_label,
)

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.2

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
        self._run: RunLine | None = None  # the run's first line, written with its first event

    @property
    def enabled(self) -> bool:
        return bool(self._streams)

    @property
    def notices(self) -> tuple[str, ...]:
        """A journal that could not be written, for the dashboard and the summary."""
        return (self._stopped,) if self._stopped else ()

    def now(self) -> float:
        """A line's `ts`: the clock, to the millisecond."""
        return round(self._clock(), 3)

    def write(self, line: JournalLine) -> None:
        if not self._streams:
            return
        if self._run is not None:
            run, self._run = self._run, None
            run["ts"] = line["ts"]
            self.write(run)
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
        for stream in list(self._streams):
            try:
                stream.write(text)
            except OSError as error:
                self._lost(stream, error)
        if self._streams:
            self.lines_written += 1
            self._schedule_flush()

    def listen(self, event: EngineEvent) -> None:
        """The engine's event stream, journaled."""
        line = line_for(event, self.now())
        if line is None:
            return
        self.write(line)
        if line["event"] is JournalEvent.STATE and self._flush_handle is not None:
            self.flush()  # a drain or a stop is on disk before anything else happens

    # ------------------------------------------------------- typed helpers
    def run_started(self, channel: str, *, client_id: str, source: str, version: str) -> None:
        """A run's first line: whose channel it answers in, and as which Twitch client.
        It is written just before the run's first event, so a journal's first line still
        means the run has begun, and a run that never began leaves no line."""
        line: RunLine = {"ts": self.now(), "event": JournalEvent.RUN, "channel": channel}
        if client_id:
            line["client_id"] = client_id
        if source:
            line["source"] = source
        if version:
            line["version"] = version
        self._run = line

    def chat(self, message: ChatMessage) -> None:
        self.listen(ChatSeen(message))

    def state(self, state: RouterState, by: str | None = None, command: str | None = None) -> None:
        self.listen(StateChanged(state, by, command))

    def job(self, stage: JobStage, job: JobView) -> None:
        self.listen(JobChanged(stage, job))

    def closed_by_restart(
        self, job: int, bot: str, priority: Priority, msg: str, reason: str, resumed_as: int | None
    ) -> None:
        """The outcome a restart gives a job the previous run left open (`skipped`: resumed
        as a new job, or expired)."""
        line: SkippedLine = {
            "ts": self.now(), "event": JournalEvent.SKIPPED, "job": job, "bot": bot,
            "priority": priority_label(priority), "msg": msg, "reason": reason,
        }  # fmt: skip
        if resumed_as is not None:
            line["resumed_as"] = resumed_as
        self.write(line)

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

    def sever(self) -> None:
        """The process dies here (a drill's crash): what was written stays, nothing more
        is written. The streams are left to whoever opened them."""
        self.flush()
        self._streams.clear()
        self._run = None

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
