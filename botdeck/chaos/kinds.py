"""Every kind of fault a plan may name: one registry entry each.

An entry says everything about its kind: its keys in the plan (a strict pydantic model:
an unknown key is refused), whether and how long it lasts, what it holds while it lasts
(two faults holding the same thing at once cannot both be: the AI server is not down and
slow at once), its words for the screen and the report, the options a random fault of
it gets, and what it does to the world when it begins and ends (`chaos.world`). Adding
a kind is adding an entry to `KINDS`; the plan reader, the random faults, the drill and
the report need no change.

Two kinds are to come with the live channel's work (issue 22), each one entry here:
`automod_hold` (sends held by AutoMod: `FaultySink` raises `SendHeld`, the moderators'
verdict follows as `AutoModVerdict`), and `reading_lost` delivering `ReadingGap` when it
ends (journaled `reading_gap`), so a blind spot is in the journal besides the fault.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from botdeck.chaos.world import (
    BLIND,
    FAILING_OVER,
    NO_FAILOVER,
    AIOutage,
    SendFailure,
    World,
)
from botdeck.model.channel import UserCleared
from botdeck.model.faults import FaultEdge


class Lasting(Enum):
    LASTS = "lasts"  # `for` seconds (its default when not given)
    MAY_LAST = "may_last"  # `for` seconds, or without it for the rest of the night
    INSTANT = "instant"  # no `for`: it happens (its effects may take a while: `span`)


class Options(BaseModel):
    """A kind's keys in the plan besides `kind`, `at` and `for`."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BotOptions(Options):
    bot: str | None = Field(None, min_length=1, max_length=25)  # None: the kind's default


@dataclass(frozen=True, slots=True)
class Begun:
    """What a beginning fault is handed: the world, its options, how long it lasts (None:
    no end planned), the bot it concerns (`bot` resolved), and a key of its own."""

    world: World
    options: Any
    duration: float | None
    bot: str | None
    key: object


