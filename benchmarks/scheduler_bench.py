"""Scheduler micro-benchmarks, each run in a fresh process so peak memory is its own.

    python -m benchmarks.scheduler_bench throughput BOTS N   -> jobs_per_s, peak_rss_mb
    python -m benchmarks.scheduler_bench hol BACKLOG SLEEP_MS -> idle_bot_start_ms
    python -m benchmarks.scheduler_bench stop QUEUED          -> stop_ms (botdeck and naive)

Workloads mirror ../shared/anchors/pqueue-seed (global 5, per-bot 2, jobs enqueued at t=0).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.model.jobs import Priority


def _peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


async def throughput(bots: int, n: int) -> dict:
    names = [f"bot{i + 1}" for i in range(bots)]
    done = 0

    async def body(job: Job) -> None:
        nonlocal done
        done += 1

    sched = Scheduler(names, global_limit=5, per_bot_limit=2, execute=body)
    start = time.perf_counter()
    for i in range(n):
        sched.submit(names[i % bots], Priority.NORMAL, 0.0, None)
    await sched.on_idle()
    seconds = time.perf_counter() - start
    if done != n:
        raise RuntimeError(f"done {done} of {n}")
    return {"impl": "botdeck", "bots": bots, "jobs": n, "seconds": round(seconds, 4),
            "jobs_per_s": round(n / seconds), "peak_rss_mb": _peak_rss_mb()}  # fmt: skip


async def head_of_line(backlog: int, sleep_ms: int) -> dict:
    idle_start = 0.0
    idle_started = asyncio.Event()
    start = time.perf_counter()

    async def body(job: Job) -> None:
        nonlocal idle_start
        if job.bot == "bot2":
            idle_start = time.perf_counter() - start
            idle_started.set()
        await asyncio.sleep(sleep_ms / 1000)

    sched = Scheduler(["bot1", "bot2"], global_limit=5, per_bot_limit=2, execute=body)
    for _ in range(backlog):
        sched.submit("bot1", Priority.NORMAL, 0.0, None)
    sched.submit("bot2", Priority.NORMAL, 0.0, None)
    await idle_started.wait()
    sched.stop()  # the backlog's remaining minutes are not what is measured
    await sched.on_idle()
    return {"impl": "botdeck", "backlog": backlog, "sleep_ms": sleep_ms,
            "idle_bot_start_ms": round(idle_start * 1000, 3)}  # fmt: skip


async def stop(queued: int) -> dict:
    all_running = asyncio.Event()
    started = 0

    async def body(job: Job) -> None:
        nonlocal started
        started += 1
        if started == 5:
            all_running.set()
        await asyncio.sleep(3600)

    sched = Scheduler(["bot1", "bot2", "bot3"], global_limit=5, per_bot_limit=2, execute=body)
    for i in range(queued + 5):
        sched.submit(f"bot{i % 3 + 1}", Priority.NORMAL, 0.0, None)
    await all_running.wait()
    start = time.perf_counter()
    cancelled = sched.stop()
    await sched.on_idle()
    botdeck_ms = (time.perf_counter() - start) * 1000

    # Naive baseline: one asyncio task per job behind a semaphore, cancelled one by one.
    gate = asyncio.Semaphore(5)

    async def naive_job() -> None:
        async with gate:
            await asyncio.sleep(3600)

    tasks = [asyncio.ensure_future(naive_job()) for _ in range(queued + 5)]
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    naive_ms = (time.perf_counter() - start) * 1000
    return {"impl": "botdeck", "queued": queued, "running": 5, "cancelled": cancelled,
            "stop_ms": round(botdeck_ms, 3), "naive_tasks_stop_ms": round(naive_ms, 3)}  # fmt: skip


def main(argv: list[str]) -> None:
    mode, *rest = argv
    numbers = [int(arg) for arg in rest]
    coroutine = {"throughput": throughput, "hol": head_of_line, "stop": stop}[mode](*numbers)
    print(json.dumps(asyncio.run(coroutine)))


if __name__ == "__main__":
    main(sys.argv[1:])
