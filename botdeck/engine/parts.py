"""From a config to the adapters' parts of a run: the engine's side of the registry.

`[ai] provider` and `[chat] source` name adapters (`botdeck.adapters`); each comes with
its own keys, already validated with the config. Here their contexts are made from the
config (botdeck's own keys: retries, prompt budget, bots, seed, clock), and their hooks
called: `build` for a run, `preflight` before anything runs (every command that runs),
`check` and `probe` for `botdeck check` (`botdeck.engine.readiness`). What an adapter
refuses (`ResponderSetupError`, `ChatSetupError`) becomes a `ConfigError` here: exit 2
with its one line.

This module knows no SDK and no adapter by name, with one exception stated by the config
itself: `[ai] on_budget = "offline"` means the offline provider, and `[safety]
moderation` with a provider that cannot moderate asks botdeck's own one that can.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from botdeck.adapters import RESPONDERS, SOURCES, AdapterError, registry
from botdeck.ai.adapter import (
    BotProfile,
    Classified,
    Closer,
    ModerationRequest,
    Probe,
    ResponderAdapter,
    ResponderContext,
    ResponderSetupError,
)
from botdeck.ai.base import Responder
from botdeck.ai.budget import BudgetedResponder
from botdeck.ai.moderation import Moderator
from botdeck.ai.prompt import PromptSettings
from botdeck.ai.retry import RetryPolicy
from botdeck.chat.adapter import Checked, SourceAdapter, SourceContext, SourceParts
from botdeck.chat.base import ChatSetupError
from botdeck.config import Config, ConfigError
from botdeck.core.ratelimit import SendLimiter
from botdeck.model.readiness import Finding

__all__ = [
    "AIParts",
    "SourceParts",
    "build_ai",
    "build_source",
    "check_source",
    "moderating",
    "preflight_parts",
    "preflight_source",
    "probe",
    "probe_source",
    "responder_check",
    "source_adapter",
    "source_reads",
]

OFFLINE = "offline"  # what `[ai] on_budget = "offline"` falls back to


@contextmanager
def _refusals(table: str) -> Iterator[None]:
    """An adapter's refusal as the config error it is (one line, exit 2)."""
    try:
        yield
    except (ResponderSetupError, ChatSetupError) as error:
        raise ConfigError(str(error)) from None
    except AdapterError as error:
        raise ConfigError(f"{table}.{error}") from None


# ------------------------------------------------------------------ sources
def source_adapter(config: Config) -> SourceAdapter[Any]:
    """The configured source's registry entry."""
    with _refusals("chat"):
        return registry().get(SOURCES, config.chat.source)


def source_context(
    config: Config,
    *,
    clock: Callable[[], float] = time.time,
    keep_open: bool = False,
    endless: bool = False,
    limiter: SendLimiter | None = None,
) -> SourceContext[Any]:
    return SourceContext(
        config.chat.adapter_options(),
        channel=config.chat.channel,
        bots=config.bot_names,
        seed=config.chat.seed,
        clock=clock,
        keep_open=keep_open,
        endless=endless,
        on_role=limiter.observe_role if limiter is not None else None,
        config=config,
    )


def build_source(
    config: Config,
    *,
    clock: Callable[[], float] = time.time,
    keep_open: bool = False,
    endless: bool = False,
    limiter: SendLimiter | None = None,
) -> SourceParts:
    """The configured chat source and what comes with it (a replay is read here: a bad
    file is a ConfigError before anything runs)."""
    adapter = source_adapter(config)
    context = source_context(
        config, clock=clock, keep_open=keep_open, endless=endless, limiter=limiter
    )
    with _refusals("chat"):
        return adapter.build(context)


async def probe_source(config: Config) -> str | None:
    """`botdeck check --probe` for the source: what it answered, or None when it has
    nothing to ask. A refusal is a ConfigError saying why."""
    adapter = source_adapter(config)
    if adapter.probe is None:
        return None
    with _refusals("chat"):
        return await adapter.probe(source_context(config))


def source_reads(config: Config) -> tuple[Path, ...]:
    """The files the configured source reads (a replay's log)."""
    adapter = source_adapter(config)
    with _refusals("chat"):
        return tuple(adapter.reads(source_context(config)))


def check_source(config: Config) -> Checked:
    """What `botdeck check` says about the source beyond its keys (it may read a file)."""
    adapter = source_adapter(config)
    with _refusals("chat"):
        return adapter.check(source_context(config))


def preflight_source(config: Config) -> None:
    """What the source would refuse at build, checked without building it."""
    adapter = source_adapter(config)
    with _refusals("chat"):
        adapter.preflight(source_context(config))


# ------------------------------------------------------------------ responders
def retry_policy(config: Config, *, replies: bool = False) -> RetryPolicy:
    """One deadline per call, `[ai] max_retries` retries inside it. Replies waiting out
    outages (`outage_wait` > 0) make single attempts: the engine's circuit probes for
    the server's return once for everyone, instead of each reply retrying a dead server."""
    retries = 0 if replies and config.ai.outage_wait > 0 else config.ai.max_retries
    return RetryPolicy(timeout=config.ai.timeout, max_retries=retries)


