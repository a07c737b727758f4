"""Every word, mark and severity the dashboard shows for a member of one of the domain's
enums, in one place.

Each one is a `match` ending in `assert_never`, so mypy fails `make test` when an enum
gains a member that has no label here: a new state can never reach the screen as a
`KeyError` in a widget (the AI-wait phase once did, and took the dashboard down with it).
`tests/tui/test_labels.py` renders every member of every enum in the widgets that show it.
"""

from __future__ import annotations

from typing import Literal, assert_never

from botdeck.model.console import QueuedMentions
from botdeck.model.events import AIState, ModerationAction
from botdeck.model.faults import FaultEdge
from botdeck.model.jobs import Outcome, Phase, Priority, RouterState
from botdeck.model.keys import When
from botdeck.model.live import BotRemoval, OfflineAction, Removal, clock
from botdeck.model.review import Verdict
from botdeck.model.room import PassKind
from botdeck.model.stream import ChannelEvent, EventKind, RedemptionStatus

Severity = Literal["information", "warning", "error"]


def phase_label(phase: Phase) -> str:
    """The queue inspector's phase column (at most 6 characters)."""
    match phase:
        case Phase.QUEUED:
            return "queued"
        case Phase.CARRIED:
            return "merged"
        case Phase.DELAYING:
            return "delay"
        case Phase.GENERATING:
            return "write"
        case Phase.REVIEW:
            return "REVIEW"
        case Phase.AI_WAIT:
            return "AIwait"
        case Phase.SENDING:
            return "send"
        case Phase.HELD:
            return "held"
        case Phase.DONE:
            return "done"
        case _:
            assert_never(phase)


def priority_label(priority: Priority) -> str:
    """The queue inspector's priority column (at most 4 characters)."""
    match priority:
        case Priority.HIGH:
            return "high"
        case Priority.NORMAL:
            return "norm"
        case Priority.LOW:
            return "low"
        case _:
            assert_never(priority)


def router_attention(state: RouterState) -> bool:
    """Whether the header is drawn to catch the eye (anything but plain running)."""
    match state:
        case RouterState.RUNNING:
            return False
        case RouterState.PAUSED | RouterState.DRAINING | RouterState.DRAINED | RouterState.STOPPED:
            return True
        case _:
            assert_never(state)


def outcome_word(outcome: Outcome) -> str | None:
    """The word of a chat line for a job's outcome; None for a sent reply, which is its
    own line in the chat."""
    match outcome:
        case Outcome.FAILED:
            return "failed"
        case Outcome.SKIPPED:
            return "skipped"
        case Outcome.CANCELLED:
            return "cancelled"
        case Outcome.SENT:
            return None
        case _:
            assert_never(outcome)


def moderation_label(action: ModerationAction, user: str | None) -> str:
    """What a moderator did, for the chat (never the removed text)."""
    match action:
        case ModerationAction.DELETE:
            return "deleted a line"
        case ModerationAction.CLEAR_USER:
            return f"removed {user}"
        case ModerationAction.CLEAR:
            return "cleared the chat"
        case _:
            assert_never(action)


def ai_toast(state: AIState) -> tuple[Severity, float, str]:
    """How an AI availability change is toasted: severity, seconds shown, and what to add
    to its words. A refusal stays up long: replies fail until someone fixes the setup."""
    match state:
        case AIState.REFUSED:
            return "error", 60.0, ""
        case AIState.DOWN:
            return "warning", 5.0, "; replies wait for it"
        case AIState.UP:
            return "information", 5.0, ""
        case _:
            assert_never(state)


def when_note(when: When) -> str:
    """The help screen's "when" column."""
    match when:
        case When.ALWAYS:
            return ""
        case When.DEMO:
            return "demo"
        case When.BOT:
            return "a bot selected"
        case When.JOB:
            return "a reply selected"
        case When.REVIEW:
            return "a reply in review"
        case _:
            assert_never(when)


def timeout_word(verdict: Verdict) -> str:
    """What review's timeout does to a reply nobody decides, for the review panel."""
    match verdict:
        case Verdict.APPROVED | Verdict.EDITED:
            return "sent"
        case Verdict.REJECTED:
            return "rejected"
        case _:
            assert_never(verdict)


def mentions_choice(choice: QueuedMentions, count: int, to: str | None = None) -> str:
    """One choice of the mute dialog: what becomes of the bot's `count` queued mentions."""
    them = "it" if count == 1 else f"the {count}"
    match choice:
        case QueuedMentions.HAND_OVER:
            return f"hand {them} to {to}"
        case QueuedMentions.FINISH:
            return f"let it answer {them} first, then fall silent"
        case QueuedMentions.DROP:
            return f"drop {them} (skipped: muted)"
        case _:
            assert_never(choice)


def muted_toast(choice: QueuedMentions, bot: str, count: int, to: str | None = None) -> str:
    """What a mute did, for its toast (`count`: the mentions it concerned)."""
    mentions = "1 mention" if count == 1 else f"{count} mentions"
    match choice:
        case QueuedMentions.HAND_OVER:
            return f"{bot} muted: {mentions} handed to {to}"
        case QueuedMentions.FINISH:
            return f"{bot} muted once it has answered {mentions}"
        case QueuedMentions.DROP:
            return f"{bot} muted: {mentions} dropped" if count else f"{bot} muted"
        case _:
            assert_never(choice)


