"""The world outside botdeck during a drill: the channel, the AI server, the platform.

botdeck's processes come and go (a crash fault kills one, a restart opens the next); the
world goes on. The channel plays its chat (the replay, or the demo's simulated chat) once
for the whole night, and botdeck reads it only while it can: not while reading is lost
or the process is down, as live chat is never played twice. The AI server is down or
slow when the plan says; the platform refuses sends, times bots out, changes chat modes;
moderators delete lines and remove viewers.

botdeck meets all this only at its edges, through the wrappers in `chaos.edges` around
its real source, sink and responder. The world also keeps a `Ledger` of what it saw that
botdeck's journal cannot say: lines nobody read, and why; sends the platform refused or
would count against a bot's limit. A benchmark reads it; the report reads the journal.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from botdeck.chat.adapter import SourceParts
from botdeck.chat.base import ChatSink, SendError
from botdeck.chat.local import LocalSink
from botdeck.chat.simulated import raid_script
from botdeck.core.mentions import MentionFinder
from botdeck.model.channel import ChatEvent, ChatSettings, MessageDeleted, UserCleared
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.defaults import SendLimits

log = logging.getLogger(__name__)

# Why the world has a line botdeck did not read. The first three no design could have
# seen; the last is what a reader ban costs without failover.
DOWN = "botdeck down"
BLIND = "reading lost"
FAILING_OVER = "failing over to another reader"
NO_FAILOVER = "reader banned, no other account reads"
UNAVOIDABLE = frozenset({DOWN, BLIND, FAILING_OVER})


class AIOutage(StrEnum):
    """How the AI server fails while it is down."""

    REFUSED = "refused"  # connections refused at once
    TIMEOUT = "timeout"  # requests hang until their deadline
    RATE_LIMITED = "429"  # a 429 storm, each with Retry-After
    SERVER_ERROR = "5xx"  # 503s


class SendFailure(StrEnum):
    """How the platform fails sends while a `sends_failing` fault lasts."""

    RATE_LIMITED = "429"  # refused, worth retrying after Ratelimit-Reset
    DROPPED = "drop"  # dropped: gone, retrying would not bring it back


class Reader(Protocol):
    """botdeck's chat source as the world sees it: where what it can read goes."""

    def deliver(self, event: ChatEvent | None) -> None: ...


@dataclass(slots=True)
class Ledger:
    """What the world saw; see the module docstring. Times are the loop's."""

    lines: int = 0  # chat lines the channel played (the log's and the drill's own)
    mentions: int = 0  # of them, lines naming one of the bots
    unseen: Counter[str] = field(default_factory=Counter)  # lines botdeck did not read, why
    unseen_mentions: Counter[str] = field(default_factory=Counter)
    ai_failed: int = 0  # requests the drill failed or slowed into a timeout
    sent: dict[str, list[float]] = field(default_factory=dict)  # bot -> when each went out
    refused: Counter[str] = field(default_factory=Counter)  # sends refused or dropped, why
    mode_drops: int = 0  # messages a chat mode did not allow (the platform drops them)
    over_limit: int = 0  # messages past the bot's limit in the trailing window
    deleted: int = 0  # lines moderators deleted
    replies_to_deleted: int = 0  # replies sent to a line after moderators deleted it

    def could_have_seen(self) -> int:
        """Mentions botdeck did not read that a design could have read."""
        return sum(n for why, n in self.unseen_mentions.items() if why not in UNAVOIDABLE)


@dataclass(slots=True)
class _Picker:
    """Moderators about to act on the next lines that fit: delete them, or time out
    their senders, `after` seconds after each is said."""

    action: str  # "delete" | "timeout"
    left: int
    until: float  # loop time
    after: float
    mentions_only: bool
    users: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Sends:
    how: SendFailure
    reset: float  # seconds a 429's Ratelimit-Reset says to wait
    share: float  # of sends that fail


