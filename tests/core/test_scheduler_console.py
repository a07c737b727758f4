"""The scheduler's per-reply and per-bot controls (the operator's console), on a virtual clock."""

from __future__ import annotations

import asyncio

from botdeck.core.fairqueue import FairQueue
from botdeck.core.jobs import Job, JobSkipped
from botdeck.model.jobs import Outcome, Phase, Priority, RouterState
from tests.harness.scheduler import make_scheduler, sleeping
from tests.harness.virtual_time import now, run_virtual


def recorder(order: list[str], seconds: float = 1.0):
    async def body(job: Job) -> None:
        order.append(job.context)
        await asyncio.sleep(seconds)

    return body


def test_fair_queue_to_front_puts_the_latest_sent_first():
    queue: FairQueue[str] = FairQueue()
    jobs = [Job(i, "a", Priority.HIGH, 0, f"j{i}", viewer=v) for i, v in enumerate("xxyz")]
    plain = Job(9, "a", Priority.HIGH, 0, "plain")
    for job in jobs:
        queue.push(job)
    queue.push(plain)
    assert [job.context for job in queue.ordered()] == ["j0", "j2", "j3", "plain", "j1"]
    assert queue.to_front(jobs[1]) and queue.to_front(plain)
    assert [job.context for job in queue.ordered()] == ["plain", "j1", "j0", "j2", "j3"]
    assert not queue.to_front(Job(99, "a", Priority.HIGH, 0, "stranger"))
    assert [queue.pop().context for _ in range(5)] == ["plain", "j1", "j0", "j2", "j3"]
    assert queue.waiting_of("x") == 0 and len(queue) == 0


def test_to_front_starts_a_waiting_job_next_within_its_priority():
    order: list[str] = []

    async def main() -> None:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=recorder(order))
        jobs = [sched.submit("a", Priority.HIGH, 0, f"h{i}", viewer=f"v{i}") for i in range(4)]
        sched.submit("a", Priority.NORMAL, 0, "n0")
        await asyncio.sleep(0.5)  # h0 runs
        assert sched.to_front(jobs[3].id)
        assert not sched.to_front(jobs[0].id)  # running, not waiting
        await sched.on_idle()

    run_virtual(main())
    assert order == ["h0", "h3", "h1", "h2", "n0"]


def test_a_paused_bot_waits_while_the_others_run_and_resumes_where_it_was():
    async def main() -> None:
        sched = make_scheduler(bots=("a", "b"), g=5, b=2, body=sleeping(1))
        assert sched.pause_bot("a") and not sched.pause_bot("a")
        a_jobs = [sched.submit("a", Priority.HIGH, 0, i) for i in range(3)]
        b_job = sched.submit("b", Priority.HIGH, 0, "b")
        await asyncio.sleep(5)
        assert b_job.outcome is Outcome.SENT
        assert all(job.phase is Phase.QUEUED for job in a_jobs)
        snap = sched.snapshot()
        assert snap.bot("a").paused and snap.bot("a").size == 3 and not snap.bot("b").paused
        assert sched.state is RouterState.RUNNING  # the router itself runs on
        assert sched.resume_bot("a") and not sched.resume_bot("a")
        await sched.on_idle()
        assert [job.started_at for job in a_jobs] == [5.0, 5.0, 6.0]

    run_virtual(main())


def test_a_drain_finishes_a_paused_bots_jobs_and_its_pause_holds_after_start():
    async def main() -> None:
        sched = make_scheduler(bots=("a",), g=5, b=1, body=sleeping(1))
        sched.pause_bot("a")
        jobs = [sched.submit("a", Priority.HIGH, 0, i) for i in range(2)]
        await asyncio.sleep(1)
        assert sched.drain()
        await sched.on_idle()
        assert sched.state is RouterState.DRAINED
        assert [job.outcome for job in jobs] == [Outcome.SENT, Outcome.SENT]
        sched.start()
        later = sched.submit("a", Priority.HIGH, 0, "later")
        await asyncio.sleep(3)
        assert later.phase is Phase.QUEUED  # still paused

    run_virtual(main())


def test_muting_ends_unsent_jobs_and_refuses_new_ones_until_unmuted():
    async def main() -> None:
        sched = make_scheduler(bots=("a", "b"), g=5, b=1, body=sleeping(2))
        running = sched.submit("a", Priority.HIGH, 0, "r")
        waiting = sched.submit("a", Priority.HIGH, 0, "w")
        other = sched.submit("b", Priority.HIGH, 0, "b")
        await asyncio.sleep(1)
        ended = sched.mute_bot("a")
        assert set(ended) == {running, waiting}
        assert {job.reason for job in ended} == {"muted"}
        refused = sched.submit("a", Priority.HIGH, 0, "new")
        assert (refused.outcome, refused.reason) == (Outcome.SKIPPED, "muted")
        assert sched.snapshot().bot("a").muted
        await sched.on_idle()
        assert other.outcome is Outcome.SENT
        assert sched.unmute_bot("a") and not sched.unmute_bot("a")
        again = sched.submit("a", Priority.HIGH, 0, "again")
        await sched.on_idle()
        assert again.outcome is Outcome.SENT

    run_virtual(main())


