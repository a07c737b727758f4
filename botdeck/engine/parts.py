"""The registry of chat sources and responders: adding one is a module and a registration.

A source factory turns the config into `SourceParts` (the source, the sink it brings, what
it can do beyond reading); a responder factory into a `Responder`. `build_engine` looks
them up by `[chat] source` and `[ai] provider`; `botdeck check` does too, so an unknown
name is a config error before anything runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botdeck.ai.base import Responder
from botdeck.chat.base import ChatSink, ChatSource
from botdeck.config import Config, ConfigError
from botdeck.core.ratelimit import SendLimiter

if TYPE_CHECKING:  # the SDK is imported only when a config needs it (0.3 s)
    from openai import AsyncOpenAI


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a factory may need besides the config."""

    config: Config
    clock: Callable[[], float] = time.time  # wall time for chat lines (virtual in rehearsals)
    keep_open: bool = False  # a finite scenario keeps the source open when it ends (dashboard)
    endless: bool = False  # the dashboard's demo: mixed chat plays on and on
    limiter: SendLimiter | None = None
    client: AsyncOpenAI | None = None  # the one API client, when the config needs one


@dataclass(frozen=True, slots=True)
class SourceParts:
    """A chat source and what comes with it."""

    source: ChatSource
    sink: ChatSink | None = None  # the channel's own sink (Twitch); None: replies stay local
    bring_raid: Callable[[], None] | None = None  # a simulated raid on demand (the demo's `r`)
    warnings: Sequence[str] = field(default_factory=tuple)  # what the source left out


SourceFactory = Callable[[BuildContext], SourceParts]
ResponderFactory = Callable[[BuildContext], Responder]

_SOURCES: dict[str, SourceFactory] = {}
_RESPONDERS: dict[str, ResponderFactory] = {}
_HINTS: dict[str, str] = {}  # names people try that are not providers, and what to write


def register_source(name: str, factory: SourceFactory) -> None:
    _SOURCES[name] = factory


def register_responder(name: str, factory: ResponderFactory) -> None:
    _RESPONDERS[name] = factory


def hint_provider(name: str, hint: str) -> None:
    """What to write instead of `provider = name` (a server that speaks another's API)."""
    _HINTS[name] = hint


def source_factory(name: str) -> SourceFactory:
    try:
        return _SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(_SOURCES))
        raise ConfigError(f"chat.source: unknown source {name!r} (available: {known})") from None


def responder_factory(name: str) -> ResponderFactory:
    try:
        return _RESPONDERS[name]
    except KeyError:
        if name.lower() in _HINTS:
            raise ConfigError(
                f"ai.provider: {name!r} is not a provider: {_HINTS[name.lower()]}"
            ) from None
        known = ", ".join(sorted(_RESPONDERS))
        raise ConfigError(
            f"ai.provider: unknown provider {name!r} (available: {known}; any"
            ' OpenAI-compatible server is "openai" with its base_url)'
        ) from None
