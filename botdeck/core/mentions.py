"""Which of our bots a chat line names: the rule the orchestrator decides by, shared with
the chat sources so they can look at a whole line before it is cut for display.

A mention is the whole login, case-insensitive, with or without `@`; neither side may
touch a word character, and "foo@bot" (an address) is not one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class MentionFinder:
    """Finds our bots' logins in a line, each once, in order of first mention."""

    def __init__(self, bots: Iterable[str]) -> None:
        self._bots = tuple(dict.fromkeys(bot.lower() for bot in bots))
        names = "|".join(sorted((re.escape(bot) for bot in self._bots), key=len, reverse=True))
        self._pattern = (
            re.compile(rf"(?:(?<![\w@])@|(?<![\w@]))({names})(?![\w])", re.IGNORECASE)
            if self._bots
            else None
        )

    def find(self, text: str) -> list[str]:
        if self._pattern is None:
            return []
        found: list[str] = []
        for match in self._pattern.finditer(text):
            name = match.group(1).lower()
            if name not in found:
                found.append(name)
        return found
