"""Reading a journal for a report: tolerant of what a killed or hand-edited run leaves.

A journal is read line by line (it may be large). A line that is not a journal event
(not JSON, not an object, an unknown event, a required field missing or of the wrong
type) is skipped with a note naming it; a last line without its newline that does not
parse is the cut of a killed process, noted as such. Only a file that is missing, empty
or holds no event at all is an error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from botdeck.files import unreadable
from botdeck.model.jobs import Outcome, Priority
from botdeck.model.journal import JOB_EVENTS, JournalEvent

OUTCOMES = tuple(outcome.value for outcome in Outcome)
PRIORITIES = tuple(priority.label for priority in Priority)
MAX_NOTES = 20  # a garbage file would otherwise note every line


class ReportError(Exception):
    """The journal cannot be reported on; the message is one line naming the file."""


@dataclass(frozen=True, slots=True)
class Event:
    line: int
    ts: float
    kind: JournalEvent
    data: dict[str, Any]


@dataclass(slots=True)
class ReadNotes:
    """What was skipped while reading, for the report's notes."""

    notes: list[str] = field(default_factory=list)
    skipped: int = 0
    events: int = 0

    def skip(self, note: str) -> None:
        self.skipped += 1
        if len(self.notes) < MAX_NOTES:
            self.notes.append(note)

    def summary(self) -> list[str]:
        """One line per skipped journal line (the first few), saying it was skipped."""
        hidden = self.skipped - len(self.notes)
        shown = [f"{note}: skipped" for note in self.notes]
        return shown + ([f"... and {hidden} more lines skipped"] if hidden > 0 else [])


def read_events(path: Path, notes: ReadNotes, *, offset: int = 0) -> Iterator[Event]:
    """The journal's events in file order from byte `offset`; what cannot be used goes to
    `notes`. Line numbers count from the top of the file either way."""
    try:
        stream = path.open("rb")
    except OSError as error:
        raise ReportError(unreadable(path, error, "journal")) from None
    with stream:
        before = _lines_before(stream, offset)
        empty = True
        for number, raw in enumerate(stream, start=before + 1):
            empty = False
            if not raw.strip():
                continue
            try:
                event = _event(raw, number)
            except ValueError as problem:
                if not raw.endswith(b"\n") and str(problem).startswith("not JSON"):
                    notes.skip(f"line {number}: cut off mid-line (the run was killed?)")
                else:
                    notes.skip(f"line {number}: {problem}")
                continue
            notes.events += 1
            yield event
    if notes.events == 0:
        if empty:
            raise ReportError(f"{path}: empty")
        first = f" ({notes.notes[0]})" if notes.notes else ""
        raise ReportError(f"{path}: no journal events, not a botdeck journal?{first}")


def _lines_before(stream: BinaryIO, offset: int) -> int:
    """Skip to `offset`, counting the lines before it (so notes name real line numbers)."""
    lines = 0
    while stream.tell() < offset:
        chunk = stream.read(min(1 << 20, offset - stream.tell()))
        if not chunk:
            break
        lines += chunk.count(b"\n")
    return lines


def _event(raw: bytes, number: int) -> Event:
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("not JSON") from None
    if not isinstance(record, dict):
        raise ValueError("not a journal event (not an object)")
    try:
        kind = JournalEvent(str(record.get("event")))
    except ValueError:
        raise ValueError(f"unknown event {str(record.get('event'))[:40]!r}") from None
    ts = record.get("ts")
    if not _number(ts):
        raise ValueError('"ts" is missing or not a number')
    if kind == "chat" and not isinstance(record.get("msg"), str):
        raise ValueError('a chat event without "msg"')
    if kind in JOB_EVENTS:
        job = record.get("job")
        if isinstance(job, bool) or not isinstance(job, int):
            raise ValueError(f'a {kind} event without "job"')
        if not isinstance(record.get("bot"), str):
            raise ValueError(f'a {kind} event without "bot"')
        if record.get("priority") not in PRIORITIES:
            raise ValueError(f'a {kind} event without "priority" (high, normal or low)')
    assert isinstance(ts, int | float)  # checked by _number above
    return Event(number, float(ts), kind, record)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number_field(event: Event, key: str) -> float | None:
    """An optional numeric field, or None when absent or not a number."""
    value = event.data.get(key)
    return float(value) if isinstance(value, int | float) and _number(value) else None
