"""The stream going offline: the `stream.offline` subscription (no scope) and its event.

Small on purpose, for any part that follows the stream's state to reuse (the reader
subscribes it with the channel's other events). twitchio 3.3.2's model for it requires a
stream `id` that Twitch's event does not have, so the event is also read raw
(`sockets.SocketClient.on_raw`): either way it becomes one `StreamOffline`.
"""

from __future__ import annotations

from typing import Any

from twitchio.eventsub import StreamOfflineSubscription

from botdeck.model.live import StreamOffline

STREAM_OFFLINE = "stream.offline"
STREAM_OFFLINE_EVENT = "event_stream_offline"  # twitchio's, when its model reads it


def stream_offline_subscription(channel_id: str) -> Any:
    """The subscription, for `channel.subscribe_one` on the reader's socket."""
    return StreamOfflineSubscription(broadcaster_user_id=channel_id)


def offline_from_raw(event: dict[str, Any], channel_id: str) -> StreamOffline | None:
    """The raw `stream.offline` event, if it is our channel's."""
    return StreamOffline() if event.get("broadcaster_user_id") == channel_id else None


def offline_from_payload(payload: Any, channel_id: str) -> StreamOffline | None:
    """twitchio's `StreamOffline`, if it is our channel's."""
    broadcaster = getattr(payload, "broadcaster", None)
    return StreamOffline() if getattr(broadcaster, "id", None) == channel_id else None
