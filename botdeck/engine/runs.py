"""Opening a run: the one place a run is composed, whatever front end shows it.

`botdeck run` and `demo` (headless or with the dashboard, and so `botdeck serve`, whose
sessions run those commands) and `botdeck rehearse` all open their run here. A front end
only chooses options (`RunOptions`: where the journal goes, whether the previous run is
resumed, whether a dashboard watches, for how long); this module does the rest, in this
order, so a run that cannot start stops before anything connects:

0. with `exclusive` (`botdeck run`), the channel's lock (`engine/run_lock.py`): a second
   run on the same channel and client id stops here, naming the one running;
1. the journal: a path given (appended; it is also the previous run's journal), a new
   file per run in `[journal] dir` (older ones pruned, never the one to resume), or a
   temporary file removed when the run is closed (a rehearsal reports on it first);
2. the resume plan: the previous journal's open jobs (`botdeck.engine.resume`);
3. the engine: the configured chat source and provider from their adapters
   (`build_engine`);
4. the `RunSession` that runs it and says how it ended (`botdeck.engine.session`).

`open_run` is a context manager because the journal's files outlive the session's
`close()` (the engine's last flush) and must be closed after it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TextIO

from botdeck.chat.adapter import SourceParts
from botdeck.config import Config
from botdeck.engine.build import build_engine
from botdeck.engine.journal import close_file
from botdeck.engine.journal_files import (
    journal_dir,
    latest_journal,
    new_journal_path,
    open_journal,
    prune,
)
from botdeck.engine.parts import source_reads
from botdeck.engine.resume import ResumePlan, plan_resume
from botdeck.engine.run_lock import run_lock
from botdeck.engine.session import RunJournal, RunSession
from botdeck.storage.paths import data_dir


@dataclass(frozen=True, slots=True)
class AppendTo:
    """`--journal PATH`: appended to; the previous run there is the one resumed."""

    path: Path


@dataclass(frozen=True, slots=True)
class NewPerRun:
    """A new file per run in `[journal] dir`; the channel's latest is resumed."""


@dataclass(frozen=True, slots=True)
class Temporary:
    """A temporary file, removed when the run is closed (a rehearsal without a path)."""


Journaling = AppendTo | NewPerRun | Temporary


class Resume(Enum):
    ANSWER = "answer"  # `run`: young mentions the previous run left are answered again
    CLOSE = "close"  # the demo: its chat was made up; the old jobs only get their outcome
    NONE = "none"  # a rehearsal: nothing before it


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What a front end chooses; everything else comes from the config."""

    journal: Journaling = NewPerRun()
    journal_on_stdout: bool = False  # headless without a path: the journal on stdout too
    resume: Resume = Resume.NONE
    demo: bool = False  # the dashboard's demo: its simulated chat plays on and on
    watched: bool = False  # a dashboard: the run stays open after a finite source ends
    duration: float | None = None  # drain after this many seconds
    clock: Callable[[], float] = time.time  # wall time for chat and journal (virtual too)
    reads: tuple[Path, ...] = ()  # files the command reads (its config): never the journal
    exclusive: bool = False  # one such run per channel and client id (`botdeck run`)


@dataclass(frozen=True, slots=True)
class _Plan:
    path: Path
    previous: Path | None  # the journal a restart resumes from
    option: str  # what chose the path, for errors: "--journal" or "journal.dir"
    temporary: bool = False


def _plan(config: Config, journaling: Journaling) -> _Plan:
    """Where the journal goes. A directory that cannot be written stops here (exit 2),
    before anything connects."""
    if isinstance(journaling, AppendTo):
        path = journaling.path
        return _Plan(path, path if path.is_file() else None, "--journal")
    if isinstance(journaling, Temporary):
        handle, name = tempfile.mkstemp(prefix="botdeck-rehearsal-", suffix=".jsonl")
        os.close(handle)
        return _Plan(Path(name), None, "journal", temporary=True)
    directory = journal_dir(config)
    channel = config.chat.channel
    previous = latest_journal(directory, channel)
    path = new_journal_path(directory, channel)
    prune(directory, config.journal.keep_days, keep=previous)
    return _Plan(path, previous, "journal.dir")


def _resume_plan(config: Config, plan: _Plan, resume: Resume) -> ResumePlan | None:
    """What the previous journal left open, read before the run (never on the loop)."""
    if resume is Resume.NONE or plan.previous is None:
        return None
    return plan_resume(
        plan.previous,
        same_file=plan.previous == plan.path,
        enabled=resume is Resume.ANSWER,
        window=config.router.resume_window,
    )


def _inputs(config: Config, options: RunOptions) -> tuple[Path, ...]:
    """What the run reads (its config, the source's files, the blocklist): a journal is
    never appended to one of them."""
    found = [*options.reads, *source_reads(config)]
    if config.safety.blocklist_file:
        found.append(Path(config.safety.blocklist_file))
    return tuple(found)


def new_session(
    config: Config,
    options: RunOptions,
    *,
    journal_stream: TextIO | Sequence[TextIO] | None = None,
    source: SourceParts | None = None,
    resume: ResumePlan | None = None,
    journal: RunJournal | None = None,
) -> RunSession:
    """The run's engine and session, its journal already open (`open_run` opens it; the
    tests hand in a stream, and may bring their own chat source)."""
    engine = build_engine(
        config,
        journal_stream=journal_stream,
        source=source,
        keep_open=options.demo,
        endless=options.demo,
        clock=options.clock,
        resume=resume,
    )
    return RunSession(
        engine, duration=options.duration, ends_with_source=not options.watched, journal=journal
    )


@contextlib.contextmanager
def open_run(
    config: Config, options: RunOptions, *, source: SourceParts | None = None
) -> Iterator[RunSession]:
    """Open everything a run needs (see the module docstring); on leaving, close the
    journal's files (after the caller has closed the session) and remove a temporary one.
    `source`: chat the caller built (a rehearsal's changed replay); else the config's."""
    with contextlib.ExitStack() as held:
        note = None
        if options.exclusive:
            note = held.enter_context(
                run_lock(data_dir(), config.chat.channel, config.twitch.client_id)
            )
        with _open_run(config, options, source) as session:
            if note is not None:
                session.engine.note_lock(note)
            yield session


@contextlib.contextmanager
def _open_run(
    config: Config, options: RunOptions, source: SourceParts | None
) -> Iterator[RunSession]:
    plan = _plan(config, options.journal)
    try:
        stream = open_journal(plan.path, plan.option, _inputs(config, options))
        try:
            offset = stream.tell()
            streams: list[TextIO] = [sys.stdout, stream] if options.journal_on_stdout else [stream]
            yield new_session(
                config,
                options,
                journal_stream=streams,
                source=source,
                resume=_resume_plan(config, plan, options.resume),
                journal=RunJournal(plan.path, offset),
            )
        finally:
            close_file(stream)
    finally:
        if plan.temporary:
            with contextlib.suppress(OSError):
                plan.path.unlink()


def latest_run_journal(config: Config, *, besides: str | None = None) -> tuple[Path, Path | None]:
    """`[journal] dir` and the newest run journal in it (`botdeck report` without one),
    of any channel but `besides` when given (the demo's)."""
    directory = journal_dir(config)
    return directory, latest_journal(directory, besides=besides)
