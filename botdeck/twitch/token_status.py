"""`botdeck auth --status`: each account's token as Twitch's `/oauth2/validate` sees it.

For every account botdeck needs, where its token comes from (`token_env` or the token
file), its scopes and expiry; an expired token with a refresh token is refreshed and
saved back. When Twitch cannot be reached (no network, DNS, a refused connection), the
tokens are not judged: a row says what the token file says (scopes granted, when saved)
and is marked unchecked, and once Twitch did not answer no other account waits for it.
The table and the exit code are the command's (`botdeck.commands.auth`); nothing here prints.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
import twitchio
from twitchio.authentication import OAuth

from botdeck.config import Config
from botdeck.storage.logs import redact
from botdeck.twitch.credentials import (
    Account,
    accounts,
    client_secret,
    needed_scopes,
    token_needed,
    twitch_endpoints,
)
from botdeck.twitch.endpoints import use_endpoints
from botdeck.twitch.settings import EVENT_NAMES, READ_SCOPE, Credentials
from botdeck.twitch.tokens import StoredToken, TokenStore

VALIDATE_WAIT = 15.0  # seconds for one answer from Twitch's /oauth2/validate


@dataclass(frozen=True, slots=True)
class Status:
    account: Account
    source: str  # "env VAR", "store" or "none"
    ok: bool
    detail: str
    checked: bool = True  # False: Twitch could not be reached to validate the token


@dataclass(frozen=True, slots=True)
class TokenReport:
    """Every account's row, the token file they were read from, and why Twitch could not
    be asked (None when it answered every time)."""

    rows: list[Status]
    store: TokenStore
    unreachable: str | None


class _Unreachable(Exception):
    """Twitch did not answer (DNS, refused, reset, timeout); the message says how."""


@dataclass(slots=True)
class _Reach:
    """Whether Twitch answered so far: once it did not, the other accounts are not asked
    (each would wait out the same timeout)."""

    failure: str | None = None


_T = TypeVar("_T")


async def _ask(reach: _Reach, call: Awaitable[_T]) -> _T:
    """One request to Twitch; no answer is `_Unreachable`, never a traceback."""
    if reach.failure is not None:
        close = getattr(call, "close", None)
        if close is not None:
            close()  # the coroutine is not awaited: say so to Python, quietly
        raise _Unreachable(reach.failure)
    try:
        return await asyncio.wait_for(call, VALIDATE_WAIT)
    except TimeoutError:
        reach.failure = f"no answer within {VALIDATE_WAIT:g} s"
    except aiohttp.ClientConnectorError as error:
        reach.failure = f"{error.host}: {_reason(error.os_error)}"
    except (aiohttp.ClientError, OSError) as error:
        reach.failure = _reason(error)
    raise _Unreachable(reach.failure)


def _reason(error: BaseException) -> str:
    """An OS error in the system's words ("Connection refused", "Name or service not
    known"), not asyncio's "Connect call failed ('127.0.0.1', 9)"."""
    if isinstance(error, OSError):
        if isinstance(error.errno, int) and error.errno > 0:
            return os.strerror(error.errno)
        if error.strerror:
            return error.strerror
    return type(error).__name__


async def check_tokens(config: Config) -> TokenReport:
    """Each account's token state (a damaged token file is a ConfigError)."""
    secret = client_secret(config) or None
    redact(secret)
    store = TokenStore()
    stored = store.load(config.twitch.client_id)
    rows: list[Status] = []
    reach = _Reach()
    with use_endpoints(twitch_endpoints(config)):
        oauth = OAuth(client_id=config.twitch.client_id, client_secret=secret)
        try:
            for account in accounts(config):
                try:
                    row = await _status_of(account, stored, store, oauth, config, secret, reach)
                except _Unreachable as error:
                    row = _unchecked(account, stored, str(error))
                rows.append(row)
        finally:
            await oauth.close()
    return TokenReport(rows, store, reach.failure)


