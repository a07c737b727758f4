"""`botdeck auth`: authorize the bot accounts and the broadcaster with Twitch.

First run: without a client id or secret it explains the one-time step in the Twitch
developer console. Then, for each bot (`user:read:chat user:write:chat user:bot
user:read:moderated_channels`, the last to confirm a moderator's higher send limit) and
the broadcaster (`channel:bot`, which lets the bots use the Chat Bot badge with
`send_as = "app"`, and `user:read:chat`: the broadcaster reads chat best, since it cannot
be banned from its own channel), it prints a Twitch authorization link (and opens the browser), and
twitchio's local OAuth adapter, running only for this command, receives the answer on
the redirect URI. The tokens go to botdeck's token file (mode 0600); nothing here ever
prints a token.

`botdeck auth --device` does the same through the Device Code Flow, for a machine
without a browser (see `device_auth`).

`botdeck auth --status` lists each account, where its token comes from, its scopes and
expiry, as Twitch's `/oauth2/validate` reports them; an expired token with a refresh
token is refreshed and saved back. When Twitch cannot be reached (no network, DNS, a
refused connection), the tokens are not judged: the table shows what the token file says
(scopes granted, when saved) and the exit code is 3, not "needs `botdeck auth`".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
import time
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO, TypeVar
from urllib.parse import urlsplit

import aiohttp
import twitchio
from aiohttp import web
from twitchio.authentication import OAuth, Scopes
from twitchio.web import AiohttpAdapter

from botdeck.config import Config, ConfigError
from botdeck.logs import redact
from botdeck.twitch.credentials import (
    Account,
    accounts,
    client_secret,
    console_guide,
    twitch_endpoints,
)
from botdeck.twitch.endpoints import use_endpoints
from botdeck.twitch.settings import (
    BOT_SCOPE,
    CHANNEL_BOT_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    Credentials,
)
from botdeck.twitch.tokens import StoredToken, TokenStore

EXIT_OK = 0
EXIT_NEEDS_AUTH = 1
EXIT_UNCHECKED = 3  # --status: Twitch could not be reached, so a token was not validated
VALIDATE_WAIT = 15.0  # seconds for one answer from Twitch's /oauth2/validate

OpenUrl = Callable[[str, str], Awaitable[None] | None]  # (login, url)


def _ready(config: Config, out: TextIO) -> str:
    """The client secret, once the console step is done; else the guide and ConfigError."""
    twitch = config.twitch
    secret = client_secret(config)
    if twitch.client_id.strip() and secret:
        redact(secret)
        return secret
    print(console_guide(config), file=out)
    if not twitch.client_id.strip():
        raise ConfigError("twitch.client_id: missing (see the steps above)")
    raise ConfigError(
        f"twitch.client_secret_env: the environment variable {twitch.client_secret_env}"
        " is not set (see the steps above)"
    )


# -------------------------------------------------------------- authorizing
class AuthError(Exception):
    pass


class _CallbackAdapter(AiohttpAdapter):  # type: ignore[type-arg]
    """twitchio's OAuth adapter, answering only redirects for a state this run issued."""

    def __init__(self, *, host: str, port: int, path: str, client: twitchio.Client) -> None:
        super().__init__(host=host, port=port, redirect_path=path, client=client)
        self.pending: dict[str, asyncio.Future[str]] = {}  # state -> code

    async def oauth_callback(self, request: web.Request) -> web.Response:
        waiter = self.pending.pop(request.query.get("state", ""), None)
        if waiter is None or waiter.done():
            return web.Response(status=400, text="botdeck: this link was not issued by this run")
        code = request.query.get("code")
        if not code:
            reason = request.query.get("error_description") or request.query.get("error")
            waiter.set_exception(AuthError(f"Twitch did not authorize: {reason or 'no code'}"))
            return web.Response(status=400, text="botdeck: not authorized. See the terminal.")
        waiter.set_result(code)
        return web.Response(text="botdeck: authorized. You can close this tab.")


async def authorize(
    config: Config,
    *,
    out: TextIO,
    open_url: OpenUrl | None = None,
    only: list[str] | None = None,
    wait: float = 600.0,
    tries: int = 3,
) -> int:
    """Authorize each account in turn and store its tokens. Returns an exit code."""
    secret = _ready(config, out)
    store = TokenStore()
    store.load(config.twitch.client_id)  # a damaged file: said now, not after the logins
    redirect = config.twitch.redirect_uri
    where = urlsplit(redirect)
    if where.hostname is None or where.port is None or where.path.strip("/") == "":
        raise ConfigError(
            "twitch.redirect_uri: needs a host, a port and a path"
            f" (e.g. http://localhost:4343/oauth/callback), got {redirect!r}"
        )
    targets = [a for a in accounts(config) if not only or a.login in only]
    opener = open_url or _browser(out)
    with use_endpoints(twitch_endpoints(config)):
        client = twitchio.Client(client_id=config.twitch.client_id, client_secret=secret)
        adapter = _CallbackAdapter(
            host=where.hostname, port=where.port, path=where.path, client=client
        )
        await adapter.run()  # only for this command, only while it runs
        try:
            await _wait_listening(adapter, where.netloc)
            for account in targets:
                await _authorize_one(
                    client, adapter, redirect, account, store, out, opener, wait, tries
                )
        finally:
            await adapter.close()
            await client.close(save_tokens=False)
    print(f"tokens saved to {store.path} (readable only by you)", file=out)
    for account in targets:
        if account.token_env:
            print(
                f"note: {account.login} takes its token from ${account.token_env} (token_env),"
                " which wins over the saved one",
                file=out,
            )
    return EXIT_OK


