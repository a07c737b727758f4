"""Resuming after a crash or a restart: the previous run's unfinished replies.

On start, the channel's previous journal (`--journal PATH` itself, or the latest run in
`[journal] dir`) is read. Every job it enqueued without an outcome gets one before
anything new starts, written to that journal, so each file stays whole:

- a mention whose chat line is younger than `[router] resume_window` is submitted again:
  the old job ends `skipped` (reason `resumed`, `resumed_as` the new id) and the new
  job's `enqueued` carries `resumes` (the old id);
- anything else (an older mention, a random or bot-to-bot reply, a mention whose line is
  not in the journal, a bot no longer configured) ends `skipped` with reason `expired`.

New job ids continue after the previous journal's highest, so ids stay unique within a
file that runs are appended to (and `resumes` is unambiguous across per-run files). With
`--no-resume` nothing is submitted again, and open jobs still end `expired`.

A journal is read the way `botdeck report` reads one: lines that cannot be used are
skipped and counted; a file that cannot be read at all resumes nothing. Neither ever
stops a run from starting. A reply that was being sent when the process died may go out
twice: the journal cannot say whether Twitch got it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority
from botdeck.model.journal import OUTCOME_EVENT, JournalEvent, Reason
from botdeck.model.snapshot import ResumeSummary
from botdeck.report import ReportError
from botdeck.report.reader import ReadNotes, read_events

log = logging.getLogger(__name__)

OUTCOME_EVENTS = frozenset(OUTCOME_EVENT.values())
_JOB_ID = re.compile(rb'"job"\s*:\s*(\d{1,18})')  # any job id, even in an unusable line


@dataclass(frozen=True, slots=True)
class OpenJob:
    """A job the previous run enqueued and never ended."""

    id: int
    bot: str
    priority: Priority
    msg: str
    line: ChatMessage | None  # the chat line it answers, when the journal has it


@dataclass(frozen=True, slots=True)
class ResumePlan:
    """What the previous journal left open, read before the run starts."""

    source: Path
    same_file: bool  # the run appends to the journal it resumes (`--journal PATH`)
    open_jobs: tuple[OpenJob, ...] = ()
    last_id: int = 0  # the highest job id in it: new ids continue after it
    unreadable: int = 0  # lines skipped
    problem: str | None = None  # why nothing could be read, if so
    enabled: bool = True  # False: `--no-resume` (open jobs only end `expired`)
    window: float = 300.0  # seconds: mentions younger than this are answered again


@dataclass(slots=True)
class _Job:
    bot: str
    priority: Priority
    msg: str
    ended: bool = False


@dataclass(slots=True)
class _Reading:
    jobs: dict[int, _Job] = field(default_factory=dict)
    lines: dict[str, ChatMessage] = field(default_factory=dict)
    last_id: int = 0


def plan_resume(
    source: Path, *, same_file: bool, enabled: bool = True, window: float = 300.0
) -> ResumePlan:
    """Read `source` for jobs left open; never raises for a bad or missing file."""
    notes = ReadNotes()
    reading = _Reading()
    problem = None
    try:
        for event in read_events(source, notes):
            _take(reading, event.kind, event.ts, event.data)
    except ReportError as error:
        problem = str(error)
    except OSError as error:  # went away while being read
        problem = f"{source}: {error.strerror or error}"
    last_id = max(reading.last_id, _highest_job_id(source))
    open_jobs = tuple(
        OpenJob(job_id, job.bot, job.priority, job.msg, reading.lines.get(job.msg))
        for job_id, job in sorted(reading.jobs.items())
        if not job.ended
    )
    return ResumePlan(
        source=source,
        same_file=same_file,
        open_jobs=open_jobs,
        last_id=last_id,
        unreadable=notes.skipped,
        problem=problem,
        enabled=enabled,
        window=window,
    )


def _highest_job_id(source: Path) -> int:
    """The highest job id written anywhere in the file, also in lines that cannot be
    used otherwise: a new id must not repeat one a damaged line still shows."""
    highest = 0
    try:
        with source.open("rb") as stream:
            for raw in stream:
                for match in _JOB_ID.finditer(raw):
                    highest = max(highest, int(match.group(1)))
    except OSError:
        pass
    return highest


def _take(reading: _Reading, kind: JournalEvent, ts: float, data: dict[str, object]) -> None:
    if kind is JournalEvent.CHAT:
        message = _chat_line(ts, data)
        if message is not None:
            reading.lines[message.id] = message
        return
    job_id = data.get("job")
    if not isinstance(job_id, int) or isinstance(job_id, bool):
        return
    reading.last_id = max(reading.last_id, job_id)
    if kind is JournalEvent.ENQUEUED:
        msg = data.get("msg")
        reading.jobs[job_id] = _Job(
            str(data["bot"]), Priority.parse(str(data["priority"])), str(msg) if msg else ""
        )
    elif kind in OUTCOME_EVENTS and job_id in reading.jobs:
        reading.jobs[job_id].ended = True


def _chat_line(ts: float, data: dict[str, object]) -> ChatMessage | None:
    msg, user, text = data.get("msg"), data.get("user"), data.get("text")
    if not (isinstance(msg, str) and isinstance(user, str) and isinstance(text, str)):
        return None
    depth = data.get("depth")
    return ChatMessage(
        id=msg,
        user=user,
        text=text,
        timestamp=ts,
        is_bot=data.get("bot") is True,
        depth=depth if isinstance(depth, int) and not isinstance(depth, bool) else 0,
    )


# What the engine gives the resumer: submit a mention again (its line, its bot, how old
# the line is, the old job's id) and get the new job's id, or None if it was not taken.
Resubmit = Callable[[ChatMessage, str, float, int], int | None]
# Write the old job's outcome: (job, reason, resumed_as or None).
CloseOld = Callable[[OpenJob, Reason, int | None], None]


def apply_resume(
    plan: ResumePlan,
    *,
    now: float,
    bots: frozenset[str],
    resubmit: Resubmit,
    close_old: CloseOld,
) -> ResumeSummary:
    """Give every open job its outcome, submitting young mentions again (see the module
    docstring). `now` is Unix seconds, like the journal's timestamps."""
    resumed = expired = 0
    for job in plan.open_jobs:
        age = now - job.line.timestamp if job.line is not None else None
        new_id = None
        if (
            plan.enabled
            and job.priority is Priority.HIGH
            and job.line is not None
            and not job.line.is_bot
            and job.bot in bots
            and age is not None
            and age < plan.window
        ):
            new_id = resubmit(job.line, job.bot, max(0.0, age), job.id)
        if new_id is None:
            close_old(job, Reason.EXPIRED, None)
            expired += 1
        else:
            close_old(job, Reason.RESUMED, new_id)
            resumed += 1
    summary = ResumeSummary(
        source=str(plan.source),
        resumed=resumed,
        expired=expired,
        unreadable=plan.unreadable,
        problem=plan.problem,
        enabled=plan.enabled,
    )
    if summary.worth_saying or summary.expired:
        log.info(summary.describe())
    return summary
