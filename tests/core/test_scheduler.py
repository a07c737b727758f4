"""The tiered scheduler, on a virtual clock: every timing claim here is exact."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botdeck.core.jobs import Job, JobFailed, JobSkipped
from botdeck.core.scheduler import Scheduler, UnknownBotError
from botdeck.model.jobs import JobStage, Outcome, Phase, Priority, RouterState
from tests.harness.scheduler import make_scheduler, sleeping
from tests.harness.virtual_time import now, run_virtual


# ---------------------------------------------------------------- limits, order
@settings(max_examples=60, deadline=None)
@given(
    bots=st.integers(1, 4),
    g=st.integers(1, 5),
    b=st.integers(1, 3),
    jobs=st.lists(
        st.tuples(
            st.integers(0, 3),  # bot index (mod bots)
            st.sampled_from(list(Priority)),
            st.floats(0, 3),  # delay
            st.floats(0, 2),  # body duration
            st.floats(0, 2),  # submit time
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_limits_hold_and_the_scheduler_is_work_conserving(bots, g, b, jobs):
    names = [f"bot{i}" for i in range(bots)]
    running: Counter[str] = Counter()
    peak_global = 0
    peak_bot: Counter[str] = Counter()
    violations: list[str] = []

    async def body(job: Job) -> None:
        nonlocal peak_global
        running[job.bot] += 1
        peak_global = max(peak_global, sum(running.values()))
        peak_bot[job.bot] = max(peak_bot[job.bot], running[job.bot])
        try:
            await asyncio.sleep(job.context)
        finally:
            running[job.bot] -= 1

    sched = Scheduler(names, global_limit=g, per_bot_limit=b, execute=body)

    def check_work_conserving() -> None:
        # Whenever the loop has settled, no job may wait while both its slots are free.
        snap = sched.snapshot()
        for lane in snap.bots:
            if lane.size and lane.pending < lane.limit and snap.pending < snap.limit:
                violations.append(f"t={now()}: {lane.bot} waits with free slots")

    async def main() -> list[Job]:
        submitted: list[Job] = []

        async def submit_later(spec) -> None:
            bot, prio, delay, duration, at = spec
            await asyncio.sleep(at)
            submitted.append(sched.submit(names[bot % bots], prio, delay, duration))

        await asyncio.gather(*(submit_later(spec) for spec in jobs))
        await sched.on_idle()
        return submitted

    done = run_virtual(main(), on_settle=check_work_conserving)
    assert violations == []
    assert peak_global <= g
    assert all(peak <= b for peak in peak_bot.values())
    assert [job.outcome for job in done] == [Outcome.SENT] * len(jobs)
    assert sched.size == 0 and sched.pending == 0


def test_higher_priority_starts_first_then_fifo():
    order: list[str] = []

    async def body(job: Job) -> None:
        order.append(job.context)
        await asyncio.sleep(1)

    async def main() -> None:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        sched.submit("a", Priority.NORMAL, 0, "blocker")
        await asyncio.sleep(0)  # dispatch happens on the next loop iteration
        for name, prio in [("low1", "low"), ("n1", "normal"), ("high1", "high"), ("n2", "normal")]:
            sched.submit("a", Priority.parse(prio), 0, name)
        await sched.on_idle()

    run_virtual(main())
    assert order == ["blocker", "high1", "n1", "n2", "low1"]


def test_round_robin_across_bots():
    order: list[str] = []

    async def body(job: Job) -> None:
        order.append(job.context)
        await asyncio.sleep(1)

    async def main() -> None:
        sched = make_scheduler(bots=("a", "b", "c"), g=1, b=1, body=body)
        for name in ["a0", "a1", "a2", "a3", "b1", "b2", "c1"]:
            sched.submit(name[0], Priority.NORMAL, 0, name)
        await sched.on_idle()

    run_virtual(main())
    # a0 starts first; then it is b's turn, then c's, then a's again.
    assert order == ["a0", "b1", "c1", "a1", "b2", "a2", "a3"]


def test_an_idle_bot_starts_at_once_behind_another_bots_backlog():
    async def main() -> tuple[float, float]:
        sched = make_scheduler(g=5, b=2, body=sleeping(1))
        for _ in range(1000):
            sched.submit("a", Priority.HIGH, 0, None)
        await asyncio.sleep(0.5)
        idle = sched.submit("b", Priority.LOW, 0, None)
        await asyncio.sleep(0)
        snap = sched.snapshot()
        assert (snap.bot("a").pending, snap.bot("a").size) == (2, 998)
        assert (snap.bot("b").pending, snap.pending, snap.size) == (1, 3, 998)
        await sched.on_idle()
        return idle.created_at, idle.started_at

    created, started = run_virtual(main())
    assert started == created == 0.5


def test_the_delay_is_inside_the_job_and_holds_its_slots():
    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=sleeping(0))
        first = sched.submit("a", Priority.HIGH, 2.0, None)
        second = sched.submit("a", Priority.HIGH, 2.0, None)
        await asyncio.sleep(1)
        assert first.phase is Phase.DELAYING and second.phase is Phase.QUEUED
        assert (sched.size, sched.pending) == (1, 1)
        await sched.on_idle()
        return [first, second]

    first, second = run_virtual(main())
    assert (first.started_at, first.finished_at) == (0, 2)
    assert (second.started_at, second.finished_at) == (2, 4)


def test_new_jobs_never_cancel_or_restart_started_ones():
    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a",), g=2, b=2, body=sleeping(1))
        first = [sched.submit("a", Priority.LOW, 3, None) for _ in range(2)]
        await asyncio.sleep(2)
        later = [sched.submit("a", Priority.HIGH, 0, None) for _ in range(5)]
        await sched.on_idle()
        return first + later

    jobs = run_virtual(main())
    assert all(job.outcome is Outcome.SENT for job in jobs)
    assert [job.finished_at for job in jobs[:2]] == [4, 4]
    assert [job.started_at for job in jobs[2:]] == [4, 4, 5, 5, 6]


# ------------------------------------------------------------- drain and stop
def test_drain_finishes_everything_and_accepts_nothing():
    states: list[RouterState] = []

    async def main() -> tuple[list[Job], Job]:
        sched = make_scheduler(g=2, b=1, body=sleeping(1))
        sched.add_state_listener(states.append)
        jobs = [sched.submit(bot, Priority.NORMAL, 0.5, None) for bot in "abab"]
        await asyncio.sleep(0.1)
        assert sched.drain()
        late = sched.submit("a", Priority.HIGH, 0, None)
        assert sched.state is RouterState.DRAINING
        await sched.on_idle()
        return jobs, late

    jobs, late = run_virtual(main())
    assert [job.outcome for job in jobs] == [Outcome.SENT] * 4
    assert (late.outcome, late.reason) == (Outcome.SKIPPED, "draining")
    assert late.started_at is None
    assert states == [RouterState.DRAINING, RouterState.DRAINED]


def test_drain_of_an_idle_scheduler_is_drained_at_once_and_start_accepts_again():
    async def main() -> Job:
        sched = make_scheduler()
        sched.drain()
        assert sched.state is RouterState.DRAINED
        assert sched.start()
        job = sched.submit("a", Priority.HIGH, 0, None)
        await sched.on_idle()
        return job

    assert run_virtual(main()).outcome is Outcome.SENT


def test_drain_resumes_a_paused_scheduler_to_finish():
    async def main() -> Job:
        sched = make_scheduler()
        sched.pause()
        job = sched.submit("a", Priority.HIGH, 0, None)
        await asyncio.sleep(5)
        assert job.phase is Phase.QUEUED
        sched.drain()
        await sched.on_idle()
        assert sched.state is RouterState.DRAINED
        return job

    assert run_virtual(main()).finished_at == 6


def test_stop_cancels_everything_and_nothing_is_sent_after_it_returns():
    sent: list[int] = []
    finished: list[Job] = []

    async def body(job: Job) -> None:
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            # A misbehaving body that swallows cancellation and tries to send anyway.
            await asyncio.sleep(0.1)
        job.check_live()
        sent.append(job.id)

    async def main() -> tuple[int, list[Job], Job]:
        sched = make_scheduler(g=5, b=2, body=body)
        sched.add_job_listener(
            lambda event, job: event is JobStage.FINISHED and finished.append(job)
        )
        jobs = [sched.submit(bot, Priority.NORMAL, 0.5, None) for bot in "ab" * 50]
        await asyncio.sleep(0.7)  # 4 running (in their bodies), 96 queued
        count = sched.stop()
        sent_at_stop = len(sent)
        late = sched.submit("a", Priority.HIGH, 0, None)
        await sched.on_idle()
        await asyncio.sleep(5)
        assert len(sent) == sent_at_stop == 0
        return count, jobs, late

    count, jobs, late = run_virtual(main())
    assert count == 100
    assert {job.outcome for job in jobs} == {Outcome.CANCELLED}
    assert {job.reason for job in jobs} == {"stopped"}
    assert (late.outcome, late.reason) == (Outcome.SKIPPED, "stopped")
    assert len(finished) == 101  # every cancelled job was reported exactly once, plus the late one
    assert len({job.id for job in finished}) == 101


def test_stop_is_reported_synchronously_and_workers_unwind():
    async def main() -> None:
        sched = make_scheduler(g=5, b=2, body=sleeping(10))
        for bot in "ab" * 10:
            sched.submit(bot, Priority.NORMAL, 0, None)
        await asyncio.sleep(1)
        sched.stop()
        snap = sched.snapshot()
        assert snap.size == 0 and snap.cancelled == 20 and snap.state is RouterState.STOPPED
        await sched.on_idle()
        assert sched.pending == 0 and now() == 1  # unwinding took no virtual time
        sched.start()
        job = sched.submit("a", Priority.HIGH, 0, None)
        await sched.on_idle()
        assert job.outcome is Outcome.SENT

    run_virtual(main())


# ------------------------------------------------------------ runtime control
def test_pause_holds_new_starts_and_resume_dispatches():
    async def main() -> None:
        sched = make_scheduler(g=5, b=2, body=sleeping(1))
        first = sched.submit("a", Priority.HIGH, 0, None)
        await asyncio.sleep(0.5)
        assert sched.pause() and not sched.pause()
        queued = sched.submit("a", Priority.HIGH, 0, None)
        await asyncio.sleep(2)
        assert first.outcome is Outcome.SENT and queued.phase is Phase.QUEUED
        assert sched.resume()
        await sched.on_idle()
        assert queued.started_at == 2.5

    run_virtual(main())


def test_raising_the_global_limit_starts_waiting_jobs_at_once():
    async def main() -> None:
        sched = make_scheduler(bots=("a", "b", "c"), g=1, b=2, body=sleeping(10))
        jobs = [sched.submit(bot, Priority.NORMAL, 0, None) for bot in "abc"]
        await asyncio.sleep(1)
        assert sched.pending == 1
        sched.set_global_limit(3)
        await asyncio.sleep(0)
        assert sched.pending == 3
        await sched.on_idle()
        assert [job.started_at for job in jobs] == [0, 1, 1]

    run_virtual(main())


def test_lowering_limits_lets_running_jobs_finish():
    peak_after: list[int] = []
    running = 0

    async def body(job: Job) -> None:
        nonlocal running
        running += 1
        if now() >= 1:
            peak_after.append(running)
        await asyncio.sleep(1)
        running -= 1

    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a", "b"), g=4, b=2, body=body)
        jobs = [sched.submit(bot, Priority.NORMAL, 0, None) for bot in "ab" * 6]
        await asyncio.sleep(0.5)
        assert sched.pending == 4
        sched.set_global_limit(1)
        sched.set_bot_limit("a", 1)
        assert sched.pending == 4  # nothing was cancelled
        await sched.on_idle()
        return jobs

    jobs = run_virtual(main())
    assert all(job.outcome is Outcome.SENT for job in jobs)
    assert peak_after and max(peak_after) == 1


def test_limits_are_validated():
    with pytest.raises(ValueError, match="global limit"):
        make_scheduler(g=0)
    sched = make_scheduler()
    with pytest.raises(ValueError, match="limit of bot 'a'"):
        sched.set_bot_limit("a", -1)
    with pytest.raises(UnknownBotError, match="'zed'"):
        sched.set_bot_limit("zed", 1)


# ---------------------------------------------------------- failures, timeouts
def test_a_hung_job_times_out_and_frees_its_slots():
    async def hang(job: Job) -> None:
        if job.context == "hang":
            await asyncio.Event().wait()

    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=hang, job_timeout=5)
        jobs = [sched.submit("a", Priority.HIGH, 1, ctx) for ctx in ("hang", "ok")]
        await sched.on_idle()
        return jobs

    hung, ok = run_virtual(main())
    assert hung.outcome is Outcome.FAILED and hung.reason.startswith("timeout")
    assert 6 <= hung.finished_at <= 6.5  # 1 s delay + 5 s timeout, one watchdog period late at most
    assert ok.outcome is Outcome.SENT and ok.started_at == hung.finished_at


def test_a_job_that_swallows_the_timeout_still_fails():
    async def stubborn(job: Job) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(100)

    async def main() -> Job:
        sched = make_scheduler(bots=("a",), body=stubborn, job_timeout=2)
        job = sched.submit("a", Priority.HIGH, 0, None)
        await sched.on_idle()
        follow = sched.submit("a", Priority.HIGH, 0, None)
        await asyncio.sleep(1)
        assert follow.phase is Phase.GENERATING  # the worker is healthy
        return job

    job = run_virtual(main())
    assert job.outcome is Outcome.FAILED and job.reason.startswith("timeout")


def test_exceptions_end_one_job_and_harm_nothing_else():
    async def body(job: Job) -> None:
        await asyncio.sleep(0.1)
        match job.context:
            case "boom":
                raise RuntimeError("model exploded\nwith a second line")
            case "skip":
                raise JobSkipped("blocked")
            case "fail":
                raise JobFailed("bot a is not authorized")

    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        jobs = [sched.submit("a", Priority.HIGH, 0, ctx) for ctx in ("boom", "skip", "fail", "ok")]
        await sched.on_idle()
        snap = sched.snapshot()
        assert (snap.sent, snap.failed, snap.skipped) == (1, 2, 1)
        return jobs

    jobs = run_virtual(main())
    assert [(job.outcome, job.reason) for job in jobs] == [
        (Outcome.FAILED, "internal error (RuntimeError; see the log)"),
        (Outcome.SKIPPED, "blocked"),
        (Outcome.FAILED, "bot a is not authorized"),
        (Outcome.SENT, None),
    ]


def test_a_broken_listener_does_not_break_the_scheduler():
    def broken(event: JobStage, job: Job) -> None:
        raise ValueError("listener bug")

    async def main() -> Job:
        sched = make_scheduler()
        sched.add_job_listener(broken)
        job = sched.submit("a", Priority.HIGH, 0, None)
        await sched.on_idle()
        return job

    assert run_virtual(main()).outcome is Outcome.SENT


# ------------------------------------------------------------------ waiting
def test_on_empty_and_on_size_below():
    marks: dict[str, float] = {}

    async def main() -> None:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=sleeping(1))
        for _ in range(5):
            sched.submit("a", Priority.NORMAL, 0, None)

        async def mark(name: str, waiter: Awaitable[None]) -> None:
            await waiter
            marks[name] = now()

        await asyncio.gather(
            mark("below3", sched.on_size_below(3)),
            mark("empty", sched.on_empty()),
            mark("idle", sched.on_idle()),
        )

    run_virtual(main())
    assert marks == {"below3": 2, "empty": 4, "idle": 5}


def test_unknown_bot_is_refused():
    async def main() -> None:
        with pytest.raises(UnknownBotError):
            make_scheduler().submit("nobody", Priority.HIGH, 0, None)

    run_virtual(main())


# ---------------------------------------------------------------- snapshot
def test_snapshot_counts_phases_totals_and_latency():
    async def body(job: Job) -> None:
        await asyncio.sleep(1)
        job.phase = Phase.SENDING
        await asyncio.sleep(1)

    async def main() -> None:
        sched = make_scheduler(bots=("a", "b"), g=5, b=2, body=body)
        for bot in "aaab":
            sched.submit(bot, Priority.HIGH, 1, None)
        await asyncio.sleep(0.5)
        a = sched.snapshot().bot("a")
        assert (a.size, a.pending, a.delaying, a.generating, a.sending) == (1, 2, 2, 0, 0)
        await asyncio.sleep(1)
        a = sched.snapshot().bot("a")
        assert (a.generating, a.sending) == (2, 0)
        await asyncio.sleep(1)
        snap = sched.snapshot()
        assert (snap.bot("a").sending, snap.bot("b").sending) == (2, 1)
        await sched.on_idle()
        snap = sched.snapshot()
        assert (snap.sent, snap.size, snap.pending, snap.limit) == (4, 0, 0, 5)
        assert snap.bot("a").latency.p50 == 3 and snap.bot("a").latency.max == 6
        assert snap.replies_per_minute == 4

    run_virtual(main())


# ------------------------------------------------ fairness between viewers
def test_one_viewers_burst_does_not_delay_everyone_else():
    order: list[str] = []

    async def body(job: Job) -> None:
        order.append(job.viewer or "")
        await asyncio.sleep(1)

    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=body, viewer_cap=3)
        spam = [sched.submit("a", Priority.HIGH, 0, None, viewer="spammer") for _ in range(50)]
        await asyncio.sleep(0.5)  # the spammer's first mention is being answered
        for i in range(9):
            sched.submit("a", Priority.HIGH, 0, None, viewer=f"viewer{i}")
        await sched.on_idle()
        return spam

    spam = run_virtual(main())
    assert order[0] == "spammer"
    assert order[1:10] == [f"viewer{i}" for i in range(9)]  # all nine before the 2nd spam
    assert order[10:] == ["spammer", "spammer"]
    capped = [job for job in spam if job.reason == "per_user_cap"]
    assert len(capped) == 47 and all(job.outcome is Outcome.SKIPPED for job in capped)


def test_a_viewers_waiting_random_replies_never_cap_their_mention():
    """The cap counts a viewer's jobs at the mention's own priority only."""

    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a",), g=1, b=1, viewer_cap=3)
        sched.pause()
        chatter = [sched.submit("a", Priority.NORMAL, 0, None, viewer="chatty") for _ in range(3)]
        mention = sched.submit("a", Priority.HIGH, 0, None, viewer="chatty")
        fourth = sched.submit("a", Priority.NORMAL, 0, None, viewer="chatty")
        sched.resume()
        await sched.on_idle()
        return [*chatter, mention, fourth]

    jobs = run_virtual(main())
    assert [job.reason for job in jobs] == [None, None, None, None, "per_user_cap"]


def test_everyones_first_job_before_anyones_second_within_a_priority():
    order: list[str] = []

    async def body(job: Job) -> None:
        order.append(job.context)

    async def main() -> None:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        sched.pause()
        for name in ["x1", "x2", "x3", "y1", "z1", "y2"]:
            sched.submit("a", Priority.HIGH, 0, name, viewer=name[0])
        sched.submit("a", Priority.HIGH, 0, "bot-line")  # no viewer: round 0, FIFO
        sched.resume()
        await sched.on_idle()

    run_virtual(main())
    assert order == ["x1", "y1", "z1", "bot-line", "x2", "y2", "x3"]


# ------------------------------------------------------------ carrying
def test_a_carrier_takes_waiting_jobs_and_they_end_with_its_outcome():
    events: list[tuple[str, int, int | None]] = []

    def listen(event: JobStage, job: Job) -> None:
        events.append((event.value if job.outcome is None else job.outcome.value,
                       job.id, job.carrier))  # fmt: skip

    async def main() -> list[Job]:
        async def body(job: Job) -> None:
            if job.context == "carrier":
                lifted = sched.carry(job, limit=3, accept=lambda other: other.context != "skip-me")
                assert [other.context for other in lifted] == ["w1", "w2", "w4"]
            await asyncio.sleep(1)
            job.result = "@all hello"

        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        sched.add_job_listener(listen)
        jobs = [sched.submit("a", Priority.HIGH, 0, ctx, viewer=ctx)
                for ctx in ("carrier", "w1", "w2", "skip-me", "w4", "w5")]  # fmt: skip
        await asyncio.sleep(0.5)
        assert (sched.size, sched.pending) == (2, 1)  # carried jobs wait no more
        await sched.on_idle()
        return jobs

    carrier, w1, w2, skip_me, w4, w5 = run_virtual(main())
    assert all(job.outcome is Outcome.SENT for job in (carrier, w1, w2, w4))
    assert (w1.carrier, w1.result, w1.phase) == (carrier.id, "@all hello", Phase.DONE)
    assert skip_me.carrier is None and skip_me.started_at == 1.0
    assert w5.carrier is None and w5.outcome is Outcome.SENT  # past the limit of 3
    sent = [(kind, job_id, by) for kind, job_id, by in events if kind == "sent"]
    assert sent[:4] == [("sent", 1, None), ("sent", 2, 1), ("sent", 3, 1), ("sent", 5, 1)]


def test_carried_jobs_are_cancelled_with_their_carrier_on_stop():
    async def main() -> list[Job]:
        async def body(job: Job) -> None:
            sched.carry(job, limit=10)
            await asyncio.sleep(10)

        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        jobs = [sched.submit("a", Priority.HIGH, 0, None, viewer=f"v{i}") for i in range(5)]
        await asyncio.sleep(1)
        assert sched.stop() == 1  # only the carrier was running; nothing waited
        await sched.on_idle()
        return jobs

    jobs = run_virtual(main())
    assert [(job.outcome, job.reason) for job in jobs] == [(Outcome.CANCELLED, "stopped")] * 5


def test_a_failed_carrier_fails_every_job_it_carried():
    async def main() -> list[Job]:
        async def body(job: Job) -> None:
            sched.carry(job, limit=10)
            raise JobFailed("model unavailable")

        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        jobs = [sched.submit("a", Priority.HIGH, 0, None, viewer=f"v{i}") for i in range(4)]
        await sched.on_idle()
        return jobs

    jobs = run_virtual(main())
    assert {(job.outcome, job.reason) for job in jobs} == {(Outcome.FAILED, "model unavailable")}


def test_a_stop_before_any_worker_ran_leaves_no_phantom_workers():
    """Workers cancelled before their first step never run their `finally`; their count
    must still come down, or `start` after the stop would find no room for a worker."""

    async def body(job: Job) -> None:
        await asyncio.sleep(1)

    async def main() -> list[Job]:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        sched.submit("a", Priority.HIGH, 0, None)  # spawns a worker that has not run yet
        sched.stop()
        await asyncio.sleep(0)
        sched.start()
        late = sched.submit("a", Priority.HIGH, 0, None)
        await asyncio.wait_for(sched.on_idle(), 60)  # virtual seconds: a stall fails here
        return [late]

    (late,) = run_virtual(main())
    assert late.outcome is Outcome.SENT
