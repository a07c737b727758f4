"""From botdeck's config to what Twitch needs: the client id and secret, the endpoints,
which accounts need a token with which scopes, each account's tokens (its `token_env`
variables or the token file), and the `TwitchChat` a run uses.

The one place that turns `[twitch]`, `[chat] channel` and the bots' token settings into
credentials, so `botdeck run`, `check` and `auth` agree on whose token is where, and the
chat adapter underneath never sees the config: it is handed `TwitchSettings`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from botdeck.chat.base import ChatSetupError
from botdeck.config import Config, ConfigError, twitch_problem
from botdeck.model.chat import Role
from botdeck.model.stream import EventKind
from botdeck.storage.logs import redact
from botdeck.twitch.client import TwitchChat
from botdeck.twitch.endpoints import Endpoints
from botdeck.twitch.settings import (
    BOT_SCOPE,
    BOT_SCOPES,
    BROADCASTER_EVENT_SCOPES,
    BROADCASTER_SCOPES,
    CHANNEL_BOT_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    Credentials,
    TwitchSettings,
)
from botdeck.twitch.tokens import TokenStore

CONSOLE = "https://dev.twitch.tv/console/apps"


@dataclass(frozen=True, slots=True)
class Account:
    """An account botdeck needs a token for, and the scopes it must grant."""

    login: str
    role: str  # "bot", "broadcaster", or "bot + broadcaster"
    scopes: tuple[str, ...]
    token_env: str | None = None
    refresh_token_env: str | None = None
    # The broadcaster: the events the config reacts to that only its token hears, each
    # with the scope it needs ("follow" -> moderator:read:followers).
    events: tuple[tuple[str, str], ...] = ()


def broadcaster_events(config: Config) -> frozenset[str]:
    """The events the config reacts to that need the broadcaster's token."""
    return frozenset(
        kind
        for kind in BROADCASTER_EVENT_SCOPES
        if (table := config.events.of(EventKind(kind))) is not None and table.enabled
    )


def accounts(config: Config) -> list[Account]:
    """Every bot, then the broadcaster (merged when the broadcaster is also a bot). The
    broadcaster is asked for the scopes of the events the config reacts to."""
    channel = config.chat.channel.lower()
    events = tuple(
        (kind, BROADCASTER_EVENT_SCOPES[kind]) for kind in sorted(broadcaster_events(config))
    )
    broadcaster = tuple(dict.fromkeys((*BROADCASTER_SCOPES, *(scope for _, scope in events))))
    found: list[Account] = []
    scopes: tuple[str, ...]
    for bot in config.bots:
        if bot.name == channel:
            role, scopes = "bot + broadcaster", (*BOT_SCOPES, *broadcaster)
            found.append(
                Account(bot.name, role, scopes, bot.token_env, bot.refresh_token_env, events)
            )
        else:
            found.append(Account(bot.name, "bot", BOT_SCOPES, bot.token_env, bot.refresh_token_env))
    if channel not in config.bot_names:
        found.append(Account(channel, "broadcaster", broadcaster, events=events))
    return found


def needed_scopes(account: Account, send_as: str) -> frozenset[str]:
    """The scopes without which a run cannot use the account's token: a bot reads and
    writes chat (and grants user:bot when the app sends); the broadcaster grants
    channel:bot when the app sends, and needs nothing otherwise (the bots read too)."""
    broadcaster = account.role == "broadcaster"
    needed = set() if broadcaster else {READ_SCOPE, WRITE_SCOPE}
    if send_as == "app":
        needed.add(CHANNEL_BOT_SCOPE if broadcaster else BOT_SCOPE)
    return frozenset(needed)


def token_needed(account: Account, send_as: str) -> bool:
    """Whether a run needs a token for the account: every bot, and the broadcaster when
    the app sends (`send_as = "app"`); otherwise the broadcaster's only reads best."""
    return account.role != "broadcaster" or send_as == "app"


