"""What a report says, as plain data: the renderer and `--json` both read these."""

from __future__ import annotations

from dataclasses import dataclass, field

from botdeck.model.snapshot import BotUsage

TokenCount = BotUsage  # the engine's count, by the report's name


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds from a chat line to the reply's send, over `count` replies (nearest rank)."""

    count: int
    p50: float | None
    p95: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class Mentions:
    """Mentions are high-priority jobs: one per bot named in a viewer's line."""

    jobs: int
    lines: int  # chat lines that mentioned at least one bot
    answered: int  # jobs that ended `sent`
    share: float | None  # answered / jobs; None without mentions
    merged: int = 0  # answered by another mention's reply (raid mode: `coalesced_into`)
    unanswered: dict[str, int] = field(default_factory=dict)  # "skipped: draining" -> count


@dataclass(frozen=True, slots=True)
class BacklogPeak:
    """The most jobs waiting (enqueued, not started nor ended) at once, first reached at."""

    size: int
    ts: float | None
    offset: float | None  # seconds from the journal's first event


@dataclass(frozen=True, slots=True)
class SendWait:
    """Time replies spent waiting for their bot's send limit (`send_wait` on outcomes)."""

    recorded: bool  # False: no limiter ran, or the journal predates the field
    total: float = 0.0
    replies: int = 0  # replies that waited at all
    max: float = 0.0
    by_bot: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Tokens:
    recorded: bool  # False: no outcome carried token counts (e.g. the offline responder)
    total: TokenCount = field(default_factory=TokenCount)
    by_bot: dict[str, TokenCount] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Timeline:
    """Backlog (most waiting in each bucket) and replies sent per bucket (messages: a
    merged reply counts once), from `start`."""

    start: float
    bucket: float  # seconds per bucket
    backlog: list[int]
    replies: list[int]
    backlog_by_bot: dict[str, list[int]] = field(default_factory=dict)  # same buckets
    chat: list[int] = field(default_factory=list)  # viewers' lines per bucket (not made up)

    @property
    def replies_per_minute(self) -> list[float]:
        return [count * 60.0 / self.bucket for count in self.replies]


@dataclass(frozen=True, slots=True)
class Console:
    """What the operator did at the console: review verdicts and lines typed as a bot."""

    verdicts: dict[str, int] = field(default_factory=dict)  # approved, edited, rejected
    by_timeout: int = 0  # verdicts `[review] on_timeout` made when nobody answered
    typed: int = 0  # lines sent as a bot from the console (`manual`)
    on_quit: int = 0  # verdicts `on_timeout` made at once because the operator quit

    @property
    def reviewed(self) -> int:
        return sum(self.verdicts.values())


@dataclass(frozen=True, slots=True)
class LatencyPoint:
    """An answered mention: when its reply was sent and how long after the chat line.
    Every one while there are few; past `tally.POINTS_EXACT`, the slowest of each bot in
    each of `tally.POINT_BINS` slices of the journal."""

    at: float  # seconds from the journal's first event
    latency: float
    bot: str


@dataclass(frozen=True, slots=True)
class SendWindow:
    """One bot's messages in the trailing `window` seconds (Twitch counts 20 per 30 s for a
    viewer account, 100 for a VIP, moderator or the broadcaster): the peak, first reached
    at, and the most in the window during each timeline bucket."""

    peak: int
    peak_at: float | None  # seconds from the first event
    most: list[int] = field(default_factory=list)  # per `Timeline` bucket


@dataclass(frozen=True, slots=True)
class ChatShare:
    """The bots' share of chat: their messages (each sent reply; a merged one once) over
    all chat lines, the viewers' and theirs; lines a rehearsal made up are left out."""

    lines: int  # viewers' lines plus the bots' messages
    messages: int
    share: float | None  # messages / lines; None without chat
    random_share: float | None  # random and bot-to-bot replies only (mentions answered aside)


@dataclass(frozen=True, slots=True)
class Channel:
    """The channel's events (`channel_event`), the bots' reactions to them (jobs with a
    `reaction`) and the channel-point questions' fates (`redemption`)."""

    events: dict[str, int] = field(default_factory=dict)  # by kind, the platform's only
    tests: int = 0  # test events the operator fired from the console
    reactions: int = 0  # reaction jobs that ended (an open one counts as not sent)
    reacted: int = 0  # of those, sent
    fulfilled: int = 0  # redemptions answered, so FULFILLED
    refunded: int = 0  # redemptions CANCELED: Twitch gave the viewer's points back

    @property
    def any(self) -> bool:
        return bool(self.events or self.tests or self.reactions or self.fulfilled or self.refunded)


@dataclass(frozen=True, slots=True)
class Late:
    """Answered mentions whose reply came after `target` seconds (`ack_target`)."""

    target: float
    mentions: int


@dataclass(frozen=True, slots=True)
class Synthetic:
    """Chat lines a rehearsal made up (`synthetic: true`: extra mentions), told apart."""

    lines: int = 0
    mentions: int = 0  # mention jobs on such lines
    answered: int = 0


@dataclass(frozen=True, slots=True)
class Said:
    """One reply a bot sent, with the line it answered (none: typed at the console, or a
    line no longer in the journal). `at` counts from the start of its run (its first
    line: about the stream's start live, the first line of the log played in a
    rehearsal)."""

    at: float  # seconds from the start of its run
    ts: float  # Unix seconds
    text: str
    priority: str
    user: str | None = None  # who wrote the line it answered
    line: str | None = None
    synthetic: bool = False  # that line was made up by the rehearsal
    latency: float | None = None


