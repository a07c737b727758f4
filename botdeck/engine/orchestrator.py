"""Who answers what: from one chat line to zero or more reply plans. Pure decision code.

Rules (all randomness comes from the injected RNG, so a seed replays a session exactly):
- a line from an ignored user (service bots such as Nightbot) gets nothing;
- every bot mentioned in a viewer's line (case-insensitive, with or without `@`) gets a
  HIGH plan, each bot once, in order of first mention;
- a viewer line without mentions gets, with probability `random_reply_chance`, one NORMAL
  plan for a bot picked at random;
- a line from one of our bots at depth d may be answered only while d < max_depth: the
  other bots it mentions get LOW plans, and without mentions one other bot may chime in
  (same chance). A bot never answers itself.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from botdeck.core.mentions import MentionFinder
from botdeck.model.chat import ChatMessage
from botdeck.model.defaults import DEFAULT_DELAYS, DEFAULT_IGNORED_USERS
from botdeck.model.jobs import Priority


@dataclass(frozen=True, slots=True)
class OrchestratorSettings:
    random_reply_chance: float = 0.25
    max_depth: int = 2
    ignore_users: frozenset[str] = frozenset(DEFAULT_IGNORED_USERS)
    delays: Mapping[Priority, tuple[float, float]] | None = None

    def delay_range(self, priority: Priority) -> tuple[float, float]:
        if self.delays is not None and priority in self.delays:
            return self.delays[priority]
        return DEFAULT_DELAYS[priority]


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    bot: str
    priority: Priority
    delay: float
    depth: int  # the depth the reply will have


class Orchestrator:
    def __init__(
        self, bots: Sequence[str], settings: OrchestratorSettings, rng: random.Random
    ) -> None:
        if not bots:
            raise ValueError("the orchestrator needs at least one bot")
        self._bots = tuple(bot.lower() for bot in bots)
        self._settings = settings
        self._rng = rng
        self._mentions = MentionFinder(self._bots)

    @property
    def bots(self) -> tuple[str, ...]:
        return self._bots

    def is_bot(self, user: str) -> bool:
        return user.lower() in self._bots

    def mentioned_bots(self, message: ChatMessage) -> list[str]:
        """Our bots named in the line, each once, in order of first mention. The source's
        mentions count too: Twitch's fragments, and those past a display cut."""
        found = self._mentions.find(message.text)
        for name in message.mentions:
            name = name.lower()
            if name in self._bots and name not in found:
                found.append(name)
        return found

    def plan(self, message: ChatMessage) -> list[ReplyPlan]:
        author = message.user.lower()
        if author in self._settings.ignore_users or not message.text:
            return []
        if author in self._bots:
            return self._plan_bot_line(message, author)
        mentioned = self.mentioned_bots(message)
        if mentioned:
            return [self._make(bot, Priority.HIGH, 1) for bot in mentioned]
        if self._chance():
            return [self._make(self._rng.choice(self._bots), Priority.NORMAL, 1)]
        return []

    def _plan_bot_line(self, message: ChatMessage, author: str) -> list[ReplyPlan]:
        depth = message.depth + 1
        if depth > self._settings.max_depth:
            return []
        others = [bot for bot in self.mentioned_bots(message) if bot != author]
        if others:
            return [self._make(bot, Priority.LOW, depth) for bot in others]
        candidates = [bot for bot in self._bots if bot != author]
        if candidates and self._chance():
            return [self._make(self._rng.choice(candidates), Priority.LOW, depth)]
        return []

    def _chance(self) -> bool:
        return self._rng.random() < self._settings.random_reply_chance

    def _make(self, bot: str, priority: Priority, depth: int) -> ReplyPlan:
        low, high = self._settings.delay_range(priority)
        return ReplyPlan(bot, priority, self._rng.uniform(low, high), depth)
