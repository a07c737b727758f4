"""Moderators stay in charge: what a deleted line, a removed user or a cleared chat does.

- A deleted line: every unsent reply it triggered ends `skipped` (`deleted_by_moderator`)
  and it leaves the context of every bot; a reply already written from a context that
  held it is written again without it (see the pipeline).
- A removed user (a ban or a timeout): every unsent reply to them ends `skipped`
  (`user_removed`), their lines leave the context, and their new lines go unanswered for
  `removed_user_quiet` seconds. A merged raid reply loses just them.
- A cleared chat: the context is emptied; queued mentions stay.
- One of our own bots removed (a moderator banned or timed out a bot that misbehaved):
  the bot is paused, its replies wait instead of failing one by one at Twitch, and a
  notice says so. Twitch's chat event does not say how long a timeout lasts; when the
  source finds out (`removed`: Get Banned Users' `expires_at`), a timed-out bot resumes
  by itself when its timeout ends (the notice says when), while a ban waits for the
  operator (`b`), as does a removal whose end nobody told.

Each action is one synchronous `Scheduler.cancel`, so nothing the moderators removed can
be sent after the event is handled. Each is published as `ModerationSeen` (journaled as a
`moderation` event) with how many replies it ended, and never with the removed text; an
action on a line or user botdeck never saw changes nothing and says so (`known=False`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.core.wall_timer import WallAlarm
from botdeck.engine.conversation import Conversation
from botdeck.engine.events import EventHub
from botdeck.model.channel import ChatCleared, MessageDeleted, ModerationEvent, UserCleared
from botdeck.model.events import BotChanged, ModerationAction, ModerationSeen
from botdeck.model.jobs import ReplyContext, RouterState
from botdeck.model.journal import Reason
from botdeck.model.live import BotRemoval, Removal, clock

ReplyJob = Job[ReplyContext]
log = logging.getLogger(__name__)


class Moderation:
    def __init__(
        self,
        *,
        scheduler: Scheduler[ReplyContext],
        conversation: Conversation,
        events: EventHub,
        quiet_for: float,
        now: Callable[[], float],
        bots: Iterable[str] = (),
        wall: Callable[[], float] = time.time,
        acting: bool = True,
    ) -> None:
        self._enabled = acting  # off: actions are only journaled (a benchmark's baseline)
        self._scheduler = scheduler
        self._bots = {bot.lower(): bot for bot in bots}
        # Our bots a moderator removed, in order, and how (a timeout's end, once known).
        self._removed_bots: dict[str, BotRemoval] = {}
        self._ends: dict[str, WallAlarm] = {}
        self._wall = wall
        self._conversation = conversation
        self._events = events
        self._quiet_for = quiet_for
        self._now = now
        self._quiet: dict[str, float] = {}  # login -> until when their lines go unanswered

    def quiet(self, user: str) -> bool:
        """Whether this user was removed by a moderator less than `quiet_for` ago."""
        until = self._quiet.get(user)
        if until is None:
            return False
        if self._now() < until:
            return True
        del self._quiet[user]
        return False

    @property
    def notices(self) -> tuple[str, ...]:
        return tuple(removal.describe(bot) for bot, removal in self._removed_bots.items())

    @property
    def removals(self) -> Mapping[str, BotRemoval]:
        """Our bots a moderator removed, and how."""
        return dict(self._removed_bots)

    def bot_resumed(self, bot: str) -> None:
        """The operator let the bot talk again: its notice goes."""
        self._removed_bots.pop(bot, None)
        if (end := self._ends.pop(bot, None)) is not None:
            end.cancel()

    def removed(self, login: str, until: float | None) -> None:
        """How long one of our bots was removed for: a timeout's end (Unix seconds), or
        None for a ban. A timeout already over resumes the bot now."""
        bot = self._bots.get(login.lower())
        if bot is None:
            return
        if bot not in self._removed_bots:
            if until is not None and until <= self._wall():
                return  # over, and already resumed (by its end, or by the operator)
            self._pause_removed(bot)
        if until is None:
            self._removed_bots[bot] = BotRemoval(Removal.BAN)
            self._events.publish(BotChanged(bot))
            return
        left = until - self._wall()
        if left <= 0:
            self._timeout_over(bot)
            return
        self._removed_bots[bot] = BotRemoval(Removal.TIMEOUT, until)
        log.warning("moderation: %s is timed out until %s", bot, clock(until))
        if (end := self._ends.pop(bot, None)) is not None:
            end.cancel()
        self._ends[bot] = WallAlarm(self._wall, until, lambda: self._timeout_over(bot))
        self._events.publish(BotChanged(bot))

    def _timeout_over(self, bot: str) -> None:
        """A bot's timeout ended: it talks again by itself."""
        self._ends.pop(bot, None)
        if self._removed_bots.pop(bot, None) is None:
            return  # the operator resumed it meanwhile
        log.warning("moderation: %s's timeout ended: resumed", bot)
        self._scheduler.resume_bot(bot)
        self._events.publish(BotChanged(bot))

    def bot_refused(self, bot: str) -> bool:
        """The platform refused a send because `bot` is banned or timed out, a removal this
        run did not see (it fell while reading was lost): paused as if it had, True (the
        reply waits). Also True when the bot is paused for it already (the source may tell
        the removal, e.g. a timeout's end it looked up for this refusal, before the refused
        send reaches here), except while draining: a drain runs a paused bot's replies,
        which fail rather than go round again. False when moderation handling is off."""
        if not self._enabled or bot.lower() not in self._bots:
            return False
        if bot in self._removed_bots:
            return self._scheduler.state is not RouterState.DRAINING
        self._pause_removed(bot)
        return True

    def apply(self, event: ModerationEvent) -> ModerationSeen:
        if not self._enabled:
            seen = _unheeded(event)
        elif isinstance(event, MessageDeleted):
            seen = self._delete(event.msg)
        elif isinstance(event, UserCleared):
            seen = self._remove_user(event.user.lower())
        else:
            assert isinstance(event, ChatCleared)
            self._conversation.clear()
            seen = ModerationSeen(ModerationAction.CLEAR)
        self._events.publish(seen)
        return seen

    def _delete(self, msg: str) -> ModerationSeen:
        def triggered(job: ReplyJob) -> str | None:
            return Reason.DELETED_BY_MODERATOR if job.context.message.id == msg else None

        known = self._conversation.seen(msg)
        ended = self._scheduler.cancel(triggered)
        self._conversation.delete(msg)
        return ModerationSeen(ModerationAction.DELETE, msg=msg, ended=len(ended), known=known)

    def _remove_user(self, user: str) -> ModerationSeen:
        def theirs(job: ReplyJob) -> str | None:
            return Reason.USER_REMOVED if job.context.message.user == user else None

        known = self._conversation.knows(user)
        ended = self._scheduler.cancel(theirs)
        self._conversation.remove(lambda line: line.user == user)
        if self._quiet_for > 0:
            self._quiet[user] = self._now() + self._quiet_for
            self._forget_expired()
        if (bot := self._bots.get(user)) is not None:
            self._pause_removed(bot)
        return ModerationSeen(ModerationAction.CLEAR_USER, user=user, ended=len(ended), known=known)

    def _pause_removed(self, bot: str) -> None:
        log.warning("moderation: our bot %s was banned or timed out: paused", bot)
        self._removed_bots[bot] = BotRemoval(Removal.UNKNOWN)
        self._scheduler.pause_bot(bot, recall=True)  # what it was about to say would drop
        self._events.publish(BotChanged(bot))

    def _forget_expired(self) -> None:
        if len(self._quiet) > 4096:
            now = self._now()
            self._quiet = {user: until for user, until in self._quiet.items() if until > now}


def _unheeded(event: ModerationEvent) -> ModerationSeen:
    """An action journaled with nothing done about it: how botdeck behaves without its
    moderation handling, which a benchmark measures against."""
    if isinstance(event, MessageDeleted):
        return ModerationSeen(ModerationAction.DELETE, msg=event.msg)
    if isinstance(event, UserCleared):
        return ModerationSeen(ModerationAction.CLEAR_USER, user=event.user.lower())
    return ModerationSeen(ModerationAction.CLEAR)
