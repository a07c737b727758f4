"""Calling an OpenAI-compatible API: bounded retries inside one deadline, and clean reasons.

Why not the SDK's own retries: it retries every 429, including `insufficient_quota`
(an empty account, where retrying only burns time), and its timeout is per attempt, so
with retries and Retry-After waits one reply could hold its job's slots for minutes. Here
the SDK makes single attempts (`max_retries=0`) and this loop retries rate limits, 5xx
and connection errors while the reply's whole deadline allows, honouring Retry-After.

Every failure becomes a `CallFailed` whose reason is one short line for the journal and
the dashboard: never a traceback, and never the API key (redacted if a server echoes it).
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
    timeout: float = 20.0  # seconds for the whole call, retries and waits included
    max_retries: int = 2
    base_delay: float = 0.5  # first backoff; doubles per retry, with jitter
    max_delay: float = 8.0


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    retryable: bool
    retry_after: float | None = None  # what the server asked for, in seconds


class CallFailed(Exception):
    """An API call failed for good; `reason` is safe to show and journal."""

    def __init__(self, reason: str, *, connection: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.connection = connection  # the server could not be reached at all


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    host: str,
    secret: str = "",
    rng: random.Random | None = None,
) -> T:
    """Run `call` until it succeeds, fails for good, or the deadline passes."""
    import openai

    loop = asyncio.get_running_loop()
    deadline = loop.time() + policy.timeout
    rng = rng or random.Random()
    room = min(1.0, policy.timeout / 4)  # a retry needs at least this long to be worth it
    attempt = 0
    failure: Failure | None = None
    connection = False
    try:
        async with asyncio.timeout_at(deadline):
            while True:
                attempt += 1
                try:
                    return await call()
                except openai.OpenAIError as error:
                    failure = classify(error, host=host, secret=secret)
                    connection = isinstance(error, openai.APIConnectionError)
                if not failure.retryable or attempt > policy.max_retries:
                    raise CallFailed(failure.reason, connection=connection)
                wait = failure.retry_after
                if wait is None:
                    backoff = policy.base_delay * 2 ** (attempt - 1)
                    wait = min(backoff, policy.max_delay) * (1 - 0.25 * rng.random())
                if loop.time() + wait + room > deadline:
                    raise CallFailed(failure.reason, connection=connection)  # no time left
                await asyncio.sleep(wait)
    except TimeoutError:
        timed_out = f"no answer within {policy.timeout:g}s"
        if failure is None:
            raise CallFailed(f"timeout: {timed_out}") from None
        # A retry ran out of time: the first problem is the one worth reporting.
        raise CallFailed(f"{failure.reason}, then {timed_out}", connection=connection) from None


def host_of(base_url: str) -> str:
    """`host:port` of a URL, without any credentials it might carry, for reasons and notices."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    return f"{host}:{parts.port}" if parts.port else host


def classify(error: openai.OpenAIError, *, host: str, secret: str = "") -> Failure:
    """What went wrong, whether another attempt may help, and how long the server asks to wait."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        return Failure(f"timeout: no answer from {host}", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return Failure(f"cannot reach {host}: {_cause(error)}", retryable=True)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        detail = _detail(error, secret)
        if isinstance(error, openai.RateLimitError) and error.code in _QUOTA_CODES:
            return Failure(f"quota exceeded ({error.code}): check the account's plan", False)
        if isinstance(error, openai.AuthenticationError):
            return Failure("authentication failed (401): check the API key", retryable=False)
        if status >= 500 or status in _RETRYABLE_STATUS:
            label = "rate limited" if status == 429 else "server error"
            return Failure(f"{label} ({status})", True, _retry_after(error))
        labels = {400: "bad request", 403: "permission denied", 404: "not found"}
        label = labels.get(status, "HTTP error")
        return Failure(f"{label} ({status}){': ' + detail if detail else ''}", retryable=False)
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
