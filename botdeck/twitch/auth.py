"""The browser login of `botdeck auth`: each account authorizes botdeck on Twitch's page.

First run: without a client id or secret it explains the one-time step in the Twitch
developer console. Then, for each bot (`user:read:chat user:write:chat user:bot
user:read:moderated_channels`, the last to confirm a moderator's higher send limit) and
the broadcaster (`channel:bot`, which lets the bots use the Chat Bot badge with
`send_as = "app"`, and `user:read:chat`: the broadcaster reads chat best, since it cannot
be banned from its own channel), it prints a Twitch authorization link (and opens the browser), and
twitchio's local OAuth adapter, running only for this command, receives the answer on
the redirect URI. The tokens go to botdeck's token file (mode 0600); nothing here ever
prints a token.

`device_auth` does the same through the Device Code Flow, for a machine without a
browser; `token_status` is `botdeck auth --status`. The command itself (`botdeck.commands.auth`)
chooses between them and turns their end into an exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import webbrowser
from collections.abc import Awaitable, Callable
from typing import TextIO
from urllib.parse import urlsplit

import twitchio
from aiohttp import web
from twitchio.authentication import Scopes
from twitchio.web import AiohttpAdapter

from botdeck.config import Config, ConfigError
from botdeck.storage.logs import redact
from botdeck.twitch.credentials import (
    Account,
    accounts,
    client_secret,
    console_guide,
    twitch_endpoints,
)
from botdeck.twitch.endpoints import use_endpoints
from botdeck.twitch.tokens import StoredToken, TokenStore

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
    """Authorize each account in turn and store its tokens. Returns 0 (an exit code);
    AuthError when an account could not be authorized."""
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
    return 0


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