def responder_context(
    config: Config,
    name: str,
    *,
    replies: bool = True,
    environ: Mapping[str, str] = os.environ,
) -> ResponderContext[Any]:
    """The context of provider `name` (the configured one, or the one that moderates)."""
    ai, safety = config.ai, config.safety
    moderation = None
    if safety.moderation != "off":
        moderation = ModerationRequest(safety.moderation_model, retry_policy(config))
    return ResponderContext(
        ai.adapter_options(name),
        bots=tuple(
            BotProfile(bot.name, bot.persona, bot.model, bot.temperature, bot.max_tokens)
            for bot in config.bots
        ),
        seed=config.chat.seed,
        retry=retry_policy(config),
        reply_retry=retry_policy(config, replies=True),
        prompt=PromptSettings(context_tokens=ai.context_tokens, max_reply_chars=ai.max_reply_chars),
        moderation=moderation,
        replies=replies,
        environ=environ,
    )


def _responder(name: str) -> ResponderAdapter[Any]:
    with _refusals("ai"):
        return registry().get(RESPONDERS, name)


def moderating(config: Config) -> str | None:
    """Which provider moderates, when `[safety] moderation` is on: the configured one if it
    can, else the first of botdeck's own that can."""
    if config.safety.moderation == "off":
        return None
    if _responder(config.ai.provider).moderates:
        return config.ai.provider
    for name in registry().own(RESPONDERS):
        if _responder(name).moderates:
            return name
    raise ConfigError("safety.moderation: no installed provider can moderate")


@dataclass(frozen=True, slots=True)
class AIParts:
    """What the providers bring to a run."""

    responder: Responder | None = None  # None when the caller brings its own
    moderator: Moderator | None = None
    secrets: tuple[str, ...] = ()
    closers: tuple[Closer, ...] = ()


def build_ai(
    config: Config, *, replies: bool = True, environ: Mapping[str, str] = os.environ
) -> AIParts:
    """The configured provider's responder (`replies`), within `[ai] token_budget`, and a
    moderator when `[safety] moderation` asks for one: from the provider itself when it
    moderates (one client for both), else from the one that can."""
    provider = config.ai.provider
    moderates = moderating(config)
    parts = AIParts()
    if replies:
        adapter = _responder(provider)
        context = responder_context(config, provider, environ=environ)
        if moderates != provider:
            context = replace(context, moderation=None)
        with _refusals("ai"):
            built = adapter.build(context)
        if built.responder is None:
            raise ConfigError(f"ai.provider: the provider {provider!r} built no responder")
        responder: Responder = Classified(built.responder, adapter.classify)
        parts = AIParts(responder, built.moderator, built.secrets, built.closers)
    if moderates is not None and parts.moderator is None:
        context = responder_context(config, moderates, replies=False, environ=environ)
        with _refusals("ai"):
            built = _responder(moderates).build(context)
        parts = replace(
            parts,
            moderator=built.moderator,
            secrets=parts.secrets + built.secrets,
            closers=parts.closers + built.closers,
        )
    if parts.responder is not None and config.ai.token_budget:
        fallback = None
        if config.ai.on_budget == "offline":
            offline = _responder(OFFLINE).build(responder_context(config, OFFLINE))
            fallback = offline.responder
        budgeted = BudgetedResponder(parts.responder, config.ai.token_budget, fallback)
        parts = replace(parts, responder=budgeted)
    return parts


def preflight_parts(config: Config, environ: Mapping[str, str] = os.environ) -> None:
    """What the adapters would refuse at build, checked without building anything."""
    adapter = _responder(config.ai.provider)
    with _refusals("ai"):
        adapter.preflight(responder_context(config, config.ai.provider, environ=environ))
    other = moderating(config)
    if other is not None and other != config.ai.provider:
        context = responder_context(config, other, replies=False, environ=environ)
        with _refusals("ai"):
            _responder(other).preflight(context)
    preflight_source(config)


def responder_check(
    config: Config, name: str, *, replies: bool = True, environ: Mapping[str, str] = os.environ
) -> list[Finding]:
    """`botdeck check`'s findings about provider `name`: its own `check`, or else its
    `preflight` as one finding (a refusal is a ConfigError saying why)."""
    adapter = _responder(name)
    context = responder_context(config, name, replies=replies, environ=environ)
    with _refusals("ai"):
        if adapter.check is not None:
            return list(adapter.check(context))
        adapter.preflight(context)
    return [Finding(f"ai.provider: {name} is ready")]


async def probe(config: Config, environ: Mapping[str, str] = os.environ) -> Probe | None:
    """`botdeck check --probe`: one request through the configured provider; None when it
    has nothing to call. A refusal is a ConfigError saying why."""
    adapter = _responder(config.ai.provider)
    if adapter.probe is None:
        return None
    context = responder_context(config, config.ai.provider, environ=environ)
    with _refusals("ai"):
        return await adapter.probe(context)
