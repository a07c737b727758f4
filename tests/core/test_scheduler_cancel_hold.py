"""Fine-grained control of the scheduler: `cancel(match)` and holding one bot, on a
virtual clock (moderation and chat modes are built on these)."""

from __future__ import annotations

import asyncio
import contextlib

from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.model.jobs import JobStage, Outcome, Phase, Priority, RouterState
from tests.harness.scheduler import make_scheduler
from tests.harness.virtual_time import now, run_virtual


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


# ------------------------------------------------------------------ cancel
def test_cancel_ends_waiting_and_unsent_running_jobs_with_their_reason_and_keeps_the_rest():
    async def main() -> tuple[list[Job], list[Job], RouterState]:
        async def body(job: Job) -> None:
            await asyncio.sleep(5)
            job.commit()  # the send is under way from here
            await asyncio.sleep(5)

        sched = make_scheduler(body=body, bots=("a",), g=1, b=1)
        jobs = [sched.submit("a", Priority.HIGH, 0, f"m{i}", viewer=f"v{i}") for i in range(4)]
        await asyncio.sleep(6)  # m0 is past commit()
        ended = sched.cancel(lambda job: "gone" if job.context in ("m0", "m2") else None)
        assert ended == [jobs[2]]  # m0's send had begun: it is left alone
        assert jobs[2].outcome is Outcome.SKIPPED and jobs[2].reason == "gone"
        ended = sched.cancel(lambda job: "also gone" if job.context == "m1" else None)
        assert ended == [jobs[1]] and sched.size == 1
        await sched.on_idle()
        return jobs, ended, sched.state

    jobs, _, state = run_virtual(main())
    assert [job.outcome for job in jobs] == [
        Outcome.SENT,
        Outcome.SKIPPED,
        Outcome.SKIPPED,
        Outcome.SENT,
    ]
    assert state is RouterState.RUNNING


def test_cancel_of_a_running_job_is_synchronous_and_its_worker_goes_on():
    async def main() -> tuple[Job, Job, float]:
        async def body(job: Job) -> None:
            await asyncio.sleep(10)
            job.commit()

        sched = make_scheduler(body=body, bots=("a",), g=1, b=1)
        first = sched.submit("a", Priority.HIGH, 0, "first")
        second = sched.submit("a", Priority.HIGH, 0, "second")
        await asyncio.sleep(1)
        sched.cancel(lambda job: "deleted" if job is first else None)
        assert first.outcome is Outcome.SKIPPED  # before cancel() returned
        await sched.on_idle()
        return first, second, now()

    _, second, finished = run_virtual(main())
    assert second.outcome is Outcome.SENT and second.started_at == 1.0
    assert finished == 11.0


def test_a_carried_job_cancelled_leaves_the_carrier_which_goes_on():
    async def main() -> list[Job]:
        async def body(job: Job) -> None:
            sched.carry(job, limit=10)
            await asyncio.sleep(5)
            job.commit()

        sched = make_scheduler(body=body, bots=("a",), g=1, b=1)
        jobs = [sched.submit("a", Priority.HIGH, 0, f"v{i}", viewer=f"v{i}") for i in range(3)]
        await asyncio.sleep(1)
        assert sched.cancel(lambda job: "user_removed" if job.context == "v1" else None)
        assert [other.context for other in jobs[0].carried] == ["v2"]
        await sched.on_idle()
        return jobs

    carrier, removed, kept = run_virtual(main())
    assert (removed.outcome, removed.reason) == (Outcome.SKIPPED, "user_removed")
    assert carrier.outcome is Outcome.SENT
    assert kept.outcome is Outcome.SENT and kept.carrier == carrier.id


