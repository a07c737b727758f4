"""The tiered queue router's engine: one global concurrency limit plus one limit per bot.

Why not nested queues (the reference's `globalQueue.add(() => botQueue.add(task))`): a job
that waits for its bot there already holds a global slot, so one busy bot stalls idle ones
and "pending" counts jobs that are only waiting. Here a job takes both slots at the moment
it starts, and only jobs that can start are started (work-conserving).

How it runs: there is no task per job. Up to `global_limit` worker tasks each loop "take
the best startable job, run it, repeat", and exit when nothing can start. A job's delay is
slept inside the worker while the job holds its slots, which is what staggers replies.
Order among startable jobs: higher priority first, round-robin across bots, and within a
bot and priority fair between viewers (`FairQueue`), else FIFO. Per-job timeouts are
enforced by one watchdog timer, not one timer per job, which keeps the no-op path to
about a microsecond.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from botdeck.core.fairqueue import FairQueue
from botdeck.core.jobs import Job, JobFailed, JobParked, JobReturned, JobSkipped
from botdeck.core.stats import LatencyWindow, RateCounter
from botdeck.model.jobs import JobStage, Outcome, Phase, Priority, RouterState
from botdeck.model.journal import Reason
from botdeck.model.snapshot import LaneSnapshot, SchedulerSnapshot

log = logging.getLogger(__name__)

C = TypeVar("C")
Executor = Callable[[Job[C]], Awaitable[None]]

ACCEPTING = frozenset({RouterState.RUNNING, RouterState.PAUSED})
DISPATCHING = frozenset({RouterState.RUNNING, RouterState.DRAINING})

# Module-level names for the hot path (a global lookup is cheaper than an enum attribute).
_DRAINING = RouterState.DRAINING
_SENT = Outcome.SENT
_DELAYING = Phase.DELAYING
_GENERATING = Phase.GENERATING
_AI_WAIT = Phase.AI_WAIT
_DONE = Phase.DONE
_HIGH = Priority.HIGH

JobListener = Callable[[JobStage, Job[C]], None]
StateListener = Callable[[RouterState], None]
Match = Callable[[Job[C]], str | None]


class UnknownBotError(ValueError):
    pass


MERGING_SHOWN_FOR = 60.0  # seconds a bot shows as merging after a merged reply


class _Lane(Generic[C]):
    """One bot's waiting jobs, split by priority, plus its counters.

    `cap` is how many of its jobs may run now: its `limit`, or 0 while the bot is paused
    (the hot path compares against one number either way).
    """

    __slots__ = (
        "answered",
        "cap",
        "coalesced",
        "direct",
        "held",
        "last_batch",
        "last_batch_at",
        "latency",
        "limit",
        "messages",
        "muted",
        "name",
        "parked",
        "paused",
        "queues",
        "running",
        "totals",
        "waiting",
    )

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.cap = limit
        self.paused = False  # starts nothing (its jobs wait) until resumed
        self.muted = False  # takes no jobs until unmuted
        self.running = 0
        self.direct = 0  # jobs started by `run_now`, outside the limits
        self.waiting = 0
        self.queues: tuple[FairQueue[C], ...] = tuple(FairQueue() for _ in Priority)
        self.totals = dict.fromkeys(Outcome, 0)
        self.messages = 0  # sent replies that were a message of their own (not carried)
        self.answered = 0  # sent high-priority jobs (mentions), carried ones included
        self.latency = LatencyWindow()
        self.coalesced = 0
        self.last_batch = 1
        self.last_batch_at = float("-inf")
        self.held: str | None = None  # why this bot may not start jobs now (a chat mode)
        self.parked = 0  # jobs whose message the platform holds (AutoMod), out of the slots


def _check_limit(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be an integer >= 1, got {value!r}")
    return value


def _clock_of(loop: asyncio.AbstractEventLoop) -> Callable[[], float]:
    """`loop.time`, minus a Python call when it is the stock one (plain `time.monotonic`)."""
    if type(loop).time is asyncio.BaseEventLoop.time:
        return time.monotonic
    return loop.time


def describe_error(exc: BaseException) -> str:
    """A reason for the journal when a job body fails unexpectedly (a bug, not an outcome
    of chat or AI): never the exception's own text, which may carry anything a server or
    viewer sent; the log has the traceback."""
    return f"internal error ({type(exc).__name__}; see the log)"


class Scheduler(Generic[C]):
    """Runs jobs under a global and a per-bot concurrency limit. See the module docstring."""

    def __init__(
        self,
        bots: Iterable[str],
        *,
        global_limit: int,
        per_bot_limit: int,
        execute: Executor[C],
        precheck: Callable[[Job[C]], str | None] | None = None,
        job_timeout: float | None = None,
        viewer_cap: int | None = None,
        yield_every: int = 32,
    ) -> None:
        self._global_limit = _check_limit(global_limit, "global limit")
        _check_limit(per_bot_limit, "per-bot limit")
        self._lanes: dict[str, _Lane[C]] = {name: _Lane(name, per_bot_limit) for name in bots}
        if not self._lanes:
            raise ValueError("a scheduler needs at least one bot")
        self._execute = execute
        # A reason to skip a job as it starts, before its delay; it may also raise JobFailed
        # (or JobSkipped), which ends the job as a raising body would.
        self._precheck = precheck
        if job_timeout is not None and job_timeout <= 0:
            raise ValueError(f"job timeout must be > 0 seconds, got {job_timeout!r}")
        self._job_timeout = job_timeout
        if viewer_cap is not None:
            _check_limit(viewer_cap, "per-viewer cap")
        self._viewer_cap = viewer_cap
        self._watch_period = 1.0 if job_timeout is None else min(1.0, max(0.01, job_timeout / 20))
        self._yield_every = max(1, yield_every)
        # One ring per priority of the lanes that have waiting jobs at that priority.
        self._rings: tuple[deque[_Lane[C]], ...] = tuple(deque() for _ in Priority)
        self._state = RouterState.RUNNING
        self._size = 0
        self._pending = 0
        self._workers = 0
        self._next_id = 0
        self._running: dict[Job[C], asyncio.Task[None]] = {}
        self._aborted: set[Job[C]] = set()  # running jobs cancel() ended; their workers go on
        self._parked: dict[Job[C], _Lane[C]] = {}  # held by the platform, awaiting `settle`
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiters: list[tuple[int, Callable[[], bool], asyncio.Future[None]]] = []
        # Waiters can only be satisfied when size < this; lets the hot path skip them cheaply.
        self._wake_below = 0
        self._settle_waiters = False  # an on_settled waiter: check whenever nothing runs
        self._job_listeners: list[JobListener[C]] = []
        self._state_listeners: list[StateListener] = []
        self._watchdog: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._now: Callable[[], float] = time.monotonic
        self._rate = RateCounter()
        self._latency = LatencyWindow()

    # ----------------------------------------------------------------- observing
    @property
    def state(self) -> RouterState:
        return self._state

    @property
    def size(self) -> int:
        """Jobs waiting to start."""
        return self._size

    @property
    def pending(self) -> int:
        """Jobs started and not finished."""
        return self._pending

    @property
    def global_limit(self) -> int:
        return self._global_limit

    @property
    def bots(self) -> tuple[str, ...]:
        return tuple(self._lanes)

    @property
    def accepting(self) -> bool:
        return self._state in ACCEPTING

    def load(self, bot: str) -> tuple[int, int]:
        """The bot's jobs waiting or running (what stands before its next new job), and
        how many of them it may run at once."""
        lane = self._lane(bot)
        return lane.waiting + lane.running, lane.limit

    def running_jobs(self) -> tuple[Job[C], ...]:
        return tuple(self._running)

    def find(self, job_id: int) -> Job[C] | None:
        """A waiting or running job by id (None once it has ended)."""
        for job in self._running:
            if job.id == job_id:
                return job
        for lane in self._lanes.values():
            for queue in lane.queues:
                for job in queue.ordered():
                    if job.id == job_id:
                        return job
        return None

    def paused_bot(self, bot: str) -> bool:
        return self._lane(bot).paused

    def muted_bot(self, bot: str) -> bool:
        return self._lane(bot).muted

    def waiting_jobs(
        self, bot: str | None = None, priority: Priority | None = None
    ) -> list[Job[C]]:
        """Waiting jobs in dispatch order within each bot (and priority, if given)."""
        lanes = [self._lane(bot)] if bot else list(self._lanes.values())
        return [
            job
            for lane in lanes
            for queue in (lane.queues if priority is None else (lane.queues[priority],))
            for job in queue.ordered()
        ]

    def add_job_listener(self, listener: JobListener[C]) -> None:
        self._job_listeners.append(listener)

    def add_state_listener(self, listener: StateListener) -> None:
        self._state_listeners.append(listener)

    def snapshot(self) -> SchedulerSnapshot:
        """Every number a dashboard shows, in one call that is cheap enough to poll at 10 Hz."""
        now = self._now()
        phases: dict[str, list[int]] = {name: [0, 0, 0, 0, 0] for name in self._lanes}
        for job in self._running:
            if job.phase is Phase.DELAYING:
                phases[job.bot][0] += 1
            elif job.phase is Phase.GENERATING:
                phases[job.bot][1] += 1
            elif job.phase is Phase.SENDING:
                phases[job.bot][2] += 1
            elif job.phase is Phase.REVIEW:
                phases[job.bot][3] += 1
            elif job.phase is Phase.AI_WAIT:
                phases[job.bot][4] += 1
        lanes = tuple(
            LaneSnapshot(
                bot=lane.name,
                size=lane.waiting,
                pending=lane.running + lane.direct,
                limit=lane.limit,
                delaying=phases[lane.name][0],
                generating=phases[lane.name][1],
                sending=phases[lane.name][2],
                ai_waiting=phases[lane.name][4],
                sent=lane.totals[Outcome.SENT],
                failed=lane.totals[Outcome.FAILED],
                cancelled=lane.totals[Outcome.CANCELLED],
                skipped=lane.totals[Outcome.SKIPPED],
                latency=lane.latency.percentiles(),
                coalesced=lane.coalesced,
                last_batch=lane.last_batch,
                merging=now - lane.last_batch_at < MERGING_SHOWN_FOR,
                messages=lane.messages,
                answered=lane.answered,
                review=phases[lane.name][3],
                paused=lane.paused,
                muted=lane.muted,
                held=lane.held,
                parked=lane.parked,
            )
            for lane in self._lanes.values()
        )
        return SchedulerSnapshot(
            state=self._state,
            size=self._size,
            pending=self._pending,
            limit=self._global_limit,
            sent=sum(lane.sent for lane in lanes),
            failed=sum(lane.failed for lane in lanes),
            cancelled=sum(lane.cancelled for lane in lanes),
            skipped=sum(lane.skipped for lane in lanes),
            replies_per_minute=self._rate.per_minute(now),
            latency=self._latency.percentiles(),
            bots=lanes,
            messages=sum(lane.messages for lane in lanes),
            answered=sum(lane.answered for lane in lanes),
        )

    # ------------------------------------------------------------------ waiting
    async def on_idle(self) -> None:
        """Return once nothing waits and nothing runs."""
        await self._wait_for(1, lambda: self._size == 0 and self._pending == 0)

    async def on_settled(self) -> None:
        """Return once nothing runs and nothing waits that could start: only the jobs of
        held bots (see `hold`) may still wait."""
        await self._wait_for(0, self._settled)

    def _settled(self) -> bool:
        if self._pending:
            return False
        return self._size == sum(lane.waiting for lane in self._lanes.values() if lane.held)

    async def on_empty(self) -> None:
        """Return once nothing waits (jobs may still be running)."""
        await self._wait_for(1, lambda: self._size == 0)

    async def on_size_below(self, limit: int) -> None:
        """Return once fewer than `limit` jobs wait (backpressure for producers)."""
        await self._wait_for(limit, lambda: self._size < limit)

    async def _wait_for(self, below: int, predicate: Callable[[], bool]) -> None:
        if predicate():
            return
        future: asyncio.Future[None] = self._get_loop().create_future()
        self._waiters.append((below, predicate, future))
        self._wake_below = max(self._wake_below, below)
        self._settle_waiters = self._settle_waiters or below == 0
        await future

    def _notify_waiters(self) -> None:
        keep = []
        for below, predicate, future in self._waiters:
            if future.done():  # the waiter was cancelled
                continue
            if predicate():
                future.set_result(None)
            else:
                keep.append((below, predicate, future))
        self._waiters = keep
        self._wake_below = max((below for below, _, _ in keep), default=0)
        self._settle_waiters = any(below == 0 for below, _, _ in keep)

    # ----------------------------------------------------------------- submitting
    def submit(
        self,
        bot: str,
        priority: Priority,
        delay: float,
        context: C,
        viewer: str | None = None,
        age: float = 0.0,
        refuse: str | None = None,
    ) -> Job[C]:
        """Queue a job. When it is not accepted it comes back already skipped (never lost).

        `viewer` (who the reply answers) makes the bot's queue fair between viewers and
        subject to the per-viewer cap on waiting jobs. `age`: seconds the job already
        waited elsewhere (a previous run's job taken over after a restart). `refuse`: the
        caller's reason to skip it at once (it is still reported, so it is journaled).
        """
        lane = self._lanes.get(bot) or self._lane(bot)
        if self._loop is None:
            self._get_loop()
        self._next_id += 1
        delay = delay if delay > 0 else 0.0
        job = Job(self._next_id, bot, priority, delay, context, self._now() - age, viewer)
        if self._state not in ACCEPTING:
            stopped = self._state is RouterState.STOPPED
            self._finish(job, lane, Outcome.SKIPPED, Reason.STOPPED if stopped else Reason.DRAINING)
            return job
        if lane.muted or refuse is not None:
            self._finish(job, lane, Outcome.SKIPPED, refuse or Reason.MUTED)
            return job
        queue = lane.queues[priority]
        if viewer is not None and self._viewer_cap and queue.waiting_of(viewer) >= self._viewer_cap:
            self._finish(job, lane, Outcome.SKIPPED, Reason.PER_USER_CAP)
            return job
        if viewer is None:
            fifo = queue.fifo
            fifo.append(job)  # the fast path: a C-level deque append
            first = len(fifo) == 1 and not queue.heap
        else:
            queue.push(job)
            first = len(queue) == 1
        if first:
            self._rings[priority].append(lane)
        lane.waiting += 1
        self._size += 1
        if self._job_listeners:
            self._emit(JobStage.ENQUEUED, job)
        if (
            self._state is RouterState.RUNNING
            and self._workers < self._global_limit
            and lane.running < lane.cap
            and lane.held is None
        ):
            self._spawn_worker()
        return job

    def run_now(self, bot: str, priority: Priority, context: C, execute: Executor[C]) -> Job[C]:
        """Start a job at once, outside the queue and the concurrency limits: a line the
        operator typed as a bot, which must not wait behind replies being written.

        It is reported like any job (enqueued, started, finished), counts as pending, and
        `stop`/`cancel` end it like any running job. The router's state, a paused or a
        muted bot do not hold it: the operator asked for it just now.
        """
        lane = self._lane(bot)
        loop = self._get_loop()
        self._next_id += 1
        now = self._now()
        job = Job(self._next_id, bot, priority, 0.0, context, now, direct=True)
        if self._job_listeners:
            self._emit(JobStage.ENQUEUED, job)
        job.started_at = now
        job.phase = _GENERATING
        lane.direct += 1
        self._pending += 1
        task = loop.create_task(self._run_direct(job, lane, execute))
        # A callback, not `finally`: a task cancelled before it first runs (a stop right
        # after the operator typed) never enters its coroutine.
        task.add_done_callback(lambda _: self._direct_done(job, lane, task))
        self._running[job] = task
        self._tasks.add(task)
        if self._job_listeners:
            self._emit(JobStage.STARTED, job)
        return job

    # ------------------------------------------------------------------- controls
    def pause(self) -> bool:
        """Stop starting jobs; running ones finish. Still accepting."""
        if self._state is not RouterState.RUNNING:
            return False
        self._set_state(RouterState.PAUSED)
        return True

    def resume(self) -> bool:
        if self._state is not RouterState.PAUSED:
            return False
        self._set_state(RouterState.RUNNING)
        self._dispatch()
        return True

    def drain(self) -> bool:
        """Accept nothing new, finish everything queued and running, then become DRAINED."""
        if self._state not in ACCEPTING:
            return False
        self._set_state(RouterState.DRAINING)
        self._dispatch()
        self._drain_if_done()
        return True

    def start(self) -> bool:
        """Accept and dispatch again after a drain or a stop."""
        if self._state in ACCEPTING:
            return False
        self._set_state(RouterState.RUNNING)
        self._dispatch()
        return True

    def stop(self, reason: str = Reason.STOPPED) -> int:
        """Emergency stop: cancel every queued and running job now. Returns how many.

        Every cancelled job is marked and reported before this returns, so a job body
        that calls `job.commit()` before sending can never send afterwards, and the
        worker tasks are cancelled so no job code resumes except to unwind.
        """
        if self._state is RouterState.STOPPED:
            return 0
        self._set_state(RouterState.STOPPED)
        cancelled = 0
        for lane in self._lanes.values():
            for queue in lane.queues:
                for job in queue.take_all():
                    self._finish(job, lane, Outcome.CANCELLED, reason)
                    cancelled += 1
            lane.waiting = 0
        for ring in self._rings:
            ring.clear()
        self._size = 0
        for job in list(self._running):
            self._finish(job, self._lanes[job.bot], Outcome.CANCELLED, reason)
            cancelled += 1
        for task in self._tasks:
            task.cancel()
        if self._waiters:
            self._notify_waiters()
        return cancelled

    def cancel(self, match: Match[C], outcome: Outcome = Outcome.SKIPPED) -> list[Job[C]]:
        """End now every unsent job for which `match` returns a reason (None: keep it).

        Waiting jobs leave the queue; running jobs whose send has not begun (see
        `Job.commit`) end and their bodies are cancelled, their workers going on; jobs a
        running reply carries leave it. Like `stop`, every ended job is reported before
        this returns; unlike it, the router's state does not change.
        """
        ended: list[Job[C]] = []
        for lane in self._lanes.values():
            for priority, queue in enumerate(lane.queues):
                hits = {job: reason for job in queue.ordered() if (reason := match(job))}
                if not hits:
                    continue
                queue.remove_jobs(set(hits))
                if not len(queue):
                    self._rings[priority].remove(lane)
                lane.waiting -= len(hits)
                self._size -= len(hits)
                for job, reason in hits.items():
                    self._finish(job, lane, outcome, reason)
                    ended.append(job)
        for job, task in list(self._running.items()):
            if job.outcome is not None:
                continue
            lane = self._lanes[job.bot]
            dropped = {other: reason for other in job.carried if (reason := match(other))}
            if dropped:
                job.carried = tuple(other for other in job.carried if other not in dropped)
                for other, reason in dropped.items():
                    self._finish(other, lane, outcome, reason)
                    ended.append(other)
            reason = None if job.committed else match(job)
            if reason:
                survivors, job.carried = job.carried, ()
                self._finish(job, lane, outcome, reason)
                self._aborted.add(job)
                task.cancel()
                ended.append(job)
                for other in survivors:  # not theirs to lose: back to the queue
                    self._return(other, lane)
        if ended:
            self._dispatch()
            self._drain_if_done()
            if self._waiters:
                self._notify_waiters()
        return ended

    def hold(self, bot: str, reason: str) -> int:
        """Start none of this bot's jobs until `release`; its waiting jobs stay queued.

        Its running jobs whose send has not begun go back to the front of the queue, so a
        bot that cannot talk (a chat mode) spends nothing on replies it could not send.
        Returns how many were called back. While draining, the jobs of held bots end
        `skipped` with `reason` once nothing else is left (a drain must end).
        """
        lane = self._lane(bot)
        lane.held = reason
        recalled = self._recall(bot)
        self._drain_if_done()
        if self._waiters:
            self._notify_waiters()
        return recalled

    def _recall(self, bot: str) -> int:
        """This bot's running jobs whose send has not begun go back to the queue's front."""
        recalled = 0
        for job, task in self._running.items():
            if job.direct:
                continue  # a line the operator typed: its send says whether the bot may talk
            if job.bot == bot and job.outcome is None and not job.committed and not job.recalled:
                job.recalled = True  # the worker puts it back when its body unwinds
                task.cancel()
                recalled += 1
        return recalled

    def release(self, bot: str) -> None:
        """Let a held bot's jobs start again."""
        lane = self._lane(bot)
        if lane.held is not None:
            lane.held = None
            self._dispatch()

    def held(self, bot: str) -> str | None:
        return self._lane(bot).held

    def parked_jobs(self) -> tuple[Job[C], ...]:
        """Jobs whose message the platform holds (see `JobParked`), oldest first."""
        return tuple(self._parked)

    def settle(
        self, job: Job[C], outcome: Outcome, reason: str | None = None, result_id: str | None = None
    ) -> bool:
        """A parked job's outcome, now that the platform decided (a sent one keeps its
        `result`, with the id the message has in chat); False if it is not parked."""
        lane = self._parked.pop(job, None)
        if lane is None:
            return False
        lane.parked -= 1
        if result_id is not None:
            job.result_id = result_id
        self._finish(job, lane, outcome, reason)
        return True

    def _park(self, job: Job[C], lane: _Lane[C]) -> None:
        """The job leaves its slots (the worker's `finally`) and waits for `settle`."""
        job.phase = Phase.HELD
        job.deadline = job.send_wait_until = None
        self._parked[job] = lane
        lane.parked += 1

    def carry(
        self, carrier: Job[C], limit: int, accept: Callable[[Job[C]], bool] | None = None
    ) -> list[Job[C]]:
        """Lift up to `limit` waiting jobs of the carrier's bot and priority into it.

        Taken in dispatch order (and only those `accept` allows), they leave the queue
        and then end with the carrier's outcome: a sent reply answers them too
        (`job.carrier` names it), a failure, skip or cancellation is theirs as well.
        """
        lane = self._lane(carrier.bot)
        queue = lane.queues[carrier.priority]
        chosen = [job for job in queue.ordered() if accept is None or accept(job)][:limit]
        if not chosen or carrier.outcome is not None:
            return []
        queue.remove_jobs(set(chosen))
        if not len(queue):
            self._rings[carrier.priority].remove(lane)
        lane.waiting -= len(chosen)
        self._size -= len(chosen)
        now = self._now()
        for job in chosen:
            job.phase = Phase.CARRIED
            job.carrier = carrier.id
            job.started_at = now
            if self._job_listeners:
                self._emit(JobStage.STARTED, job)
        carrier.carried += tuple(chosen)
        if self._size < self._wake_below:
            self._notify_waiters()
        return chosen

    def pause_bot(self, bot: str, *, recall: bool = False) -> bool:
        """This bot starts no jobs (they wait; running ones finish, or with `recall` those
        whose send has not begun go back to the queue) until `resume_bot`. A drain still
        runs them, or it could never finish."""
        lane = self._lane(bot)
        changed = not lane.paused
        if changed:
            lane.paused = True
            self._update_cap(lane)
        if recall:
            self._recall(bot)
        return changed

    def resume_bot(self, bot: str) -> bool:
        lane = self._lane(bot)
        if not lane.paused:
            return False
        lane.paused = False
        self._update_cap(lane)
        self._dispatch()
        return True

    def mute_bot(
        self,
        bot: str,
        reason: str = Reason.MUTED,
        keep: Callable[[Job[C]], bool] | None = None,
    ) -> list[Job[C]]:
        """This bot takes no jobs until `unmute_bot`: its unsent ones end skipped with
        `reason` now, new ones as they arrive (lines the operator typed excepted). Jobs
        `keep` accepts stay and run to their end (the operator let its mentions finish).
        Returns the jobs it ended."""
        lane = self._lane(bot)
        lane.muted = True

        def match(job: Job[C]) -> str | None:
            if job.bot != bot or job.direct or (keep is not None and keep(job)):
                return None
            return reason

        return self.cancel(match)

    def unmute_bot(self, bot: str) -> bool:
        lane = self._lane(bot)
        if not lane.muted:
            return False
        lane.muted = False
        return True

    def to_front(self, job_id: int) -> bool:
        """Make a waiting job the next its bot starts at its priority; False if it is
        not waiting."""
        for lane in self._lanes.values():
            for queue in lane.queues:
                for job in queue.ordered():
                    if job.id == job_id:
                        return queue.to_front(job)
        return False

    def continue_ids(self, after: int) -> None:
        """Number new jobs after `after` (the highest id of a journal this run appends to)."""
        self._next_id = max(self._next_id, after)

    def set_global_limit(self, limit: int) -> None:
        """Raising starts waiting jobs at once; lowering lets running jobs finish."""
        self._global_limit = _check_limit(limit, "global limit")
        self._dispatch()

    def set_bot_limit(self, bot: str, limit: int) -> None:
        lane = self._lane(bot)
        lane.limit = _check_limit(limit, f"limit of bot {bot!r}")
        self._update_cap(lane)
        self._dispatch()

    # ------------------------------------------------------------------ internals
    def _lane(self, bot: str) -> _Lane[C]:
        try:
            return self._lanes[bot]
        except KeyError:
            raise UnknownBotError(f"unknown bot {bot!r}") from None

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._now = _clock_of(self._loop)
        return self._loop

    def _update_cap(self, lane: _Lane[C]) -> None:
        held = lane.paused and self._state is not _DRAINING
        lane.cap = 0 if held else lane.limit

    def _set_state(self, state: RouterState) -> None:
        if state is self._state:
            return
        self._state = state
        for lane in self._lanes.values():
            if lane.paused:
                self._update_cap(lane)
        for listener in self._state_listeners:
            try:
                listener(state)
            except Exception:
                log.exception("state listener failed")

    def _emit(self, event: JobStage, job: Job[C]) -> None:
        for listener in self._job_listeners:
            try:
                listener(event, job)
            except Exception:
                log.exception("job listener failed on %s of job %s", event, job.id)

    def _dispatch(self) -> None:
        """Start as many workers as there are jobs that could start now."""
        if self._state not in DISPATCHING:
            return
        free = self._global_limit - self._workers
        if free <= 0:
            return
        startable = sum(
            min(lane.cap - lane.running, lane.waiting)
            for lane in self._lanes.values()
            if lane.running < lane.cap and lane.held is None
        )
        for _ in range(min(free, startable)):
            self._spawn_worker()

    def _spawn_worker(self) -> None:
        self._workers += 1
        task = self._get_loop().create_task(self._worker())
        self._tasks.add(task)
        task.add_done_callback(self._worker_gone)

    def _worker_gone(self, task: asyncio.Task[None]) -> None:
        """A worker cancelled before its first step never ran its `finally`: count it out
        here (one that ran has already left `_tasks`)."""
        if task in self._tasks:
            self._tasks.discard(task)
            self._workers -= 1
            self._dispatch()  # a start() in between found no room for a worker

    def _take(self) -> Job[C] | None:
        """Remove and return the best startable job, or None."""
        for priority, ring in enumerate(self._rings):
            for index, lane in enumerate(ring):
                if lane.running < lane.cap and lane.held is None:
                    queue = lane.queues[priority]
                    job = queue.pop() if queue.heap else queue.fifo.popleft()
                    del ring[index]
                    if queue.fifo or queue.heap:
                        ring.append(lane)  # round-robin: this bot goes to the back
                    lane.waiting -= 1
                    lane.running += 1
                    self._size -= 1
                    self._pending += 1
                    return job
        return None

    async def _worker(self) -> None:
        # This loop is the hot path of every reply: locals instead of attribute lookups.
        loop = self._get_loop()
        now = self._now
        task = asyncio.current_task()
        assert task is not None
        execute = self._execute
        precheck = self._precheck
        timeout = self._job_timeout
        yield_every = self._yield_every
        running = self._running
        ran = 0
        try:
            while self._state in DISPATCHING and self._workers <= self._global_limit:
                job = self._take()
                if job is None:
                    return
                if self._size < self._wake_below:
                    self._notify_waiters()  # on_empty / on_size_below see the queue shrink
                lane = self._lanes[job.bot]
                job.started_at = started = now()
                running[job] = task
                if self._job_listeners:
                    self._emit(JobStage.STARTED, job)
                try:
                    if precheck is not None and (reason := precheck(job)):
                        raise JobSkipped(reason)
                    if job.delay > 0:
                        job.phase = _DELAYING
                        await asyncio.sleep(job.delay)
                        started = now()
                    job.phase = _GENERATING
                    if timeout is not None:
                        job.deadline = started + timeout
                        if self._watchdog is None:
                            self._watchdog = loop.call_later(self._watch_period, self._watch)
                    await execute(job)
                except asyncio.CancelledError:
                    if job in self._aborted:
                        pass  # ended by cancel(): `finally` lets this worker carry on
                    elif job.outcome is None and job.recalled:
                        task.uncancel()  # called back by hold(): this worker carries on
                        self._return(job, lane)
                    elif job.outcome is None and job.expired:
                        task.uncancel()
                        self._finish(job, lane, Outcome.FAILED, self._timeout_reason())
                    else:
                        self._finish(job, lane, Outcome.CANCELLED, Reason.CANCELLED)
                        raise
                except JobReturned:
                    if job.outcome is None:
                        self._return(job, lane)
                except JobParked:
                    if job.outcome is None:
                        self._park(job, lane)
                except Exception as error:
                    self._finish_raised(job, lane, error)
                else:
                    if job.expired:  # the body swallowed the watchdog's cancellation
                        if task.cancelling():
                            task.uncancel()
                        self._finish(job, lane, Outcome.FAILED, self._timeout_reason())
                    else:
                        self._finish(job, lane, _SENT, None)
                finally:
                    if self._aborted and job in self._aborted:
                        self._aborted.discard(job)
                        if task.cancelling():  # the body swallowed the cancellation
                            task.uncancel()
                    del running[job]
                    lane.running -= 1
                    self._pending -= 1
                    if self._state is _DRAINING and not self._pending:
                        self._drain_if_done()
                    if self._size < self._wake_below or (
                        self._settle_waiters and not self._pending
                    ):
                        self._notify_waiters()
                ran += 1
                if ran % yield_every == 0:
                    await asyncio.sleep(0)  # jobs that never suspend must not starve the loop
        finally:
            self._workers -= 1
            self._tasks.discard(task)

    async def _run_direct(self, job: Job[C], lane: _Lane[C], execute: Executor[C]) -> None:
        """A `run_now` job's life: the worker's outcomes, without delay, limits or timeout."""
        try:
            await execute(job)
        except asyncio.CancelledError:
            if job not in self._aborted:
                self._finish(job, lane, Outcome.CANCELLED, Reason.CANCELLED)
                raise
        except JobParked:
            if job.outcome is None:
                self._park(job, lane)
        except Exception as error:
            self._finish_raised(job, lane, error)
        else:
            self._finish(job, lane, _SENT, None)

    def _finish_raised(self, job: Job[C], lane: _Lane[C], error: Exception) -> None:
        """The outcome of a body that raised: skipped or failed with its reason, or failed
        with the error described (and logged) when it was not one of ours."""
        if isinstance(error, JobSkipped):
            self._finish(job, lane, Outcome.SKIPPED, error.reason)
        elif isinstance(error, JobFailed):
            self._finish(job, lane, Outcome.FAILED, error.reason)
        else:
            log.warning("job %s for %s failed", job.id, job.bot, exc_info=error)
            self._finish(job, lane, Outcome.FAILED, describe_error(error))

    def _direct_done(self, job: Job[C], lane: _Lane[C], task: asyncio.Task[None]) -> None:
        if job not in self._parked:
            self._finish(job, lane, Outcome.CANCELLED, Reason.CANCELLED)  # if nothing else did
        self._aborted.discard(job)
        del self._running[job]
        self._tasks.discard(task)
        lane.direct -= 1
        self._pending -= 1
        self._drain_if_done()
        if self._waiters:
            self._notify_waiters()

    def _return(self, job: Job[C], lane: _Lane[C]) -> None:
        """Put a started, unsent job (and the jobs it carried) back at the front of its
        queue; observers hear it enqueued again, with `requeued` counting the returns."""
        carried, job.carried = job.carried, ()
        for one in (job, *carried):
            one.phase = Phase.QUEUED
            one.started_at = one.deadline = one.send_wait_until = None
            one.carrier = None
            one.expired = one.recalled = False
            one.requeued += 1
            queue = lane.queues[one.priority]
            if one.viewer is None:
                queue.fifo.appendleft(one)  # it was taken first: it goes first again
            else:
                queue.push(one)  # its id keeps its place within its round
            if len(queue) == 1:
                self._rings[one.priority].append(lane)
            lane.waiting += 1
            self._size += 1
            if self._job_listeners:
                self._emit(JobStage.ENQUEUED, one)
        self._dispatch()

    def _drain_if_done(self) -> None:
        """While draining with nothing running: drained, once only held bots' jobs wait,
        which end `skipped` with the reason their bot is held."""
        if self._state is not RouterState.DRAINING or self._pending:
            return
        held = [lane for lane in self._lanes.values() if lane.held and lane.waiting]
        if self._size != sum(lane.waiting for lane in held):
            return  # something can still start
        for lane in held:
            reason = lane.held
            for priority, queue in enumerate(lane.queues):
                if len(queue):
                    self._rings[priority].remove(lane)
                for job in queue.take_all():
                    lane.waiting -= 1
                    self._size -= 1
                    self._finish(job, lane, Outcome.SKIPPED, reason)
        self._set_state(RouterState.DRAINED)

    def _timeout_reason(self) -> str:
        return f"timeout: no result within {self._job_timeout:g}s"

    def _finish(self, job: Job[C], lane: _Lane[C], outcome: Outcome, reason: str | None) -> None:
        if job.outcome is not None:
            return  # already ended (an emergency stop got there first)
        now = self._now()
        job.outcome = outcome
        job.reason = reason
        job.phase = Phase.DONE
        job.finished_at = now
        lane.totals[outcome] += 1
        if outcome is Outcome.SENT:
            if job.carrier is None:  # a message of its own: what Twitch saw
                lane.messages += 1
                self._rate.add(now)
            if job.priority is _HIGH:
                lane.answered += 1
            latency = now - job.created_at
            lane.latency.add(latency)
            self._latency.add(latency)
        if self._job_listeners:
            self._emit(JobStage.FINISHED, job)
        if job.carried:
            self._finish_carried(job, lane)

    def _finish_carried(self, carrier: Job[C], lane: _Lane[C]) -> None:
        """Jobs a reply carried end as it ended (after it, so the journal reads in order)."""
        assert carrier.outcome is not None
        if carrier.outcome is Outcome.SENT:
            lane.coalesced += len(carrier.carried)
            lane.last_batch = 1 + len(carrier.carried)
            lane.last_batch_at = self._now()
        for job in carrier.carried:
            job.result, job.result_id = carrier.result, carrier.result_id
            self._finish(job, lane, carrier.outcome, carrier.reason)

    def _watch(self) -> None:
        """Cancel jobs past their deadline; re-arm while any job could still expire.

        Time spent waiting out an AI outage (`Phase.AI_WAIT`) does not count: the outage
        has its own limit (`[ai] outage_wait`), and the job's timeout starts over after."""
        self._watchdog = None
        now = self._now()
        armed = False
        for job, task in self._running.items():
            if job.deadline is None or job.expired:
                armed = armed or job.deadline_left is not None  # held for review: watch on
                continue
            if job.phase is _AI_WAIT and self._job_timeout is not None:
                job.deadline = now + self._job_timeout
                armed = True
                continue
            if job.deadline <= now:
                job.expired = True
                task.cancel()
            else:
                armed = True
        if armed:
            self._watchdog = self._get_loop().call_later(self._watch_period, self._watch)
