"""Review mode's words: a reply held for the operator, and what was decided about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What the operator (or the review timeout) decided about a reply held for review."""

    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"


OPERATOR = "operator"  # `by` of a decision made at the console
TIMEOUT = "timeout"  # `by` of a decision `[review] on_timeout` made when nobody answered
QUIT = "quit"  # `by` of `on_timeout`'s decision taken at once: the operator is quitting
HEADLESS = "headless"  # `by` of `on_timeout`'s decision in a run with no console at all
REVIEW_OFF = "review_off"  # `by` of the approval of a reply held when its review was turned off


@dataclass(frozen=True, slots=True)
class PendingReview:
    """A written reply waiting for a verdict, as the console shows it."""

    job: int
    bot: str
    viewer: str  # who it answers (the author of the line), or "" for a bot's line
    line: str  # the chat line it answers
    text: str  # the reply, shaped and past the safety gate, exactly as it would be sent
    seconds_left: float  # until `on_timeout` decides
    on_timeout: Verdict  # approved ("send") or rejected ("reject")
    note: str | None = None  # why the last edit was not taken (the safety gate said no)
