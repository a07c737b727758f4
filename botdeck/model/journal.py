"""The journal's schema: every event, its fields and their types, and which are optional.

One `TypedDict` per event is the single definition of a line. The writer
(`botdeck.engine.journal`) builds lines through `line_for`, so mypy checks every key and
type it writes; the report and resume read lines back through `botdeck.model.journal_check`,
which checks them against the same classes at run time; the README's tables are drawn
from them (`tests/test_readme.py`). What a field means is said once, in `FIELDS`, so a
name means one thing in every event.

Adding an event: its `JournalEvent` member, its `TypedDict` in `LINES` (with `counted_by`
if the report should count it), and a case in `line_for`; then the engine event in
`model/events.py` and whatever publishes it. The report counts it without a change.

Reasons from outside botdeck (an AI server's error, a platform's drop message) are free
text; the ones botdeck decides itself are `Reason`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, NotRequired, TypedDict, TypeGuard, cast

from botdeck.model.chat import ChatMessage
from botdeck.model.events import (
    AutoModHeld,
    ChannelEventSeen,
    ChatSeen,
    EngineEvent,
    FaultSeen,
    JobChanged,
    ModerationAction,
    ModerationSeen,
    RedemptionSettled,
    Reviewed,
    StateChanged,
)
from botdeck.model.jobs import JobStage, JobView, Outcome, Priority, RouterState
from botdeck.model.live import ReadingGap, SharedChat
from botdeck.model.review import Verdict
from botdeck.model.stream import EventKind, RedemptionStatus


class JournalEvent(StrEnum):
    RUN = "run"  # a run starts: its channel and Twitch client
    CHAT = "chat"
    ENQUEUED = "enqueued"
    STARTED = "started"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    STATE = "state"
    MODERATION = "moderation"  # a moderator deleted a line, removed a user, cleared chat
    REVIEWED = "reviewed"  # the operator approved, edited or rejected a reply
    CHANNEL_EVENT = "channel_event"  # a raid, sub, gift, follow, cheer, redemption, ...
    REDEMPTION = "redemption"  # a channel-point redemption fulfilled or refunded
    HELD = "held"  # AutoMod holds a reply for the moderators (its outcome comes later)
    READING_GAP = "reading_gap"  # chat was not read for a while: mentions may be missed
    SHARED_CHAT = "shared_chat"  # a shared chat session began, changed or ended
    FAULT = "fault"  # a drill injected a fault (`rehearse --chaos`, `demo --chaos`)


PriorityLabel = Literal["high", "normal", "low"]


# ------------------------------------------------------------------ the lines
class _Line(TypedDict):
    ts: float


class RunLine(_Line):
    """A run starts: the first line every run writes."""

    event: Literal[JournalEvent.RUN]
    channel: str
    client_id: NotRequired[str]
    source: NotRequired[str]
    version: NotRequired[str]


class ChatLine(_Line):
    """A chat line botdeck read: a viewer's, or one of its bots' replies seen in chat."""

    event: Literal[JournalEvent.CHAT]
    msg: str
    user: str
    text: str
    is_bot: NotRequired[bool]
    depth: NotRequired[int]
    synthetic: NotRequired[bool]


class _JobLine(_Line):
    job: int
    bot: str
    priority: PriorityLabel
    msg: str | None


class EnqueuedLine(_JobLine):
    """A reply job was accepted and waits for a free slot."""

    event: Literal[JournalEvent.ENQUEUED]
    delay: NotRequired[float]
    requeued: NotRequired[int]
    resumes: NotRequired[int]
    reaction: NotRequired[str]


class StartedLine(_JobLine):
    """A job took its slots: its delay, its reply and its send run now."""

    event: Literal[JournalEvent.STARTED]


class _OutcomeLine(_JobLine):
    coalesced_into: NotRequired[int]
    send_wait: NotRequired[float]
    tokens_in: NotRequired[int]
    tokens_out: NotRequired[int]
    ai_wasted: NotRequired[int]
    dropped: NotRequired[int]


class SentLine(_OutcomeLine):
    """A job's reply went out (or, with `coalesced_into`, another job's reply answered it)."""

    event: Literal[JournalEvent.SENT]
    text: str
    latency: NotRequired[float]
    manual: NotRequired[bool]


class FailedLine(_OutcomeLine):
    """A job ended without a reply because something failed."""

    event: Literal[JournalEvent.FAILED]
    reason: str | None


class CancelledLine(_OutcomeLine):
    """A job was cancelled (a stop, a moderator, the operator)."""

    event: Literal[JournalEvent.CANCELLED]
    reason: str | None


class SkippedLine(_OutcomeLine):
    """A job ended unsent by a rule (draining, stale, safety, resumed, expired, ...)."""

    event: Literal[JournalEvent.SKIPPED]
    reason: str | None
    resumed_as: NotRequired[int]


class StateLine(_Line):
    """The router's state changed (or a chat command asked for the one it was in)."""

    event: Literal[JournalEvent.STATE]
    state: RouterState
    by: NotRequired[str]
    command: NotRequired[str]


