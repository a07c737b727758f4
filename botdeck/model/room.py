"""Reading the room: which lines a random reply passes up and why, who each bot talks to,
and how much of the chat the bots' own lines are.

Plain data for the engine (`botdeck.engine.room` decides), the dashboard and the summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

SHARE_MINUTES = 5  # the bots' share of chat is measured over the last five minutes
SHARE_WINDOW = SHARE_MINUTES * 60.0  # seconds


class PassKind(StrEnum):
    """Why a bot passed up a random or bot-to-bot reply it had drawn (or, for `AUDIENCE`,
    a mention from outside its audience)."""

    EMOTES = "emotes"  # the line is only emotes
    SHORT = "short"  # fewer words of text than `min_words`
    COPYPASTA = "copypasta"  # the same or near-same line from several viewers just now
    REPEATS = "repeats"  # mostly one word over and over
    SHARE = "share"  # the bots' random replies would pass `chat_share` of the chat
    AUDIENCE = "audience"  # a mention from a viewer outside the bot's `audience`
    SHARED_CHAT = "shared_chat"  # a shared chat session: it would reach other channels

    @property
    def words(self) -> str:
        """How the headless summary and the log say it."""
        match self:
            case PassKind.EMOTES:
                return "emote-only"
            case PassKind.SHORT:
                return "short"
            case PassKind.COPYPASTA:
                return "copypasta"
            case PassKind.REPEATS:
                return "repeated word"
            case PassKind.SHARE:
                return "over chat share"
            case PassKind.AUDIENCE:
                return "outside audience"
            case PassKind.SHARED_CHAT:
                return "in shared chat"
            case _:
                assert_never(self)


class Audience(StrEnum):
    """Who a bot answers by chance, from the badges on the viewer's line. Each level
    includes those above it: `subscribers` also answers VIPs, moderators and the
    broadcaster. Twitch shows no badge for following, so `followers` are the subscribers
    and up, plus everyone who talks while the channel is in followers-only mode."""

    EVERYONE = "everyone"
    FOLLOWERS = "followers"
    SUBSCRIBERS = "subscribers"
    VIPS = "vips"
    MODERATORS = "moderators"

    def admits(self, badges: Iterable[str], followers_only: bool = False) -> bool:
        found = set(badges)
        moderator = bool(found & {"broadcaster", "moderator", "lead_moderator"})
        vip = moderator or "vip" in found
        subscriber = vip or bool(found & {"subscriber", "founder"})
        match self:
            case Audience.EVERYONE:
                return True
            case Audience.FOLLOWERS:
                return subscriber or followers_only
            case Audience.SUBSCRIBERS:
                return subscriber
            case Audience.VIPS:
                return vip
            case Audience.MODERATORS:
                return moderator
            case _:
                assert_never(self)


@dataclass(frozen=True, slots=True)
class RoomSnapshot:
    """The bots' place in the chat over the last `SHARE_WINDOW` seconds, and the whole
    run's passes per bot."""

    lines: int = 0  # chat lines in the window, the bots' own included
    bot_lines: int = 0  # of those, our bots' lines
    viewer_lines: int = 0  # of those, everyone else's
    chance_replies: int = 0  # random and bot-to-bot replies the bots took in the window
    limit: float | None = None  # `chat_share`; None: no limit
    passes: Mapping[str, Mapping[PassKind, int]] = field(default_factory=dict)
    # the whole run: chat lines, the bots' lines, random and bot-to-bot replies taken
    total_lines: int = 0
    total_bot_lines: int = 0
    total_chance_replies: int = 0

    @property
    def share(self) -> float:
        """The bots' lines as a part of all chat lines in the window."""
        return self.bot_lines / self.lines if self.lines else 0.0

    @property
    def chance_share(self) -> float:
        """Random and bot-to-bot replies against the viewers' lines in the window: what
        `chat_share` bounds."""
        return self.chance_replies / self.viewer_lines if self.viewer_lines else 0.0

    def passed(self, bot: str) -> Mapping[PassKind, int]:
        return self.passes.get(bot, {})


def describe_passes(passes: Mapping[PassKind, int]) -> str:
    """`emote-only 41, copypasta 12`, the most first (the summary's words)."""
    ranked = sorted(passes.items(), key=lambda item: (-item[1], list(PassKind).index(item[0])))
    return ", ".join(f"{kind.words} {count}" for kind, count in ranked if count)
