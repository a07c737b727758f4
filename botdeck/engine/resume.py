"""Resuming after a crash or a restart: the previous run's unfinished replies.

On start, the channel's previous journal (`--journal PATH` itself, or the latest run in
`[journal] dir`) is read. Every job it enqueued without an outcome gets one before
anything new starts, written to that journal, so each file stays whole:

- a mention whose chat line is younger than `[router] resume_window` is submitted again:
  the old job ends `skipped` (reason `resumed`, `resumed_as` the new id) and the new
  job's `enqueued` carries `resumes` (the old id);
- anything else (an older mention, a random or bot-to-bot reply, a mention whose line is
  not in the journal or is dated in the future, a bot no longer configured) ends
  `skipped` with reason `expired`, counted by cause (`model.snapshot.Expired`);
- a job of another channel (the `run` line that began its run names another) is left
  alone: no outcome is written for it and nothing of it is answered here. A journal from
  before `run` lines names no channel; its jobs count as this channel's.

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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from botdeck.core.text import clean_text
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority
from botdeck.model.journal import (
    ChatLine,
    JournalEvent,
    JournalLine,
    Reason,
    is_job_line,
    is_outcome_line,
)
from botdeck.model.snapshot import Expired, ResumeSummary
from botdeck.report import ReportError
from botdeck.report.reader import ReadNotes, read_events

log = logging.getLogger(__name__)

_JOB_ID = re.compile(rb'"job"\s*:\s*(\d{1,18})')  # any job id, even in an unusable line
MAX_NAMED = 5  # bots or channels named in the summary's one line


@dataclass(frozen=True, slots=True)
class OpenJob:
    """A job the previous run enqueued and never ended."""

    id: int
    bot: str
    priority: Priority
    msg: str
    line: ChatMessage | None  # the chat line it answers, when the journal has it
    channel: str | None = None  # its run's, from the `run` line (None: an older journal)
    held: bool = False  # AutoMod held its reply: it is at Twitch, maybe in chat by now

    def of(self, channel: str) -> bool:
        """Whether the job belongs to `channel` (a job of an older journal always does)."""
        return self.channel is None or self.channel.lower() == channel.lower()


@dataclass(frozen=True, slots=True)
class ResumePlan:
    """What the previous journal left open, read before the run starts."""

    source: Path
    same_file: bool  # the run appends to the journal it resumes (`--journal PATH`)
    enabled: bool  # False: `--no-resume` (open jobs only end `expired`)
    window: float  # seconds: mentions younger than this are answered again (resume_window)
    open_jobs: tuple[OpenJob, ...] = ()
    last_id: int = 0  # the highest job id in it: new ids continue after it
    unreadable: int = 0  # lines skipped
    problem: str | None = None  # why nothing could be read, if so

    def open_in(self, channel: str) -> tuple[OpenJob, ...]:
        """The open jobs a run of `channel` gives an outcome (the others it leaves alone)."""
        return tuple(job for job in self.open_jobs if job.of(channel))


@dataclass(slots=True)
class _Job:
    bot: str
    priority: Priority
    msg: str
    channel: str | None
    ended: bool = False
    held: bool = False


@dataclass(slots=True)
class _Reading:
    jobs: dict[int, _Job] = field(default_factory=dict)
    lines: dict[str, ChatMessage] = field(default_factory=dict)
    last_id: int = 0
    channel: str | None = None  # the run being read, from its `run` line


def plan_resume(source: Path, *, same_file: bool, enabled: bool, window: float) -> ResumePlan:
    """Read `source` for jobs left open; never raises for a bad or missing file."""
    notes = ReadNotes()
    reading = _Reading()
    problem = None
    try:
        for event in read_events(source, notes):
            _take(reading, event.data)
    except ReportError as error:
        problem = str(error)
    except OSError as error:  # went away while being read
        problem = f"{source}: {error.strerror or error}"
    last_id = max(reading.last_id, _highest_job_id(source))
    open_jobs = tuple(
        OpenJob(
            job_id,
            job.bot,
            job.priority,
            job.msg,
            reading.lines.get(job.msg),
            job.channel,
            job.held,
        )
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


def _take(reading: _Reading, line: JournalLine) -> None:
    if line["event"] == JournalEvent.RUN:
        reading.channel = line["channel"]
    elif line["event"] == JournalEvent.CHAT:
        message = _chat_line(line)
        reading.lines[message.id] = message
    elif line["event"] == JournalEvent.ENQUEUED:
        job_id = line["job"]
        reading.last_id = max(reading.last_id, job_id)
        reading.jobs[job_id] = _Job(
            line["bot"], Priority.parse(line["priority"]), line["msg"] or "", reading.channel
        )
    elif line["event"] == JournalEvent.HELD:
        if line["job"] in reading.jobs:
            reading.jobs[line["job"]].held = True
    elif is_job_line(line):
        job_id = line["job"]
        reading.last_id = max(reading.last_id, job_id)
        if is_outcome_line(line) and job_id in reading.jobs:
            reading.jobs[job_id].ended = True


def _chat_line(line: ChatLine) -> ChatMessage:
    return ChatMessage(
        id=line["msg"],
        user=line["user"],
        text=line["text"],
        timestamp=line["ts"],
        is_bot=line.get("is_bot", False),
        depth=line.get("depth", 0),
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
    channel: str,
    bots: frozenset[str],
    resubmit: Resubmit,
    close_old: CloseOld,
) -> ResumeSummary:
    """Give every open job of `channel` its outcome, submitting young mentions again (see
    the module docstring); other channels' jobs are counted and left alone. `now` is Unix
    seconds, like the journal's timestamps."""
    resumed = 0
    why: Counter[Expired] = Counter()
    missing: set[str] = set()
    elsewhere: Counter[str] = Counter()
    for job in plan.open_jobs:
        if not job.of(channel):
            elsewhere[_shown(job.channel or "")] += 1
            continue
        new_id = None
        cause = _not_fresh(plan, job, now, bots)
        if cause is None:
            assert job.line is not None  # a fresh job has its line
            new_id = resubmit(job.line, job.bot, now - job.line.timestamp, job.id)
            cause = Expired.NOT_TAKEN if new_id is None else None
        if cause is None:
            close_old(job, Reason.RESUMED, new_id)
            resumed += 1
        else:
            close_old(job, Reason.EXPIRED, None)
            why[cause] += 1
            if cause is Expired.NOT_CONFIGURED:
                missing.add(_shown(job.bot))
    summary = ResumeSummary(
        source=str(plan.source),
        resumed=resumed,
        expired=why.total(),
        unreadable=plan.unreadable,
        problem=plan.problem,
        why=dict(sorted(why.items(), key=lambda item: list(Expired).index(item[0]))),
        missing_bots=tuple(sorted(missing))[:MAX_NAMED],
        channel=_shown(channel),
        left_alone=elsewhere.total(),
        elsewhere=dict(elsewhere.most_common(MAX_NAMED)),
        resuming=plan.enabled,
    )
    if summary.worth_saying or summary.expired:
        (log.warning if summary.troubled else log.info)("%s", summary.describe())
    return summary


def _not_fresh(plan: ResumePlan, job: OpenJob, now: float, bots: frozenset[str]) -> Expired | None:
    """Why an open job of this channel is not answered again, or None when it is."""
    if not plan.enabled:
        return Expired.OFF
    if job.bot not in bots:
        return Expired.NOT_CONFIGURED
    if job.held:
        return Expired.HELD  # its reply may be in chat already: answering again repeats it
    if job.priority is not Priority.HIGH or (job.line is not None and job.line.is_bot):
        return Expired.NOT_MENTION
    if job.line is None:
        return Expired.NO_LINE
    age = now - job.line.timestamp
    if age < 0:
        return Expired.FUTURE
    if age >= plan.window:
        return Expired.TOO_OLD
    return None


def _shown(name: str) -> str:
    """A login from the journal (untrusted text), fit for one line of the summary."""
    return clean_text(name, max_chars=40)
