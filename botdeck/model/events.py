"""The engine's event stream: what observers (the journal, the dashboard, a test) hear.

One listener type for everything, `Callable[[EngineEvent], None]`, subscribed with
`Engine.subscribe`. Events are delivered synchronously, in order, on the engine's loop;
a listener must not block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from botdeck.model.channel import ChatSettings
from botdeck.model.chat import ChatMessage
from botdeck.model.faults import Fault
from botdeck.model.jobs import JobStage, JobView, RouterState
from botdeck.model.live import ReadingGap, SharedChat
from botdeck.model.review import OPERATOR, Verdict
from botdeck.model.stream import ChannelEvent, RedemptionStatus


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
    terminal (a moderator's login, for a chat command), and `command` the chat command.
    A chat command that changes nothing is reported too, with the state unchanged."""

    state: RouterState
    by: str | None = None
    command: str | None = None


@dataclass(frozen=True, slots=True)
class Reviewed:
    """A reply held for review was decided; `text` is the edited text (only when edited)."""

    job: JobView
    verdict: Verdict
    by: str = OPERATOR
    text: str | None = None


@dataclass(frozen=True, slots=True)
class BotChanged:
    """A bot was paused, resumed, muted, unmuted, or its review mode switched (the
    dashboard redraws its card at once rather than at the next poll)."""

    bot: str


class ModerationAction(StrEnum):
    """What a moderator did (the journal's `moderation` events carry it as `action`)."""

    DELETE = "delete"  # one line deleted
    CLEAR_USER = "clear_user"  # a user banned or timed out: their lines removed
    CLEAR = "clear"  # the whole chat cleared


@dataclass(frozen=True, slots=True)
class ModerationSeen:
    """A moderator deleted a line (`msg`), removed a user (`user`) or cleared the chat.

    `ended` counts the unsent replies that ended because of it; `known` is False when
    botdeck had never seen the line or the user (then nothing changed). Never the text.
    """

    action: ModerationAction
    msg: str | None = None
    user: str | None = None
    ended: int = 0
    known: bool = True


@dataclass(frozen=True, slots=True)
class ChatModeChanged:
    """The channel's chat modes changed; `held` maps each bot that cannot talk now to why."""

    settings: ChatSettings
    held: dict[str, str]


class AIState(StrEnum):
    DOWN = "down"  # replies wait the outage out
    UP = "up"  # back after an outage
    REFUSED = "refused"  # the server answers but refuses the setup (the key, the model)


@dataclass(frozen=True, slots=True)
class AIAvailability:
    """The AI server went down, came back (after `down_for` seconds), or refused the setup
    (`reason` says what to fix, e.g. the key). For the dashboard and the log; the journal
    does not record it."""

    state: AIState
    reason: str
    down_for: float = 0.0

    def describe(self) -> str:
        match self.state:
            case AIState.DOWN:
                return f"AI down: {self.reason}"
            case AIState.UP:
                return f"AI back after {self.down_for:.0f} s"
            case AIState.REFUSED:
                return f"AI refused: {self.reason}"
            case _:
                assert_never(self.state)


@dataclass(frozen=True, slots=True)
class ChannelEventSeen:
    """A channel event the engine took (a resend of one it had is not heard again): a
    raid, a sub, a redemption, the stream going live, one it could not read, ..."""

    event: ChannelEvent


@dataclass(frozen=True, slots=True)
class RedemptionSettled:
    """A channel-point redemption's fate, decided by its answer's outcome: FULFILLED
    when sent, CANCELED (points refunded) otherwise. `unapplied` says why the platform
    was not told (a reward botdeck did not create, the platform unreachable, a test)."""

    redemption: str
    status: RedemptionStatus
    job: int
    unapplied: str | None = None


@dataclass(frozen=True, slots=True)
class AutoModHeld:
    """AutoMod holds a reply the platform took (`text`, as sent): the job waits for the
    channel's moderators, out of the queue and the limits, until `AutoModVerdict`."""

    job: JobView
    text: str


@dataclass(frozen=True, slots=True)
class FaultSeen:
    """A drill injected a fault (`botdeck.chaos`): journaled as `fault`, dated from its
    start, and shown while it lasts."""

    fault: Fault


EngineEvent = (
    ChatSeen
    | JobChanged
    | StateChanged
    | ModerationSeen
    | ChatModeChanged
    | Reviewed
    | BotChanged
    | AIAvailability
    | ChannelEventSeen
    | RedemptionSettled
    | AutoModHeld
    | ReadingGap
    | SharedChat
    | FaultSeen
)
Listener = Callable[[EngineEvent], None]