async def _wait_listening(adapter: _CallbackAdapter, where: str) -> None:
    """`AiohttpAdapter.run` starts its site in a task: wait until it is bound (or failed)."""
    task = adapter._runner_task
    if task is None:
        return
    try:
        await asyncio.wait_for(asyncio.shield(task), 10)
    except OSError as error:
        raise ConfigError(
            f"twitch.redirect_uri: cannot listen on {where} ({error.strerror or error})"
        ) from None


async def _authorize_one(
    client: twitchio.Client,
    adapter: _CallbackAdapter,
    redirect: str,
    account: Account,
    store: TokenStore,
    out: TextIO,
    opener: OpenUrl,
    wait: float,
    tries: int,
) -> None:
    for attempt in range(1, tries + 1):
        state = secrets.token_urlsafe(24)
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        adapter.pending[state] = waiter
        link = client._http.get_authorization_url(
            scopes=Scopes(list(account.scopes)),
            redirect_uri=redirect,
            state=state,
            force_verify=True,  # lets the user pick the right account
        ).url
        print(
            f"\n{account.login} ({account.role}): log in to Twitch as {account.login}"
            f" and approve {' '.join(account.scopes)}\n  {link}",
            file=out,
        )
        result = opener(account.login, link)
        if result is not None:
            await result
        try:
            code = await asyncio.wait_for(waiter, wait)
        except TimeoutError:
            raise AuthError(f"{account.login}: no answer from Twitch within {wait:g}s") from None
        finally:
            adapter.pending.pop(state, None)
        try:
            tokens = await client._http.user_access_token(code, redirect_uri=redirect)
            redact(tokens.access_token, tokens.refresh_token)
            valid = await client._http.validate_token(tokens.access_token)
        except twitchio.HTTPException as error:
            raise AuthError(
                f"{account.login}: Twitch refused the authorization (HTTP {error.status})"
            ) from None
        login = (valid.login or "").lower()
        if login != account.login:
            print(
                f"  that was {login or 'no user'}, not {account.login}: log out of Twitch"
                f" (or use a private window) and try again ({attempt}/{tries})",
                file=out,
            )
            continue
        missing = sorted(set(account.scopes) - set(valid.scopes))
        if missing:
            print(f"  {account.login} did not grant {' '.join(missing)}; try again", file=out)
            continue
        store.save(
            client.http.client_id,
            StoredToken(
                login,
                valid.user_id or "",
                tokens.access_token,
                tokens.refresh_token,
                tuple(valid.scopes),
            ),
        )
        print(f"  {account.login}: authorized ({' '.join(sorted(valid.scopes))})", file=out)
        return
    raise AuthError(f"{account.login}: not authorized after {tries} tries")


def _browser(out: TextIO) -> OpenUrl:
    def open_url(login: str, url: str) -> None:
        with contextlib.suppress(Exception):
            if webbrowser.open(url):
                print("  (opened in your browser)", file=out)

    return open_url


# ------------------------------------------------------------------ status
@dataclass(frozen=True, slots=True)
class Status:
    account: Account
    source: str  # "env VAR", "store" or "none"
    ok: bool
    detail: str
    checked: bool = True  # False: Twitch could not be reached to validate the token


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


async def status(config: Config, *, out: TextIO) -> int:
    """Print each account's token state: 0 when every one is usable, 1 when one needs
    `botdeck auth`, else 3 when Twitch could not be reached to validate one."""
    if not config.twitch.client_id.strip():
        print(console_guide(config), file=out)
        raise ConfigError("twitch.client_id: missing (see the steps above)")
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
    width = max(len("account"), *(len(row.account.login) for row in rows))
    print(f"   {'account':<{width}}  {'role':<17}  {'token from':<22}  scopes and expiry", file=out)
    for row in rows:
        mark = "?? " if not row.checked else "ok " if row.ok else "!! "
        print(
            f"{mark}{row.account.login:<{width}}  {row.account.role:<17}  {row.source:<22}  "
            f"{row.detail}",
            file=out,
        )
    print(f"token file: {store.path}", file=out)
    warning = store.permission_warning()
    if warning:
        print(f"warning: {warning}", file=out)
    if any(row.checked and not row.ok for row in rows):
        print("run `botdeck auth` to authorize the accounts marked !!", file=out)
        return EXIT_NEEDS_AUTH
    if any(not row.checked for row in rows):
        print(
            f"could not reach Twitch ({reach.failure}): the tokens marked ?? were not"
            " validated; what is shown is what the token file says",
            file=out,
        )
        return EXIT_UNCHECKED
    return EXIT_OK


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
        if account.role == "broadcaster" and config.twitch.send_as == "user":
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
    needed = {READ_SCOPE, WRITE_SCOPE} if account.role != "broadcaster" else set()
    if config.twitch.send_as == "app":
        needed |= {BOT_SCOPE} if account.role != "broadcaster" else {CHANNEL_BOT_SCOPE}
    missing = sorted(needed - set(valid.scopes))
    scopes = " ".join(sorted(valid.scopes)) or "no scopes"
    detail = f"{refreshed}{scopes}; expires in {_duration(valid.expires_in)}"
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


# ---------------------------------------------------------------- command
def run_auth(
    config: Config,
    *,
    show_status: bool,
    open_browser: bool = True,
    out: TextIO | None = None,
) -> int:
    """The `botdeck auth` command (ConfigError propagates: exit 2)."""
    stream = out or sys.stdout
    try:
        if show_status:
            return asyncio.run(status(config, out=stream))
        opener = None if open_browser else _print_only
        return asyncio.run(authorize(config, out=stream, open_url=opener))
    except AuthError as error:
        print(f"botdeck: {error}", file=sys.stderr)
        return EXIT_NEEDS_AUTH


def _print_only(login: str, url: str) -> None:
    """--no-browser: the link printed above is all the user needs."""
