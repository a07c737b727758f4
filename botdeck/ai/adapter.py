"""What a responder adapter declares: everything botdeck needs of a provider, in one entry.

A provider (the offline replies, OpenAI's API, a third party's) is one
`ResponderAdapter` registered under its `[ai] provider` name in the entry-point group
`botdeck.responders` (`botdeck.adapters` finds them). The entry carries, the way
Harlequin's adapters declare their options:

- `options`: its keys in `[ai]`, a pydantic model with their defaults (`AdapterOptions`:
  strict, unknown keys refused); botdeck's own `[ai]` keys (timeout, retries, budget,
  outage_wait) stay botdeck's and reach it through the context;
- `build`: the responder (and a moderator, when asked and able), what to close at the
  end and which values no reply may ever contain (the API key);
- `preflight`: what must hold before anything runs (a key is set), raising
  `ResponderSetupError`; `check`: the same as `botdeck check` findings, a ✓ naming what
  was found (the key's variable is set) or a ✗ with its fix (without one, `botdeck check`
  reports `preflight`); `probe`: `botdeck check --probe`, one real request;
- `classify`: what its own exceptions mean (`botdeck.ai.retry.Failure`: transient or
  not, the wait asked for, what to fix). The engine reads any exception that escapes the
  responder with it, so an outage is waited out rather than failing every reply, and the
  adapter's own calls can retry with `botdeck.ai.retry.call_with_retries`.

The engine knows no SDK: it builds a context from the config and takes what `build`
returns.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.core.jobs import JobSkipped
from botdeck.core.options import AdapterOptions
from botdeck.model.readiness import Finding

if TYPE_CHECKING:  # what an entry names; reading a config imports none of it
    from botdeck.ai.moderation import Moderator
    from botdeck.ai.prompt import PromptSettings
    from botdeck.ai.retry import Classifier, RetryPolicy

Opts = TypeVar("Opts", bound=AdapterOptions)
Closer = Callable[[], Awaitable[None]]


class ResponderSetupError(Exception):
    """The provider cannot run with this config or environment (a key not set): one
    line naming the key; the engine turns it into a config error (exit 2)."""


@dataclass(frozen=True, slots=True)
class BotProfile:
    """One `[[bots]]` entry as a provider sees it: a model and its settings may be set
    per bot (None: the provider's own)."""

    name: str
    persona: str
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ModerationRequest:
    """`[safety] moderation` is on: the adapter that moderates builds a moderator."""

    model: str
    retry: RetryPolicy


@dataclass(frozen=True, slots=True)
class ResponderContext(Generic[Opts]):
    """What a provider is built from: its own options, and botdeck's settings for it."""

    options: Opts
    bots: tuple[BotProfile, ...]
    seed: int  # [chat] seed: every random choice
    retry: RetryPolicy  # one deadline per call: [ai] timeout, max_retries
    reply_retry: RetryPolicy  # replies: single attempts while the engine waits out outages
    prompt: PromptSettings  # [ai] context_tokens, max_reply_chars
    moderation: ModerationRequest | None = None
    replies: bool = True  # False: only the moderator is wanted (another provider replies)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)


@dataclass(frozen=True, slots=True)
class ResponderParts:
    """What `build` returns."""

    responder: Responder | None = None  # None only when the context wants no replies
    moderator: Moderator | None = None  # when the context asked for one
    secrets: tuple[str, ...] = ()  # values no reply may contain (the key it was given)
    closers: tuple[Closer, ...] = ()  # awaited at the end of the run (an SDK client)


@dataclass(frozen=True, slots=True)
class Probe:
    """What `botdeck check --probe` prints: where it asked, and what came back."""

    where: str  # e.g. "gpt-4o-mini at https://api.openai.com/v1"
    answer: str


def _ready(context: ResponderContext[Any]) -> None:
    """No preflight: nothing to check before a run."""


def _unknown(error: Exception) -> None:
    """No classification: an exception escaping the responder is an internal error."""


@dataclass(frozen=True, slots=True)
class ResponderAdapter(Generic[Opts]):
    """One provider: its config table, how it is built, checked, probed, and what its
    failures mean (see the module docstring)."""

    options: type[Opts]
    build: Callable[[ResponderContext[Opts]], ResponderParts]
    preflight: Callable[[ResponderContext[Opts]], None] = _ready
    check: Callable[[ResponderContext[Opts]], Sequence[Finding]] | None = None
    probe: Callable[[ResponderContext[Opts]], Awaitable[Probe]] | None = None
    classify: Classifier = _unknown
    moderates: bool = False  # it can build a moderator (`ResponderParts.moderator`)
    # Names people write for `provider` that mean this adapter with other keys (a local
    # server that speaks OpenAI's API), and what to write instead.
    hints: Mapping[str, str] = field(default_factory=dict)
    about: str = ""  # one line for the error that refuses an unknown provider name


class Classified(Responder):
    """A responder whose escaping exceptions its adapter's `classify` reads: a known one
    becomes a `ResponderError` (transient, retry_after, fix) that the engine's circuit
    understands; an unknown one propagates (the job fails as an internal error)."""

    def __init__(self, inner: Responder, classify: Classifier) -> None:
        self._inner = inner
        self._classify = classify

    @property
    def label(self) -> str:
        return self._inner.label

    @property
    def notices(self) -> tuple[str, ...]:
        return self._inner.notices

    async def reply(self, request: ReplyRequest) -> Reply:
        try:
            return await self._inner.reply(request)
        except (ResponderError, JobSkipped):
            raise
        except Exception as error:
            failure = self._classify(error)
            if failure is None:
                raise
            raise ResponderError(
                failure.reason,
                transient=failure.retryable,
                retry_after=failure.retry_after,
                fix=failure.fix,
            ) from None