def test_a_cancelled_carrier_gives_back_the_jobs_it_carried_which_are_answered_on_their_own():
    stages: list[tuple[JobStage, int, int]] = []

    async def main() -> list[Job]:
        async def body(job: Job) -> None:
            if job.context == "troll":
                sched.carry(job, limit=10)
            await asyncio.sleep(5)
            job.commit()

        sched = make_scheduler(body=body, bots=("a",), g=1, b=1)
        sched.add_job_listener(lambda stage, job: stages.append((stage, job.id, job.requeued)))
        jobs = [
            sched.submit("a", Priority.HIGH, 0, who, viewer=who) for who in ("troll", "v1", "v2")
        ]
        await asyncio.sleep(1)
        assert sched.size == 0 and len(jobs[0].carried) == 2
        sched.cancel(lambda job: "user_removed" if job.context == "troll" else None)
        assert sched.size == 2  # back in the queue, in their order
        assert [job.phase for job in jobs[1:]] == [Phase.QUEUED, Phase.QUEUED]
        await sched.on_idle()
        return jobs

    troll, v1, v2 = run_virtual(main())
    assert (troll.outcome, troll.reason) == (Outcome.SKIPPED, "user_removed")
    assert v1.outcome is Outcome.SENT and v1.carrier is None and v1.started_at == 1.0
    assert v2.outcome is Outcome.SENT and v2.started_at == 6.0
    assert (JobStage.ENQUEUED, v1.id, 1) in stages and (JobStage.ENQUEUED, v2.id, 1) in stages


# ------------------------------------------------------------------ hold
def test_a_held_bot_starts_nothing_calls_back_unsent_jobs_and_others_run_on():
    generated: list[tuple[str, float]] = []

    async def main() -> tuple[list[Job], list[Job], Scheduler]:
        async def body(job: Job) -> None:
            await asyncio.sleep(2)  # "generating"
            generated.append((job.context, now()))
            job.commit()

        sched = make_scheduler(body=body, g=2, b=2)
        a_jobs = [sched.submit("a", Priority.HIGH, 0, f"a{i}", viewer=f"v{i}") for i in range(3)]
        await asyncio.sleep(1)
        assert sched.hold("a", "followers-only") == 2  # both running a-jobs come back
        await settle()
        assert sched.size == 3 and sched.pending == 0
        assert all(job.outcome is None and job.requeued == 1 for job in a_jobs[:2])
        b_jobs = [sched.submit("b", Priority.HIGH, 0, f"b{i}") for i in range(2)]
        await asyncio.sleep(5)
        assert [job.outcome for job in b_jobs] == [Outcome.SENT] * 2
        assert all(job.outcome is None for job in a_jobs)
        assert sched.snapshot().bot("a").held == "followers-only"
        sched.release("a")
        await sched.on_idle()
        return a_jobs, b_jobs, sched

    a_jobs, _, sched = run_virtual(main())
    assert [job.outcome for job in a_jobs] == [Outcome.SENT] * 3
    assert [context for context, _ in generated if context.startswith("a")] == ["a0", "a1", "a2"]
    assert sched.snapshot().bot("a").held is None


def test_a_job_past_commit_is_not_called_back():
    async def main() -> Job:
        async def body(job: Job) -> None:
            job.commit()
            await asyncio.sleep(3)

        sched = make_scheduler(body=body, bots=("a",))
        job = sched.submit("a", Priority.HIGH, 0, "x")
        await asyncio.sleep(1)
        assert sched.hold("a", "emote-only") == 0
        await sched.on_settled()
        return job

    assert run_virtual(main()).outcome is Outcome.SENT


def test_a_called_back_carrier_returns_what_it_carried():
    async def main() -> tuple[list[Job], Scheduler]:
        async def body(job: Job) -> None:
            sched.carry(job, limit=5)
            await asyncio.sleep(2)
            job.commit()

        sched = make_scheduler(body=body, bots=("a",), g=1, b=1)
        jobs = [sched.submit("a", Priority.HIGH, 0, f"v{i}", viewer=f"v{i}") for i in range(3)]
        await asyncio.sleep(1)
        sched.hold("a", "subscribers-only")
        await settle()
        assert sched.size == 3 and all(job.carrier is None for job in jobs)
        sched.release("a")
        await sched.on_idle()
        return jobs, sched

    jobs, _ = run_virtual(main())
    assert all(job.outcome is Outcome.SENT for job in jobs)
    assert [job.carrier for job in jobs] == [None, jobs[0].id, jobs[0].id]


