"""Calling an OpenAI-compatible API: bounded retries inside one deadline, and clean reasons.

Why not the SDK's own retries: it retries every 429, including `insufficient_quota`
(an empty account, where retrying only burns time), and its timeout is per attempt, so
with retries and Retry-After waits one reply could hold its job's slots for minutes. Here
the SDK makes single attempts (`max_retries=0`) and this loop retries rate limits, 5xx
and connection errors while the reply's whole deadline allows, honouring Retry-After.

Every failure becomes a `CallFailed` whose reason is one short line for the journal and
the dashboard: never a traceback, and never the API key (redacted if a server echoes it).
It also says whether the failure is transient (the server is down, overloaded or rate
limiting: worth waiting out) and, for a failure no wait will cure (a refused key, an
unknown model, an empty account), what to fix.
The SDK is imported on first use, so the offline demo starts without loading it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from botdeck.core.text import clean_text

if TYPE_CHECKING:
    import openai

T = TypeVar("T")

_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
_RETRYABLE_STATUS = frozenset({408, 409, 429})
_MESSAGE_CHARS = 120


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


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    host: str,
    secret: str = "",
    rng: random.Random | None = None,
    key_source: str = "",
    model: str = "",
) -> T:
    """Run `call` until it succeeds, fails for good, or the deadline passes. `key_source`
    and `model` only word what to fix when the server refuses the setup."""
    import openai

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
                except openai.OpenAIError as error:
                    failure = classify(
                        error, host=host, secret=secret, key_source=key_source, model=model
                    )
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


def classify(
    error: openai.OpenAIError, *, host: str, secret: str = "", key_source: str = "", model: str = ""
) -> Failure:
    """What went wrong, whether another attempt may help, how long the server asks to wait,
    and for a setup problem what to fix (`key_source`: where the key comes from, e.g.
    "OPENAI_API_KEY"; `model`: the model asked for)."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        return Failure(f"timeout: no answer from {host}", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return Failure(f"cannot reach {host}: {_cause(error)}", retryable=True)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        detail = _detail(error, secret)
        if isinstance(error, openai.RateLimitError) and error.code in _QUOTA_CODES:
            return Failure(
                f"quota exceeded ({error.code}): check the account's plan",
                retryable=False,
                fix=f"{host} says the account's quota is spent ({error.code}): "
                "add credit or raise its limit",
            )
        if isinstance(error, openai.AuthenticationError):
            where = f" in {key_source}" if key_source else ""
            return Failure(
                "authentication failed (401): check the API key",
                retryable=False,
                fix=f"{host} refused the API key (401): check the key{where}",
            )
        if status >= 500 or status in _RETRYABLE_STATUS:
            label = "rate limited" if status == 429 else "server error"
            return Failure(f"{label} ({status})", True, _retry_after(error))
        labels = {400: "bad request", 403: "permission denied", 404: "not found"}
        label = labels.get(status, "HTTP error")
        reason = f"{label} ({status}){': ' + detail if detail else ''}"
        fix = None
        named = f"model {model!r}" if model else "the model"
        if status == 404:
            fix = f"{host} has no {named} (404): check [ai] model and base_url"
        elif status == 403:
            fix = f"{host} does not let this key use {named} (403): check the key's access"
        return Failure(reason, retryable=False, fix=fix)
    if isinstance(error, openai.APIResponseValidationError):
        return Failure("invalid response from the server", retryable=False)
    return Failure(f"API error: {type(error).__name__}", retryable=False)


def _detail(error: openai.APIStatusError, secret: str) -> str:
    """The server's own message, cleaned, cut short, with the key redacted if echoed."""
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return ""
    if secret:
        message = message.replace(secret, "***")
    return clean_text(message, max_chars=_MESSAGE_CHARS)


def _cause(error: BaseException) -> str:
    """The innermost OS-level cause, e.g. 'connection refused', else a generic phrase."""
    seen = error.__cause__ or error.__context__
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return "connection failed"


def _retry_after(error: openai.APIStatusError) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (numeric forms only)."""
    headers = error.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if 0 <= seconds < float("inf"):
            return seconds
    return None
