"""The engine's event stream: what observers (the journal, the dashboard, a test) hear.

One listener type for everything, `Callable[[EngineEvent], None]`, subscribed with
`Engine.subscribe`. Events are delivered synchronously, in order, on the engine's loop;
a listener must not block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import JobStage, JobView, RouterState


@dataclass(frozen=True, slots=True)
class ChatSeen:
    """A chat line the engine accepted (a viewer's, or one of our bots' replies)."""

    message: ChatMessage


@dataclass(frozen=True, slots=True)
class JobChanged:
    """A reply job was enqueued, started or finished (`job.outcome` says how)."""

    stage: JobStage
    job: JobView


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The router's state changed; `by` names who did it when not the operator at the
    terminal (a moderator's login, for a chat command)."""

    state: RouterState
    by: str | None = None


EngineEvent = ChatSeen | JobChanged | StateChanged
Listener = Callable[[EngineEvent], None]
