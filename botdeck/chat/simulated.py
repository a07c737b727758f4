"""Simulated chat: seeded scenarios modelled on the reference design's examples.

A scenario is a finite script of (offset seconds, user, text) lines whose viewers mention
the configured bots by name (a raid's begins with the raid event, as Twitch sends
`channel.raid` before the raiders arrive); `SimulatedChat` plays it in real time (or
faster), and more lines can be injected while it plays (the dashboard's "raid" key). A
script may also hold moderators' actions and chat-mode changes (`ScriptedEvent`), played
at their times like lines, so rehearsals and tests can exercise them. `soak` is endless
unless given a duration: steady chat until the run is ended. Parameters and their
defaults are in `botdeck.chat.scenarios`.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from botdeck.chat.base import ChatSource
from botdeck.chat.scenarios import (
    FiveBotsParams,
    MixedParams,
    QuestionsParams,
    RaidParams,
    Scenario,
    SoakParams,
)
from botdeck.core.text import MAX_SCAN_CHARS, clean_text
from botdeck.model.channel import ChatEvent, ChatSettings, ModerationEvent
from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus
from botdeck.model.stream import ChannelEvent, EventKind


@dataclass(frozen=True, slots=True)
class ScriptedLine:
    at: float  # seconds from the start of the scenario
    user: str
    text: str
    badges: tuple[str, ...] = ()  # e.g. ("moderator",): who may command the bots from chat
    synthetic: bool = False  # an extra mention `demo --mention-rate` made up (`synthetic-N`)


@dataclass(frozen=True, slots=True)
class ScriptedEvent:
    """A moderator's action, new chat settings or a channel event (a raid, a sub) at `at`
    seconds (a scripted line's id is `sim-N`, N its place in the order lines are played,
    from 1, a synthetic one's `synthetic-N`, counted apart; a channel event gets the time
    it is played)."""

    at: float
    event: ModerationEvent | ChatSettings | ChannelEvent


Scripted = ScriptedLine | ScriptedEvent


_NAME_A = (
    "pixel", "moss", "turbo", "neon", "lazy", "cosmic", "salty", "frosty", "lucky", "shadow",
    "rusty", "sunny", "mega", "tiny", "wild", "quiet", "crispy", "velvet", "atomic", "honey",
)  # fmt: skip
_NAME_B = (
    "fox", "otter", "ninja", "toast", "wizard", "pancake", "gecko", "falcon", "noodle", "panda",
    "comet", "badger", "biscuit", "raven", "pickle", "yeti", "mango", "lynx", "walrus", "moth",
)  # fmt: skip

_GREETINGS = (
    "hi {bot}!", "hey @{bot} what's up", "@{bot} hello from the raid!", "yo {bot} o7",
    "first time here @{bot}", "@{bot} love your stream!", "hello @{bot} <3",
    "@{bot} the raid has arrived", "{bot} hiii", "@{bot} we came from the raid!!",
)  # fmt: skip
_RAID_NOISE = ("RAID HYPE", "raid raid raid", "PogChamp", "hello chat!", "hi everyone", "o7 o7")
QUESTIONS = (
    "what game is this?", "how long have you been streaming?", "can you play minecraft next?",
    "what's your favorite color?", "do you stream daily?", "who is the best speedrunner?",
    "why is this boss so hard?", "is this your first playthrough?", "which character is best?",
    "what's the plan for tonight?", "how do you beat this level?", "should I buy this game?",
)  # fmt: skip
_CHATTER = (
    "Nice play!", "LOL that was funny", "gg", "this music slaps", "that jump was clean",
    "chat is so cozy today", "I need snacks", "the boss fight is coming up", "KEKW",
    "that was insane", "ok this strat is genius", "rip", "the lore in this game is wild",
    "brb getting water", "who else is here from yesterday", "this soundtrack though",
    "I would have panicked there", "the speedrun community would be proud",
)  # fmt: skip
_TAKES = (
    "thoughts on the new update?", "debate this: pineapple on pizza", "is the remake better?",
    "what do you think of this build?", "hot take: the sequel was better",
    "rate this stream out of 10", "settle this: cats or dogs?",
)  # fmt: skip


def _viewers(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        name = f"{rng.choice(_NAME_A)}_{rng.choice(_NAME_B)}{rng.randint(1, 99)}"
        if name not in seen:
            seen.add(name)
            yield name


def raid_script(
    bots: Sequence[str],
    rng: random.Random,
    viewers: int = 60,
    within: float = 2.0,
    mention_share: float = 0.9,
    start: float = 0.5,
) -> list[ScriptedLine]:
    """N viewers arriving within `within` seconds; a share of them mention a bot."""
    names = _viewers(rng)
    lines = []
    for _ in range(viewers):
        at = start + rng.uniform(0, within)
        if rng.random() < mention_share:
            text = rng.choice(_GREETINGS).format(bot=rng.choice(bots))
        else:
            text = rng.choice(_RAID_NOISE)
        lines.append(ScriptedLine(at, next(names), text))
    return sorted(lines, key=lambda line: line.at)


def raid_event(viewers: int, name_seed: str, at: float = 0.0) -> ScriptedEvent:
    """The platform telling of a raid before its viewers arrive (Twitch's `channel.raid`):
    a raiding channel named from `name_seed`, bringing `viewers`."""
    raider = next(_viewers(random.Random(name_seed)))
    event = ChannelEvent(
        EventKind.RAID, f"sim-raid-{name_seed}", 0.0, user=raider, display_name=raider,
        count=viewers,
    )  # fmt: skip
    return ScriptedEvent(at, event)


def questions_script(
    bots: Sequence[str], rng: random.Random, count: int = 12, within: float = 4.0
) -> list[ScriptedLine]:
    """Rapid questions to one bot, as in the reference's "question spam" example."""
    bot = bots[0]
    names = _viewers(rng)
    step = within / max(1, count)
    return [
        ScriptedLine(0.5 + i * step, next(names), f"@{bot} {rng.choice(QUESTIONS)}")
        for i in range(count)
    ]


def mixed_script(
    bots: Sequence[str], rng: random.Random, duration: float = 60.0, every: float = 1.5
) -> list[ScriptedLine]:
    """Ordinary chat with occasional mentions and now and then a line to several bots."""
    names = _viewers(rng)
    regulars = [next(names) for _ in range(12)]
    lines = []
    at = 0.5
    while at < duration:
        user = rng.choice(regulars)
        roll = rng.random()
        if roll < 0.12:
            text = f"@{rng.choice(bots)} {rng.choice(QUESTIONS + _TAKES)}"
        elif roll < 0.16 and len(bots) > 1:
            pair = rng.sample(list(bots), 2)
            text = f"@{pair[0]} @{pair[1]} {rng.choice(_TAKES)}"
        else:
            text = rng.choice(_CHATTER)
        lines.append(ScriptedLine(at, user, text))
        at += rng.expovariate(1.0 / every)
    return lines


def five_bots_script(bots: Sequence[str], rng: random.Random) -> list[ScriptedLine]:
    """One line mentioning (up to) five bots at once, between a little ordinary chat."""
    names = _viewers(rng)
    called = " ".join(f"@{bot}" for bot in bots[:5])
    return [
        ScriptedLine(0.2, next(names), rng.choice(_CHATTER)),
        ScriptedLine(0.5, next(names), f"{called} everyone respond!"),
        ScriptedLine(1.0, next(names), rng.choice(_CHATTER)),
    ]


def soak_lines(
    bots: Sequence[str],
    rng: random.Random,
    rate: float = 5.0,
    mention_share: float = 0.1,
    duration: float | None = None,
) -> Iterator[ScriptedLine]:
    """Steady chat at `rate` lines per second, for `duration` seconds or (None) endlessly."""
    names = _viewers(rng)
    regulars = [next(names) for _ in range(50)]
    for i in itertools.count():
        at = 0.1 + i / rate
        if duration is not None and at >= duration:
            return
        user = rng.choice(regulars)
        if rng.random() < mention_share:
            text = f"@{rng.choice(bots)} {rng.choice(QUESTIONS)}"
        else:
            text = rng.choice(_CHATTER)
        yield ScriptedLine(at, user, text)


def endless_mixed(
    bots: Sequence[str], seed: int, params: MixedParams | None = None
) -> Iterator[ScriptedLine]:
    """Mixed chat forever: one fresh `duration` after another (the dashboard's demo)."""
    params = params or MixedParams()
    period = params.duration
    for round_ in itertools.count():
        rng = random.Random(seed * 1_000_003 + round_)
        for line in mixed_script(bots, rng, duration=period, every=params.every):
            yield ScriptedLine(line.at + round_ * period, line.user, line.text)


def scenario_lines(scenario: Scenario | str, bots: Sequence[str], seed: int) -> Iterator[Scripted]:
    """The lines of a scenario (a name alone means its default parameters) for a seed; a
    raid's start with the raid itself (`raid_event`), as Twitch tells it."""
    if isinstance(scenario, str):
        scenario = Scenario.build(scenario)
    rng = random.Random(seed)
    match scenario.params:
        case RaidParams() as p:  # the raid is told first, as Twitch tells it
            raid = raid_event(p.viewers, f"raid-{seed}")
            return iter([raid, *raid_script(bots, rng, p.viewers, p.within, p.mention_share)])
        case QuestionsParams() as p:
            return iter(questions_script(bots, rng, p.count, p.within))
        case MixedParams() as p:
            return iter(mixed_script(bots, rng, p.duration, p.every))
        case FiveBotsParams():
            return iter(five_bots_script(bots, rng))
        case SoakParams() as p:
            return soak_lines(bots, rng, p.rate, p.mention_share, p.duration)
    raise AssertionError(f"no script for {scenario.name!r}")  # PARAMS and this match agree


class SimulatedChat(ChatSource):
    """Plays scripted lines at their times; `inject` plays more lines, timed from now.

    Ends when every script has played, unless `keep_open` (the dashboard's demo, where a
    key can inject a raid at any time).
    """

    def __init__(
        self,
        lines: Iterator[Scripted] | Sequence[Scripted],
        *,
        speed: float,
        keep_open: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self._script = iter(lines)
        self._speed = speed
        self._keep_open = keep_open
        self._clock = clock
        self._ids = itertools.count(1)
        self._synthetic_ids = itertools.count(1)  # `demo --mention-rate`'s, as a rehearsal's
        self._queue: asyncio.Queue[ChatEvent | None] = asyncio.Queue()  # None: a player ended
        self._players: set[asyncio.Task[None]] = set()
        self._active = 0
        self._stopped = False
        self._connection = ConnectionState(ConnectionStatus.SIMULATED)

    @property
    def connection(self) -> ConnectionState:
        return self._connection

    def stop_playing(self) -> None:
        """A finite script plays no more lines (the router drains); the demo's endless
        chat (`keep_open`) goes on, since the operator may start the router again."""
        if not self._keep_open:
            self._stopped = True  # also before the script has begun
            for task in self._players:
                task.cancel()  # each one's end is queued: the iteration ends

    def inject(self, lines: Sequence[Scripted]) -> None:
        """Play extra lines alongside the script (offsets count from now)."""
        self._start_player(iter(lines))

    def _start_player(self, lines: Iterator[Scripted]) -> None:
        self._active += 1
        task = asyncio.get_running_loop().create_task(self._play(lines))
        self._players.add(task)
        task.add_done_callback(self._players.discard)

    async def _play(self, lines: Iterator[Scripted]) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            for line in lines:
                wait = start + line.at / self._speed - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._queue.put_nowait(self._played(line))
        finally:
            self._queue.put_nowait(None)

    def _played(self, line: Scripted) -> ChatEvent:
        if not isinstance(line, ScriptedEvent):
            return self._message(line)
        event = line.event
        if isinstance(event, ChannelEvent):
            return replace(event, timestamp=self._clock())
        return event

    def _message(self, line: ScriptedLine) -> ChatMessage:
        if line.synthetic:
            msg = f"synthetic-{next(self._synthetic_ids)}"
        else:
            msg = f"sim-{next(self._ids)}"
        return ChatMessage(
            id=msg,
            user=line.user.lower(),
            display_name=line.user,
            text=clean_text(line.text, max_chars=MAX_SCAN_CHARS),  # cut for display later
            timestamp=self._clock(),
            badges=line.badges,
            synthetic=line.synthetic,
        )

    async def __aiter__(self) -> AsyncIterator[ChatEvent]:
        if self._stopped:
            self._connection = ConnectionState(ConnectionStatus.ENDED)
            return
        self._start_player(self._script)
        try:
            while True:
                item = await self._queue.get()
                if item is None:
                    self._active -= 1
                    if self._active == 0 and not self._keep_open:
                        self._connection = ConnectionState(ConnectionStatus.ENDED)
                        return
                    continue
                yield item
        finally:
            for task in self._players:
                task.cancel()
