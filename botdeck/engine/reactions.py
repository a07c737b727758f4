"""Channel events in: each taken once, journaled, and turned into what it calls for.

    resend? (same id) -> the same raid told twice (channel.raid and its chat notice)?
    -> publish ChannelEventSeen (the journal's `channel_event`, the chat pane)
    -> the stream (online, offline, update) | raid mode armed (raid)
    -> a redemption of an "Ask <bot>" reward: that bot's question (`redemptions`)
    -> a gift merged into its gifter's thank-you while that has not begun to be written
    -> the reaction `[events.<kind>]` configures, past its thresholds and cooldown

A reaction is a job like any other (the same queue, send limits, safety, review and
journal); what it writes from is its `Reaction` (the configured prompt or text with the
event's `{user}`, `{count}`, `{message}`), not a chat line. `bot` picks who says it: a
name, "any" (the least busy bot that may talk) or "rotate" (each in turn). Timers'
lines are made here too (`timer_job`), by the same rules.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.engine.events import EventHub
from botdeck.engine.modes import ChatModes
from botdeck.engine.orchestrator import Orchestrator
from botdeck.engine.raid import RaidPlanner
from botdeck.engine.redemptions import Redemptions
from botdeck.engine.stream import StreamContext
from botdeck.model.chat import ChatMessage
from botdeck.model.events import ChannelEventSeen
from botdeck.model.jobs import Phase, Priority, ReplyContext
from botdeck.model.stream import ChannelEvent, EventKind, Reaction, Reward

log = logging.getLogger(__name__)

_SEEN_IDS = 4096  # event ids remembered against resends
SAME_RAID = 120.0  # seconds: a raid from the same channel again is the same raid (told twice)
ANONYMOUS = "an anonymous viewer"


@dataclass(frozen=True, slots=True)
class ReactionSettings:
    """One `[events.<kind>]` table, as the engine uses it (the config states the defaults)."""

    kind: EventKind
    enabled: bool
    bot: str  # a bot's login, "any" or "rotate"
    template: str  # the prompt or the text, with {user}, {count}, {message}
    fixed: bool  # the template is sent as written
    priority: Priority
    cooldown: float  # seconds between two reactions of this kind
    threshold: int  # raids: fewest viewers; cheers: fewest bits; else 0


@dataclass(frozen=True, slots=True)
class TimerSettings:
    """One `[[timers]]` entry."""

    bot: str
    template: str
    fixed: bool
    interval: float
    min_lines: int


class Reactions:
    def __init__(
        self,
        *,
        settings: Mapping[EventKind, ReactionSettings],
        asks: Mapping[str, str],
        scheduler: Scheduler[ReplyContext],
        orchestrator: Orchestrator,
        modes: ChatModes,
        raid: RaidPlanner,
        stream: StreamContext,
        redemptions: Redemptions,
        events: EventHub,
        now: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        """`asks`: each "Ask <bot>" reward's title (case-folded) -> the bot it asks."""
        self._settings = dict(settings)
        self._asks = {title.casefold(): bot for title, bot in asks.items()}
        self._scheduler = scheduler
        self._orchestrator = orchestrator
        self._modes = modes
        self._raid = raid
        self._stream = stream
        self._redemptions = redemptions
        self._events = events
        self._now = now  # loop time: cooldowns, raids told twice
        self._clock = clock  # wall time: a timer line's time
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._raids: dict[str, float] = {}  # raider -> when (loop time)
        self._last: dict[EventKind, float] = {}  # kind -> when its last reaction was made
        self._turn: dict[str, int] = {}  # "rotate": whose turn, per kind (or timer)
        self._thanks: dict[str, Job[ReplyContext]] = {}  # gifter -> their thank-you job
        self._announced: OrderedDict[str, None] = OrderedDict()  # community gifts counted
        self._parts: dict[str, int] = {}  # community gift -> its gifts counted before it
        self._unsupported: set[str] = set()
        self.taken = 0
        self.reactions = 0
        self.unsupported = 0

    # ------------------------------------------------------------------ in
    def handle(self, event: ChannelEvent) -> list[Job[ReplyContext]]:
        """One channel event; the jobs it created (each may already have ended)."""
        if not self._first_sight(event):
            return []
        self.taken += 1
        self._events.publish(ChannelEventSeen(event))
        kind = event.kind
        if kind is EventKind.UNSUPPORTED:
            self.unsupported += 1
            if event.detail not in self._unsupported:
                self._unsupported.add(event.detail)
                log.warning("unsupported channel event: %s", event.detail or "(no detail)")
            return []
        if self._stream.apply(event):
            return []
        if kind is EventKind.RAID:
            self._raid.arm(event.author, event.count, self._now())
        elif kind is EventKind.REDEEM:
            return self._question(event)
        elif kind is EventKind.GIFT:
            return self._gift(event)
        job = self._react(event)
        if job is not None and kind is EventKind.RAID:
            self._raid.greet(job)
        return [job] if job is not None else []

    def _first_sight(self, event: ChannelEvent) -> bool:
        """Not a resend (the same id), nor the same raid told a second way."""
        if event.id in self._seen:
            return False
        self._seen[event.id] = None
        if len(self._seen) > _SEEN_IDS:
            self._seen.popitem(last=False)
        if event.kind is EventKind.RAID and event.user:
            now = self._now()
            self._raids = {u: t for u, t in self._raids.items() if now - t < SAME_RAID}
            if event.user in self._raids:
                return False
            self._raids[event.user] = now
        return True

    # ------------------------------------------------------------------ reactions
    def _react(self, event: ChannelEvent, count: int | None = None) -> Job[ReplyContext] | None:
        """The configured reaction, past its threshold and cooldown (None: no reaction)."""
        setting = self._settings.get(event.kind)
        if setting is None or not setting.enabled:
            return None
        if setting.threshold and event.count < setting.threshold:
            return None
        now = self._now()
        last = self._last.get(event.kind)
        if last is not None and now - last < setting.cooldown:
            return None
        bot = self._choose(setting.bot, event.kind.value)
        named = event.author or ANONYMOUS
        reaction = Reaction(
            kind=event.kind,
            template=setting.template,
            fixed=setting.fixed,
            user=named,
            count=event.count if count is None else count,
            message=event.message,
            address=event.author if event.user and not setting.fixed else "",
            test=event.test,
        )
        job = self._submit(bot, setting.priority, _line(event, reaction), reaction)
        self._last[event.kind] = now
        return job

    def _submit(
        self, bot: str, priority: Priority, line: ChatMessage, reaction: Reaction
    ) -> Job[ReplyContext]:
        context = ReplyContext(line, depth=1, reaction=reaction)
        delay = self._orchestrator.delay(priority)
        self.reactions += 1
        return self._scheduler.submit(bot, priority, delay, context, line.user or None)

    def _choose(self, choice: str, turn: str) -> str:
        """The bot a reaction goes to: the named one, the least busy that may talk, or
        the next in turn (among those that may talk; all of them when none may)."""
        if choice not in ("any", "rotate"):
            return choice
        scheduler = self._scheduler
        bots = [bot for bot in scheduler.bots if not scheduler.muted_bot(bot)] or list(
            scheduler.bots
        )
        talking = [bot for bot in self._modes.speakers() if bot in bots] or bots
        if choice == "any":
            return min(talking, key=lambda bot: sum(scheduler.load(bot)))
        index = self._turn.get(turn, 0)
        self._turn[turn] = index + 1
        return talking[index % len(talking)]

    # ------------------------------------------------------------------ gifts
    def _gift(self, event: ChannelEvent) -> list[Job[ReplyContext]]:
        """Gifts merged per gifter: a community gift of 50 is one thank-you (its 50 single
        gifts, told after it, add nothing), and gifts from the same gifter while their
        thank-you waits make it bigger instead of making another."""
        group, added = event.group, event.count
        if group and event.bundle:  # a community gift: its single gifts follow it
            added = max(0, event.bundle - self._parts.pop(group, 0))
            self._announced[group] = None
            if len(self._announced) > _SEEN_IDS:
                self._announced.popitem(last=False)
            if added == 0:
                return []  # every one of its gifts came first, and was counted
        elif group:  # one gift of a community gift
            if group in self._announced:
                return []  # counted with the community gift
            self._parts[group] = self._parts.get(group, 0) + 1
            added = 1
        # Else a gift of its own, or (0) one paid forward: its own gift counts it.
        gifter = event.user or ANONYMOUS
        pending = self._thanks.get(gifter)
        if pending is not None and _not_begun(pending) and pending.context.reaction is not None:
            reaction = pending.context.reaction
            more = replace(reaction, count=reaction.count + added)
            line = replace(pending.context.message, text=more.render())
            pending.context = replace(pending.context, message=line, reaction=more)
            return []
        job = self._react(event, count=max(1, added))
        if job is None:
            return []
        self._thanks[gifter] = job
        return [job]

    # ------------------------------------------------------------------ questions
    def _question(self, event: ChannelEvent) -> list[Job[ReplyContext]]:
        """A redemption of an "Ask <bot>" reward: a question that bot must answer (its
        outcome fulfils or refunds it). Other rewards are only journaled."""
        setting = self._settings.get(EventKind.REDEEM)
        reward = event.reward
        bot = self._asks.get(reward.title.casefold()) if reward is not None else None
        if setting is None or not setting.enabled or bot is None:
            return []
        named = event.author or ANONYMOUS
        reaction = Reaction(
            kind=EventKind.REDEEM,
            template=setting.template,
            fixed=setting.fixed,
            user=named,
            count=event.count,
            message=event.message,
            address=event.author if event.user else "",
            reward=reward,
            redemption=event.id,
            test=event.test,
        )
        job = self._submit(bot, setting.priority, _line(event, reaction), reaction)
        self._redemptions.track(job)
        return [job]

    # ------------------------------------------------------------------ timers
    def timer_job(self, timer: TimerSettings, index: int, number: int) -> Job[ReplyContext]:
        """A timer's line, as a job of its bot (`timer-<index>-<number>`)."""
        bot = self._choose(timer.bot, f"timer-{index}")
        reaction = Reaction(kind=None, template=timer.template, fixed=timer.fixed)
        line = ChatMessage(f"timer-{index}-{number}", "", reaction.render(), self._clock())
        return self._submit(bot, Priority.LOW, line, reaction)

    def job_ended(self, job: Job[ReplyContext]) -> None:
        """Forget a gifter's thank-you once it has ended."""
        reaction = job.context.reaction
        if reaction is not None and reaction.kind is EventKind.GIFT:
            for gifter, pending in list(self._thanks.items()):
                if pending is job:
                    del self._thanks[gifter]


