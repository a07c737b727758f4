"""Reading a journal for a report: tolerant of what a killed or hand-edited run leaves.

A journal is streamed line by line (`botdeck.storage.files`: it may be large, or gzip-compressed,
and is capped at `MAX_JOURNAL_BYTES` uncompressed). Each line is checked against its
event's definition (`botdeck.model.journal_check`). A line that is not a journal event
(not JSON, nested too deeply, longer than `MAX_LINE_BYTES`, not an object, an unknown
event, a required field missing, of the wrong type or out of range, a `ts` that is no
Unix time) is skipped with a note naming it; a last line without its newline that does
not parse is the cut of a killed process, noted as such. A line whose optional figure is
of the wrong type or out of range (`"latency": 1e308`, `"tokens_out": -5`) is a bad line
too: it is noted, and used without that figure. A file that is missing, not a regular file,
empty, or whose first thousand lines hold no event is an error; past that, whatever
stops the reading (the cap, a damaged gzip, a flood of garbage) is a note, and the
events before it are reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from botdeck.model.jobs import Outcome, Priority
from botdeck.model.journal import JournalEvent, JournalLine
from botdeck.model.journal_check import check_line
from botdeck.storage.files import (
    GIB,
    MIB,
    BlankRun,
    FileRefused,
    JSONTooDeep,
    Readable,
    load_json,
    open_stream,
    read_lines,
)

MAX_JOURNAL_BYTES = 4 * GIB  # uncompressed: days of a busy channel
MAX_LINE_BYTES = MIB  # an event is a few hundred bytes
LEAD_LINES = 1_000  # a journal's first event comes within this many lines
MAX_SKIPPED = 10_000  # then reading stops: this is no journal any more
OUTCOMES = tuple(outcome.value for outcome in Outcome)
PRIORITIES = tuple(priority.label for priority in Priority)
MAX_NOTES = 20  # a garbage file would otherwise note every line


class ReportError(Exception):
    """The journal cannot be reported on; the message is one line naming the file."""


@dataclass(frozen=True, slots=True)
class Event:
    """One usable line: its number in the file, and the line as its definition types it."""

    line: int
    data: JournalLine

    @property
    def ts(self) -> float:
        return self.data["ts"]

    @property
    def kind(self) -> JournalEvent:
        return self.data["event"]


@dataclass(slots=True)
class ReadNotes:
    """What was skipped or left out while reading, for the report's notes."""

    notes: list[str] = field(default_factory=list)  # the first few, with what was done
    skipped: int = 0
    flawed: int = 0  # lines used without a figure that was out of range or of the wrong type
    events: int = 0
    stopped: str | None = None  # why reading stopped before the end, if it did

    def skip(self, note: str) -> None:
        self.skipped += 1
        if len(self.notes) < MAX_NOTES:
            self.notes.append(f"{note}: skipped")

    def flaw(self, line: int, dropped: list[str]) -> None:
        self.flawed += 1
        if len(self.notes) < MAX_NOTES:
            self.notes.append(f"line {line}: {', '.join(dropped)}: left out")

    def summary(self) -> list[str]:
        """One line per bad journal line (the first few), saying what was done with it."""
        hidden = self.skipped + self.flawed - len(self.notes)
        more = []
        if hidden > 0:
            more = [f"... and {hidden:,} more bad lines ({self.skipped:,} skipped in all, "
                    f"{self.flawed:,} used without a bad figure)"]  # fmt: skip
        return self.notes + more + ([self.stopped] if self.stopped else [])


def read_events(path: Path, notes: ReadNotes, *, offset: int = 0) -> Iterator[Event]:
    """The journal's events in file order from byte `offset`; what cannot be used goes to
    `notes`. Line numbers count from the top of the file either way."""
    empty = True
    try:
        with open_stream(path, "journal", MAX_JOURNAL_BYTES) as stream:
            before = _lines_before(stream, offset)
            for line in read_lines(stream, MAX_LINE_BYTES, first=before + 1):
                empty = False
                if line.too_long:
                    too_long = f"line {line.number}: longer than {MAX_LINE_BYTES // MIB} MiB"
                    if notes.events == 0:  # no journal starts so: do not read a gigabyte
                        raise ReportError(f"{path}: {too_long}, not a botdeck journal")
                    notes.skip(too_long)
                else:
                    dropped: list[str] = []
                    try:
                        event = _event(line.data, line.number, dropped)
                    except ValueError as problem:
                        cut = not line.ended and str(problem).startswith("not JSON")
                        why = "cut off mid-line (the run was killed?)" if cut else problem
                        notes.skip(f"line {line.number}: {why}")
                    else:
                        notes.events += 1
                        if dropped:
                            notes.flaw(line.number, dropped)
                        yield event
                        continue
                if notes.events == 0 and notes.skipped >= LEAD_LINES:
                    raise ReportError(
                        f"{path}: no journal event in its first {LEAD_LINES:,} lines, not a "
                        f"botdeck journal? ({notes.notes[0].removesuffix(': skipped')})"
                    )
                if notes.skipped >= MAX_SKIPPED:
                    _stop(path, notes, f"after line {line.number}: {MAX_SKIPPED:,} lines are "
                          "not journal events")  # fmt: skip
                    return
    except FileRefused as refused:
        _stop(path, notes, str(refused).removeprefix(f"{path}: "))
    except BlankRun as blank:
        _stop(path, notes, f"line {blank.line}: {blank}")
    if notes.events == 0:
        if empty:
            raise ReportError(f"{path}: empty")
        first = f" ({notes.notes[0].removesuffix(': skipped')})" if notes.notes else ""
        raise ReportError(f"{path}: no journal events, not a botdeck journal?{first}")


def _stop(path: Path, notes: ReadNotes, why: str) -> None:
    """Reading stops early: an error before the first event, else a note (the events
    already read are reported)."""
    if notes.events == 0:
        raise ReportError(f"{path}: {why}")
    notes.stopped = f"reading stopped {why}; the report covers the lines before"


def _lines_before(stream: Readable, offset: int) -> int:
    """Skip to `offset`, counting the lines before it (so notes name real line numbers)."""
    lines = 0
    left = offset
    while left > 0:
        chunk = stream.read(min(MIB, left))
        if not chunk:
            break
        lines += chunk.count(b"\n")
        left -= len(chunk)
    return lines


def _event(raw: bytes, number: int, dropped: list[str]) -> Event:
    try:
        record = load_json(raw)
    except JSONTooDeep as error:
        raise ValueError(f"JSON {error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("not JSON") from None
    return Event(number, check_line(record, dropped))
