"""Twitch's registry entry (`source = "twitch"`): the channel as source and sink.

Its key in `[chat]` is `shared_chat`; the rest of what it needs is botdeck's own glue
(the `[twitch]` table, the client secret's variable, the bots' tokens from the token
store or `token_env`), which `credentials` turns into a `TwitchChat`. The entry is read
whenever the registry is scanned, so it imports the adapter (and twitchio) only when a
run or `check` needs it. The send limiter learns the bots' roles from what Twitch shows.
"""

from __future__ import annotations

from typing import Literal

from botdeck.chat.adapter import Checked, SourceAdapter, SourceContext, SourceParts
from botdeck.config import Config
from botdeck.core.options import AdapterOptions


class TwitchOptions(AdapterOptions):
    """The key `source = "twitch"` reads in `[chat]`."""

    # Shared chat: lines from partner channels' viewers are left alone unless "answer".
    shared_chat: Literal["ignore", "answer"] = "ignore"


def build(context: SourceContext[TwitchOptions]) -> SourceParts:
    from botdeck.twitch.credentials import twitch_chat

    config: Config = context.config
    chat = twitch_chat(
        config,
        channel=context.channel,
        shared_chat=context.options.shared_chat,
        on_role=context.on_role,
    )
    return SourceParts(chat, sink=chat, rewards=chat)  # Twitch echoes our own messages back


def check(context: SourceContext[TwitchOptions]) -> Checked:
    """What `botdeck check` finds: the secret, the token file, each account's token and
    its scopes, read as a run reads them (`readiness`)."""
    from botdeck.twitch.readiness import check_twitch
    from botdeck.twitch.tokens import TokenStore

    return check_twitch(context.config, TokenStore())


async def probe(context: SourceContext[TwitchOptions]) -> str:
    """`botdeck check --probe`, one line each: the application's login and the channel,
    asked of Twitch; then which bots follow the channel (followers-only mode holds the
    others), asked with the broadcaster's stored token."""
    from botdeck.twitch.follow_status import follow_lines
    from botdeck.twitch.readiness import probe_channel

    channel = await probe_channel(context.config)
    return "\n".join([channel, *await follow_lines(context.config)])


ADAPTER = SourceAdapter(TwitchOptions, build, check=check, probe=probe)
