"""AutoMod's holds: a reply the platform took but keeps from chat until the channel's
moderators decide.

Twitch answers such a send `is_sent: false` with the drop code `msg_rejected` ("being
checked by mods"). That is no failure: the job is journaled `held` (reason `automod`,
with its text) and leaves its slots (`Scheduler.settle` ends it later), so a bot whose
line waits for a moderator is not blocked meanwhile. The moderators' verdict comes from
the source (`AutoModVerdict`): approved, the job is `sent`, late, with the id the line
has in chat (its echo then takes the reply's depth); denied, `skipped` (`automod_denied`).
A hold still undecided when the run ends is `skipped` (`automod`), so every job still
ends with one outcome and a restart does not answer the line again.

A verdict is matched to its reply by the bot and the text, as Twitch sends it (spaces
collapsed); when the text does not match, a bot's only held reply is taken.
"""

from __future__ import annotations

import logging
from collections import deque

from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.engine.events import EventHub
from botdeck.model.events import AutoModHeld
from botdeck.model.jobs import Outcome, ReplyContext
from botdeck.model.journal import Reason
from botdeck.model.live import AutoModVerdict

ReplyJob = Job[ReplyContext]
log = logging.getLogger(__name__)


def _key(bot: str, text: str) -> tuple[str, str]:
    return bot, " ".join(text.split())


class AutoModDesk:
    """Replies AutoMod holds, until their verdict."""

    def __init__(self, scheduler: Scheduler[ReplyContext], events: EventHub) -> None:
        self._scheduler = scheduler
        self._events = events
        self._held: dict[tuple[str, str], deque[ReplyJob]] = {}

    def __len__(self) -> int:
        return sum(len(jobs) for jobs in self._held.values())

    def held(self, job: ReplyJob, text: str) -> None:
        """The platform holds `job`'s reply `text` (the job parks right after)."""
        self._held.setdefault(_key(job.bot, text), deque()).append(job)
        log.info("AutoMod holds %s's reply (job %d) for the moderators", job.bot, job.id)
        self._events.publish(AutoModHeld(job, text))

    def decide(self, verdict: AutoModVerdict) -> bool:
        """The moderators decided; False when no held reply matches."""
        job = self._take(verdict.bot, verdict.text)
        if job is None:
            log.info("AutoMod verdict for %s matches no held reply", verdict.bot)
            return False
        if verdict.approved is True:
            self._scheduler.settle(job, Outcome.SENT, None, result_id=verdict.message_id)
        elif verdict.approved is False:
            self._scheduler.settle(job, Outcome.SKIPPED, Reason.AUTOMOD_DENIED)
        else:  # the hold ended without a decision
            self._scheduler.settle(job, Outcome.SKIPPED, Reason.AUTOMOD)
        return True

    def close(self) -> int:
        """The run ends: every reply still held gets its outcome (`skipped`, `automod`)."""
        ended = 0
        for jobs in self._held.values():
            for job in jobs:
                ended += self._scheduler.settle(job, Outcome.SKIPPED, Reason.AUTOMOD)
        self._held.clear()
        return ended

    def _take(self, bot: str, text: str) -> ReplyJob | None:
        jobs = self._held.get(_key(bot, text))
        if not jobs:
            theirs = [key for key, waiting in self._held.items() if key[0] == bot and waiting]
            if len(theirs) != 1:
                return None
            jobs = self._held[theirs[0]]
        job = jobs.popleft()
        for key in [key for key, waiting in self._held.items() if not waiting]:
            del self._held[key]
        return job
