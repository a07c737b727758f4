"""What `botdeck check` finds about Twitch, every problem at once: the config complete
enough to run, the client secret's variable, the token file, and each account's token
with the scopes a run needs; with `--probe`, the application's own login and the
channel, asked of Twitch once.

Offline it reads the environment and the token file only: a token's scopes are the ones
`botdeck auth` recorded when it saved it (`botdeck auth --status` asks Twitch about each
token); a token from `token_env` is only seen to be set. Nothing here prints a token or
the secret.
"""

from __future__ import annotations

import asyncio
import os

import twitchio

from botdeck.chat.adapter import Checked
from botdeck.config import Config, ConfigError, twitch_problem
from botdeck.model.readiness import Finding
from botdeck.storage.logs import redact
from botdeck.twitch.client import log_in_app
from botdeck.twitch.credentials import (
    CONSOLE,
    Account,
    accounts,
    client_secret,
    needed_scopes,
    run_secret,
    token_needed,
    twitch_endpoints,
)
from botdeck.twitch.endpoints import use_endpoints
from botdeck.twitch.http import NETWORK_ERRORS, twitch_message
from botdeck.twitch.settings import EVENT_NAMES, TwitchSetupError
from botdeck.twitch.tokens import StoredToken, TokenStore

PROBE_WAIT = 15.0  # seconds for Twitch's answers to the probe, all told


def check_twitch(config: Config, store: TokenStore) -> Checked:
    """Every finding about Twitch a run depends on (see the module docstring)."""
    found: list[Finding] = []
    problem = twitch_problem(config)
    if problem:
        found.append(Finding.problem(problem))
    found.append(_secret(config))
    stored, damaged, warnings = _stored(config, store)
    if damaged is not None:
        found.append(damaged)
    for account in accounts(config):
        if account.token_env or damaged is None:
            found.append(_token(config, account, stored, store))
        if account.events and not account.token_env:
            warnings.extend(_event_scopes(account, stored.get(account.login)))
    permissions = store.permission_warning()
    if permissions:
        warnings.append(permissions)
    return Checked(tuple(found), tuple(warnings))


def _secret(config: Config) -> Finding:
    name = config.twitch.client_secret_env
    if client_secret(config):
        return Finding(f"twitch.client_secret_env: {name} is set")
    return Finding.problem(
        f"twitch.client_secret_env: {name} is not set (your Twitch application's client secret)",
        fix=f"export {name}=... (at {CONSOLE}: your application, Manage, New Secret)",
    )


def _stored(
    config: Config, store: TokenStore
) -> tuple[dict[str, StoredToken], Finding | None, list[str]]:
    """The token file's accounts; a damaged file is a problem when a bot takes its token
    from it, else a warning (the broadcaster's token is optional), as a run reads it."""
    try:
        return store.load(config.twitch.client_id), None, []
    except ConfigError as error:
        if any(not bot.token_env for bot in config.bots):
            return {}, Finding.problem(str(error)), []
        return {}, None, [f"{error} (the broadcaster's token is not used)"]


def _token(
    config: Config, account: Account, stored: dict[str, StoredToken], store: TokenStore
) -> Finding:
    """One account's token: set, from where, and with the scopes this config needs."""
    who = f"{account.login} ({account.role})"
    if account.token_env:
        if _env_set(account.token_env):
            return Finding(
                f"{who}: token from ${account.token_env} (its scopes: `botdeck auth --status`"
                " asks Twitch)"
            )
        return Finding.problem(
            f"{who}: ${account.token_env} is not set (its token_env)",
            fix=f"export {account.token_env}=... (an access token for {account.login}), or"
            " remove token_env to use the token `botdeck auth` saves",
        )
    send_as = config.twitch.send_as
    token = stored.get(account.login)
    if token is None:
        if not token_needed(account, send_as):
            return Finding(
                f"{who}: no token; none needed (the bots read chat; `botdeck auth` adds one,"
                " which reads best)"
            )
        return Finding.problem(
            f"{who}: no token in {store.path}",
            fix=f"botdeck auth (log in as {account.login} when it asks; --device without a"
            " browser here)",
        )
    missing = sorted(needed_scopes(account, send_as) - set(token.scopes))
    if missing:
        return Finding.problem(
            f"{who}: the token lacks {' '.join(missing)}"
            + (f' (send_as = "{send_as}")' if send_as == "app" else ""),
            fix=f"botdeck auth (log in as {account.login} again: it asks for every scope"
            " botdeck needs)",
        )
    scopes = " ".join(sorted(token.scopes)) or "no scopes"
    return Finding(f"{who}: token saved by `botdeck auth` with {scopes}")


def _event_scopes(account: Account, token: StoredToken | None) -> list[str]:
    """The enabled events the broadcaster's token cannot hear (a run starts without them,
    and says so): a warning each, with its fix."""
    granted = set(token.scopes) if token is not None else set()
    missing = [f"{EVENT_NAMES[kind]} need {scope}" for kind, scope in account.events
               if scope not in granted]  # fmt: skip
    if not missing:
        return []
    why = "no token" if token is None else "the token lacks them"
    return [
        f"{account.login} (broadcaster): {'; '.join(missing)} ({why}): run `botdeck auth`"
        f" and log in as {account.login}, or those events go unheard"
    ]


def _env_set(variable: str) -> bool:
    value = os.environ.get(variable, "").strip()
    redact(value)
    return bool(value)


async def probe_channel(config: Config) -> str:
    """`botdeck check --probe`: botdeck's application logs in (the client id and secret)
    and looks the channel up, as a run does first. A refusal is a `TwitchSetupError`
    naming the key to fix."""
    secret = run_secret(config)  # the config complete, the secret set (else it says which)
    redact(secret)
    channel = config.chat.channel.lower()
    auth_url = config.twitch.auth_url
    with use_endpoints(twitch_endpoints(config)):
        client = twitchio.Client(
            client_id=config.twitch.client_id, client_secret=secret, fetch_client_user=False
        )
        try:
            async with asyncio.timeout(PROBE_WAIT):
                await log_in_app(client, auth_url)
                try:
                    users = await client.fetch_users(logins=[channel])
                except twitchio.HTTPException as error:
                    raise TwitchSetupError(
                        f"chat.channel: Twitch did not look up {channel!r}"
                        f" (HTTP {error.status}: {twitch_message(error)})"
                    ) from None
        except NETWORK_ERRORS as error:
            raise TwitchSetupError(
                f"twitch.auth_url: cannot reach Twitch at {auth_url} ({type(error).__name__})"
            ) from None
        finally:
            await client.close()
    found = next((user for user in users if (user.name or "").lower() == channel), None)
    if found is None:
        raise TwitchSetupError(f"chat.channel: there is no Twitch channel {channel!r}")
    return f"the channel {channel} exists on Twitch (id {found.id})"