def _unchecked(account: Account, stored: dict[str, StoredToken], why: str) -> Status:
    """What is known without Twitch: where the token comes from and what was granted."""
    _, _, source = _token_for(account, stored)
    token = stored.get(account.login) if source == "store" else None
    if token is None:
        local = f"${account.token_env} is set" if account.token_env else "a token is set"
    else:
        scopes = " ".join(sorted(token.scopes)) or "no scopes"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(token.saved_at))
        local = f"saved {when if token.saved_at else 'at an unknown time'} with {scopes}"
    return Status(account, source, False, f"not validated (Twitch unreachable); {local}", False)


async def _status_of(
    account: Account,
    stored: dict[str, StoredToken],
    store: TokenStore,
    oauth: OAuth,
    config: Config,
    secret: str | None,
    reach: _Reach,
) -> Status:
    access, refresh, source = _token_for(account, stored)
    if not access:
        if account.events:
            kinds = ", ".join(EVENT_NAMES[kind] for kind, _ in account.events)
            return Status(account, source, False, f"not authorized: no token (needed for {kinds})")
        if not token_needed(account, config.twitch.send_as):
            return Status(account, source, True, 'no token (needed only with send_as = "app")')
        why = f"${account.token_env} is not set" if account.token_env else "no token"
        return Status(account, source, False, f"not authorized: {why}")
    refreshed = ""
    try:
        valid = await _ask(reach, oauth.validate_token(access))
    except twitchio.HTTPException as error:
        if error.status != 401 or not refresh or not secret:
            return Status(account, source, False, f"token refused by Twitch (HTTP {error.status})")
        try:
            fresh = await _ask(reach, oauth.refresh_token(refresh))
            redact(fresh.access_token, fresh.refresh_token)
            try:
                valid = await _ask(reach, oauth.validate_token(fresh.access_token))
            except _Unreachable:  # the refresh went through: the new tokens are kept
                if source == "store":
                    credentials = Credentials(fresh.access_token, fresh.refresh_token, source)
                    store.update_tokens(config.twitch.client_id, account.login, credentials)
                raise
        except twitchio.HTTPException as inner:
            return Status(
                account, source, False, f"expired; the refresh failed (HTTP {inner.status})"
            )
        refreshed = "refreshed; "
        if source == "store":
            store.save(
                config.twitch.client_id,
                StoredToken(
                    account.login,
                    valid.user_id or "",
                    fresh.access_token,
                    fresh.refresh_token,
                    tuple(valid.scopes),
                ),
            )
            refreshed = "refreshed and saved; "
    login = (valid.login or "").lower()
    if login != account.login:
        return Status(account, source, False, f"the token is for {login or 'an app'}")
    missing = sorted(needed_scopes(account, config.twitch.send_as) - set(valid.scopes))
    scopes = " ".join(sorted(valid.scopes)) or "no scopes"
    detail = f"{refreshed}{scopes}; expires in {_duration(valid.expires_in)}"
    granted = set(valid.scopes)
    events = [
        f"{EVENT_NAMES[kind]} need {scope}"
        for kind, scope in account.events
        if scope not in granted
    ]
    if events:
        missing_events = "; ".join(events)
        if missing:
            missing_events = f"{' '.join(missing)}; {missing_events}"
        return Status(account, source, False, f"missing {missing_events}; has {detail}")
    if missing:
        return Status(account, source, False, f"missing {' '.join(missing)}; has {detail}")
    if account.role == "broadcaster" and READ_SCOPE not in valid.scopes:
        detail += f" (without {READ_SCOPE} the bots read chat, and can be banned)"
    return Status(account, source, True, detail)


def _token_for(account: Account, stored: dict[str, StoredToken]) -> tuple[str, str, str]:
    if account.token_env:
        access = os.environ.get(account.token_env, "").strip()
        refresh = os.environ.get(account.refresh_token_env or "", "").strip()
        redact(access, refresh)
        return access, refresh, f"env {account.token_env}"
    token = stored.get(account.login)
    if token is None:
        return "", "", "none"
    return token.access_token, token.refresh_token, "store"


def _duration(seconds: int) -> str:
    if seconds <= 0:
        return "never (or now)"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"
