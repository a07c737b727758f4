"""The journal's vocabulary: event names and the fixed outcome reasons.

The writer (`botdeck.engine.journal`), the report (`botdeck.report`) and the tests all
take these names from here. Reasons from outside botdeck (an AI server's error, a
platform's drop message) are free text; the ones botdeck decides itself are listed.
"""

from __future__ import annotations

from enum import StrEnum

from botdeck.model.jobs import Outcome


class JournalEvent(StrEnum):
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
