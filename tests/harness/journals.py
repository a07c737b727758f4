"""Journals in tests: reading what a run wrote, and writing hand-made ones for the report.

Readers: `events_of` (every line must be JSON: a journal the run has finished writing),
`events_so_far` (a file a running botdeck is still writing: only whole lines, nothing
before it exists). `OUTCOMES` are the events that end a job; each job has exactly one.

Writers: `chat`, `job` and `state` make events at `T0 + t`; `write` puts them (and raw
text) in a file; `JOURNAL` is a small run whose report is worked out by hand in
tests/report/test_report.py and checked again by the other report tests.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

OUTCOMES = frozenset({"sent", "failed", "cancelled", "skipped"})

Event = dict[str, Any]


def events_of(journal: io.StringIO | Path | str) -> list[Event]:
    """Every event of a finished journal: an in-memory stream, a file, or its text."""
    if isinstance(journal, io.StringIO):
        text = journal.getvalue()
    elif isinstance(journal, Path):
        text = journal.read_text(encoding="utf-8")
    else:
        text = journal
    return [json.loads(row) for row in text.splitlines()]


def events_so_far(path: Path) -> list[Event]:
    """The whole lines of a journal a botdeck is still writing ([] before the file exists):
    a line is whole once its closing brace is there, and then it must be JSON."""
    if not path.exists():
        return []
    rows = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(row) for row in rows if row.endswith("}")]


def assert_one_outcome_per_job(journal: list[Event]) -> None:
    """No job ends twice, and every enqueued job has ended (a job skipped before it was
    enqueued, a line while draining, ends without being enqueued)."""
    outcomes = Counter(e["job"] for e in journal if e["event"] in OUTCOMES)
    enqueued = {e["job"] for e in journal if e["event"] == "enqueued"}
    assert all(count == 1 for count in outcomes.values()), outcomes
    assert enqueued <= set(outcomes)


# ------------------------------------------------------------------ hand-made journals
T0 = 1_795_000_000.0


def chat(t: float, msg: str, user: str, text: str, bot: bool = False) -> Event:
    event = {"ts": T0 + t, "event": "chat", "msg": msg, "user": user, "text": text}
    return {**event, "bot": True, "depth": 1} if bot else event


def job(
    t: float, event: str, job_id: int, bot: str, priority: str, msg: str, **extra: Any
) -> Event:
    fields = {"job": job_id, "bot": bot, "priority": priority, "msg": msg}
    return {"ts": T0 + t, "event": event, **fields, **extra}


def state(t: float, name: str) -> Event:
    return {"ts": T0 + t, "event": "state", "state": name}


# Two bots, a and b. Six jobs: the report's answers are worked out by hand in
# tests/report/test_report.py (the comments count the backlog).
JOURNAL: list[Event] = [
    chat(0.0, "m1", "v1", "@a hi"),
    job(0.0, "enqueued", 1, "a", "high", "m1", delay=1.0),  # backlog 1
    chat(0.5, "m2", "v2", "@a @b yo"),
    job(0.5, "enqueued", 2, "a", "high", "m2", delay=1.0),  # 2
    job(0.5, "enqueued", 3, "b", "high", "m2", delay=1.0),  # 3: the peak, at +0.5
    job(1.0, "started", 1, "a", "high", "m1"),  # 2
    job(1.0, "started", 3, "b", "high", "m2"),  # 1
    job(
        2.0,
        "sent",
        1,
        "a",
        "high",
        "m1",
        text="@v1 hey",
        latency=2.0,
        send_wait=0.5,
        tokens_in=10,
        tokens_out=5,
    ),
    chat(2.0, "m3", "a", "@v1 hey", bot=True),
    job(2.0, "enqueued", 4, "b", "low", "m3", delay=4.0),  # 2
    job(3.0, "started", 2, "a", "high", "m2"),  # 1
    job(
        3.5,
        "sent",
        3,
        "b",
        "high",
        "m2",
        text="@v2 yo",
        latency=3.0,
        send_wait=0.0,
        tokens_in=20,
        tokens_out=7,
    ),
    chat(4.0, "m4", "v3", "hello"),
    job(4.0, "enqueued", 5, "a", "normal", "m4", delay=2.0),  # 2
    job(6.5, "failed", 2, "a", "high", "m2", reason="timeout", tokens_in=7, tokens_out=0),
    job(7.0, "started", 4, "b", "low", "m3"),  # 1
    chat(8.0, "m5", "v4", "@b late"),
    state(8.0, "draining"),
    job(8.0, "skipped", 6, "b", "high", "m5", reason="draining"),  # never enqueued
    job(10.0, "sent", 4, "b", "low", "m3", text="nice", latency=8.0, send_wait=2.0),
    job(10.5, "cancelled", 5, "a", "normal", "m4", reason="stopped"),  # 0
    state(10.5, "stopped"),
]


def write(
    tmp_path: Path, events: list[Event | str], tail: str = "", name: str = "journal.jsonl"
) -> Path:
    """`events` (dicts as JSON lines, strings as they are) and `tail` in `tmp_path/name`."""
    path = tmp_path / name
    text = "".join(json.dumps(e) + "\n" if isinstance(e, dict) else e for e in events)
    path.write_text(text + tail, encoding="utf-8")
    return path
