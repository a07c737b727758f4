"""`botdeck rehearse`: play a chat log against your bot setup headless, then report.

A rehearsal is an ordinary headless run (`headless.run_headless`, the engine from
`engine.build_engine`, so the same limits, safety and send limits as live) whose chat is
the replay and whose replies, unless `--live-ai`, come from the offline responder (no
key, no cost, no moderation calls).

Why a virtual clock: with offline replies nothing waits on the outside world, so the
run goes on a loop whose clock jumps to the next timer (`core.virtual_time`). Every
delay, timeout and send window is exactly as long as live, yet an hour of chat takes
seconds; and `speed` is then what it says, a denser chat, not a way to save time that
would also squeeze the bots' send limits. With `--live-ai` (or `--real-time`) the run
goes on the wall clock.

A past stream never mentions bots that did not exist yet: `--as OLD=bot` makes a name
in the log one of the bots, and `--mention-rate R` adds about R mentions a minute drawn
from the log's own questions and viewers (`botdeck.chat.rehearsal_lines`), journaled as
`synthetic`. Only a rehearsal plays them: no live run has these flags.

Its journal (a file you name, or a temporary one) is then read back by
`botdeck.report`, so the report a rehearsal prints is exactly what `botdeck report` says
about that journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rich.console import Console

from botdeck.config import Config
from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual, wall_clock
from botdeck.report import build_report, render_report, report_json


@dataclass(frozen=True, slots=True)
class Rehearsal:
    replay: Path
    speed: float | None = None  # None: the config's [chat] speed
    start: float | None = None  # None: the config's replay_start
    live_ai: bool = False
    journal: Path | None = None  # None: a temporary file, removed after the report
    duration: float | None = None  # drain and end after this many seconds
    as_json: bool = False
    real_time: bool = False  # the wall clock even with offline replies
    mention_rate: float | None = None  # synthetic mentions a minute (`--mention-rate`)
    as_bots: tuple[tuple[str, str], ...] = ()  # (old name in the log, bot) (`--as`)

    @property
    def virtual_time(self) -> bool:
        """Offline rehearsals run on a virtual clock (exact, and as fast as the CPU goes);
        live AI needs the wall clock (its requests take real time)."""
        return not (self.live_ai or self.real_time)


def rehearsal_config(config: Config, rehearsal: Rehearsal) -> Config:
    """The config as the rehearsal runs it: the replay as chat; offline unless live AI."""
    chat = config.chat
    update: dict[str, object] = {
        "chat": chat.model_copy(
            update={
                "source": "replay",
                "replay_file": str(rehearsal.replay),
                "speed": chat.speed if rehearsal.speed is None else rehearsal.speed,
                "replay_start": chat.replay_start if rehearsal.start is None else rehearsal.start,
            }
        )
    }
    if not rehearsal.live_ai:
        update["ai"] = config.ai.model_copy(update={"provider": "offline", "token_budget": 0})
        update["safety"] = config.safety.model_copy(update={"moderation": "off"})
    return config.model_copy(update=update)


def print_report(
    path: Path, *, as_json: bool, out: TextIO, offset: int = 0, title: str | None = None
) -> None:
    """The report on a journal, for people (Rich) or programs (JSON)."""
    report = build_report(path, offset=offset, title=title)
    if as_json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False), file=out)
    else:
        render_report(report, Console(file=out, highlight=False))


def rehearse(
    config: Config, rehearsal: Rehearsal, *, out: TextIO = sys.stdout, reads: Sequence[Path] = ()
) -> int:
    """Run the rehearsal, print its report; the exit code of the headless run. `reads`:
    the files it reads besides the replay (its config), which the journal never is."""
    from botdeck.engine import build_engine
    from botdeck.engine.rehearsal import LogChanges, rehearsal_source
    from botdeck.headless import run_headless

    changes = LogChanges(rehearsal.mention_rate, rehearsal.as_bots)
    notes: list[str] = []
    with _journal_file(rehearsal.journal, [rehearsal.replay, *reads]) as (path, stream):
        offset = stream.tell()  # the journal may hold earlier runs: report on this one
        if rehearsal.virtual_time:
            loop = VirtualTimeLoop()
            try:
                clock = wall_clock(loop)
                source = rehearsal_source(config, changes, clock, notes)
                engine = build_engine(config, journal_stream=stream, clock=clock, source=source)
            except BaseException:
                loop.close()  # a bad replay file: nothing ran on it
                raise
            _say(engine.source_warnings, notes)
            code = run_virtual(run_headless(engine, duration=rehearsal.duration), loop=loop)
        else:
            source = rehearsal_source(config, changes, time.time, notes)
            engine = build_engine(config, journal_stream=stream, source=source)
            _say(engine.source_warnings, notes)
            code = asyncio.run(run_headless(engine, duration=rehearsal.duration))
        with contextlib.suppress(OSError):  # a full disk: the journal has said so
            stream.flush()
        if engine.journal_notices:  # the report would cover a part of the run as all of it
            for notice in engine.journal_notices:
                print(f"botdeck: warning: {notice}; no report", file=sys.stderr)
            return code
        title = _title(config, rehearsal)
        print_report(path, as_json=rehearsal.as_json, out=out, offset=offset, title=title)
    return code


def _say(warnings: Sequence[str], notes: Sequence[str]) -> None:
    from botdeck.headless import print_warnings

    print_warnings(warnings, sys.stderr)
    for note in notes:
        print(f"botdeck: rehearsal: {note}", file=sys.stderr)


def _title(config: Config, rehearsal: Rehearsal) -> str:
    clock = "a virtual clock" if rehearsal.virtual_time else "the wall clock"
    replies = config.ai.provider if rehearsal.live_ai else "offline"
    title = (
        f"rehearsal of {rehearsal.replay} at speed {config.chat.speed:g}, "
        f"{replies} replies, on {clock}"
    )
    if rehearsal.as_bots:
        title += "; " + ", ".join(f"{old} played as {bot}" for old, bot in rehearsal.as_bots)
    if rehearsal.mention_rate:
        title += f"; synthetic mentions {rehearsal.mention_rate:g}/min"
    return title + (f"; journal {rehearsal.journal}" if rehearsal.journal else "")


@contextlib.contextmanager
def _journal_file(path: Path | None, reads: Sequence[Path]) -> Iterator[tuple[Path, TextIO]]:
    from botdeck.engine.journal import close_file
    from botdeck.engine.journal_files import open_journal

    if path is not None:
        stream = open_journal(path, "--journal", reads)  # never a device or the replay
        try:
            yield path, stream
        finally:
            close_file(stream)
        return
    handle, name = tempfile.mkstemp(prefix="botdeck-rehearsal-", suffix=".jsonl")
    stream = os.fdopen(handle, "w", encoding="utf-8")
    try:
        yield Path(name), stream
    finally:
        close_file(stream)
        with contextlib.suppress(OSError):
            os.unlink(name)