@dataclass(frozen=True, slots=True)
class Unsent:
    """A reply that was not sent (failed, cancelled, skipped), and the line it was for."""

    at: float  # seconds from the start of its run
    ts: float
    bot: str
    priority: str
    user: str | None = None
    line: str | None = None
    synthetic: bool = False


@dataclass(frozen=True, slots=True)
class UnsentGroup:
    """The replies not sent for one reason ("skipped: blocked"): how many, a few shown."""

    reason: str
    count: int
    shown: list[Unsent] = field(default_factory=list)  # evenly spread over the run


@dataclass(frozen=True, slots=True)
class Talker:
    user: str
    lines: int  # mentions of the bot in their lines


@dataclass(frozen=True, slots=True)
class BotReport:
    """What one bot said, and who talked to it: its messages and their share of chat,
    the viewers who mentioned it most, and its replies (at most `tally.SAID_SHOWN`,
    evenly spread; `messages - len(said)` more were sent)."""

    messages: int
    share: float | None
    talkers: list[Talker] = field(default_factory=list)
    talkers_exact: bool = True  # else each count is one the viewer surely reached
    said: list[Said] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReadingGaps:
    """Times chat was not read (`reading_gap`): mentions in them may have been missed.
    `spans` are (start, end) in seconds from the journal's first event, the first few."""

    count: int = 0
    seconds: float = 0.0
    spans: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FaultCost:
    """What one fault a drill injected cost (`fault` lines), counted over the jobs whose
    life (their chat line to their outcome) it met: mentions answered later than the ack
    target (`delayed`), mentions lost and why, messages the platform dropped, AI requests
    no message came of, and the worst latency of a mention it met."""

    kind: str
    detail: str | None
    at: float  # seconds from the journal's first event (a drill's night: all its runs)
    ts: float
    until: float | None  # None: it did not last
    mentions: int = 0  # mention jobs it met
    delayed: int | None = None  # None: no ack target to count against
    lost: dict[str, int] = field(default_factory=dict)  # "failed: ai_unavailable" -> count
    dropped: int = 0
    wasted: int = 0
    worst: float | None = None

    @property
    def lost_count(self) -> int:
        return sum(self.lost.values())


@dataclass(frozen=True, slots=True)
class LostMention:
    """A mention the bots saw and never answered (not one moderators removed), with the
    faults it met (their kinds, by their place in `Faults.faults`)."""

    at: float  # seconds from the journal's first event, when it ended
    ts: float
    bot: str
    reason: str  # "failed: ai_unavailable", "no outcome in the journal"
    user: str | None = None
    line: str | None = None
    synthetic: bool = False
    faults: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Faults:
    """A drill's faults and what each cost, and every mention lost (the first
    `tally.LOST_SHOWN` listed; `lost` counts them all)."""

    faults: list[FaultCost] = field(default_factory=list)
    lost: int = 0
    listed: list[LostMention] = field(default_factory=list)
    delayed_after: float | None = None  # the ack target `delayed` counts against
    more_faults: int = 0  # faults past `tally.FAULTS_KEPT`, counted only


@dataclass(frozen=True, slots=True)
class Report:
    journal: str
    start: float | None  # first and last event time (Unix seconds)
    end: float | None
    runs: int  # runs appended to the same journal (job ids start again)
    final_state: str | None
    chat_lines: int
    viewer_lines: int  # not made up by a rehearsal (those are `synthetic.lines`)
    bot_lines: int
    jobs: int
    outcomes: dict[str, int]  # sent, failed, cancelled, skipped, and "open" (no outcome yet)
    mentions: Mentions
    latency_by_priority: dict[str, Latency]
    latency_by_bot: dict[str, Latency]
    backlog_peak: BacklogPeak
    send_wait: SendWait
    reasons: dict[str, dict[str, int]]  # outcome -> reason -> count (failed/skipped/cancelled)
    tokens: Tokens
    timeline: Timeline | None
    window: float  # seconds: Twitch's send window (`model.defaults.TWITCH_SEND_LIMITS`)
    channels: list[str] = field(default_factory=list)  # the runs' (the first 10), from `run`
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # see `LineSpec.counted_by`
    console: Console = field(default_factory=Console)
    notes: list[str] = field(default_factory=list)
    mention_latency: list[LatencyPoint] = field(default_factory=list)  # in order of sending
    send_windows: dict[str, SendWindow] = field(default_factory=dict)  # by bot
    share: ChatShare = field(default_factory=lambda: ChatShare(0, 0, None, None))
    synthetic: Synthetic = field(default_factory=Synthetic)
    bots: dict[str, BotReport] = field(default_factory=dict)
    unsent: list[UnsentGroup] = field(default_factory=list)  # the largest groups first
    estimates: list[str] = field(default_factory=list)  # figures estimated, and how closely
    late: Late | None = None  # counted when the report was asked for an ack_target
    channel: Channel = field(default_factory=Channel)
    gaps: ReadingGaps = field(default_factory=ReadingGaps)  # blind spots: chat not read
    faults: Faults | None = None  # a drill's journal (`fault` lines): what each cost

    @property
    def duration(self) -> float:
        return (self.end - self.start) if self.start is not None and self.end is not None else 0.0
