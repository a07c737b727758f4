"""`botdeck rehearse`: play a chat log against your bot setup headless, then report.

A rehearsal is an ordinary headless run (opened by `engine.open_run` and run by
`headless.run_headless`, so the same limits, safety and send limits as live) whose chat
is the replay and whose replies, unless `--live-ai`, come from the offline responder (no
key, no cost, no moderation calls). It only chooses its options: a temporary journal
unless `--journal`, no resuming, the virtual clock when it can.

Why a virtual clock: with offline replies nothing waits on the outside world, so the
run goes on a loop whose clock jumps to the next timer (`core.virtual_time`). Every
delay, timeout and send window is exactly as long as live, yet an hour of chat takes
seconds; and `speed` is then what it says, a denser chat, not a way to save time that
would also squeeze the bots' send limits. With `--live-ai` (or `--real-time`) the run
goes on the wall clock.

A past stream never mentions bots that did not exist yet: `--as OLD=bot` makes a name
in the log one of the bots, and `--mention-rate R` adds about R mentions a minute drawn
from the log's own questions and viewers (`engine.rehearsal_source`), journaled as
`synthetic`. Only a rehearsal plays them: no live run has these flags.

Its journal (a file you name, or a temporary one) is then read back by the report
command's `print_report`, so the report a rehearsal prints is exactly what `botdeck
report` says about that journal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from botdeck.commands.inputs import files_read, load_checked
from botdeck.commands.report import print_report
from botdeck.config import Config
from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual, wall_clock
from botdeck.storage.logs import setup_logging


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
    """The config as the rehearsal runs it: the replay as chat (the config's `speed` and
    `replay_start` unless the flags say otherwise); offline unless live AI."""
    chat = config.chat
    replay: dict[str, object] = {
        "replay_file": str(rehearsal.replay),
        "speed": chat.options.get("speed") if rehearsal.speed is None else rehearsal.speed,
        "replay_start": chat.options.get("replay_start")
        if rehearsal.start is None
        else rehearsal.start,
    }
    options = {key: value for key, value in replay.items() if value is not None}
    update: dict[str, object] = {
        "chat": chat.model_copy(update={"source": "replay", "options": options})
    }
    if not rehearsal.live_ai:
        update["ai"] = config.ai.model_copy(update={"provider": "offline", "token_budget": 0})
        update["safety"] = config.safety.model_copy(update={"moderation": "off"})
    return config.model_copy(update=update)


def rehearse_command(args: argparse.Namespace) -> int:
    rehearsal = Rehearsal(
        replay=args.replay,
        speed=args.speed,
        start=args.start,
        live_ai=args.live_ai,
        journal=args.journal,
        duration=args.duration,
        as_json=args.json,
        real_time=args.real_time,
        mention_rate=args.mention_rate,
        as_bots=tuple(args.as_bots),
    )
    config = load_checked(args.config, adjust=lambda config: rehearsal_config(config, rehearsal))
    setup_logging()
    return rehearse(config, rehearsal, reads=files_read(args))


def rehearse(
    config: Config, rehearsal: Rehearsal, *, out: TextIO = sys.stdout, reads: Sequence[Path] = ()
) -> int:
    """Run the rehearsal, print its report; the exit code of the headless run. `reads`:
    the files it reads besides the replay (its config), which the journal never is."""
    from botdeck.commands.headless import print_warnings, run_headless
    from botdeck.engine import (
        AppendTo,
        LogChanges,
        RunOptions,
        Temporary,
        open_run,
        rehearsal_source,
    )

    loop = VirtualTimeLoop() if rehearsal.virtual_time else None
    options = RunOptions(
        journal=Temporary() if rehearsal.journal is None else AppendTo(rehearsal.journal),
        duration=rehearsal.duration,
        clock=wall_clock(loop) if loop is not None else time.time,
        reads=(rehearsal.replay, *reads),
    )
    notes: list[str] = []  # what --as and --mention-rate changed, a line each
    changes = LogChanges(rehearsal.mention_rate, rehearsal.as_bots)
    try:
        source = rehearsal_source(config, changes, options.clock, notes)
        with open_run(config, options, source=source) as session:
            print_warnings(session.engine.source_warnings, sys.stderr)
            for note in notes:
                print(f"botdeck: rehearsal: {note}", file=sys.stderr)
            if loop is not None:
                code = run_virtual(run_headless(session), loop=loop)
            else:
                code = asyncio.run(run_headless(session))
            if session.engine.journal_notices:  # the report would cover part of the run
                for notice in session.engine.journal_notices:
                    print(f"botdeck: warning: {notice}; no report", file=sys.stderr)
                return code
            assert session.journal is not None  # open_run keeps every run's journal
            title = _title(config, rehearsal)
            journal = session.journal
            print_report(journal.path, as_json=rehearsal.as_json, out=out,
                         offset=journal.offset, title=title)  # fmt: skip
    finally:
        if loop is not None and not loop.is_closed():
            loop.close()  # a bad replay file: nothing ran on it
    return code


def _title(config: Config, rehearsal: Rehearsal) -> str:
    clock = "a virtual clock" if rehearsal.virtual_time else "the wall clock"
    replies = config.ai.provider if rehearsal.live_ai else "offline"
    speed = config.chat.adapter_options().model_dump()["speed"]
    title = f"rehearsal of {rehearsal.replay} at speed {speed:g}, {replies} replies, on {clock}"
    if rehearsal.as_bots:
        title += "; " + ", ".join(f"{old} played as {bot}" for old, bot in rehearsal.as_bots)
    if rehearsal.mention_rate:
        title += f"; synthetic mentions {rehearsal.mention_rate:g}/min"
    return title + (f"; journal {rehearsal.journal}" if rehearsal.journal else "")
