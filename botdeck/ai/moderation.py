"""Moderation: what a moderator answers about a text, whoever runs it.

A verdict is flagged or not, with the categories that flagged it (for the log). When the
moderator cannot answer, `ModerationUnavailable` says why: the safety gate then fails
closed, because "we could not check" must never mean "send it anyway". A responder
adapter that can moderate builds one (OpenAI's `/moderations`:
`botdeck.ai.openai_moderation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ModerationVerdict:
    flagged: bool
    categories: tuple[str, ...] = ()


class ModerationUnavailable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Moderator(Protocol):
    async def check(self, text: str) -> ModerationVerdict:
        """The verdict, or `ModerationUnavailable` saying why there is none."""
        ...