def test_run_now_starts_at_once_outside_the_limits_and_is_counted_and_stoppable():
    async def main() -> None:
        sched = make_scheduler(bots=("a",), g=1, b=1, body=sleeping(10))
        sched.submit("a", Priority.HIGH, 0, "busy")
        sched.pause()
        started_at = now()
        direct = sched.run_now("a", Priority.NORMAL, "typed", sleeping(1))
        assert direct.started_at == started_at and direct.direct
        assert (sched.pending, sched.snapshot().bot("a").pending) == (1, 1)
        await asyncio.sleep(1.5)
        assert direct.outcome is Outcome.SENT and direct.finished_at == started_at + 1
        assert sched.snapshot().bot("a").messages == 1
        assert sched.mute_bot("a")[0].context == "busy"  # a typed line is not muted
        sched.unmute_bot("a")
        stopped = sched.run_now("a", Priority.NORMAL, "typed", sleeping(5))
        sched.stop()
        assert stopped.outcome is Outcome.CANCELLED
        await sched.on_idle()  # its task unwinds

    run_virtual(main())


def test_a_skipping_run_now_job_drains_the_router():
    async def body(job: Job) -> None:
        await asyncio.sleep(1)
        raise JobSkipped("blocked")

    async def main() -> None:
        sched = make_scheduler(bots=("a",), body=sleeping(1))
        job = sched.run_now("a", Priority.NORMAL, "typed", body)
        sched.drain()
        assert sched.state is RouterState.DRAINING
        await sched.on_idle()
        assert (job.outcome, job.reason) == (Outcome.SKIPPED, "blocked")
        assert sched.state is RouterState.DRAINED

    run_virtual(main())


def test_a_held_deadline_does_not_time_out_and_runs_on_after():
    async def body(job: Job) -> None:
        job.hold_deadline(now())
        await asyncio.sleep(50)  # a person deciding, far past the 10 s job timeout
        job.release_deadline(now())
        await asyncio.sleep(20)  # then a hang: the rest of the timeout still applies

    async def main() -> Job:
        sched = make_scheduler(bots=("a",), body=body, job_timeout=10)
        job = sched.submit("a", Priority.HIGH, 0, None)
        await sched.on_idle()
        return job

    job = run_virtual(main())
    assert job.outcome is Outcome.FAILED and "timeout" in (job.reason or "")
    assert 59.9 < (job.finished_at or 0) < 61.1


def test_messages_count_a_merged_reply_once_and_answered_counts_each_mention():
    async def body(job: Job) -> None:
        if job.context == "carrier":
            sched.carry(job, limit=2)
        await asyncio.sleep(1)
        job.result = "@x @y @z hi"

    async def main() -> None:
        nonlocal sched
        sched = make_scheduler(bots=("a",), g=1, b=1, body=body)
        for ctx in ("carrier", "x", "y"):
            sched.submit("a", Priority.HIGH, 0, ctx, viewer=ctx)
        sched.submit("a", Priority.NORMAL, 0, "random")
        await sched.on_idle()
        lane = sched.snapshot().bot("a")
        assert (lane.sent, lane.messages, lane.answered) == (4, 2, 3)

    sched = None
    run_virtual(main())


def test_muting_keeps_the_jobs_it_is_told_to_keep_and_refuses_new_ones():
    async def main() -> None:
        sched = make_scheduler(bots=("a",), g=5, b=1, body=sleeping(2))
        mention = sched.submit("a", Priority.HIGH, 0, "mention")
        random = sched.submit("a", Priority.NORMAL, 0, "random")
        waiting_mention = sched.submit("a", Priority.HIGH, 0, "mention 2")
        await asyncio.sleep(1)
        ended = sched.mute_bot("a", keep=lambda job: job.priority is Priority.HIGH)
        assert ended == [random] and random.reason == "muted"
        refused = sched.submit("a", Priority.HIGH, 0, "new")
        assert (refused.outcome, refused.reason) == (Outcome.SKIPPED, "muted")
        await sched.on_idle()
        assert (mention.outcome, waiting_mention.outcome) == (Outcome.SENT, Outcome.SENT)

    run_virtual(main())
