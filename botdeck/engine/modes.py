"""Chat modes: which bots may talk in the channel now, and how fast.

Twitch drops what a bot may not say (followers-only, subscribers-only, emote-only) and
what it says too soon (slow mode). Rather than write replies that would be dropped, a bot
that cannot talk is held (`Scheduler.hold`): its waiting replies wait, its unsent running
ones go back to the queue, no LLM call is made, and its card says why and what to do.
Slow mode becomes the spacing of viewer-role bots in the send limiter, which raid mode's
forecast reads. Who may talk depends on each bot's role (from the config, confirmed by the
badges on its own messages), so holds are re-checked when a role may have changed.

Followers-only mode lets a viewer-role bot talk once it has followed the channel for the
mode's minutes. When the source says whether each bot follows (`follows`), a bot that
follows long enough talks, one that follows too recently is held until it may (and then
released by itself), and one that does not follow is held with that reason; a bot whose
follow was not checked is held as before, since Twitch would drop its lines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from botdeck.core.ratelimit import SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.core.wall_timer import WallAlarm
from botdeck.engine.events import EventHub
from botdeck.model.channel import ChatSettings
from botdeck.model.chat import Role
from botdeck.model.events import ChatModeChanged
from botdeck.model.jobs import ReplyContext
from botdeck.model.live import clock


class ChatModes:
    def __init__(
        self,
        *,
        bots: Sequence[str],
        role_of: Callable[[str], Role],
        scheduler: Scheduler[ReplyContext],
        limiter: SendLimiter | None,
        events: EventHub,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._bots = tuple(bots)
        self._role_of = role_of
        self._scheduler = scheduler
        self._limiter = limiter
        self._events = events
        self._now = now  # wall clock: follows are dated in Unix time
        self.settings = ChatSettings()
        self._held: dict[str, str] = {}
        self._follows: dict[str, float | None] = {}  # bot -> followed at; None: does not
        self._wake: WallAlarm | None = None

    @property
    def held(self) -> dict[str, str]:
        """The bots that cannot talk now, and why."""
        return dict(self._held)

    def may_speak(self, bot: str) -> bool:
        return bot not in self._held

    def speakers(self) -> tuple[str, ...]:
        """The bots that may talk now, in config order."""
        return tuple(bot for bot in self._bots if bot not in self._held)

    def apply(self, settings: ChatSettings) -> None:
        """The channel's chat settings (at start, and whenever they change)."""
        changed = settings != self.settings
        self.settings = settings
        if self._limiter is not None:
            self._limiter.set_slow_mode(settings.slow)
        if self._update_holds() or changed:
            self._events.publish(ChatModeChanged(settings, dict(self._held)))

    def recheck(self) -> None:
        """A bot's role may have changed (its badges): hold or release accordingly."""
        if self._update_holds():
            self._events.publish(ChatModeChanged(self.settings, dict(self._held)))

    def follows(self, since: Mapping[str, float | None]) -> None:
        """Whether these bots follow the channel (see the module docstring)."""
        self._follows.update((bot, at) for bot, at in since.items() if bot in self._bots)
        self.recheck()

    def _reason(self, bot: str) -> str | None:
        """Why `bot` may not talk now (None: it may)."""
        role = self._role_of(bot)
        reason = self.settings.blocks(role)
        settings = self.settings
        followers_decide = not (settings.emote_only or settings.subscribers_only)
        if reason is None or not followers_decide or bot not in self._follows:
            return reason
        since = self._follows[bot]
        if since is None:
            return "followers-only: does not follow (have it follow, or make it VIP or moderator)"
        ready = since + settings.follow_minutes * 60.0
        if ready <= self._now():
            return None
        self._wake_at(ready)
        return (
            f"followers-only {settings.follow_minutes}m: followed at {clock(since)},"
            f" talks from {clock(ready)}"
        )

    def _wake_at(self, ready: float) -> None:
        """Look again when a recent follow becomes old enough."""
        if self._wake is not None:
            if self._wake.at <= ready:
                return  # an earlier look comes first, and sets the next
            self._wake.cancel()
        try:
            self._wake = WallAlarm(self._now, ready, self._woken)
        except RuntimeError:  # no loop running (a test applying settings by hand)
            self._wake = None

    def _woken(self) -> None:
        self._wake = None
        self.recheck()

    def _update_holds(self) -> bool:
        changed = False
        for bot in self._bots:
            reason = self._reason(bot)
            if reason == self._held.get(bot):
                continue
            changed = True
            if reason is None:
                del self._held[bot]
                self._scheduler.release(bot)
            else:
                self._held[bot] = reason
                self._scheduler.hold(bot, reason)
        return changed