class ModerationLine(_Line):
    """A moderator deleted a line, removed a user or cleared the chat."""

    event: Literal[JournalEvent.MODERATION]
    action: ModerationAction
    msg: NotRequired[str]
    user: NotRequired[str]
    ended: NotRequired[int]
    unknown: NotRequired[bool]


class ReviewedLine(_Line):
    """A reply held for review was decided, just before its outcome."""

    event: Literal[JournalEvent.REVIEWED]
    job: int
    verdict: Verdict
    by: str
    text: NotRequired[str]


class ChannelEventLine(_Line):
    """Something happened on the channel: a raid, a sub, a redemption, the stream going
    live or changing its game, or a notification botdeck could not read."""

    event: Literal[JournalEvent.CHANNEL_EVENT]
    kind: EventKind
    msg: str
    user: NotRequired[str]
    count: NotRequired[int]
    text: NotRequired[str]
    detail: NotRequired[str]
    test: NotRequired[bool]


class RedemptionLine(_Line):
    """A channel-point redemption's fate, once its answer's job has ended."""

    event: Literal[JournalEvent.REDEMPTION]
    id: str
    status: RedemptionStatus
    job: int
    unapplied: NotRequired[str]


class HeldLine(_Line):
    """A sent reply AutoMod holds for the channel's moderators: not in chat yet. Its
    outcome follows when they decide: `sent` (approved, late) or `skipped`
    (`automod_denied`)."""

    event: Literal[JournalEvent.HELD]
    job: int
    bot: str
    text: str
    reason: str


class ReadingGapLine(_Line):
    """Chat was not read from `ts` to `until` (a connection lost, the chat subscription
    revoked): mentions in it may have been missed. Written when reading is back."""

    event: Literal[JournalEvent.READING_GAP]
    until: float


class SharedChatLine(_Line):
    """A shared chat session began or changed (`partners`) or ended (none): a bot's line
    reaches every channel in it."""

    event: Literal[JournalEvent.SHARED_CHAT]
    partners: str


class FaultLine(_Line):
    """A drill injected a fault from `ts` to `until` (absent: it does not last, or lasts
    until someone acts): written when it begins, so a killed run keeps it."""

    event: Literal[JournalEvent.FAULT]
    kind: str
    until: NotRequired[float]
    detail: NotRequired[str]


