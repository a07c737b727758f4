"""A rehearsal's replay as `--as` and `--mention-rate` change it, and the demo's simulated
chat as `demo --mention-rate` does.

The flags exist only for `botdeck rehearse` (and `--mention-rate` for `botdeck demo`):
the changed chat is played by a replay or simulated source built here, never by anything
that reaches a live channel (`botdeck run` has no such flag). What the changes are is
`botdeck.chat.rehearsal_lines`; this module is where the config's bots, seed, ignored
users and command prefixes meet them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from botdeck.chat.adapter import SourceParts
from botdeck.chat.base import ChatSetupError
from botdeck.chat.rehearsal_lines import (
    RehearsalError,
    as_bots,
    with_mentions,
    with_scripted_mentions,
)
from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_adapter import ReplayOptions, load_log
from botdeck.chat.simulated_adapter import SimulatedOptions, played, script
from botdeck.config import Config, ConfigError
from botdeck.engine.parts import source_context


@dataclass(frozen=True, slots=True)
class LogChanges:
    mention_rate: float | None = None  # synthetic mentions a minute
    as_bots: tuple[tuple[str, str], ...] = ()  # (old name in the log, bot)

    def __bool__(self) -> bool:
        return bool(self.mention_rate) or bool(self.as_bots)


def rehearsal_source(
    config: Config, changes: LogChanges, clock: Callable[[], float], notes: list[str]
) -> SourceParts | None:
    """The replay as `--as` and `--mention-rate` change it (None: as the config plays it);
    what changed is added to `notes`, a line each for the operator. A flag the log cannot
    honour is a `ConfigError`."""
    if not changes:
        return None
    bots = config.bot_names
    for old, bot in changes.as_bots:
        if bot not in bots:
            raise ConfigError(
                f"--as {old}={bot}: {bot} is not one of the [[bots]] ({', '.join(bots)})"
            )
        if old in bots:
            raise ConfigError(f"--as {old}={bot}: {old} is already one of the bots")
    options = config.chat.adapter_options()
    assert isinstance(options, ReplayOptions)  # a rehearsal's chat is always the replay
    try:
        log = load_log(options)
    except ChatSetupError as error:
        raise ConfigError(str(error)) from None
    try:
        if changes.as_bots:
            renamed = as_bots(log, dict(changes.as_bots))
            log = renamed.log
            for old, bot in changes.as_bots:
                notes.append(
                    f"--as {old}={bot}: {renamed.mentions[old]} lines naming {old} now name"
                    f" {bot}, {renamed.dropped[old]} of {old}'s own left out"
                )
        if changes.mention_rate:
            mentioned = with_mentions(
                log,
                bots,
                changes.mention_rate,
                config.chat.seed,
                skip_users=config.router.ignore_users,
                command_prefixes=tuple(config.router.command_prefixes),
            )
            log = mentioned.log
            notes.append(
                f"{mentioned.added} synthetic mentions (--mention-rate {changes.mention_rate:g}),"
                f" {mentioned.questions} questions of {mentioned.viewers} viewers in the log"
            )
    except RehearsalError as error:
        raise ConfigError(str(error)) from None
    chat = ReplayChat(log, bots=bots, speed=options.speed, clock=clock)
    return SourceParts(chat, warnings=log.warnings)


def demo_source(
    config: Config,
    mention_rate: float | None,
    *,
    clock: Callable[[], float],
    keep_open: bool,
    endless: bool,
    notes: list[str],
) -> SourceParts | None:
    """The demo's simulated chat with about `mention_rate` synthetic mentions a minute
    among its lines, drawn as a rehearsal's (None: no rate, the config's chat as it is);
    what was drawn from is added to `notes`."""
    if not mention_rate:
        return None
    context = source_context(config, clock=clock, keep_open=keep_open, endless=endless)
    assert isinstance(context.options, SimulatedOptions)  # the demo's chat is simulated
    mentioned = with_scripted_mentions(
        script(context),
        config.bot_names,
        mention_rate,
        config.chat.seed,
        skip_users=config.router.ignore_users,
        command_prefixes=tuple(config.router.command_prefixes),
    )
    notes.append(
        f"about {mention_rate:g} synthetic mentions a minute (--mention-rate), from"
        f" {mentioned.questions} questions of {mentioned.viewers} viewers in the chat"
    )
    return played(context, mentioned.script)