def console_guide(config: Config) -> str:
    """The one-time developer console step, in words a streamer can follow."""
    twitch = config.twitch
    return "\n".join(
        [
            "botdeck needs its own Twitch application first (once):",
            f"  1. Open {CONSOLE} and click 'Register Your Application'.",
            "  2. Name: anything unique (e.g. 'botdeck for your channel');"
            " Category: Chat Bot; Client Type: Confidential.",
            f"  3. OAuth Redirect URLs: {twitch.redirect_uri}",
            "     (exactly this; or change [twitch] redirect_uri to what you register)",
            "  4. Click Create, then Manage: copy the Client ID into your config:",
            '       [twitch]\n       client_id = "..."',
            "  5. Click 'New Secret' and put the secret in the environment, not the config:",
            f"       export {twitch.client_secret_env}=...",
            "Then run `botdeck auth` again.",
        ]
    )


def twitch_endpoints(config: Config) -> Endpoints:
    twitch = config.twitch
    return Endpoints(twitch.api_url, twitch.auth_url, twitch.eventsub_url)


def client_secret(config: Config) -> str:
    """The application's secret from the variable `[twitch] client_secret_env` names ("" when
    it is not set); never in the config itself."""
    return os.environ.get(config.twitch.client_secret_env, "").strip()


# ----------------------------------------------------------------- tokens
def bot_credentials(config: Config, store: TokenStore) -> dict[str, Credentials | None]:
    """Each bot's tokens: from its `token_env` variables when named, else from the store."""
    return {bot.name: credentials_of(config, store, bot.name) for bot in config.bots}


def broadcaster_credentials(config: Config, store: TokenStore) -> Credentials | None:
    """The broadcaster's tokens from the store (`botdeck auth` asks for them). They are
    optional (the bots can read), so a token file that cannot be read is only logged."""
    try:
        return credentials_of(config, store, config.chat.channel.lower())
    except ConfigError as error:
        logging.getLogger(__name__).warning("the broadcaster's token is not used: %s", error)
        return None


def credentials_of(config: Config, store: TokenStore, login: str) -> Credentials | None:
    """One account's tokens as they are now: from its bot's `token_env` variables when
    named, else from the store, read afresh (so a token that `botdeck auth` saved in
    another terminal is seen by a running botdeck)."""
    bot = next((b for b in config.bots if b.name == login), None)
    if bot is not None and bot.token_env:
        access = os.environ.get(bot.token_env, "").strip()
        refresh = os.environ.get(bot.refresh_token_env or "", "").strip()
        redact(access, refresh)
        return Credentials(access, refresh, f"env:{bot.token_env}") if access else None
    token = store.load(config.twitch.client_id).get(login)
    return Credentials(token.access_token, token.refresh_token, "store") if token else None


# -------------------------------------------------------------------- run
def run_secret(config: Config) -> str:
    """The application's secret for a run, with the config complete enough to run;
    `ChatSetupError` naming the key otherwise (the engine makes it exit 2)."""
    problem = twitch_problem(config)
    if problem:
        raise ChatSetupError(problem)
    name = config.twitch.client_secret_env
    secret = client_secret(config)
    if not secret:
        raise ChatSetupError(
            f"twitch.client_secret_env: the environment variable {name}"
            " is not set (it holds your Twitch application's client secret)"
        )
    return secret


def twitch_chat(
    config: Config,
    *,
    channel: str,
    shared_chat: Literal["ignore", "answer"],
    on_role: Callable[[str, Role], None] | None = None,
) -> TwitchChat:
    """The channel a run reads and sends to, from the config and the tokens as they are
    now (see `run_secret` for what stops it). Tokens twitchio refreshes are saved back to
    the file they came from."""
    secret = run_secret(config)
    settings = config.twitch
    store = TokenStore()
    client_id = settings.client_id

    def save_refreshed(bot: str, credentials: Credentials) -> None:
        if credentials.origin == "store":
            store.update_tokens(client_id, bot, credentials)

    return TwitchChat(
        TwitchSettings(
            client_id=client_id,
            client_secret=secret,
            channel=channel,
            bots=bot_credentials(config, store),
            broadcaster=broadcaster_credentials(config, store),
            endpoints=twitch_endpoints(config),
            send_as=settings.send_as,
            threaded_replies=settings.threaded_replies,
            shared_chat=shared_chat,
            retry_wait=settings.retry_wait,
            reconnect_wait=settings.reconnect_wait,
            events=broadcaster_events(config),
        ),
        on_role=on_role,
        on_tokens_refreshed=save_refreshed,
        reload_credentials=lambda login: credentials_of(config, store, login),
    )