JobLine = EnqueuedLine | StartedLine | SentLine | FailedLine | CancelledLine | SkippedLine
OutcomeLine = SentLine | FailedLine | CancelledLine | SkippedLine
JournalLine = (
    RunLine
    | ChatLine
    | JobLine
    | StateLine
    | ModerationLine
    | ReviewedLine
    | ChannelEventLine
    | RedemptionLine
    | HeldLine
    | ReadingGapLine
    | SharedChatLine
    | FaultLine
)


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One event's definition, and how the report shows it when no figure of its own
    does: `counted_by` names the field whose values it counts ("moderation: delete 3")."""

    line: type
    counted_by: str | None = None


LINES: dict[JournalEvent, LineSpec] = {
    JournalEvent.RUN: LineSpec(RunLine),
    JournalEvent.CHAT: LineSpec(ChatLine),
    JournalEvent.ENQUEUED: LineSpec(EnqueuedLine),
    JournalEvent.STARTED: LineSpec(StartedLine),
    JournalEvent.SENT: LineSpec(SentLine),
    JournalEvent.FAILED: LineSpec(FailedLine),
    JournalEvent.CANCELLED: LineSpec(CancelledLine),
    JournalEvent.SKIPPED: LineSpec(SkippedLine),
    JournalEvent.STATE: LineSpec(StateLine),
    JournalEvent.MODERATION: LineSpec(ModerationLine, counted_by="action"),
    JournalEvent.REVIEWED: LineSpec(ReviewedLine),
    JournalEvent.CHANNEL_EVENT: LineSpec(ChannelEventLine),  # the report's `channel`
    JournalEvent.REDEMPTION: LineSpec(RedemptionLine),
    JournalEvent.HELD: LineSpec(HeldLine, counted_by="reason"),
    JournalEvent.READING_GAP: LineSpec(ReadingGapLine),
    JournalEvent.SHARED_CHAT: LineSpec(SharedChatLine),
    JournalEvent.FAULT: LineSpec(FaultLine),
}

# Fields older journals named otherwise: (event, old name) -> the name now. A chat line's
# `bot: true` became `is_bot`, so that `bot` is a bot's login everywhere.
RENAMED: dict[tuple[JournalEvent, str], str] = {(JournalEvent.CHAT, "bot"): "is_bot"}

# What each field means, once for every event that carries it.
FIELDS: dict[str, str] = {
    "ts": "when, in Unix seconds",
    "event": "the event's name",
    "channel": "the channel the run reads and answers in (the broadcaster's login)",
    "client_id": "the Twitch application's client id, when one is configured",
    "source": "where the run's chat comes from: `twitch`, `simulated`, `replay`, ...",
    "version": "the botdeck version that wrote the run",
    "msg": "a chat line's id: the line itself (`chat`), the line a job answers (null for "
    "a line typed at the console), the line a moderator deleted (`moderation`); a channel "
    "event's id (`channel_event`, and the jobs reacting to it)",
    "user": "a viewer's login: who wrote the line (`chat`), who was removed (`moderation`), "
    "who raided, subscribed, gifted, followed, cheered or redeemed (`channel_event`)",
    "text": "the line's text (`chat`), the reply sent (`sent`), the edited reply "
    "(`reviewed`), the reply held (`held`), what the viewer wrote with the event "
    "(`channel_event`)",
    "is_bot": "true on a line one of botdeck's bots sent (older journals: `bot`)",
    "depth": "bot-to-bot hops from a viewer's line",
    "synthetic": (
        "true on a mention a rehearsal or the demo made up (`--mention-rate`), never real chat"
    ),
    "job": "the job's id, unique within a journal file across runs",
    "bot": "the login of the bot account the job replies as",
    "priority": "`high` (a mention), `normal` (a random reply), `low` (bot to bot)",
    "delay": "seconds the job sleeps before writing its reply",
    "requeued": "how many times the job went back to the queue unsent",
    "resumes": "the id of a previous run's open job this one takes over",
    "coalesced_into": "the job whose merged reply answered this one (raid mode)",
    "send_wait": "seconds the reply waited for its bot's send limit",
    "tokens_in": "tokens the AI server read for this reply",
    "tokens_out": "tokens the AI server wrote for this reply",
    "latency": "seconds from the chat line to the reply's send",
    "manual": "true on a line the operator typed as a bot",
    "reason": "why the job ended so: one of botdeck's reasons, or an outside error's text; "
    "why a reply is held (`held`: `automod`)",
    "resumed_as": "the id of the job that took this one over after a restart",
    "state": "the router's state",
    "by": "who decided, when not the operator at the terminal: a moderator's login, or "
    "`stream.offline` when the stream ended (`state`); `operator`, `timeout`, `quit` or "
    "`headless` (`reviewed`)",
    "command": "the chat command that changed the state",
    "action": "what the moderator did",
    "ended": "unsent replies it ended",
    "unknown": "true when botdeck had not seen the line or the user",
    "verdict": "what was decided about the reply",
    "kind": "what happened: a channel event's kind, or a drill's fault as its plan names it"
    " (`ai_down`, `crash`, ...)",
    "count": "raid viewers, months subscribed, subs gifted or bits cheered",
    "test": "true on an event the operator fired to try a reaction",
    "reaction": "the kind of channel event a reaction job answers, or `timer`",
    "id": "the channel-point redemption's id",
    "status": "the redemption's fate: fulfilled (the answer was sent) or canceled (the "
    "points refunded)",
    "unapplied": "why Twitch was not told the status (a reward botdeck did not create, "
    "Twitch unreachable, a test event)",
    "until": "when it ended, in Unix seconds (`ts` is when it began)",
    "partners": "the other channels of the shared chat session, logins separated by commas"
    ' ("": it ended)',
    "detail": "in words: what a drill's fault was (`AI down: 429 storm`), or what an"
    " unsupported notification was or the field it lacked",
    "ai_wasted": "requests to the AI server for this reply that no message came of: "
    "failed ones, and the one written when the reply was not sent",
    "dropped": "send attempts the platform refused or dropped (each retried, or the last)",
}

# The largest value each number may take; none is ever negative. A reader trusts no
# figure outside these (`journal_check`): a latency of 1e308 s or -5 tokens is no line
# botdeck wrote. Seconds are at most a week (a reply waits minutes); the rest are ids
# and counts, exact in any JSON reader's doubles.
MAX_TS = 1e10  # a Unix time in seconds, until the year 2286
WEEK = 7 * 86_400.0
MAX_COUNT = 2**53
LIMITS: dict[str, float] = {
    "ts": MAX_TS,
    "delay": WEEK,
    "send_wait": WEEK,
    "latency": WEEK,
    "until": MAX_TS,
    "ai_wasted": MAX_COUNT,
    "dropped": MAX_COUNT,
    "tokens_in": 10_000_000,  # per reply: more than any model's context
    "tokens_out": 10_000_000,
}


# ------------------------------------------------------------------ engine events -> lines
def line_for(event: EngineEvent, ts: float) -> JournalLine | None:
    """The journal line an engine event becomes, or None for events it does not record
    (the dashboard's own: bot cards, chat modes, the AI's availability)."""
    if isinstance(event, JobChanged):
        return job_line(event.stage, event.job, ts)
    if isinstance(event, ChatSeen):
        return chat_line(event.message, ts)
    if isinstance(event, StateChanged):
        state: StateLine = {"ts": ts, "event": JournalEvent.STATE, "state": event.state}
        if event.by is not None:
            state["by"] = event.by
        if event.command is not None:
            state["command"] = event.command
        return state
    if isinstance(event, ModerationSeen):
        return moderation_line(event, ts)
    if isinstance(event, ChannelEventSeen):
        return channel_event_line(event, ts)
    if isinstance(event, RedemptionSettled):
        redemption: RedemptionLine = {
            "ts": ts,
            "event": JournalEvent.REDEMPTION,
            "id": event.redemption,
            "status": event.status,
            "job": event.job,
        }
        if event.unapplied is not None:
            redemption["unapplied"] = event.unapplied
        return redemption
    if isinstance(event, Reviewed):
        reviewed: ReviewedLine = {
            "ts": ts,
            "event": JournalEvent.REVIEWED,
            "job": event.job.id,
            "verdict": event.verdict,
            "by": event.by,
        }
        if event.text is not None:
            reviewed["text"] = event.text
        return reviewed
    if isinstance(event, FaultSeen):
        return fault_line(event)
    return live_line(event, ts)


def live_line(event: EngineEvent, ts: float) -> JournalLine | None:
    """The lines of a live channel (`model.live`): a held reply, a reading gap (dated
    from its start), a shared chat session."""
    if isinstance(event, AutoModHeld):
        return {
            "ts": ts, "event": JournalEvent.HELD, "job": event.job.id, "bot": event.job.bot,
            "text": event.text, "reason": Reason.AUTOMOD,
        }  # fmt: skip
    if isinstance(event, ReadingGap):
        gap: ReadingGapLine = {"ts": round(event.since, 3), "event": JournalEvent.READING_GAP,
                               "until": round(event.until, 3)}  # fmt: skip
        return gap
    if isinstance(event, SharedChat):
        shared: SharedChatLine = {"ts": ts, "event": JournalEvent.SHARED_CHAT,
                                  "partners": ",".join(event.partners)}  # fmt: skip
        return shared
    return None


def fault_line(event: FaultSeen) -> FaultLine:
    """A fault, dated from its start (a drill may tell a restarted run of one that began
    while botdeck was down)."""
    fault = event.fault
    line: FaultLine = {"ts": round(fault.since, 3), "event": JournalEvent.FAULT, "kind": fault.kind}
    if fault.until is not None:
        line["until"] = round(fault.until, 3)
    if fault.detail:
        line["detail"] = fault.detail
    return line


def chat_line(message: ChatMessage, ts: float) -> ChatLine:
    line: ChatLine = {
        "ts": ts,
        "event": JournalEvent.CHAT,
        "msg": message.id,
        "user": message.user,
        "text": message.text,
    }
    if message.is_bot:
        line["is_bot"] = True
        line["depth"] = message.depth
    if message.synthetic:
        line["synthetic"] = True
    return line


def channel_event_line(seen: ChannelEventSeen, ts: float) -> ChannelEventLine:
    event = seen.event
    line: ChannelEventLine = {
        "ts": ts,
        "event": JournalEvent.CHANNEL_EVENT,
        "kind": event.kind,
        "msg": event.id,
    }
    if event.user:
        line["user"] = event.user
    if event.count:
        line["count"] = event.count
    if event.message:
        line["text"] = event.message
    if event.detail:
        line["detail"] = event.detail
    if event.test:
        line["test"] = True
    return line


def moderation_line(event: ModerationSeen, ts: float) -> ModerationLine:
    line: ModerationLine = {"ts": ts, "event": JournalEvent.MODERATION, "action": event.action}
    if event.msg is not None:
        line["msg"] = event.msg
    if event.user is not None:
        line["user"] = event.user
    line["ended"] = event.ended
    if not event.known:
        line["unknown"] = True
    return line


def priority_label(priority: Priority) -> PriorityLabel:
    return cast(PriorityLabel, priority.label)


def job_line(stage: JobStage, job: JobView, ts: float) -> JobLine | None:
    """A job's transition; None for a finished job without an outcome."""
    manual = job.context.manual
    bot, msg = job.bot, None if manual else job.context.message.id
    priority = priority_label(job.priority)
    if stage is JobStage.ENQUEUED:
        enqueued: EnqueuedLine = {
            "ts": ts, "event": JournalEvent.ENQUEUED, "job": job.id, "bot": bot,
            "priority": priority, "msg": msg,
        }  # fmt: skip
        if job.requeued:
            enqueued["requeued"] = job.requeued
        if job.context.resumes is not None:
            enqueued["resumes"] = job.context.resumes
        if (reaction := job.context.reaction) is not None:
            enqueued["reaction"] = reaction.kind.value if reaction.kind else "timer"
        enqueued["delay"] = round(job.delay, 3)
        return enqueued
    if stage is JobStage.STARTED:
        return {
            "ts": ts, "event": JournalEvent.STARTED, "job": job.id, "bot": bot,
            "priority": priority, "msg": msg,
        }  # fmt: skip
    outcome: OutcomeLine
    if job.outcome is Outcome.SENT:
        sent: SentLine = {
            "ts": ts, "event": JournalEvent.SENT, "job": job.id, "bot": bot,
            "priority": priority, "msg": msg, "text": job.result or "",
        }  # fmt: skip
        sent["latency"] = round((job.finished_at or 0.0) - job.created_at, 3)
        if manual:
            sent["manual"] = True
        outcome = sent
    elif job.outcome is Outcome.FAILED:
        outcome = {
            "ts": ts, "event": JournalEvent.FAILED, "job": job.id, "bot": bot,
            "priority": priority, "msg": msg, "reason": job.reason,
        }  # fmt: skip
    elif job.outcome is Outcome.CANCELLED:
        outcome = {
            "ts": ts, "event": JournalEvent.CANCELLED, "job": job.id, "bot": bot,
            "priority": priority, "msg": msg, "reason": job.reason,
        }  # fmt: skip
    elif job.outcome is Outcome.SKIPPED:
        outcome = {
            "ts": ts, "event": JournalEvent.SKIPPED, "job": job.id, "bot": bot,
            "priority": priority, "msg": msg, "reason": job.reason,
        }  # fmt: skip
    else:
        return None
    if job.carrier is not None:
        outcome["coalesced_into"] = job.carrier  # answered by that job's reply
    if job.send_wait is not None:
        outcome["send_wait"] = round(job.send_wait, 3)
    if job.tokens_in or job.tokens_out:
        outcome["tokens_in"] = job.tokens_in
        outcome["tokens_out"] = job.tokens_out
    wasted = job.ai_failed if job.outcome is Outcome.SENT else job.ai_calls
    if wasted:
        outcome["ai_wasted"] = wasted
    if job.dropped:
        outcome["dropped"] = job.dropped
    return outcome


