"""Twitch's registry entry (`source = "twitch"`): the channel as source and sink.

Its key in `[chat]` is `shared_chat`; the rest of what it needs is botdeck's own glue
(the `[twitch]` table, the client secret's variable, the bots' tokens from the token
store or `token_env`), which is why this entry sits above `botdeck.tokens` rather than in
`botdeck.chat`. The send limiter learns the bots' roles from what Twitch shows.
"""

from __future__ import annotations

import os
from typing import Literal

from botdeck.chat.adapter import Checked, SourceAdapter, SourceContext, SourceParts
from botdeck.chat.base import ChatSetupError
from botdeck.config import Config, twitch_problem
from botdeck.core.options import AdapterOptions


class TwitchOptions(AdapterOptions):
    """The key `source = "twitch"` reads in `[chat]`."""

    # Shared chat: lines from partner channels' viewers are left alone unless "answer".
    shared_chat: Literal["ignore", "answer"] = "ignore"


def client_secret(config: Config) -> str:
    """The application's secret from the variable `[twitch] client_secret_env` names, with
    the config complete enough to run; `ChatSetupError` naming the key otherwise."""
    problem = twitch_problem(config)
    if problem:
        raise ChatSetupError(problem)
    name = config.twitch.client_secret_env
    secret = os.environ.get(name, "").strip()
    if not secret:
        raise ChatSetupError(
            f"twitch.client_secret_env: the environment variable {name}"
            " is not set (it holds your Twitch application's client secret)"
        )
    return secret


def build(context: SourceContext[TwitchOptions]) -> SourceParts:
    from botdeck.chat.twitch import Credentials, Endpoints, TwitchChat, TwitchSettings
    from botdeck.tokens import TokenStore, bot_credentials, broadcaster_credentials, credentials_of

    config: Config = context.config
    secret = client_secret(config)
    settings = config.twitch
    store = TokenStore()
    client_id = settings.client_id

    def save_refreshed(bot: str, credentials: Credentials) -> None:
        if credentials.origin == "store":
            store.update_tokens(client_id, bot, credentials)

    chat = TwitchChat(
        TwitchSettings(
            client_id=client_id,
            client_secret=secret,
            channel=context.channel,
            bots=bot_credentials(config, store),
            broadcaster=broadcaster_credentials(config, store),
            endpoints=Endpoints(settings.api_url, settings.auth_url, settings.eventsub_url),
            send_as=settings.send_as,
            threaded_replies=settings.threaded_replies,
            shared_chat=context.options.shared_chat,
            retry_wait=settings.retry_wait,
            reconnect_wait=settings.reconnect_wait,
        ),
        on_role=context.on_role,
        on_tokens_refreshed=save_refreshed,
        reload_credentials=lambda login: credentials_of(config, store, login),
    )
    return SourceParts(chat, sink=chat)  # Twitch echoes our own messages back


def check(context: SourceContext[TwitchOptions]) -> Checked:
    """What `botdeck check` says: the token file's problems, read as a run reads it (a
    damaged file is an error, exit 2, as it would be there)."""
    from botdeck.tokens import TokenStore, token_file_warnings

    return Checked(warnings=tuple(token_file_warnings(context.config, TokenStore())))


ADAPTER = SourceAdapter(TwitchOptions, build, check=check)
