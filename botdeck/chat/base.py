"""What every chat source and sink speaks: messages in, replies out.

Sources and sinks subclass these protocols explicitly, so the parts they do not need
(connecting, notices) have working defaults and the engine never asks `isinstance`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from botdeck.model.channel import ChatEvent
from botdeck.model.chat import ConnectionState
from botdeck.model.stream import RedemptionStatus, Reward


class ChatSource(Protocol):
    """An async iterator of chat events: lines (`ChatMessage`), moderators' actions and
    the channel's chat settings (`botdeck.model.channel`). Finite sources (a scenario, a
    replay) end.

    `connection` says how the source is doing, for the dashboard's header; `notices` are
    standing conditions worth a glance. A source that holds connections opens them in
    `start` (before the run, so a refusal stops it at once) and releases them in `close`.
    """

    @property
    def connection(self) -> ConnectionState: ...

    @property
    def notices(self) -> tuple[str, ...]:
        return ()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def undelivered(self) -> tuple[ChatEvent, ...]:
        """After `close`: what the source had not delivered yet (a reading gap that ended
        with the run), for the engine to take before its journal closes."""
        return ()

    def stop_playing(self) -> None:
        """The router drains: a finite source (a replay, a scenario) plays no more lines,
        which could only be refused, and ends. Live chat is the channel's: it goes on."""
        return None

    def __aiter__(self) -> AsyncIterator[ChatEvent]: ...


class ChatSink(Protocol):
    """Sends a bot's reply into the channel as that bot; returns the new message's id."""

    # True when the sink's channel delivers our own messages back through the source
    # (Twitch). Otherwise the engine feeds each sent reply back into the chat itself.
    echoes: bool

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str: ...


class RewardDesk(Protocol):
    """Where a channel-point redemption's fate is told to the platform (Twitch: Update
    Redemption Status; CANCELED refunds the points). A source with channel points brings
    one (`SourceParts.rewards`)."""

    async def settle(self, redemption: str, reward: Reward, status: RedemptionStatus) -> str | None:
        """Mark the redemption; None once done, else why it could not be (one line: a
        reward botdeck did not create, the platform unreachable). Never raises."""
        ...


class SendError(Exception):
    """The channel refused a message; `reason` is what the platform said.

    `retry_after` (seconds) says the refusal is worth another attempt after that wait (a
    rate limit, the platform briefly unreachable); the engine makes it, through the send
    limiter like any other send. None: retrying would not help. `removed`: the platform
    refuses this bot itself (banned or timed out): the engine pauses the bot and its
    replies wait, as when it sees the moderator's action (which it may have missed).
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, removed: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.removed = removed


class SendHeld(SendError):
    """The platform took the message but holds it for the channel's moderators (Twitch's
    AutoMod): not in chat, not failed. The source later delivers their verdict
    (`model.live.AutoModVerdict`)."""


class ChatSetupError(Exception):
    """The platform refused what the settings ask for (an unknown channel, a rejected
    client): one line naming the setting; the engine reports it as bad config (exit 2)."""
