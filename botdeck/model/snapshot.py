"""What a dashboard or a summary shows, in one polled value.

The scheduler's snapshot holds the queues; the rest comes from the parts around it (the
chat connection, the responder's token usage, each bot's send budget). Every part answers
cheaply, so polling at 10 Hz costs nothing noticeable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from botdeck.model.chat import ConnectionState
from botdeck.model.faults import Fault
from botdeck.model.jobs import RouterState
from botdeck.model.live import LiveSnapshot
from botdeck.model.room import RoomSnapshot
from botdeck.model.stream import StreamInfo


@dataclass(frozen=True, slots=True)
class Percentiles:
    p50: float | None
    p95: float | None
    max: float | None
    count: int

    @classmethod
    def empty(cls) -> Percentiles:
        return cls(None, None, None, 0)


@dataclass(frozen=True, slots=True)
class LaneSnapshot:
    """One bot's queue. `size` waits, `pending` has started and not finished."""

    bot: str
    size: int
    pending: int
    limit: int
    delaying: int
    generating: int
    sending: int
    sent: int
    failed: int
    cancelled: int
    skipped: int
    latency: Percentiles
    ai_waiting: int = 0  # started jobs waiting out an AI outage
    coalesced: int = 0  # jobs answered by another job's merged reply
    last_batch: int = 1  # viewers the bot's last merged reply answered
    merging: bool = False  # a merged reply went out in the last minute
    messages: int = 0  # chat messages sent (what Twitch saw): a merged reply counts once
    answered: int = 0  # mentions answered (a merged reply answers several)
    review: int = 0  # replies written and waiting for the operator's verdict
    paused: bool = False  # this bot starts no replies (its jobs wait)
    muted: bool = False  # this bot takes no replies at all
    held: str | None = None  # why the bot may not start replies now (a chat mode), if it may not
    parked: int = 0  # replies the platform holds for its moderators (AutoMod)


@dataclass(frozen=True, slots=True)
class SchedulerSnapshot:
    state: RouterState
    size: int
    pending: int
    limit: int
    sent: int
    failed: int
    cancelled: int
    skipped: int
    replies_per_minute: float
    latency: Percentiles
    bots: tuple[LaneSnapshot, ...]
    messages: int = 0  # chat messages sent: what Twitch saw
    answered: int = 0  # mentions answered

    def bot(self, name: str) -> LaneSnapshot:
        for lane in self.bots:
            if lane.bot == name:
                return lane
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class BotUsage:
    """Tokens a bot's replies cost, from the API's `usage` (zero for the offline responder)."""

    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True, slots=True)
class SendBudget:
    """A bot account's send limit in the current window (Twitch: 20 or 100 per 30 s)."""

    used: int
    limit: int
    window: float
    next_free_in: float  # seconds until another message may be sent (0 when one may now)
    waiting: int = 0  # replies waiting for the window (their jobs show as "sending")
    role: str = ""  # the role the limit is sized for (from config, confirmed by badges)

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True, slots=True)
class ChatCounts:
    """Chat lines seen and mentions answered so far (the headless summary)."""

    lines: int = 0
    duplicates: int = 0
    mentions: int = 0  # high-priority jobs created
    mentions_answered: int = 0


@dataclass(frozen=True, slots=True)
class AIStatus:
    """The AI server as replies see it: down (an outage being waited out) or refusing the
    setup (what to fix). Absent from the snapshot while all is well."""

    down_for: float | None = None  # seconds it has been unreachable; None: it answers
    reason: str | None = None  # the latest failure, while down
    refused: str | None = None  # a setup problem no wait cures: what to fix
    waiting: int = 0  # started replies waiting for it
    outage_wait: float = 0.0  # how long each may wait (0: none wait)

    def header(self) -> str | None:
        """`AI down for 23 s`, for the dashboard's header."""
        return None if self.down_for is None else f"AI down for {int(self.down_for)} s"

    def notices(self) -> tuple[str, ...]:
        found = []
        if self.down_for is not None:
            waits = (
                f"{self.waiting} replies wait up to {self.outage_wait:g} s"
                if self.outage_wait
                else "replies fail"
            )
            found.append(f"AI down for {int(self.down_for)} s: {self.reason}; {waits}")
        if self.refused:
            found.append(f"AI refused: {self.refused}")
        return tuple(found)


class Expired(StrEnum):
    """Why a restart gave a previous run's open job `expired` rather than answering again;
    each reads after a count ("3 too old")."""

    OFF = "with resuming off"  # `--no-resume`, or the demo
    NOT_CONFIGURED = "for bots not in the config"
    NOT_MENTION = "random or bot-to-bot"  # only mentions are answered again
    NO_LINE = "without their chat line in the journal"
    FUTURE = "from the future"  # the line's time is after now: a clock moved, or a forgery
    TOO_OLD = "too old"  # older than `resume_window`
    NOT_TAKEN = "not taken again"  # the engine refused it (e.g. draining)
    HELD = "held by AutoMod"  # its reply was at Twitch, waiting for the moderators


