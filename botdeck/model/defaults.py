"""Numbers and lists more than one layer needs, each defined once.

The config's defaults, the send limiter's, the shaping of replies and the README all take
them from here (a test checks the README's copies).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from botdeck.model.chat import Role
from botdeck.model.jobs import Priority

TWITCH_MAX_CHARS = 500  # Twitch refuses longer chat messages
DEFAULT_MAX_REPLY_CHARS = 450  # room under Twitch's cap for "(again)" and @names

# Service bots whose lines are never answered (their commands' output is not conversation).
DEFAULT_IGNORED_USERS = (
    "nightbot",
    "streamelements",
    "streamlabs",
    "moobot",
    "fossabot",
    "wizebot",
    "soundalerts",
    "sery_bot",
    "commanderroot",
)

# Emote names known without the platform marking them (a chat log without emote tags,
# 7TV/BTTV/FFZ emotes Twitch does not mark): the best-known global ones, case-sensitive as
# Twitch's are. `[filters] emotes` adds a channel's own.
_EMOTE_NAMES = (
    "Kappa", "KappaPride", "Keepo", "PogChamp", "Pog", "POGGERS", "PogU", "POGGIES", "LUL",
    "LULW", "OMEGALUL", "KEKW", "Kreygasm", "BibleThump", "ResidentSleeper", "4Head",
    "DansGame", "SeemsGood", "NotLikeThis", "WutFace", "TriHard", "HeyGuys", "VoHiYo",
    "CoolStoryBob", "FailFish", "SMOrc", "BabyRage", "SwiftRage", "PJSalt", "MrDestructoid",
    "CoolCat", "BloodTrail", "HolidayCheer", "TwitchUnity", "Jebaited", "CurseLit",
    "monkaS", "monkaW", "monkaHmm", "PepeHands", "Sadge", "FeelsBadMan", "FeelsGoodMan",
    "FeelsStrongMan", "FeelsOkayMan", "PepeLaugh", "peepoHappy", "widepeepoHappy",
    "peepoSad", "catJAM", "pepeD", "pepeJAM", "PepePls", "Pepega", "WeirdChamp", "Kekw",
    "COPIUM", "Copium", "Clueless", "Aware", "ICANT", "Stare", "Susge", "EZ", "Clap",
    "GIGACHAD", "forsenE", "KomodoHype", "PopNemo", "GlitchCat",
)  # fmt: skip
COMMON_EMOTES = frozenset(_EMOTE_NAMES)

# Lines starting with one of these are chat commands (`!uptime`): not conversation.
DEFAULT_COMMAND_PREFIXES = ("!",)
DEFAULT_CONTROL_COMMAND = "!botdeck"  # moderators' commands to the bots from chat
DEFAULT_REMOVED_USER_QUIET = 600.0  # seconds a banned or timed-out user is not answered


@dataclass(frozen=True, slots=True)
class Cooldowns:
    """Seconds between replies that are not mentions (mentions have `per_user_cap`)."""

    per_user: float = 60.0  # between random replies to one viewer
    per_bot: float = 10.0  # between one bot's random replies
    global_: float = 0.0  # between any two random replies


# Seconds, [min, max], slept inside the job before it writes its reply.
DEFAULT_DELAYS: Mapping[Priority, tuple[float, float]] = {
    Priority.HIGH: (1.0, 3.0),
    Priority.NORMAL: (2.0, 5.0),
    Priority.LOW: (4.0, 8.0),
}


@dataclass(frozen=True, slots=True)
class SendLimits:
    """A chat account's send limits; the defaults are Twitch's (IRC-documented figures,
    assumed for Helix). Tests and rehearsals may shorten them."""

    window: float = 30.0
    viewer: int = 20  # messages per window for a viewer
    privileged: int = 100  # for vip, moderator, broadcaster
    spacing: float = 1.0  # seconds between a non-moderator's messages
    duplicate_window: float = 30.0  # a repeat of a recent own text within this is changed
    max_chars: int = TWITCH_MAX_CHARS

    def __post_init__(self) -> None:
        if not self.window > 0 or not math.isfinite(self.window):
            raise ValueError(f"window must be a positive number of seconds, got {self.window!r}")
        if self.viewer < 1 or self.privileged < 1:
            raise ValueError("messages per window must be >= 1")
        if self.spacing < 0 or self.duplicate_window < 0:
            raise ValueError("spacing and duplicate window must be >= 0 seconds")
        if not 20 <= self.max_chars <= TWITCH_MAX_CHARS:
            raise ValueError(f"max_chars must be within 20..{TWITCH_MAX_CHARS}")

    def per_window(self, role: Role) -> int:
        return self.privileged if role.privileged else self.viewer

    def spacing_for(self, role: Role) -> float:
        return 0.0 if role.moderates else self.spacing


TWITCH_SEND_LIMITS = SendLimits()


@dataclass(frozen=True, slots=True)
class SharedBucket:
    """Sends every account makes through one shared allowance (Twitch: a message sent
    with the app token costs a point of the app's Helix bucket, 800 a minute per client
    id, whichever bot it speaks for). `limit` keeps room for the app's other requests."""

    limit: int = 760  # of Helix's 800 points a minute: 40 left for Get Chat Settings & co
    window: float = 60.0

    def __post_init__(self) -> None:
        if self.limit < 1 or not self.window > 0 or not math.isfinite(self.window):
            raise ValueError("a shared bucket needs limit >= 1 and a positive window")


APP_SEND_BUCKET = SharedBucket()
