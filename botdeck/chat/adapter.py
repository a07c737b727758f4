"""What a chat-source adapter declares: everything botdeck needs of a source, in one entry.

A source (simulated scenarios, a replayed log, Twitch, a third party's) is one
`SourceAdapter` registered under its `[chat] source` name in the entry-point group
`botdeck.sources` (`botdeck.adapters` finds them). The entry carries:

- `options`: its keys in `[chat]`, a pydantic model with their defaults (strict:
  unknown keys refused); `source`, `channel` and `seed` stay botdeck's own keys;
- `build`: the source and what comes with it (`SourceParts`: the sink it brings, a raid
  on demand, warnings about skipped input);
- `preflight`: what must hold before anything runs (cheap: it runs at every start),
  raising `ChatSetupError`; `check`: what `botdeck check` finds about the source beyond
  its keys, every problem as a finding of its own (it may read a whole file: a replay);
  `probe`: `botdeck check --probe`, asking the platform once (the channel exists); one
  finding per line it answers;
- `reads`: the files it reads (a replay's log), which a run's journal never overwrites;
- `classify`: what its own failures mean (a setup problem, exit 2, or an outage).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from botdeck.chat.base import ChatSetupError, ChatSink, ChatSource, RewardDesk
from botdeck.core.options import AdapterOptions
from botdeck.model.chat import Role
from botdeck.model.readiness import Finding

Opts = TypeVar("Opts", bound=AdapterOptions)


@dataclass(frozen=True, slots=True)
class SourceParts:
    """A chat source and what comes with it."""

    source: ChatSource
    sink: ChatSink | None = None  # the channel's own sink (Twitch); None: replies stay local
    bring_raid: Callable[[], None] | None = None  # a simulated raid on demand (the demo's `r`)
    warnings: Sequence[str] = field(default_factory=tuple)  # what the source left out
    rewards: RewardDesk | None = None  # channel points: where redemptions are settled


@dataclass(frozen=True, slots=True)
class SourceContext(Generic[Opts]):
    """What a source is built from: its own options, and botdeck's settings for it."""

    options: Opts
    channel: str
    bots: tuple[str, ...]
    seed: int  # [chat] seed: for simulated chat and every random choice
    clock: Callable[[], float] = time.time  # wall time for chat lines (virtual in rehearsals)
    keep_open: bool = False  # a finite script keeps the source open when it ends (dashboard)
    endless: bool = False  # the dashboard's demo: simulated chat plays on and on
    on_role: Callable[[str, Role], None] | None = None  # the role the channel shows a bot
    # The whole config (`botdeck.config.Config`), for botdeck's own glue that reads tables
    # beyond the source's keys (Twitch: `[twitch]`, the bots' tokens). Others use `options`.
    config: Any = None


@dataclass(frozen=True, slots=True)
class Checked:
    """What `botdeck check` says about a source: a finding (✓ or ✗ and its fix) for each
    thing a run needs of it, and warnings about its input that do not stop a run."""

    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """An exception from the source read: one line, and whether it is a setup problem
    (bad config or credentials: exit 2) rather than the chat failing mid-run."""

    reason: str
    setup: bool = False


def _ready(context: SourceContext[Any]) -> None:
    """No preflight: nothing to check before a run."""


def _nothing_to_say(context: SourceContext[Any]) -> Checked:
    return Checked()


def _reads_nothing(context: SourceContext[Any]) -> Sequence[Path]:
    return ()


def classify_failure(error: BaseException) -> SourceFailure:
    """The default reading: `ChatSetupError` is a setup problem, anything else the chat
    failing, named by its type."""
    if isinstance(error, ChatSetupError):
        return SourceFailure(str(error), setup=True)
    return SourceFailure(f"{type(error).__name__}: {error}")


@dataclass(frozen=True, slots=True)
class SourceAdapter(Generic[Opts]):
    """One chat source: its config table, how it is built, checked, probed, and what its
    failures mean (see the module docstring)."""

    options: type[Opts]
    build: Callable[[SourceContext[Opts]], SourceParts]
    preflight: Callable[[SourceContext[Opts]], None] = _ready
    check: Callable[[SourceContext[Opts]], Checked] = _nothing_to_say
    probe: Callable[[SourceContext[Opts]], Awaitable[str]] | None = None
    classify: Callable[[BaseException], SourceFailure] = classify_failure
    reads: Callable[[SourceContext[Opts]], Sequence[Path]] = _reads_nothing
