"""The replay source's registry entry (`source = "replay"`): a recorded chat log.

Its keys in `[chat]`: `replay_file` (required), `replay_start` and `speed`. The log is
read and checked in full when the source is built, before anything runs (a bad file is a
setup error: exit 2), and by `botdeck check`, which says how much it will play.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field

from botdeck.chat.adapter import Checked, SourceAdapter, SourceContext, SourceParts
from botdeck.chat.base import ChatSetupError
from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import MAX_LOG_TIME, ReplayError, ReplayLog, load_replay
from botdeck.core.options import AdapterOptions
from botdeck.model.readiness import Finding

log = logging.getLogger(__name__)


class ReplayOptions(AdapterOptions):
    """The keys `source = "replay"` reads in `[chat]`."""

    replay_file: str
    replay_start: float | None = Field(None, ge=0, le=MAX_LOG_TIME)  # None: the first line
    speed: float = Field(1.0, gt=0, le=1000)


def load_log(options: ReplayOptions) -> ReplayLog:
    """The replay file read and checked in full (a bad file: `ChatSetupError`)."""
    try:
        replay = load_replay(Path(options.replay_file), start=options.replay_start)
    except ReplayError as error:
        raise ChatSetupError(str(error)) from None
    for warning in replay.warnings:
        log.warning("%s", warning)
    return replay


def build(context: SourceContext[ReplayOptions]) -> SourceParts:
    replay = load_log(context.options)
    source = ReplayChat(replay, bots=context.bots, speed=context.options.speed, clock=context.clock)
    return SourceParts(source, warnings=replay.warnings)


def check(context: SourceContext[ReplayOptions]) -> Checked:
    """The whole log read as a run reads it: how much it will play, or why it cannot."""
    try:
        replay = load_log(context.options)
    except ChatSetupError as error:
        return Checked((Finding.problem(f"chat.replay_file: {error}"),))
    found = Finding(
        f"chat.replay_file: {context.options.replay_file} reads: {len(replay.lines)} lines to"
        f" play ({replay.format}), {replay.duration:g} s of chat"
    )
    return Checked((found,), tuple(replay.warnings))


def reads(context: SourceContext[ReplayOptions]) -> tuple[Path, ...]:
    return (Path(context.options.replay_file),)


ADAPTER = SourceAdapter(ReplayOptions, build, check=check, reads=reads)
