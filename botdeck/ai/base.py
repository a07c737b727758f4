"""The responder interface: every way of writing a reply (a model, the offline one) fits it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority
from botdeck.model.stream import EventKind


@dataclass(frozen=True, slots=True)
class ReplyRequest:
    bot: str
    persona: str
    message: ChatMessage  # the line to answer
    history: tuple[ChatMessage, ...]  # recent channel lines before it, oldest first
    priority: Priority
    depth: int  # bot-to-bot depth of the reply
    also: tuple[ChatMessage, ...] = ()  # other viewers' lines this one reply answers too
    stream: str = ""  # the stream's game and title, one short line ("" when unknown)
    # A reaction to a channel event or a timer: what to write about (the configured
    # prompt with the event's fields), instead of answering `message`'s text.
    event: str | None = None
    event_kind: EventKind | None = None  # None with `event`: a timer

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        """Every line the reply answers: the trigger first, then the carried ones."""
        return (self.message, *self.also)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    tokens_in: int = 0
    tokens_out: int = 0


class Responder(Protocol):
    """Writes one reply. Raise `ResponderError` with a user-facing reason on failure, or
    `botdeck.core.jobs.JobSkipped` to decline on purpose (e.g. the token budget is spent).

    Responders subclass this explicitly, which gives them the default `notices` (none)."""

    @property
    def label(self) -> str:
        """What the dashboard shows as the responder: a model name or "offline"."""
        ...

    @property
    def notices(self) -> tuple[str, ...]:
        """Standing conditions worth a glance (the server unreachable, a budget spent)."""
        return ()

    async def reply(self, request: ReplyRequest) -> Reply: ...


class ResponderError(Exception):
    """No reply. `reason` is shown and journaled; tokens a failed request still cost count too.

    `transient`: the server is down, overloaded or rate limiting, so the same request may
    succeed later (the engine waits such an outage out); `retry_after`: what the server
    asked to wait; `fix`: for a setup problem no wait cures (a refused key, an unknown
    model, an empty account), one line saying what to change."""

    def __init__(
        self,
        reason: str,
        *,
        tokens_in: int = 0,
        tokens_out: int = 0,
        transient: bool = False,
        retry_after: float | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.transient = transient
        self.retry_after = retry_after
        self.fix = fix
