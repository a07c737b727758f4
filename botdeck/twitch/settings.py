"""What a `TwitchChat` is given, and the words every Twitch module shares: the settings
and tokens it runs with, the OAuth scopes each kind of account must grant, and the setup
error that means "fix the config" (exit 2).

Plain data with no twitchio in it, so the token file, the logins and the chat adapter
agree on one definition of a token and of a scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from botdeck.chat.base import ChatSetupError
from botdeck.twitch.endpoints import Endpoints

READ_SCOPE = "user:read:chat"
WRITE_SCOPE = "user:write:chat"
BOT_SCOPE = "user:bot"
CHANNEL_BOT_SCOPE = "channel:bot"
MODERATED_SCOPE = "user:read:moderated_channels"  # lets a bot's moderator status be confirmed
FOLLOWERS_SCOPE = "moderator:read:followers"  # whether each bot follows (followers-only)
MODERATION_SCOPE = "moderation:read"  # how long a bot's timeout lasts; moderator removals
BOT_SCOPES = (READ_SCOPE, WRITE_SCOPE, BOT_SCOPE, MODERATED_SCOPE)
# The broadcaster reads best (it cannot be banned), and only it may say who follows and
# for how long a bot is timed out.
BROADCASTER_SCOPES = (CHANNEL_BOT_SCOPE, READ_SCOPE, FOLLOWERS_SCOPE, MODERATION_SCOPE)
BITS_SCOPE = "bits:read"
MANAGE_REDEMPTIONS_SCOPE = "channel:manage:redemptions"  # read, fulfil, refund, create
READ_REDEMPTIONS_SCOPE = "channel:read:redemptions"  # read only: enough to hear them
# The events only the broadcaster's token hears, and the scope `botdeck auth` asks for
# each (channel points: manage, since a question is fulfilled or refunded).
BROADCASTER_EVENT_SCOPES = {
    "follow": FOLLOWERS_SCOPE,
    "cheer": BITS_SCOPE,
    "redeem": MANAGE_REDEMPTIONS_SCOPE,
}
EVENT_NAMES = {"follow": "follows", "cheer": "cheers", "redeem": "channel points"}  # for people


def unauthorized(bot: str) -> str:
    return f"bot {bot} is not authorized: run `botdeck auth`"


class TwitchSetupError(ChatSetupError):
    """Twitch refused what the config asks for (unknown channel, rejected client): exit 2."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user's tokens; `origin` says where they came from ("store" or "env:VAR")."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    origin: str = "store"


@dataclass(frozen=True, slots=True)
class TwitchSettings:
    client_id: str
    client_secret: str = field(repr=False)
    channel: str  # the broadcaster's login
    bots: Mapping[str, Credentials | None]  # every configured bot; None: no token
    endpoints: Endpoints
    send_as: Literal["user", "app"]
    threaded_replies: bool
    shared_chat: Literal["ignore", "answer"]  # partner channels' lines
    retry_wait: float  # first wait before retrying what Twitch failed; doubles
    reconnect_wait: float  # the longest such wait (reading again, a send retry)
    broadcaster: Credentials | None = None  # the channel's own token (it reads best)
    # The broadcaster's events the config reacts to (`BROADCASTER_EVENT_SCOPES`' kinds).
    events: frozenset[str] = frozenset()
    reader_refusals: int = 2  # 401/403 answers to a reader's subscription before the next
    watch_interval: float = 0.1  # how often the sockets are looked at
    token_check_interval: float = 5.0  # how often a broken account's token file is re-read
    silence_grace: float = 2.0  # seconds past the keepalive timeout before a socket is dead
    role_check_interval: float = 300.0  # how often Get Moderated Channels is asked again
    follow_check_interval: float = 60.0  # followers-only: a bot that did not follow, again
    timeout_check_interval: float = 60.0  # a timed-out bot looked up again (lifted early?)
