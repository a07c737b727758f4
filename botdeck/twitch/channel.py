"""The channel around the chat on Twitch: moderators' actions and chat settings.

Four EventSub subscriptions next to `channel.chat.message`, all covered by the reader's
`user:read:chat` (cost 0): `channel.chat.message_delete`, `channel.chat.clear_user_messages`
(bans and timeouts), `channel.chat.clear` and `channel.chat_settings.update`; and Get Chat
Settings (the app token may ask) when a subscription starts, since the modes may have
changed while botdeck was not listening. twitchio's payloads become botdeck's plain events.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import twitchio
from twitchio.eventsub import (
    ChatClearSubscription,
    ChatClearUserMessagesSubscription,
    ChatMessageDeleteSubscription,
    ChatSettingsUpdateSubscription,
)

from botdeck.chat.channel_events import SETTINGS_FIELDS, chat_settings
from botdeck.core.text import clean_text
from botdeck.model.channel import (
    ChatCleared,
    ChatEvent,
    ChatSettings,
    MessageDeleted,
    UserCleared,
)

log = logging.getLogger(__name__)

CHANNEL_SUBSCRIPTIONS = (
    ChatMessageDeleteSubscription,
    ChatClearUserMessagesSubscription,
    ChatClearSubscription,
    ChatSettingsUpdateSubscription,
)
# twitchio's event names for them (what `Client.add_listener` takes).
CHANNEL_EVENTS = (
    "event_message_delete",
    "event_chat_clear_user",
    "event_chat_clear",
    "event_chat_settings_update",
)
_ERRORS = (twitchio.HTTPException, aiohttp.ClientError, OSError, TimeoutError, KeyError, ValueError)


def _login(user: Any) -> str:
    return clean_text(getattr(user, "name", None) or "", max_chars=64).lower()


def settings_of(source: object) -> ChatSettings:
    """The chat settings from a twitchio object with Twitch's field names as attributes."""
    return chat_settings({name: getattr(source, name, None) for name in SETTINGS_FIELDS})


def channel_event(payload: Any) -> ChatEvent | None:
    """A twitchio payload of one of `CHANNEL_EVENTS` as a botdeck event (None: another)."""
    kind = getattr(payload, "subscription_type", "")
    if kind == "channel.chat.message_delete":
        return MessageDeleted(str(payload.message_id), user=_login(payload.user))
    if kind == "channel.chat.clear_user_messages":
        login = _login(payload.user)
        return UserCleared(login) if login else None
    if kind == "channel.chat.clear":
        return ChatCleared()
    if kind == "channel.chat_settings.update":
        return settings_of(payload)
    return None


async def subscribe_channel_events(
    client: twitchio.Client, channel_id: str, reader: str, socket_id: str
) -> None:
    """Subscribe to the channel's moderation and chat-settings events as `reader`, on the
    reader's socket; one that is refused is logged, and chat goes on without it."""
    for subscription in CHANNEL_SUBSCRIPTIONS:
        payload = subscription(broadcaster_user_id=channel_id, user_id=reader)
        await subscribe_one(client, payload, reader, socket_id)


async def subscribe_one(
    client: twitchio.Client, payload: Any, as_user: str, socket_id: str
) -> bool:
    """One subscription on botdeck's socket `socket_id` (never a socket twitchio would open
    itself); refused or failed: logged, False."""
    try:
        await client.subscribe_websocket(payload, token_for=as_user, socket_id=socket_id)
    except _ERRORS as error:
        log.warning("twitch: no %s events (%s)", payload.type, type(error).__name__)
        return False
    return True


async def fetch_chat_settings(broadcaster: twitchio.PartialUser) -> ChatSettings | None:
    """Get Chat Settings with the app token; None (logged) when Twitch does not answer."""
    try:
        return settings_of(await broadcaster.fetch_chat_settings())
    except _ERRORS as error:
        log.warning("twitch: chat settings not read (%s)", type(error).__name__)
        return None
