"""The channel's events a 4-hour stream needs besides chat: shared chat sessions and a
moderator's status taken away, with the subscriptions that bring them.

`channel.shared_chat.begin/update/end` need no scope: the reader subscribes them on its
socket. `channel.moderator.remove` needs `moderation:read` from the broadcaster, and a
websocket takes one user's subscriptions only, so it is subscribed where it can be: when
the broadcaster reads (Get Moderated Channels on a schedule covers the rest, `roles`).
Payloads become botdeck's events; a chat line whose twitchio model failed (an older
payload without `channel_points_animation_id`) is read again with the missing optional
fields filled in.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, cast

import twitchio
from twitchio.eventsub import (
    ChannelModeratorRemoveSubscription,
    SharedChatSessionBeginSubscription,
    SharedChatSessionEndSubscription,
    SharedChatSessionUpdateSubscription,
)
from twitchio.models.eventsub_ import ChatMessage as TwitchioChatMessage

from botdeck.core.text import clean_text
from botdeck.model.live import SharedChat
from botdeck.twitch.channel import subscribe_one
from botdeck.twitch.stream import stream_offline_subscription

log = logging.getLogger(__name__)

SHARED_CHAT_SUBSCRIPTIONS = (
    SharedChatSessionBeginSubscription,
    SharedChatSessionUpdateSubscription,
    SharedChatSessionEndSubscription,
)
SHARED_CHAT_EVENTS = (
    "event_shared_chat_begin",
    "event_shared_chat_update",
    "event_shared_chat_end",
)
MODERATOR_REMOVE = ChannelModeratorRemoveSubscription
MODERATOR_REMOVE_EVENT = "event_moderator_remove"
MODERATION_READ = "moderation:read"

# A chat message's fields twitchio requires that Twitch may leave out, and what they mean
# when absent.
_CHAT_DEFAULTS: dict[str, Any] = {
    "color": "",
    "channel_points_custom_reward_id": None,
    "channel_points_animation_id": None,
    "reply": None,
    "message_type": "text",
    "cheer": None,
    "badges": [],
    "source_broadcaster_user_id": None,
    "source_broadcaster_user_login": None,
    "source_broadcaster_user_name": None,
}


def _login(user: Any) -> str:
    return clean_text(getattr(user, "name", None) or "", max_chars=64).lower()


def shared_chat(payload: Any, channel_id: str) -> SharedChat | None:
    """A shared chat payload as the partner channels now (none: the session ended)."""
    if getattr(getattr(payload, "broadcaster", None), "id", None) != channel_id:
        return None
    if getattr(payload, "subscription_type", "") == "channel.shared_chat.end":
        return SharedChat(())
    partners = [
        _login(user)
        for user in getattr(payload, "participants", None) or ()
        if getattr(user, "id", None) != channel_id
    ]
    return SharedChat(tuple(dict.fromkeys(login for login in partners if login)))


def removed_moderator(payload: Any, channel_id: str) -> str | None:
    """The login whose moderator status was taken away in our channel."""
    if getattr(getattr(payload, "broadcaster", None), "id", None) != channel_id:
        return None
    return _login(getattr(payload, "user", None)) or None


def repaired_chat(event: dict[str, Any], http: Any) -> Any:
    """twitchio's chat message from a raw event it could not read, its missing optional
    fields filled in; a required one missing (the text, the chatter) raises KeyError."""
    filled = {**_CHAT_DEFAULTS, **event}
    for name in ("message_id", "message", "chatter_user_id", "broadcaster_user_id"):
        if name not in event:
            raise KeyError(name)
    return TwitchioChatMessage(cast(Any, filled), http=http)


async def subscribe_live_events(
    client: twitchio.Client,
    channel_id: str,
    reader: str,
    socket_id: str,
    *,
    broadcaster: Collection[str] | bool = False,
) -> None:
    """Shared chat and the stream going offline on the reader's socket; with the
    broadcaster reading (`broadcaster`: its scopes), its moderators removed too."""
    for subscription in SHARED_CHAT_SUBSCRIPTIONS:
        await subscribe_one(client, subscription(broadcaster_user_id=channel_id), reader, socket_id)
    await subscribe_one(client, stream_offline_subscription(channel_id), reader, socket_id)
    if isinstance(broadcaster, Collection) and MODERATION_READ in broadcaster:
        await subscribe_one(
            client, MODERATOR_REMOVE(broadcaster_user_id=channel_id), reader, socket_id
        )