def test_on_settled_returns_while_held_jobs_wait_and_a_drain_skips_them_with_the_reason():
    async def main() -> tuple[list[Job], list[RouterState], float]:
        states: list[RouterState] = []

        async def body(job: Job) -> None:
            await asyncio.sleep(1)

        sched = make_scheduler(body=body)
        sched.add_state_listener(states.append)
        sched.hold("a", "followers-only: make this bot a VIP or moderator, or have it follow")
        held = [sched.submit("a", Priority.HIGH, 0, "x", viewer="v") for _ in range(2)]
        other = sched.submit("b", Priority.HIGH, 0, "y")
        await sched.on_settled()
        settled_at = now()
        assert other.outcome is Outcome.SENT and all(job.outcome is None for job in held)
        sched.drain()
        return [*held, other], states, settled_at

    jobs, states, settled_at = run_virtual(main())
    assert settled_at == 1.0
    assert [(job.outcome, job.reason) for job in jobs[:2]] == [
        (Outcome.SKIPPED, "followers-only: make this bot a VIP or moderator, or have it follow")
    ] * 2
    assert states == [RouterState.DRAINING, RouterState.DRAINED]


def test_a_drain_waits_for_running_jobs_before_skipping_held_ones():
    async def main() -> tuple[Job, Job, list[tuple[str, float]]]:
        seen: list[tuple[str, float]] = []

        async def body(job: Job) -> None:
            await asyncio.sleep(3)

        sched = make_scheduler(body=body)
        sched.add_state_listener(lambda state: seen.append((state.value, now())))
        running = sched.submit("b", Priority.HIGH, 0, "b")
        sched.hold("a", "emote-only")
        held = sched.submit("a", Priority.HIGH, 0, "a")
        await asyncio.sleep(1)
        sched.drain()
        await sched.on_idle()
        return running, held, seen

    running, held, seen = run_virtual(main())
    assert running.outcome is Outcome.SENT
    assert (held.outcome, held.reason, held.finished_at) == (Outcome.SKIPPED, "emote-only", 3.0)
    assert seen == [("draining", 1.0), ("drained", 3.0)]


def test_cancelling_everything_left_completes_a_drain():
    async def main() -> RouterState:
        async def body(job: Job) -> None:
            await asyncio.sleep(10)

        sched = make_scheduler(body=body, bots=("a",), g=1, b=1)
        for viewer in ("v1", "v2", "v3"):
            sched.submit("a", Priority.HIGH, 0, viewer, viewer=viewer)
        await asyncio.sleep(1)
        sched.drain()
        sched.cancel(lambda job: "user_removed")
        await settle()
        return sched.state

    assert run_virtual(main()) is RouterState.DRAINED


def test_recalled_job_that_swallows_cancellation_cannot_commit():
    async def main() -> tuple[Job, list[JobStage]]:
        stages: list[JobStage] = []

        async def body(job: Job) -> None:
            with contextlib.suppress(asyncio.CancelledError):  # a badly behaved body
                await asyncio.sleep(2)
            job.commit()

        sched = make_scheduler(body=body, bots=("a",))
        sched.add_job_listener(lambda stage, job: stages.append(stage))
        job = sched.submit("a", Priority.HIGH, 0, "x")
        await asyncio.sleep(1)
        sched.hold("a", "emote-only")
        await settle()
        return job, stages

    job, stages = run_virtual(main())
    assert job.outcome is None and job.phase is Phase.QUEUED
    assert stages == [JobStage.ENQUEUED, JobStage.STARTED, JobStage.ENQUEUED]