class World:
    """See the module docstring. `inner`: the real chat source (and its sink, if it brings
    one), played once for the whole night."""

    def __init__(
        self,
        inner: SourceParts,
        *,
        bots: Sequence[str],
        roles: Mapping[str, Role],
        limits: SendLimits,
        seed: int,
        ai_timeout: float,
        clock: Callable[[], float],
        failover: bool = True,
    ) -> None:
        self.inner = inner
        self._clock = clock  # wall time, for the lines the drill makes up
        self.sink: ChatSink = inner.sink or LocalSink()
        self.bots = tuple(bots)
        self._roles = dict(roles)
        self._limits = limits
        self._finder = MentionFinder(bots)
        self._rng = random.Random(seed)
        self.ai_timeout = ai_timeout
        self.failover = failover
        self.ledger = Ledger()
        self._reader: Reader | None = None
        self._blind: dict[object, str] = {}  # a fault -> why reading is lost meanwhile
        self.ai_outage: AIOutage | None = None
        self.ai_retry_after = 2.0
        self.ai_latency = 0.0
        self._refusing: dict[str, str] = {}  # bot -> why the platform refuses its sends
        self._sends: _Sends | None = None
        self.settings = ChatSettings()
        self._pickers: list[_Picker] = []
        self._deleted: dict[str, float] = {}  # msg -> when moderators deleted it
        self._windows: dict[str, deque[float]] = {}
        self._raids = 0
        self._pump: asyncio.Task[None] | None = None
        self.ended = False
        self.on_crash: Callable[[float], None] = lambda down: None  # the drill kills botdeck
        # A bot may talk again: the operator's part (`b`) where nobody is at the console.
        self.on_bot_free: Callable[[str], None] = lambda bot: None

    # ------------------------------------------------------------ the channel
    def start(self) -> None:
        """The night begins: the channel plays its chat from now on."""
        loop = asyncio.get_running_loop()
        self._pump = loop.create_task(self._play(), name="botdeck drill: the channel")

    async def _play(self) -> None:
        source = self.inner.source
        try:
            await source.start()
            async for event in source:
                self.arrive(event)
        except Exception:
            log.exception("drill: the channel's chat source failed")
        finally:
            self.ended = True
            if self._reader is not None:
                self._reader.deliver(None)

    def stop_playing(self) -> None:
        """botdeck drains: a finite source plays no more (as without a drill)."""
        self.inner.source.stop_playing()

    async def close(self) -> None:
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        await self.inner.source.close()

    def attach(self, reader: Reader) -> None:
        """A botdeck process starts reading (its source started); chat settings first,
        as Twitch's adapter reads them when it subscribes."""
        self._reader = reader
        if self.ended:
            reader.deliver(None)
        elif self.settings != ChatSettings():
            reader.deliver(self.settings)

    def detach(self, reader: Reader) -> None:
        if self._reader is reader:
            self._reader = None

    def arrive(self, event: ChatEvent) -> None:
        """Something happened in the channel; botdeck reads it if it can."""
        line = event if isinstance(event, ChatMessage) else None
        if line is not None and not line.is_bot:
            self._count(line)
        why = self.unseen_why()
        if why is not None:
            if line is not None and not line.is_bot:
                self.ledger.unseen[why] += 1
                if self._mentions(line):
                    self.ledger.unseen_mentions[why] += 1
            return
        assert self._reader is not None
        self._reader.deliver(event)

    def unseen_why(self) -> str | None:
        """Why botdeck reads nothing now, or None while it reads."""
        if self._reader is None:
            return DOWN
        return next(iter(self._blind.values()), None)

    @property
    def reading_lost(self) -> str | None:
        """Why reading is lost now (for the connection state), or None."""
        return next(iter(self._blind.values()), None)

    def lose_reading(self, key: object, why: str) -> None:
        self._blind[key] = why

    def restore_reading(self, key: object) -> None:
        """Reading is back: botdeck's adapter reads the chat settings when it subscribes
        again, so what changed meanwhile is not missed."""
        if self._blind.pop(key, None) is not None and not self._blind and self._reader:
            self._reader.deliver(self.settings)

    def _mentions(self, line: ChatMessage) -> bool:
        return bool(line.mentions or self._finder.find(line.text))

    def _count(self, line: ChatMessage) -> None:
        self.ledger.lines += 1
        mentions = self._mentions(line)
        self.ledger.mentions += mentions
        if self._pickers:
            self._pick(line, mentions)

    # ------------------------------------------------------------ moderators
    def moderators_pick(
        self, action: str, count: int, within: float, after: float, mentions_only: bool
    ) -> None:
        """The next `count` lines that fit (mentions, or any) within `within` seconds are
        deleted, or their senders timed out, `after` seconds after each is said."""
        until = asyncio.get_running_loop().time() + within
        self._pickers.append(_Picker(action, count, until, after, mentions_only))

    def _pick(self, line: ChatMessage, mentions: bool) -> None:
        now = asyncio.get_running_loop().time()
        for picker in list(self._pickers):
            if now >= picker.until or picker.left <= 0:
                self._pickers.remove(picker)
                continue
            if picker.mentions_only and not mentions:
                continue
            if picker.action == "timeout":
                if line.user in picker.users:
                    continue
                picker.users.add(line.user)
                event: ChatEvent = UserCleared(line.user)
            else:
                event = MessageDeleted(line.id, line.user)
            picker.left -= 1
            asyncio.get_running_loop().call_later(picker.after, self._moderate, event)

    def _moderate(self, event: ChatEvent) -> None:
        if isinstance(event, MessageDeleted):
            self._deleted[event.msg] = asyncio.get_running_loop().time()
            self.ledger.deleted += 1
        self.arrive(event)

    # ------------------------------------------------------------ chat modes, raids
    def change_modes(self, **modes: object) -> None:
        self.settings = replace(self.settings, **modes)  # type: ignore[arg-type]
        self.arrive(self.settings)

    def raid(self, viewers: int, within: float, mention_share: float) -> None:
        """`viewers` new viewers within `within` seconds, a share of them greeting a bot
        (the drill's own lines: journaled as synthetic)."""
        loop = asyncio.get_running_loop()
        self._raids += 1
        script = raid_script(self.bots, self._rng, viewers, within, mention_share, start=0.0)
        for number, scripted in enumerate(script, 1):
            msg = f"raid{self._raids}-{number}"
            loop.call_later(scripted.at, self._raider, msg, scripted.user, scripted.text)

    def _raider(self, msg: str, user: str, text: str) -> None:
        now = self._clock()
        self.arrive(ChatMessage(msg, user.lower(), text, now, display_name=user, synthetic=True))

    # ------------------------------------------------------------ bots removed
    def refuse(self, bot: str, why: str) -> None:
        """The platform refuses this bot's sends (banned, timed out)."""
        self._refusing[bot] = why

    def allow(self, bot: str) -> None:
        if self._refusing.pop(bot, None) is not None:
            self.on_bot_free(bot)

    # ------------------------------------------------------------ sending
    def fail_sends(self, how: SendFailure | None, reset: float = 0.0, share: float = 1.0) -> None:
        self._sends = None if how is None else _Sends(how, reset, share)

    async def send(self, bot: str, text: str, reply_to: str | None) -> str:
        """What the platform does with a message (`chaos.edges.FaultySink`)."""
        now = asyncio.get_running_loop().time()
        refused = self._refusal(bot, now)
        if refused is not None:
            reason, retry_after = refused
            self.ledger.refused[reason] += 1
            raise SendError(reason, retry_after=retry_after, removed=bot in self._refusing)
        self._window(bot, now)
        if reply_to is not None and reply_to in self._deleted:
            self.ledger.replies_to_deleted += 1
        message_id = await self.sink.send(bot, text, reply_to=reply_to)
        self.ledger.sent.setdefault(bot, []).append(now)
        return message_id

    def _refusal(self, bot: str, now: float) -> tuple[str, float | None] | None:
        if (why := self._refusing.get(bot)) is not None:
            return why, None
        sends = self._sends
        if sends is not None and (sends.share >= 1 or self._rng.random() < sends.share):
            if sends.how is SendFailure.RATE_LIMITED:
                return f"429 Too Many Requests (Ratelimit-Reset in {sends.reset:g} s)", sends.reset
            return "msg_dropped: the platform dropped the message", None
        if (blocked := self.settings.blocks(self._roles.get(bot, Role.VIEWER))) is not None:
            self.ledger.mode_drops += 1
            return f"dropped: {blocked.split(':')[0]}", None
        return None

    def _window(self, bot: str, now: float) -> None:
        """Count a message against the bot's limit in the trailing window, as the
        platform does; one past it is a violation (the account would be locked out)."""
        window = self._windows.setdefault(bot, deque())
        # A message exactly one window old no longer counts; the tolerance keeps float
        # noise (38.1 - 30 < 8.1) from calling a send at that instant a violation.
        while window and window[0] <= now - self._limits.window + 1e-6:
            window.popleft()
        window.append(now)
        role = self._roles.get(bot, Role.VIEWER)
        limit = self._limits.privileged if role.privileged else self._limits.viewer
        if len(window) > limit:
            self.ledger.over_limit += 1