Holds = tuple[tuple[str, float | None], ...]  # (what, for how long from `at`; None: on)


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of fault; see the module docstring."""

    name: str
    edge: FaultEdge
    options: type[Options]
    lasting: Lasting
    words: Callable[[Any, str | None], str]  # what it is, for the screen and the report
    begin: Callable[[Begun], None]
    end: Callable[[Begun], None] | None = None
    default_for: float | None = None  # LASTS: `for` when the plan leaves it out
    span: Callable[[Any], float | None] | None = None  # INSTANT: how long its effects take
    holds: Callable[[Any, str | None, float | None], Holds] = lambda options, bot, span: ()
    bot_default: Callable[[Sequence[str]], str] | None = None  # kinds about one bot
    draw: Callable[[random.Random], Mapping[str, object]] = lambda rng: {}  # random fault
    random_for: float | None = None  # how long a random fault of it lasts

    def lasts_for(self, given: float | None) -> float | None:
        """How long a fault of this kind lasts, `for` given or not (None: no end)."""
        if self.lasting is Lasting.INSTANT:
            return None
        return given if given is not None else self.default_for


# What two faults holding the same thing at once would mean, said in an error.
CLASHES = {
    "ai": "the AI server cannot be down and slow, or down two ways, at once",
    "reading": "reading cannot be lost twice at once",
    "sending": "sends cannot fail two ways at once",
    "process": "botdeck cannot be killed while it is down",
    "bot": "one bot cannot be removed twice at once",
    "mode": "one chat mode cannot be switched on twice at once",
}


# ------------------------------------------------------------------ the AI server
class AIDown(Options):
    mode: AIOutage = AIOutage.REFUSED
    retry_after: float = Field(2.0, gt=0, le=600)  # what a 429 asks to wait


_OUTAGE_WORDS = {
    AIOutage.REFUSED: "connections refused",
    AIOutage.TIMEOUT: "requests time out",
    AIOutage.RATE_LIMITED: "429 storm",
    AIOutage.SERVER_ERROR: "5xx errors",
}


def _ai_down(begun: Begun) -> None:
    begun.world.ai_outage = begun.options.mode
    begun.world.ai_retry_after = begun.options.retry_after


def _ai_back(begun: Begun) -> None:
    begun.world.ai_outage = None


class AISlow(Options):
    latency: float = Field(8.0, gt=0, le=600)  # seconds added to every reply


def _ai_slow(begun: Begun) -> None:
    begun.world.ai_latency = begun.options.latency


def _ai_fast(begun: Begun) -> None:
    begun.world.ai_latency = 0.0


# ------------------------------------------------------------------ reading
def _blind(begun: Begun) -> None:
    begun.world.lose_reading(begun.key, BLIND)


def _sighted(begun: Begun) -> None:
    begun.world.restore_reading(begun.key)


class ReaderBanned(BotOptions):
    failover: float = Field(3.0, ge=0, le=600)  # seconds until another account reads


def _reader_banned(begun: Begun) -> None:
    world, bot = begun.world, begun.bot
    assert bot is not None
    world.refuse(bot, f"{bot} is banned from the channel")
    world.arrive(UserCleared(bot))  # the ban's event reaches the socket before the revocation
    if world.failover:
        world.lose_reading(begun.key, FAILING_OVER)
        loop = asyncio.get_running_loop()
        loop.call_later(begun.options.failover, world.restore_reading, begun.key)
    else:
        world.lose_reading(begun.key, NO_FAILOVER)


def _reader_unbanned(begun: Begun) -> None:
    assert begun.bot is not None
    begun.world.allow(begun.bot)
    begun.world.restore_reading(begun.key)  # without failover, it reads again now


def _reader_holds(options: Any, bot: str | None, span: float | None) -> Holds:
    reading = options.failover if span is None else min(options.failover, span)
    return (("reading", reading), (f"bot:{bot}", span))


# ------------------------------------------------------------------ bots removed
def _removed(how: str) -> Callable[[Begun], None]:
    def begin(begun: Begun) -> None:
        bot = begun.bot
        assert bot is not None
        begun.world.refuse(bot, f"{bot} is {how} in this channel")
        begun.world.arrive(UserCleared(bot))  # a ban or a timeout removes its lines

    return begin


def _free(begun: Begun) -> None:
    assert begun.bot is not None
    begun.world.allow(begun.bot)


def _bot_holds(options: Any, bot: str | None, span: float | None) -> Holds:
    return ((f"bot:{bot}", span),)


# ------------------------------------------------------------------ sending
class SendsFailing(Options):
    mode: SendFailure = SendFailure.RATE_LIMITED
    reset: float = Field(5.0, gt=0, le=600)  # a 429's Ratelimit-Reset, seconds ahead
    share: float = Field(1.0, gt=0, le=1)  # of sends that fail


def _sends_fail(begun: Begun) -> None:
    options = begun.options
    begun.world.fail_sends(options.mode, options.reset, options.share)


def _sends_ok(begun: Begun) -> None:
    begun.world.fail_sends(None)


# ------------------------------------------------------------------ moderators
class Picks(Options):
    count: int = Field(10, ge=1, le=10_000)
    of: Literal["mentions", "lines"] = "mentions"  # which lines they act on
    after: float = Field(2.0, ge=0, le=600)  # seconds after a line is said


def _picking(action: str) -> Callable[[Begun], None]:
    def begin(begun: Begun) -> None:
        options, within = begun.options, begun.duration
        assert within is not None
        mentions = options.of == "mentions"
        begun.world.moderators_pick(action, options.count, within, options.after, mentions)

    return begin


# ------------------------------------------------------------------ chat modes
class ChatMode(Options):
    mode: Literal["followers-only", "slow", "emote-only", "subscribers-only"]
    slow: float = Field(30.0, gt=0, le=120)  # slow mode's seconds between messages
    follow_minutes: int = Field(0, ge=0, le=129_600)


def _mode_fields(options: Any, on: bool) -> dict[str, object]:
    match options.mode:
        case "followers-only":
            return {"followers_only": on, "follow_minutes": options.follow_minutes if on else 0}
        case "slow":
            return {"slow": options.slow if on else 0.0}
        case "emote-only":
            return {"emote_only": on}
        case _:
            return {"subscribers_only": on}


def _mode_on(begun: Begun) -> None:
    begun.world.change_modes(**_mode_fields(begun.options, True))


def _mode_off(begun: Begun) -> None:
    begun.world.change_modes(**_mode_fields(begun.options, False))


def _mode_words(options: Any, bot: str | None) -> str:
    mode = f"slow {options.slow:g} s" if options.mode == "slow" else options.mode
    return f"chat mode: {mode}"


# ------------------------------------------------------------------ the channel
class Raid(Options):
    viewers: int = Field(300, ge=1, le=10_000)
    within: float = Field(10.0, gt=0, le=600)  # seconds the raiders' lines arrive over
    mention_share: float = Field(0.5, ge=0, le=1)  # of raiders who greet a bot


def _raid(begun: Begun) -> None:
    options = begun.options
    begun.world.raid(options.viewers, options.within, options.mention_share)


# ------------------------------------------------------------------ the process
class Crash(Options):
    down: float = Field(5.0, ge=0, le=3600)  # seconds until botdeck is started again


def _crash(begun: Begun) -> None:
    begun.world.on_crash(begun.options.down)


def _first_bot(bots: Sequence[str]) -> str:
    return bots[0]


def _last_bot(bots: Sequence[str]) -> str:
    return bots[-1]


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "ai_down", FaultEdge.AI, AIDown, Lasting.LASTS,
            lambda o, bot: f"AI down ({_OUTAGE_WORDS[o.mode]})",
            _ai_down, _ai_back, default_for=60.0,
            holds=lambda o, bot, span: (("ai", span),),
            draw=lambda rng: {"mode": rng.choice(list(AIOutage))}, random_for=60.0,
        ),
        Kind(
            "ai_slow", FaultEdge.AI, AISlow, Lasting.LASTS,
            lambda o, bot: f"AI slow (+{o.latency:g} s a reply)",
            _ai_slow, _ai_fast, default_for=120.0,
            holds=lambda o, bot, span: (("ai", span),), random_for=120.0,
        ),
        Kind(
            "reading_lost", FaultEdge.READING, Options, Lasting.LASTS,
            lambda o, bot: "reading lost: nothing is read, then it reconnects",
            _blind, _sighted, default_for=30.0,
            holds=lambda o, bot, span: (("reading", span),), random_for=30.0,
        ),
        Kind(
            "reader_banned", FaultEdge.READING, ReaderBanned, Lasting.MAY_LAST,
            lambda o, bot: f"reader {bot} banned (another account reads after {o.failover:g} s)",
            _reader_banned, _reader_unbanned, holds=_reader_holds, bot_default=_first_bot,
            random_for=120.0,
        ),
        Kind(
            "bot_timeout", FaultEdge.SENDING, BotOptions, Lasting.LASTS,
            lambda o, bot: f"{bot} timed out by a moderator",
            _removed("timed out"), _free, default_for=60.0, holds=_bot_holds,
            bot_default=_last_bot, random_for=60.0,
        ),
        Kind(
            "bot_banned", FaultEdge.SENDING, BotOptions, Lasting.MAY_LAST,
            lambda o, bot: f"{bot} banned by a moderator",
            _removed("banned"), _free, holds=_bot_holds, bot_default=_last_bot,
            random_for=120.0,
        ),
        Kind(
            "sends_failing", FaultEdge.SENDING, SendsFailing, Lasting.LASTS,
            lambda o, bot: "sends failing: "
            + (f"429, reset in {o.reset:g} s" if o.mode is SendFailure.RATE_LIMITED else "drops")
            + ("" if o.share >= 1 else f" ({o.share:.0%} of them)"),
            _sends_fail, _sends_ok, default_for=30.0,
            holds=lambda o, bot, span: (("sending", span),),
            draw=lambda rng: {"mode": rng.choice(list(SendFailure))}, random_for=30.0,
        ),
        Kind(
            "deletions", FaultEdge.MODERATORS, Picks, Lasting.LASTS,
            lambda o, bot: f"moderators delete {o.count} {o.of} ({o.after:g} s after each)",
            _picking("delete"), default_for=120.0, random_for=120.0,
        ),
        Kind(
            "viewer_timeouts", FaultEdge.MODERATORS, Picks, Lasting.LASTS,
            lambda o, bot: f"moderators time out {o.count} viewers who write {o.of}",
            _picking("timeout"), default_for=120.0, random_for=120.0,
        ),
        Kind(
            "chat_mode", FaultEdge.CHAT_MODES, ChatMode, Lasting.LASTS, _mode_words,
            _mode_on, _mode_off, default_for=120.0,
            holds=lambda o, bot, span: ((f"mode:{o.mode}", span),),
            draw=lambda rng: {"mode": rng.choice(["followers-only", "slow", "emote-only"])},
            random_for=120.0,
        ),
        Kind(
            "raid", FaultEdge.CHANNEL, Raid, Lasting.INSTANT,
            lambda o, bot: f"raid of {o.viewers} viewers ({o.mention_share:.0%} greet a bot)",
            _raid, span=lambda o: o.within,
        ),
        Kind(
            "crash", FaultEdge.PROCESS, Crash, Lasting.INSTANT,
            lambda o, bot: f"botdeck killed (-9); started again after {o.down:g} s",
            _crash, span=lambda o: o.down, holds=lambda o, bot, span: (("process", span),),
        ),
    )
}  # fmt: skip
