"""What every chat source and sink speaks: messages in, replies out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from botdeck.core.metrics import ConnectionState, SendBudget


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat line. `text` is already cleaned (see `botdeck.core.text.clean_text`).

    `depth` counts bot-to-bot hops: 0 for a viewer, n for a bot reply n hops from a viewer.
    """

    id: str
    user: str  # the sender's login, lower case
    text: str
    timestamp: float  # Unix seconds
    display_name: str = ""
    mentions: tuple[str, ...] = ()  # logins the source saw mentioned (e.g. Twitch fragments)
    is_bot: bool = False  # sent by one of our bots
    depth: int = 0

    @property
    def author(self) -> str:
        return self.display_name or self.user


class ChatSource(Protocol):
    """An async iterator of chat lines. Finite sources (a scenario, a replay) end.

    `connection` says how the source is doing, for the dashboard's header.
    """

    @property
    def connection(self) -> ConnectionState: ...

    def __aiter__(self) -> AsyncIterator[ChatMessage]: ...


class ChatSink(Protocol):
    """Sends a bot's reply into the channel as that bot; returns the new message's id."""

    # True when the sink's channel delivers our own messages back through the source
    # (Twitch). Otherwise the router feeds each sent reply back into the chat itself.
    echoes: bool

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str: ...


class SendLimiter(Protocol):
    """Keeps a bot account within the platform's send limits (part of a job's send phase).

    `acquire` waits until `bot` may send `text`, reserves that send and returns the text to
    send, which may be changed (e.g. to avoid a duplicate of the bot's previous message);
    while it waits it tells `on_wait` the loop time it expects to send at, then None.
    Every acquire is settled by exactly one of `sent` (the message went out, or may have:
    a failed send counts too) or `release` (it certainly did not). `budget` describes the
    bot's current window.
    """

    async def acquire(
        self, bot: str, text: str, *, on_wait: Callable[[float | None], None] | None = None
    ) -> str: ...

    def sent(self, bot: str, text: str) -> None: ...

    def release(self, bot: str, text: str) -> None: ...

    def budget(self, bot: str) -> SendBudget: ...

    def send_times(self, bot: str, count: int) -> list[float]:
        """When `bot`'s next `count` messages could go out at the earliest (loop times),
        if each used the first free slot; what raid mode forecasts a backlog with."""
        ...


@runtime_checkable
class Lifecycle(Protocol):
    """A source or sink that holds connections: started before the run, closed after it."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class SetupError(Exception):
    """A source or sink refused its setup (an unknown channel, a refused client): the run
    cannot start. The engine reports it like bad config (exit 2)."""


class SendError(Exception):
    """The channel refused a message; `reason` is what the platform said.

    `retry_after` (seconds) says the refusal is worth another attempt after that wait (a
    rate limit, the platform briefly unreachable); the router makes it, through the send
    limiter like any other send. None: retrying would not help.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
