"""What the report remembers of chat lines and open jobs, in bounded memory.

A reply's latency is counted from its chat line, and the page shows the line it answered;
a job's outcome comes after its `enqueued`. Neither needs the whole journal in memory:

- `RecentLines` keeps the last `LINES_KEPT` chat lines by id. A job looks its line up
  when it is first seen, which is right after the line (or, for a restart, within its
  resume window); a line no longer kept means the journal's `latency` field is used.
- `OpenJobs` holds what a job needs between its first event and its outcome (its bot,
  priority, run, whether it started, and its line) and forgets it at the outcome. Only
  jobs still open are held, at most `OPEN_KEPT` (a live queue holds a few hundred); past
  that, the oldest is given up and counted as open (an outcome that comes for it later
  counts as a job of its own, and the report's notes say how many were given up).

Text is kept cut to `TEXT_KEPT` characters (Twitch allows 500), names to `NAME_KEPT`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

LINES_KEPT = 10_000
OPEN_KEPT = 50_000
TEXT_KEPT = 500
NAME_KEPT = 64
ID_KEPT = 64  # longer ids are kept as their hash


class SeenLine(NamedTuple):
    """A chat line as the report keeps it: when, who, what (cut), made up or not."""

    ts: float
    user: str
    text: str
    synthetic: bool
    run: int  # the run it was read in (runs appended to one journal)


def line_key(msg: str) -> str | int:
    """An id as a key of bounded size (an untrusted journal's ids may be a megabyte)."""
    return msg if len(msg) <= ID_KEPT else hash(msg)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RecentLines:
    """The last `capacity` chat lines, by id (a repeated id keeps the later line)."""

    def __init__(self, capacity: int = LINES_KEPT) -> None:
        self.capacity = capacity
        self._lines: OrderedDict[str | int, SeenLine] = OrderedDict()

    def add(self, msg: str, line: SeenLine) -> SeenLine | None:
        """Keep `line`; returns the line kept with the same id before, if any."""
        key = msg if len(msg) <= ID_KEPT else hash(msg)
        lines = self._lines
        before = lines.pop(key, None)
        lines[key] = line
        if len(lines) > self.capacity:
            lines.popitem(last=False)
        return before

    def get(self, msg: str | None) -> SeenLine | None:
        if msg is None:
            return None
        return self._lines.get(msg if len(msg) <= ID_KEPT else hash(msg))


@dataclass(slots=True)
class OpenJob:
    """A job between its first event and its outcome."""

    run: int
    bot: str
    priority: str
    msg: str | int | None  # its line's key (mention lines are counted by it)
    line: SeenLine | None  # the line it answers, if it was still kept
    started: bool = False
    reaction: bool = False  # a reaction to a channel event: not a viewer's mention


class OpenJobs:
    """Jobs without an outcome yet, by id, oldest first; at most `capacity`."""

    def __init__(self, capacity: int = OPEN_KEPT) -> None:
        self.capacity = capacity
        self._jobs: dict[int, OpenJob] = {}

    def get(self, job_id: int) -> OpenJob | None:
        return self._jobs.get(job_id)

    def open(self, job_id: int, job: OpenJob) -> tuple[int, OpenJob, bool] | None:
        """Hold `job`. Returns the job given up for it, if any: one with the same id, or
        (True) the oldest, when `capacity` are open."""
        jobs = self._jobs
        replaced = jobs.pop(job_id, None)
        jobs[job_id] = job
        if replaced is not None:
            return job_id, replaced, False
        if len(jobs) > self.capacity:
            oldest = next(iter(jobs))
            return oldest, jobs.pop(oldest), True
        return None

    def close(self, job_id: int) -> None:
        self._jobs.pop(job_id, None)

    def __len__(self) -> int:
        return len(self._jobs)

    def values(self) -> list[OpenJob]:
        return list(self._jobs.values())


class RecentKeys:
    """Keys seen lately, at most `capacity` (the oldest forgotten first)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[object, None] = OrderedDict()
        self.forgotten = 0

    def add(self, key: object) -> bool:
        """Remember `key`; True when it was not remembered already."""
        keys = self._keys
        if key in keys:
            keys.move_to_end(key)
            return False
        keys[key] = None
        if len(keys) > self.capacity:
            keys.popitem(last=False)
            self.forgotten += 1
        return True