JOB_EVENTS = frozenset(
    {
        JournalEvent.ENQUEUED,
        JournalEvent.STARTED,
        JournalEvent.SENT,
        JournalEvent.FAILED,
        JournalEvent.CANCELLED,
        JournalEvent.SKIPPED,
    }
)

OUTCOME_EVENT: dict[Outcome, JournalEvent] = {
    Outcome.SENT: JournalEvent.SENT,
    Outcome.FAILED: JournalEvent.FAILED,
    Outcome.CANCELLED: JournalEvent.CANCELLED,
    Outcome.SKIPPED: JournalEvent.SKIPPED,
}
OUTCOME_EVENTS = frozenset(OUTCOME_EVENT.values())


def is_job_line(line: JournalLine) -> TypeGuard[JobLine]:
    return line["event"] in JOB_EVENTS


def is_outcome_line(line: JournalLine) -> TypeGuard[OutcomeLine]:
    return line["event"] in OUTCOME_EVENTS


class Reason(StrEnum):
    """Why a job ended other than sent, when botdeck itself decided it."""

    STOPPED = "stopped"  # emergency stop
    DRAINING = "draining"  # submitted while draining or drained
    QUIT = "quit"  # the dashboard closed with the job still running
    CANCELLED = "cancelled"  # its task was cancelled from outside
    PER_USER_CAP = "per_user_cap"  # the viewer already had that many replies waiting
    STALE = "stale"  # a random or bot-to-bot reply that waited past max_age
    EMPTY_REPLY = "empty reply"
    LEAK = "leak"  # the reply repeated the rules, the persona or a secret
    BLOCKED = "blocked"  # the blocklist matched
    MODERATION = "moderation"  # the moderation endpoint flagged the line or the reply
    TOKEN_BUDGET = "token budget reached"
    DELETED_BY_MODERATOR = "deleted_by_moderator"
    USER_REMOVED = "user_removed"
    OPERATOR = "operator"
    MUTED = "muted"
    REJECTED = "rejected"
    RESUMED = "resumed"
    EXPIRED = "expired"
    AI_UNAVAILABLE = "ai_unavailable"
    AUDIENCE = "audience"  # a mention from outside the bot's `audience` (audience_mentions)
    AUTOMOD = "automod"  # AutoMod holds the reply (`held`); undecided when the run ended
    AUTOMOD_DENIED = "automod_denied"  # the channel's moderators denied a held reply
    SHARED_CHAT = "shared_chat"  # a random or bot-to-bot reply when a shared chat began
