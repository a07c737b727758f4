"""Chat modes: which bots may talk in the channel now, and how fast.

Twitch drops what a bot may not say (followers-only, subscribers-only, emote-only) and
what it says too soon (slow mode). Rather than write replies that would be dropped, a bot
that cannot talk is held (`Scheduler.hold`): its waiting replies wait, its unsent running
ones go back to the queue, no LLM call is made, and its card says why and what to do.
Slow mode becomes the spacing of viewer-role bots in the send limiter, which raid mode's
forecast reads. Who may talk depends on each bot's role (from the config, confirmed by the
badges on its own messages), so holds are re-checked when a role may have changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from botdeck.core.ratelimit import SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.engine.events import EventHub
from botdeck.model.channel import ChatSettings
from botdeck.model.chat import Role
from botdeck.model.events import ChatModeChanged
from botdeck.model.jobs import ReplyContext


class ChatModes:
    def __init__(
        self,
        *,
        bots: Sequence[str],
        role_of: Callable[[str], Role],
        scheduler: Scheduler[ReplyContext],
        limiter: SendLimiter | None,
        events: EventHub,
    ) -> None:
        self._bots = tuple(bots)
        self._role_of = role_of
        self._scheduler = scheduler
        self._limiter = limiter
        self._events = events
        self.settings = ChatSettings()
        self._held: dict[str, str] = {}

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

    def _update_holds(self) -> bool:
        changed = False
        for bot in self._bots:
            reason = self.settings.blocks(self._role_of(bot))
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
