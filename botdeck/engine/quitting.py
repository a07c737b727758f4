"""Quitting: every way of asking (a key, a signal, a closed terminal) drains first, and a
second request stops at once.

A streamer who presses ctrl+c, closes the terminal or has the process manager send
SIGTERM means "I am done", not "throw away the queued replies": so the first request of
any kind is a graceful drain, and only a second one (they mean it) is an emergency stop.
Replies held for review get `[review] on_timeout`'s verdict at once: nobody will be at the
console to decide them.
The dashboard and the headless runner both count requests here, so they cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import assert_never

from botdeck.engine.engine import Engine
from botdeck.model.jobs import RouterState
from botdeck.model.journal import Reason
from botdeck.model.review import QUIT


class QuitStep(Enum):
    DRAINING = "draining"  # the first request: finishing what is queued, then quitting
    STOPPED = "stopped"  # a second request: everything unsent was cancelled
    ENDED = "ended"  # nothing left to finish: quit now


@dataclass(frozen=True, slots=True)
class QuitResult:
    step: QuitStep
    how: str  # what asked: "q", "ctrl+c", "SIGTERM", ...
    cancelled: int = 0  # replies a stop cancelled
    left: int = 0  # replies still to finish while draining
    key: bool = False  # `how` is a key (then the toast says "press ... again")

    def describe(self) -> str:
        """One line for a toast, the log and the terminal after the dashboard closes."""
        match self.step:
            case QuitStep.STOPPED:
                cancelled = self.cancelled
                return f"{self.how} again: stopped at once, {cancelled} unsent replies cancelled"
            case QuitStep.DRAINING:
                again = f"press {self.how} again" if self.key else f"{self.how} again"
                return (
                    f"{self.how}: draining before quitting ({self.left} replies left);"
                    f" {again} to stop at once"
                )
            case QuitStep.ENDED:
                return f"{self.how}: quitting"
            case _:
                assert_never(self.step)


class QuitRequests:
    """Counts quit requests for one engine; see the module docstring."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.requested = False  # a drain to quit is under way (or done)

    def request(self, how: str, *, key: bool = False) -> QuitResult:
        """`how`: what asked (a key's name, a signal's); `key`: it was a key."""
        engine = self._engine
        if engine.state.ended:
            return QuitResult(QuitStep.ENDED, how, key=key)
        if self.requested:
            cancelled = engine.stop(Reason.STOPPED)
            return QuitResult(QuitStep.STOPPED, how, cancelled=cancelled, key=key)
        self.requested = True
        engine.settle_reviews(QUIT)  # nobody will be at the console to approve replies
        engine.drain()  # when idle this is drained at once
        if engine.state is RouterState.DRAINED:
            return QuitResult(QuitStep.ENDED, how, key=key)
        queues = engine.snapshot().queues
        return QuitResult(QuitStep.DRAINING, how, left=queues.size + queues.pending, key=key)

    def reset(self) -> None:
        """The operator started the router again: the next request drains again."""
        self.requested = False
        self._engine.reopen_reviews()
