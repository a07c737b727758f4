"""`botdeck auth --device`: Twitch's Device Code Flow, for a machine without a browser.

A streamer running botdeck on a second PC or a server (over SSH) cannot take the
redirect to `localhost` that `botdeck auth` needs. Here, for each account in turn,
botdeck asks Twitch for a code (`POST /oauth2/device`, twitchio's
`OAuth.device_code_flow`), prints it with the activation URL, and polls the token
endpoint (`grant_type=urn:ietf:params:oauth:grant-type:device_code`) every `interval`
seconds until someone logged in as that account approves on any device, or the code
expires. The tokens are checked against the account's login and scopes before anything
is saved, so a failed login never overwrites the token already stored.

Every failure is one line and exit 2, saying what to do: a code that expired, an
approval from the wrong account, a client id Twitch will not run the flow for. Accounts
authorized before the failure stay saved.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import aiohttp
import twitchio
from twitchio.authentication import OAuth, Scopes
from twitchio.http import Route

from botdeck.config import Config, ConfigError
from botdeck.storage.logs import redact
from botdeck.twitch.credentials import Account, accounts, console_guide, twitch_endpoints
from botdeck.twitch.endpoints import use_endpoints
from botdeck.twitch.http import twitch_message
from botdeck.twitch.tokens import StoredToken, TokenStore

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
RETRY = "run `botdeck auth --device` again"

CodeShown = Callable[[str, str, str], None]  # (login, user code, verification URI)


class DeviceLoginError(ConfigError):
    """A device login that cannot succeed as it is: one line saying what to do (exit 2)."""


async def authorize_device(
    config: Config,
    *,
    out: TextIO,
    on_code: CodeShown | None = None,
    poll_every: float | None = None,
    only: list[str] | None = None,
) -> int:
    """Authorize each account through the Device Code Flow and store its tokens.

    `poll_every` overrides Twitch's `interval` (tests); `on_code` hears each code shown.
    """
    client_id = config.twitch.client_id.strip()
    if not client_id:
        print(console_guide(config), file=out)
        raise ConfigError("twitch.client_id: missing (see the steps above)")
    store = TokenStore()
    store.load(client_id)  # a damaged file: said now, not after the codes are entered
    targets = [a for a in accounts(config) if not only or a.login in only]
    with use_endpoints(twitch_endpoints(config)):
        oauth = OAuth(client_id=client_id)  # a device login sends no client secret
        try:
            for account in targets:
                token = await _authorize_one(oauth, account, out, on_code, poll_every)
                store.save(client_id, token)
                print(f"  {account.login}: authorized ({' '.join(token.scopes)})", file=out)
        finally:
            await oauth.close()
    print(f"tokens saved to {store.path} (readable only by you)", file=out)
    return 0


async def _authorize_one(
    oauth: OAuth,
    account: Account,
    out: TextIO,
    on_code: CodeShown | None,
    poll_every: float | None,
) -> StoredToken:
    login = account.login
    flow = await _request_code(oauth, account)
    minutes = max(1, math.ceil(flow["expires_in"] / 60))
    print(
        f"\n{login} ({account.role}): on any device, open {flow['verification_uri']}\n"
        f"  log in to Twitch as {login}, enter the code {flow['user_code']} and approve"
        f" {' '.join(account.scopes)} (the code expires in {minutes} min)",
        file=out,
        flush=True,
    )
    if on_code is not None:
        on_code(login, flow["user_code"], flow["verification_uri"])
    tokens = await _poll(oauth, account, flow, poll_every)
    access, refresh = str(tokens["access_token"]), str(tokens.get("refresh_token", ""))
    redact(access, refresh)
    try:
        valid = await oauth.validate_token(access)
    except twitchio.HTTPException as error:
        raise DeviceLoginError(
            f"{login}: Twitch did not accept the new token (HTTP {error.status}); {RETRY}"
        ) from None
    who = (valid.login or "").lower()
    if who != login:
        raise DeviceLoginError(
            f"{login}: the code was approved by {who or 'no user'}, not {login}; nothing was"
            f" saved for {login}: log in to Twitch as {login} (log out of {who or 'it'} first)"
            f" and {RETRY}"
        )
    missing = sorted(set(account.scopes) - set(valid.scopes))
    if missing:
        raise DeviceLoginError(
            f"{login}: {' '.join(missing)} was not granted; nothing was saved: {RETRY}"
            " and approve every permission"
        )
    return StoredToken(login, valid.user_id or "", access, refresh, tuple(valid.scopes))


async def _request_code(oauth: OAuth, account: Account) -> dict[str, Any]:
    try:
        flow = await oauth.device_code_flow(scopes=Scopes(list(account.scopes)))
    except twitchio.HTTPException as error:
        if error.status >= 500:
            raise DeviceLoginError(
                f"twitch.auth_url: Twitch's auth server did not answer (HTTP {error.status});"
                " try again in a minute"
            ) from None
        raise DeviceLoginError(
            f"twitch.client_id: Twitch will not run the Device Code Flow for this client"
            f" (HTTP {error.status}: {twitch_message(error)}): check the client id, or use"
            " `botdeck auth` in a browser on this machine"
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise DeviceLoginError(
            f"twitch.auth_url: cannot reach Twitch ({type(error).__name__})"
        ) from None
    return dict(flow)


async def _poll(
    oauth: OAuth, account: Account, flow: dict[str, Any], poll_every: float | None
) -> dict[str, Any]:
    """Ask for the tokens every `interval` seconds until approved, refused or expired."""
    interval = float(poll_every if poll_every is not None else flow.get("interval") or 5)
    deadline = time.monotonic() + float(flow["expires_in"])
    expired = DeviceLoginError(
        f"{account.login}: the code {flow['user_code']} expired before it was approved;"
        f" {RETRY} and approve the new code within"
        f" {max(1, math.ceil(flow['expires_in'] / 60))} min"
    )
    params = {
        "client_id": oauth.client_id,
        "scopes": " ".join(account.scopes),
        "device_code": flow["device_code"],
        "grant_type": DEVICE_GRANT,
    }
    while True:
        if time.monotonic() >= deadline:
            raise expired
        await asyncio.sleep(interval)
        route = Route("POST", "/oauth2/token", use_id=True, params=params)
        try:
            return dict(await oauth.request_json(route))
        except twitchio.HTTPException as error:
            message = twitch_message(error).lower()
            if message == "authorization_pending" or error.status >= 500:
                continue  # not yet approved, or Twitch blinked: ask again
            if message == "slow_down":  # RFC 8628: wait longer between polls
                interval += 5
                continue
            if "invalid device code" in message or "expired" in message:
                raise expired from None
            raise DeviceLoginError(
                f"{account.login}: Twitch refused the login (HTTP {error.status}:"
                f" {twitch_message(error)}); {RETRY}"
            ) from None
        except (aiohttp.ClientError, OSError, TimeoutError):
            continue  # the network blinked: keep polling until the code expires


def run_device_auth(config: Config, *, out: TextIO | None = None) -> int:
    """The `botdeck auth --device` command (DeviceLoginError, a ConfigError: exit 2)."""
    return asyncio.run(authorize_device(config, out=out or sys.stdout))