@dataclass(frozen=True, slots=True)
class ResumeSummary:
    """What a start found in the channel's previous journal and did with it."""

    source: str  # the journal read
    resumed: int = 0  # mentions submitted again
    expired: int = 0  # unfinished jobs ended `expired` (too old, or not mentions)
    unreadable: int = 0  # journal lines that could not be read (skipped)
    problem: str | None = None  # why the journal could not be read at all
    why: Mapping[Expired, int] = field(default_factory=dict)  # `expired`, by cause
    missing_bots: tuple[str, ...] = ()  # bots of open jobs that the config no longer has
    channel: str = ""  # this run's
    left_alone: int = 0  # other channels' open jobs: no outcome written, nothing answered
    elsewhere: Mapping[str, int] = field(default_factory=dict)  # the first few of those
    # channels -> how many of their jobs
    resuming: bool = True  # False: this run never resumes (the demo, `--no-resume`)

    @property
    def worth_saying(self) -> bool:
        """Whether the operator hears of it. A run that never resumes says nothing about
        resuming (the demo's chat is made up; `--no-resume` asked for none): the previous
        run's open jobs still get their outcome, which only the log mentions."""
        if not self.resuming:
            return False
        return bool(self.resumed or self.expired or self.unreadable or self.problem) or bool(
            self.left_alone
        )

    @property
    def troubled(self) -> bool:
        """Worth a warning rather than a note: something could not be read, or belonged
        to another channel."""
        return bool(self.problem or self.unreadable or self.left_alone)

    def describe(self) -> str:
        """One line for the dashboard, the summary and the log."""
        if not self.resuming:
            return f"not resuming: {self.expired} open jobs of {self.source} ended expired"
        if self.problem:
            return f"nothing resumed: {self.problem}"
        left_alone = self.left_alone
        others = ", ".join(f"#{channel}" for channel in self.elsewhere)
        if left_alone > sum(self.elsewhere.values()):
            others += ", ..."
        if left_alone and not (self.resumed or self.expired):
            return (
                f"nothing resumed: {self.source} is {others}'s journal, not #{self.channel}'s"
                f" ({left_alone} open jobs left alone)"
            )
        text = f"resumed {self.resumed} mentions from {self.source}"
        details = []
        for why, count in self.why.items():
            named = f" ({', '.join(self.missing_bots)})" if why is Expired.NOT_CONFIGURED else ""
            details.append(f"{count} {why.value}{named}: expired")
        if left_alone:
            details.append(f"{left_alone} open jobs of {others} left alone: another channel's")
        if self.unreadable:
            details.append(f"{self.unreadable} unreadable lines skipped")
        return text + (f" ({'; '.join(details)})" if details else "")


@dataclass(frozen=True, slots=True)
class RaidSnapshot:
    """A raid raid mode plans for (the header shows it)."""

    channel: str  # who raided (their display name)
    viewers: int
    age: float  # seconds since it arrived
    mentions: int  # mentions of the bots since

    def header(self) -> str:
        return f"raid: {self.channel} ({self.viewers:,} viewers)"


@dataclass(frozen=True, slots=True)
class EventCounts:
    """Channel events taken so far and what became of them (the summary, the overview)."""

    events: int = 0  # channel events taken (resends not counted)
    reactions: int = 0  # reaction and timer jobs created
    unsupported: int = 0  # notifications botdeck could not read
    fulfilled: int = 0  # redemptions fulfilled
    refunded: int = 0  # redemptions canceled, so the points went back
    open_redemptions: int = 0  # redemptions whose answer has not ended yet


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    queues: SchedulerSnapshot
    connection: ConnectionState
    responder: str  # a model name or "offline"
    channel: str
    usage: Mapping[str, BotUsage] = field(default_factory=dict)
    budgets: Mapping[str, SendBudget] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # standing conditions worth a glance, e.g. a budget reached
    chat: ChatCounts = ChatCounts()
    reviewing: frozenset[str] = frozenset()  # bots whose replies wait for the operator
    reviews: int = 0  # replies waiting for a verdict now
    chat_mode: str = ""  # the channel's chat modes in force, e.g. "slow 10s" ("" when open)
    cooldown_hits: Mapping[str, int] = field(default_factory=dict)  # lines a cooldown left
    passed: Mapping[str, int] = field(default_factory=dict)  # random replies a full send
    # window made a bot pass up, per bot (they never became jobs)
    resume: ResumeSummary | None = None  # what this run took over from the previous one
    ai: AIStatus | None = None  # the AI server down or refusing; None while it answers
    sends_held: bool = False  # an emergency stop awaits confirmation: nothing is sent
    room: RoomSnapshot | None = None  # the bots' share of chat, what random replies passed up
    stream: StreamInfo = field(default_factory=StreamInfo)  # the game and title, live or not
    raid: RaidSnapshot | None = None  # a raid raid mode plans for now
    events: EventCounts = field(default_factory=EventCounts)
    live: LiveSnapshot = field(
        default_factory=LiveSnapshot
    )  # shared chat, stream offline, bots removed, gaps
    faults: tuple[Fault, ...] = ()  # a drill's faults under way (`--chaos`)

    @property
    def state(self) -> RouterState:
        return self.queues.state
