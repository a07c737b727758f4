"""Channel-point questions, answered or refunded: every redemption's fate follows its job.

A redemption of an "Ask <bot>" reward is a question that bot must answer (a job like a
mention). When the job ends, its outcome decides: `sent` marks the redemption FULFILLED;
any other end (failed, stopped, skipped, expired, muted, rejected in review, the AI down
past `outage_wait`) marks it CANCELED, so the platform refunds the points. The platform is
told through the source's `RewardDesk` (Twitch: Update Redemption Status); the journal's
`redemption` line records the fate, and why the platform was not told when it was not
(a reward botdeck did not create, which Twitch lets only its creator settle; Twitch
unreachable; a test event). A run's end waits for the last settles (`flush`), so nothing
it answered is left UNFULFILLED.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from botdeck.chat.base import RewardDesk
from botdeck.core.jobs import Job
from botdeck.engine.events import EventHub
from botdeck.model.events import RedemptionSettled
from botdeck.model.jobs import Outcome, ReplyContext
from botdeck.model.stream import RedemptionStatus, Reward

log = logging.getLogger(__name__)

TEST = "a test event: nothing to tell the platform"


@dataclass(frozen=True, slots=True)
class _Open:
    redemption: str
    reward: Reward | None
    test: bool


class Redemptions:
    def __init__(self, desk: RewardDesk | None, events: EventHub) -> None:
        self._desk = desk
        self._events = events
        self._open: dict[int, _Open] = {}  # job id -> its redemption
        self._settling: set[asyncio.Task[None]] = set()
        self.fulfilled = 0
        self.refunded = 0

    @property
    def open(self) -> int:
        """Redemptions whose answer has not ended (or whose fate is still being told)."""
        return len(self._open) + len(self._settling)

    def track(self, job: Job[ReplyContext]) -> None:
        """The job answers a redemption (its reaction says which); one that has already
        ended (refused while draining) is settled at once."""
        reaction = job.context.reaction
        if reaction is None or not reaction.redemption:
            return
        self._open[job.id] = _Open(reaction.redemption, reaction.reward, reaction.test)
        if job.outcome is not None:
            self.job_ended(job)

    def job_ended(self, job: Job[ReplyContext]) -> None:
        """A job ended: if it answered a redemption, settle that by its outcome."""
        entry = self._open.pop(job.id, None)
        if entry is None:
            return
        if job.outcome is Outcome.SENT:
            status = RedemptionStatus.FULFILLED
            self.fulfilled += 1
        else:
            status = RedemptionStatus.CANCELED
            self.refunded += 1
        task = asyncio.get_running_loop().create_task(self._settle(entry, status, job.id))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _settle(self, entry: _Open, status: RedemptionStatus, job: int) -> None:
        unapplied: str | None = None
        if entry.test:
            unapplied = TEST
        elif self._desk is not None and entry.reward is not None:
            try:
                unapplied = await self._desk.settle(entry.redemption, entry.reward, status)
            except Exception as error:  # a desk must not raise; if one does, say so once
                log.exception("settling redemption %s failed", entry.redemption)
                unapplied = f"internal error ({type(error).__name__}; see the log)"
        if unapplied is not None:
            log.info("redemption %s: %s not applied (%s)", entry.redemption, status, unapplied)
        self._events.publish(RedemptionSettled(entry.redemption, status, job, unapplied))

    async def flush(self) -> None:
        """Wait until every redemption whose answer ended has been settled."""
        while self._settling:
            await asyncio.gather(*list(self._settling), return_exceptions=True)
