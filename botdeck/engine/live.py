"""A live channel over hours: what the platform says besides chat lines, and what the
engine does about it.

- Follows (`BotFollows`): followers-only mode holds a viewer-role bot only when it does
  not follow, or has not followed long enough (`engine/modes.py`).
- A bot's timeout with its end (`BotRemoved`): it resumes by itself then; a ban waits for
  the operator (`engine/moderation.py`).
- A reading gap (`ReadingGap`): journaled `reading_gap`, counted for the header.
- A shared chat session (`SharedChat`): a bot's line would reach every channel in it,
  whose moderators never agreed to AI bots, so random and bot-to-bot replies are held
  (waiting ones skipped `shared_chat`, new ones passed up) unless `[chat]
  shared_chat_replies`; mentions are still answered. Journaled `shared_chat`.
- The stream going offline (`StreamOffline`): with `[chat] on_offline = "drain"` the
  router drains (`by`: `stream.offline`); "keep" (the default) only says so.
- AutoMod's verdicts (`AutoModVerdict`): `engine/automod.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.engine.automod import AutoModDesk
from botdeck.engine.events import EventHub
from botdeck.engine.moderation import Moderation
from botdeck.engine.modes import ChatModes
from botdeck.model.jobs import Priority, ReplyContext
from botdeck.model.journal import Reason
from botdeck.model.live import (
    AutoModVerdict,
    BotFollows,
    BotRemoved,
    LiveEvent,
    LiveSnapshot,
    OfflineAction,
    ReadingGap,
    SharedChat,
    StreamOffline,
)

log = logging.getLogger(__name__)

OFFLINE_BY = "stream.offline"  # who drained, in the journal's `state` line


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """`[chat] on_offline` and `shared_chat_replies` (their defaults are the config's)."""

    on_offline: OfflineAction
    shared_chat_replies: bool  # random and bot-to-bot replies in shared chat


class LiveChannel:
    def __init__(
        self,
        settings: LiveSettings,
        *,
        scheduler: Scheduler[ReplyContext],
        events: EventHub,
        modes: ChatModes,
        moderation: Moderation,
        automod: AutoModDesk,
    ) -> None:
        self.settings = settings
        self._scheduler = scheduler
        self._events = events
        self._modes = modes
        self._moderation = moderation
        self._automod = automod
        self.drain: Callable[[str], object] | None = None  # the engine's drain, `by` given
        self._shared: tuple[str, ...] = ()
        self._offline = False
        self._gaps = 0
        self._blind_for = 0.0
        self.lock: str | None = None  # what the run's channel lock has to say, if anything

    @property
    def holds_chance_replies(self) -> bool:
        """A shared chat session is on and `shared_chat_replies` does not allow them."""
        return bool(self._shared) and not self.settings.shared_chat_replies

    def apply(self, event: LiveEvent) -> None:
        if isinstance(event, BotFollows):
            self._modes.follows(event.since)
        elif isinstance(event, BotRemoved):
            self._moderation.removed(event.bot, event.until)
        elif isinstance(event, ReadingGap):
            self._gaps += 1
            self._blind_for += event.seconds
            log.warning("chat was not read for %.1f s: mentions may be missed", event.seconds)
            self._events.publish(event)
        elif isinstance(event, SharedChat):
            self._shared_chat(event)
        elif isinstance(event, StreamOffline):
            self._stream_offline()
        elif isinstance(event, AutoModVerdict):
            self._automod.decide(event)

    def snapshot(self) -> LiveSnapshot:
        return LiveSnapshot(
            on_offline=self.settings.on_offline,
            offline=self._offline,
            shared_with=self._shared,
            shared_replies=self.settings.shared_chat_replies,
            removed=self._moderation.removals,
            gaps=self._gaps,
            blind_for=self._blind_for,
            lock=self.lock,
        )

    def _shared_chat(self, event: SharedChat) -> None:
        if event.partners == self._shared:
            return
        began = not self._shared and event.active
        self._shared = event.partners
        if event.active:
            log.warning("shared chat with %s", ", ".join(event.partners))
        else:
            log.warning("the shared chat session ended")
        self._events.publish(event)
        if began and self.holds_chance_replies:

            def by_chance(job: Job[ReplyContext]) -> str | None:
                manual = job.context.manual
                return (
                    Reason.SHARED_CHAT if job.priority is not Priority.HIGH and not manual else None
                )

            self._scheduler.cancel(by_chance)

    def online(self) -> None:
        """The stream is live again (`stream.online`): no longer said offline."""
        self._offline = False

    def _stream_offline(self) -> None:
        self._offline = True
        log.warning("the stream went offline (on_offline = %s)", self.settings.on_offline.value)
        if self.settings.on_offline is OfflineAction.DRAIN and self.drain is not None:
            self.drain(OFFLINE_BY)
