"""The chat sources botdeck ships, registered by `[chat] source` name."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from pathlib import Path

from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import ReplayError, ReplayLog, load_replay
from botdeck.chat.scenarios import MixedParams, RaidParams
from botdeck.chat.simulated import (
    ScriptedLine,
    SimulatedChat,
    endless_mixed,
    raid_script,
    scenario_lines,
)
from botdeck.config import Config, ConfigError
from botdeck.engine.parts import BuildContext, SourceParts, register_source

logger = logging.getLogger(__name__)


def simulated(context: BuildContext) -> SourceParts:
    """A seeded scenario; in the dashboard's demo, mixed chat plays on and on."""
    config = context.config
    chat = config.chat
    spec = chat.scenario_spec
    lines: Iterator[ScriptedLine]
    if context.endless and isinstance(spec.params, MixedParams):
        lines = endless_mixed(config.bot_names, chat.seed, spec.params)
    else:
        lines = scenario_lines(spec, config.bot_names, chat.seed)
    source = SimulatedChat(
        lines,
        speed=chat.speed,
        keep_open=context.keep_open,
        clock=context.clock,
    )
    return scripted(config, source)


def scripted(config: Config, source: SimulatedChat) -> SourceParts:
    """A simulated source, with the raid key bringing the configured raid's parameters."""
    spec = config.chat.scenario_spec
    raid = spec.params if isinstance(spec.params, RaidParams) else RaidParams()
    rng = random.Random(config.chat.seed + 1)
    bots = config.bot_names

    def bring_raid() -> None:
        source.inject(raid_script(bots, rng, raid.viewers, raid.within, raid.mention_share, 0.1))

    return SourceParts(source, bring_raid=bring_raid)


def replay(context: BuildContext) -> SourceParts:
    log = load_replay_log(context.config)
    config = context.config
    source = ReplayChat(log, bots=config.bot_names, speed=config.chat.speed, clock=context.clock)
    return SourceParts(source, warnings=log.warnings)


def load_replay_log(config: Config) -> ReplayLog:
    """The replay file read and checked in full before anything runs (bad file: exit 2)."""
    assert config.chat.replay_file is not None  # the config requires it for source "replay"
    try:
        log = load_replay(Path(config.chat.replay_file), start=config.chat.replay_start)
    except ReplayError as error:
        raise ConfigError(str(error)) from None
    for warning in log.warnings:
        logger.warning("%s", warning)
    return log


def twitch(context: BuildContext) -> SourceParts:
    """The Twitch channel, as source and sink; the limiter learns the bots' roles from it."""
    from botdeck.twitch.credentials import twitch_chat

    limiter = context.limiter
    on_role = limiter.observe_role if limiter is not None else None
    chat = twitch_chat(context.config, on_role=on_role)
    return SourceParts(chat, sink=chat)  # Twitch echoes our own messages back


register_source("simulated", simulated)
register_source("replay", replay)
register_source("twitch", twitch)