def _line(event: ChannelEvent, reaction: Reaction) -> ChatMessage:
    """What stands for the event where a chat line would: its id, who, what to write."""
    return ChatMessage(
        id=event.id,
        user=event.user,
        text=reaction.render(),
        timestamp=event.timestamp,
        display_name=event.display_name,
    )


def _not_begun(job: Job[ReplyContext]) -> bool:
    """Still waiting or in its delay: what it will write can still change."""
    return job.outcome is None and job.phase in (Phase.QUEUED, Phase.DELAYING)


# ------------------------------------------------------------------ test events
TEST_USER = "botdeck_test"


def sample_event(
    kind: EventKind, number: int, now: float, bots: Sequence[str], asks: Mapping[str, str]
) -> ChannelEvent:
    """An event of `kind` as the operator fires it to see the reaction (marked `test`);
    ValueError for a kind that has no reaction."""
    base = ChannelEvent(
        kind,
        f"test-{kind.value}-{number}",
        now,
        user=TEST_USER,
        display_name="botdeck_test",
        test=True,
    )
    match kind:
        case EventKind.RAID:
            return replace(base, count=50)
        case EventKind.SUB:
            return replace(base, count=3, message="test sub message")
        case EventKind.GIFT:
            return replace(base, count=5)
        case EventKind.CHEER:
            return replace(base, count=500, message="Cheer500 test cheer")
        case EventKind.REDEEM:
            title = next(iter(asks), f"Ask {bots[0]}")
            return replace(base, message="what game is this?", reward=Reward("test", title))
        case EventKind.ANNOUNCEMENT:
            return replace(base, message="test announcement: the stream ends at 10")
        case EventKind.FOLLOW:
            return base
        case EventKind.ONLINE | EventKind.OFFLINE | EventKind.UPDATE | EventKind.UNSUPPORTED:
            raise ValueError(f"{kind.value} has no reaction to try")
    raise AssertionError(kind)
