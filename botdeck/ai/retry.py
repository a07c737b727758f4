"""Calling a remote AI service: bounded retries inside one deadline, and clean reasons.

Why not an SDK's own retries: the OpenAI SDK retries every 429, including
`insufficient_quota` (an empty account, where retrying only burns time), and its timeout
is per attempt, so with retries and Retry-After waits one reply could hold its job's
slots for minutes. Here the SDK makes single attempts and this loop retries what the
adapter's `classify` calls transient (rate limits, 5xx, connection errors) while the
reply's whole deadline allows, honouring the wait the server asked for.

Every failure becomes a `CallFailed` whose reason is one short line for the journal and
the dashboard: never a traceback, and never the API key (the classifier redacts it). It
also says whether the failure is transient (the server is down, overloaded or rate
limiting: worth waiting out) and, for a failure no wait will cure (a refused key, an
unknown model, an empty account), what to fix. What an SDK's exceptions mean is each
adapter's own knowledge (`botdeck.ai.openai_errors` for OpenAI's); this loop knows none.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    timeout: float  # seconds for the whole call, retries and waits included
    max_retries: int
    base_delay: float = 0.5  # first backoff; doubles per retry, with jitter
    max_delay: float = 8.0


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    retryable: bool  # transient: the same request may succeed later
    retry_after: float | None = None  # what the server asked for, in seconds
    fix: str | None = None  # a setup problem no retry cures: what to change


class CallFailed(Exception):
    """An API call failed for good; `reason` is safe to show and journal."""

    def __init__(
        self,
        reason: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient  # down, overloaded, rate limited: worth waiting out
        self.retry_after = retry_after
        self.fix = fix

    @classmethod
    def of(cls, failure: Failure, reason: str | None = None) -> CallFailed:
        return cls(
            reason or failure.reason,
            transient=failure.retryable,
            retry_after=failure.retry_after,
            fix=failure.fix,
        )


Classifier = Callable[[Exception], Failure | None]  # None: not a failure it knows


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    classify: Classifier,
    *,
    rng: random.Random | None = None,
) -> T:
    """Run `call` until it succeeds, fails for good, or the deadline passes. `classify`
    reads the call's exceptions; one it does not know (None) propagates as it is."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + policy.timeout
    rng = rng or random.Random()
    room = min(1.0, policy.timeout / 4)  # a retry needs at least this long to be worth it
    attempt = 0
    failure: Failure | None = None
    try:
        async with asyncio.timeout_at(deadline):
            while True:
                attempt += 1
                try:
                    return await call()
                except Exception as error:
                    known = classify(error)
                    if known is None:
                        raise
                    failure = known
                if not failure.retryable or attempt > policy.max_retries:
                    raise CallFailed.of(failure)
                wait = failure.retry_after
                if wait is None:
                    backoff = policy.base_delay * 2 ** (attempt - 1)
                    wait = min(backoff, policy.max_delay) * (1 - 0.25 * rng.random())
                if loop.time() + wait + room > deadline:
                    raise CallFailed.of(failure)  # no time left
                await asyncio.sleep(wait)
    except TimeoutError:
        timed_out = f"no answer within {policy.timeout:g}s"
        if failure is None:
            raise CallFailed(f"timeout: {timed_out}", transient=True) from None
        # A retry ran out of time: the first problem is the one worth reporting.
        raise CallFailed.of(failure, f"{failure.reason}, then {timed_out}") from None


def host_of(base_url: str) -> str:
    """`host:port` of a URL, without any credentials it might carry, for reasons and notices."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    return f"{host}:{parts.port}" if parts.port else host


def cause_of(error: BaseException) -> str:
    """The innermost OS-level cause, e.g. 'connection refused', else a generic phrase."""
    seen = error.__cause__ or error.__context__
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return "connection failed"
