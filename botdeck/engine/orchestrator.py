"""Who answers what: from one chat line to zero or more reply plans. Pure decision code.

Rules (all randomness comes from the injected RNG, so a seed replays a session exactly):
- a line from an ignored user (service bots such as Nightbot) gets nothing;
- a chat command (a line starting with one of `command_prefixes`, `!uptime`) is never
  answered by chance, and a mention inside one only with `answer_commands`;
- every bot mentioned in a viewer's line (case-insensitive, with or without `@`) gets a
  HIGH plan, each bot once, in order of first mention;
- a viewer line without mentions gets, with probability `random_reply_chance`, one NORMAL
  plan for a bot picked at random among those that may speak (a chat mode may hold some);
- a line from one of our bots at depth d may be answered only while d < max_depth: the
  other bots it mentions get LOW plans, and without mentions one other bot may chime in
  (same chance). A bot never answers itself.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from botdeck.core.mentions import MentionFinder
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority


@dataclass(frozen=True, slots=True)
class OrchestratorSettings:
    """`[router]`'s decisions, all given (the config schema holds the defaults)."""

    random_reply_chance: float
    max_depth: int
    ignore_users: frozenset[str]
    delays: Mapping[Priority, tuple[float, float]]
    command_prefixes: tuple[str, ...]
    answer_commands: bool

    def delay_range(self, priority: Priority) -> tuple[float, float]:
        return self.delays[priority]


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    bot: str
    priority: Priority
    delay: float
    depth: int  # the depth the reply will have
    chance: bool = False  # picked by chance (not a mention): subject to cooldowns


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

    @property
    def max_depth(self) -> int:
        return self._settings.max_depth

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

    def is_command(self, message: ChatMessage) -> bool:
        """A chat command for some bot or the channel (`!uptime`), not conversation."""
        prefixes = self._settings.command_prefixes
        return bool(prefixes) and message.text.startswith(prefixes)

    def plan(
        self, message: ChatMessage, speakers: Collection[str] | None = None
    ) -> list[ReplyPlan]:
        """Who answers this line. `speakers`: the bots a random reply may go to (all when
        None); a mentioned bot answers whether or not it may speak now (it waits)."""
        author = message.user.lower()
        if author in self._settings.ignore_users or not message.text:
            return []
        command = self.is_command(message)
        if command and not self._settings.answer_commands:
            return []
        pool = self._bots if speakers is None else [b for b in self._bots if b in speakers]
        if author in self._bots:
            return self._plan_bot_line(message, author, pool, command)
        mentioned = self.mentioned_bots(message)
        if mentioned:
            return [self._make(bot, Priority.HIGH, 1) for bot in mentioned]
        if not command and pool and self._chance():
            return [self._make(self._rng.choice(pool), Priority.NORMAL, 1, chance=True)]
        return []

    def _plan_bot_line(
        self, message: ChatMessage, author: str, pool: Sequence[str], command: bool
    ) -> list[ReplyPlan]:
        depth = message.depth + 1
        if depth > self._settings.max_depth:
            return []
        others = [bot for bot in self.mentioned_bots(message) if bot != author]
        if others:
            return [self._make(bot, Priority.LOW, depth) for bot in others]
        candidates = [bot for bot in pool if bot != author]
        if not command and candidates and self._chance():
            return [self._make(self._rng.choice(candidates), Priority.LOW, depth, chance=True)]
        return []

    def mention_plan(self, bot: str) -> ReplyPlan:
        """A viewer's mention of `bot` (a previous run's, taken over after a restart)."""
        return self._make(bot, Priority.HIGH, 1)

    def delay(self, priority: Priority) -> float:
        """A reply delay at this priority (reactions and timers draw theirs here too)."""
        low, high = self._settings.delay_range(priority)
        return self._rng.uniform(low, high)

    def _chance(self) -> bool:
        return self._rng.random() < self._settings.random_reply_chance

    def _make(self, bot: str, priority: Priority, depth: int, chance: bool = False) -> ReplyPlan:
        return ReplyPlan(bot, priority, self.delay(priority), depth, chance)