def pass_label(kind: PassKind) -> str:
    """A card's word for why its bot passed lines up ("passed: emotes 41, spam 12")."""
    match kind:
        case PassKind.EMOTES:
            return "emotes"
        case PassKind.SHORT:
            return "short"
        case PassKind.COPYPASTA:
            return "pasta"
        case PassKind.REPEATS:
            return "spam"
        case PassKind.SHARE:
            return "share"
        case PassKind.AUDIENCE:
            return "audience"
        case PassKind.SHARED_CHAT:
            return "shared"
        case _:
            assert_never(kind)


def event_words(event: ChannelEvent) -> str:
    """What happened on the channel, for the chat (plain text: names and messages are
    the platform's, cleaned, never markup)."""
    who = event.author or "an anonymous viewer"
    said = f": {event.message}" if event.message else ""
    test = "test " if event.test else ""
    match event.kind:
        case EventKind.RAID:
            return f"{test}raid: {who} with {event.count:,} viewers"
        case EventKind.SUB:
            months = f" ({event.count} months)" if event.count else ""
            return f"{test}sub: {who}{months}{said}"
        case EventKind.GIFT:
            what = f"{event.count} subs" if event.count != 1 else "a sub"
            return f"{test}gift: {who} gifted {what}"
        case EventKind.FOLLOW:
            return f"{test}follow: {who}"
        case EventKind.CHEER:
            return f"{test}cheer: {who}, {event.count:,} bits{said}"
        case EventKind.REDEEM:
            reward = f" {event.reward.title!r}" if event.reward is not None else ""
            return f"{test}redeem{reward}: {who}{said}"
        case EventKind.ANNOUNCEMENT:
            return f"{test}announcement by {who}{said}"
        case EventKind.ONLINE:
            return "the stream is live"
        case EventKind.OFFLINE:
            return "the stream is offline"
        case EventKind.UPDATE:
            stream = event.stream
            if stream is None or not (stream.game or stream.title):
                return "stream updated"
            return f"stream: {stream.game or 'no category'} · {stream.title}"
        case EventKind.UNSUPPORTED:
            return f"unsupported event: {event.detail or 'unknown'}"
        case _:
            assert_never(event.kind)


def redemption_word(status: RedemptionStatus) -> str:
    """A redemption's fate as the chat says it: the points spent, or given back."""
    match status:
        case RedemptionStatus.FULFILLED:
            return "fulfilled"
        case RedemptionStatus.CANCELED:
            return "refunded"
        case _:
            assert_never(status)


def event_kind_label(kind: EventKind) -> str:
    """A kind of event as the test-event dialog and the palette name it."""
    match kind:
        case EventKind.RAID:
            return "raid"
        case EventKind.SUB:
            return "sub"
        case EventKind.GIFT:
            return "gift bomb"
        case EventKind.FOLLOW:
            return "follow"
        case EventKind.CHEER:
            return "cheer"
        case EventKind.REDEEM:
            return "channel-point question"
        case EventKind.ANNOUNCEMENT:
            return "announcement"
        case EventKind.ONLINE:
            return "stream online"
        case EventKind.OFFLINE:
            return "stream offline"
        case EventKind.UPDATE:
            return "stream update"
        case EventKind.UNSUPPORTED:
            return "unsupported event"
        case _:
            assert_never(kind)


def removal_flag(removal: BotRemoval) -> str:
    """A card's flag for one of our bots a moderator removed (the alert says the rest)."""
    match removal.kind:
        case Removal.TIMEOUT:
            return f"timed out until {clock(removal.until)}"
        case Removal.BAN:
            return "banned"
        case Removal.UNKNOWN:
            return "removed by a mod"
        case _:
            assert_never(removal.kind)


def offline_words(action: OfflineAction, offline: bool) -> str:
    """The header's word on `[chat] on_offline`, and what it did once the stream ended."""
    match action:
        case OfflineAction.KEEP:
            return "stream offline: bots keep talking" if offline else "on offline: keep"
        case OfflineAction.DRAIN:
            return "stream offline: draining" if offline else "on offline: drain"
        case _:
            assert_never(action)


def fault_label(edge: FaultEdge) -> tuple[str, Severity]:
    """A drill's fault: the word for the edge it hits (the alert line, the chat line) and
    how its toast looks. Faults the operator has keys for (a bot removed, sends failing,
    a restart to check) are warnings; what only passes (a raid, a mode) is information."""
    match edge:
        case FaultEdge.AI:
            return "AI", "warning"
        case FaultEdge.READING:
            return "reading", "warning"
        case FaultEdge.SENDING:
            return "sending", "warning"
        case FaultEdge.MODERATORS:
            return "moderators", "information"
        case FaultEdge.CHAT_MODES:
            return "chat mode", "information"
        case FaultEdge.CHANNEL:
            return "channel", "information"
        case FaultEdge.PROCESS:
            return "restart", "error"
        case _:
            assert_never(edge)
