"""The one place botdeck wraps twitchio's HTTP layer, and what a failed request means.

twitchio's `HTTPException` carries the status and body of a failed request but not its
headers, so a 429's `Ratelimit-Reset` would be lost. Instead of patching twitchio,
botdeck hands the `twitchio.Client` its own aiohttp session (`Client(session=...)`, which
twitchio uses for every Helix and OAuth request, token refreshes included) with a trace
hook: each answer's status and rate-limit reset are noted in a context variable of the
task that made the request. twitchio makes its requests in the caller's task, so after a
failed call the caller reads back the answer that failed (`last_answer`).

`classify` turns any exception from a request into one of four kinds, so the adapter
treats each the same way everywhere (sending, subscribing, checking a token):

- `REVOKED`: the grant is gone (a refresh answered 400/401/403, or a 401 that a refresh
  did not cure): nothing but `botdeck auth` helps, and the bot says so;
- `TEMPORARY`: Twitch or the network failed (5xx, connection errors, timeouts): retried
  with backoff, and the account keeps its token;
- `RATE_LIMITED`: HTTP 429, with the seconds until `Ratelimit-Reset` when Twitch sent it;
- `REFUSED`: Twitch said no to this one request (400, 403, ...): no retry.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

import aiohttp
import twitchio

from botdeck.core.text import clean_text

_MAX_RESET_WAIT = 120.0  # never trust a reset further away than Helix's one-minute bucket


@dataclass(frozen=True, slots=True)
class Answer:
    """What Twitch answered to the last request made in this task."""

    status: int
    path: str
    reset_at: float | None  # Unix seconds, from `Ratelimit-Reset`


_last: contextvars.ContextVar[Answer | None] = contextvars.ContextVar(
    "botdeck_twitch_last_answer", default=None
)


def last_answer() -> Answer | None:
    """The answer to the last request this task made through a `traced_session`."""
    return _last.get()


async def _on_request_end(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
) -> None:
    response = params.response
    raw = response.headers.get("Ratelimit-Reset")
    try:
        reset_at = float(raw) if raw is not None else None
    except ValueError:
        reset_at = None
    _last.set(Answer(response.status, params.url.path, reset_at))


def traced_session() -> aiohttp.ClientSession:
    """An aiohttp session for `twitchio.Client(session=...)` that notes every answer.

    The caller owns it: twitchio does not close a session it was given.
    """
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(_on_request_end)
    return aiohttp.ClientSession(trace_configs=[trace])


class FailureKind(StrEnum):
    REVOKED = "revoked"
    TEMPORARY = "temporary"
    RATE_LIMITED = "rate_limited"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    reason: str  # one line, safe to show (no token, no URL with secrets)
    retry_after: float | None = None  # RATE_LIMITED: seconds until Twitch's reset, if known


NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)
# Every way a twitchio request may fail: what `classify` sorts.
REQUEST_ERRORS = (twitchio.HTTPException, twitchio.WebsocketConnectionException, *NETWORK_ERRORS)


def classify(
    error: BaseException, *, what: str = "the request", now: Callable[[], float] = time.time
) -> Failure:
    """What a failed twitchio request means (see the module docstring); `what` names the
    request in the reason ("Twitch refused the message (HTTP 400: ...)")."""
    if isinstance(error, twitchio.WebsocketConnectionException):
        return Failure(FailureKind.TEMPORARY, "cannot connect to the EventSub websocket")
    if isinstance(error, twitchio.HTTPException):
        return _classify_http(error, what, now)
    if isinstance(error, NETWORK_ERRORS):
        return Failure(FailureKind.TEMPORARY, f"cannot reach Twitch ({type(error).__name__})")
    raise TypeError(f"not a request failure: {type(error).__name__}")


def _classify_http(error: twitchio.HTTPException, what: str, now: Callable[[], float]) -> Failure:
    status = error.status
    said = twitch_message(error)
    path = error.route.path if error.route is not None else ""
    if "oauth2/" in path:  # a token refresh (or validation) twitchio made for the request
        if status >= 500 or status == 429:
            return Failure(
                FailureKind.TEMPORARY, f"Twitch's auth server did not answer (HTTP {status})"
            )
        return Failure(
            FailureKind.REVOKED, f"Twitch refused to refresh the token (HTTP {status}: {said})"
        )
    if status == 429:
        answer = last_answer()
        wait = None
        if answer is not None and answer.status == 429 and answer.reset_at is not None:
            wait = min(_MAX_RESET_WAIT, max(0.0, answer.reset_at - now()))
        return Failure(FailureKind.RATE_LIMITED, f"rate limited by Twitch (HTTP 429: {said})", wait)
    if status == 401:
        return Failure(FailureKind.REVOKED, f"Twitch refused the token (HTTP 401: {said})")
    if status >= 500:
        return Failure(FailureKind.TEMPORARY, f"Twitch did not answer (HTTP {status}: {said})")
    return Failure(FailureKind.REFUSED, f"Twitch refused {what} (HTTP {status}: {said})")


def twitch_message(error: twitchio.HTTPException) -> str:
    """Twitch's own words from an error body, cleaned and short."""
    extra = error.extra if isinstance(error.extra, dict) else {}
    message = extra.get("message") or extra.get("error") or ""
    return clean_text(str(message), max_chars=200) or "no reason given"
