"""AI outages with the real SDK against the fake OpenAI server: waited out, not failed.

The outages run on the virtual clock: the fake answers through the SDK's HTTP transport
(`FakeOpenAI.in_memory()`), so everything above the socket is the real thing (the SDK,
botdeck's retries and error classification, the circuit, the engine) and a 15 s outage
takes a fraction of a second, every wait exact. Refusals that need no waiting run on the
wall clock against the loopback server. The circuit's own timing, with a stand-in
responder: tests/engine/test_outage.py.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx2
import pytest

from botdeck.config import Config
from botdeck.core.virtual_time import run_virtual, wall_clock
from botdeck.model.events import AIAvailability, EngineEvent
from botdeck.model.jobs import Phase
from tests.fakes.openai_server import FakeOpenAI, reply, status
from tests.harness.ai import BOTS, KEY, KEY_ENV, Run, make_config
from tests.harness.virtual_time import ThreadsVirtualTimeLoop, now
from tests.harness.waiting import until

pytestmark = pytest.mark.usefixtures("openai_key")

T = TypeVar("T")
T0 = 1_795_000_000.0  # the journal's wall clock at the virtual loop's t=0


def on_virtual_time(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on the virtual clock (the SDK's one hop to a thread waited for)."""
    return run_virtual(main, loop=ThreadsVirtualTimeLoop())


def virtual_run(config: Config, transport: httpx2.AsyncBaseTransport) -> Run:
    """The engine on the SDK over `transport`, its journal stamped from T0."""
    return Run(config, transport=transport, clock=wall_clock(asyncio.get_running_loop(), T0))


def availability(run: Run) -> list[AIAvailability]:
    heard: list[AIAvailability] = []

    def listen(event: EngineEvent) -> None:
        if isinstance(event, AIAvailability):
            heard.append(event)

    run.engine.subscribe(listen)
    return heard


def outcomes(run: Run) -> list[tuple[str, str | None]]:
    return list(run.outcomes().values())


def mentions(run: Run, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        run.say(f"viewer{n}", f"@{BOTS[n % 3]} question {n}?")


def test_a_15_s_outage_mid_raid_is_waited_out_and_no_mention_fails():
    server = FakeOpenAI()
    transport = server.in_memory()
    server.latency = 0.2  # replies take a while, so the raid is still going
    config = make_config(
        server,
        router={"global_concurrency": 3, "per_bot_concurrency": 1},
        ai={"timeout": 2.0},  # outage_wait: the default, 300 s
    )

    async def main() -> tuple[Run, list[AIAvailability]]:
        run = virtual_run(config, transport)
        heard = availability(run)
        try:
            mentions(run, 12)
            await until(lambda: len(server.chats) >= 3, 10, "the raid under way")
            await server.go_down()
            went_down = now()
            await until(lambda: run.engine.snapshot().ai is not None, 10, "the circuit opened")
            mentions(run, 6, start=12)  # chat goes on during the outage
            await until(
                lambda: sum(lane.ai_waiting for lane in run.engine.snapshot().queues.bots) == 3,
                10,
                "every slot's reply waiting for the AI",
            )
            snapshot = run.engine.snapshot()
            assert snapshot.ai is not None and snapshot.ai.waiting == 3
            assert all(job.phase is Phase.AI_WAIT for job in run.engine.running_jobs())
            await asyncio.sleep(went_down + 15 - now())  # 15 s of outage, to the millisecond
            ai = run.engine.snapshot().ai
            assert ai is not None and ai.header() == "AI down for 15 s"
            assert outcomes(run) == []  # nothing failed (nor went out) while it was down
            await server.come_back()
            await run.settle(deadline=60)
        finally:
            run.engine.stop()
            await run.close()
        return run, heard

    run, heard = on_virtual_time(main())
    assert [outcome for outcome, _ in outcomes(run)] == ["sent"] * 18
    run.assert_one_outcome_per_job()
    assert run.engine.snapshot().ai is None  # up again, nothing to say
    assert [event.state for event in heard] == ["down", "up"]
    assert heard[0].reason.startswith("cannot reach 127.0.0.1:")
    assert heard[1].down_for >= 15


def test_while_the_server_is_down_one_probe_at_a_time_with_backoff():
    server = FakeOpenAI()
    transport = server.in_memory()
    server.latency = 0.05
    config = make_config(server, router={"global_concurrency": 3})

    async def main() -> tuple[Run, list[float]]:
        run = virtual_run(config, transport)
        try:
            server.chat_default = status(503)
            mentions(run, 6)
            await until(lambda: run.engine.snapshot().ai is not None, 10, "the circuit opened")
            opened = len(server.chats)  # the requests in flight when it opened
            server.max_in_flight = 0
            await asyncio.sleep(4.0)  # the outage: probes at about 0.5, 1.5 and 3.5 s
            probes = [request.received_at for request in server.chats[opened:]]
            assert server.max_in_flight == 1  # never more than the one probe
            server.chat_default = reply("back online")
            await run.settle(deadline=30)
        finally:
            run.engine.stop()
            await run.close()
        return run, probes

    run, probes = on_virtual_time(main())
    # Without the circuit: 3 jobs x 3 attempts, again and again. With it, one probe at a
    # time, each wait longer than the one before.
    assert len(probes) == 3, probes
    first, second = (later - earlier for earlier, later in itertools.pairwise(probes))
    assert 0 < first < second
    assert [outcome for outcome, _ in outcomes(run)] == ["sent"] * 6


def test_an_outage_longer_than_outage_wait_fails_mentions_and_nothing_hangs():
    server = FakeOpenAI()
    transport = server.in_memory()
    config = make_config(
        server,
        router={"global_concurrency": 2, "random_reply_chance": 1.0, "max_age": 1.0},
        ai={"outage_wait": 2.0, "timeout": 1.0},
    )

    async def main() -> tuple[Run, float]:
        run = virtual_run(config, transport)
        try:
            await server.go_down()
            mentions(run, 6)
            run.say("chatter", "what a play")  # a random reply: follows max_age, not outage_wait
            started = now()
            await run.settle(deadline=20)  # nothing hangs: 7 jobs, 2 slots, each done by 2 s
            return run, now() - started
        finally:
            run.engine.stop()
            await run.close()

    run, took = on_virtual_time(main())
    ends = run.outcomes()
    by_priority: dict[str, set[tuple[str, str | None]]] = {}
    jobs = {e["job"]: e["priority"] for e in run.events if e["event"] == "enqueued"}
    for job_id, priority in jobs.items():
        by_priority.setdefault(priority, set()).add(ends[job_id])
    assert sum(priority == "high" for priority in jobs.values()) == 6
    assert by_priority == {
        "high": {("failed", "ai_unavailable")},  # waiting, or queued behind the waiting
        "normal": {("skipped", "stale")},
    }
    assert took < 2.5  # outage_wait once: the queue behind the first two did not wait 2 s each
    run.assert_one_outcome_per_job()


async def test_a_refused_key_fails_at_once_and_the_notice_says_the_key_was_refused(
    openai_server: FakeOpenAI, runs
):
    refused = {"message": "Incorrect API key provided", "code": "invalid_api_key"}
    openai_server.chat_default = status(401, refused)
    run = runs(make_config(openai_server, router={"global_concurrency": 1}))
    heard = availability(run)
    mentions(run, 3)
    started = asyncio.get_running_loop().time()
    await run.settle(deadline=10)

    assert asyncio.get_running_loop().time() - started < 5  # no waiting, no retries
    assert outcomes(run) == [("failed", "authentication failed (401): check the API key")] * 3
    assert len(openai_server.chats) == 3  # one request each
    host = openai_server.base_url.split("//")[1].split("/")[0]
    fix = f"{host} refused the API key (401): check the key in {KEY_ENV}"
    assert run.engine.snapshot().notices == (f"AI refused: {fix}",)
    assert [(event.state, event.reason) for event in heard] == [("refused", fix)]  # said once
    assert KEY not in run.stream.getvalue()


async def test_a_model_the_server_does_not_have_says_which_and_what_to_check(
    openai_server: FakeOpenAI, runs
):
    missing = {"message": "The model `gpt-9` does not exist", "code": "model_not_found"}
    openai_server.chat_default = status(404, missing)
    run = runs(make_config(openai_server, ai={"model": "gpt-9"}))
    mentions(run, 1)
    await run.settle(deadline=10)
    [(outcome, reason)] = outcomes(run)
    assert (outcome, reason) == ("failed", "not found (404): The model `gpt-9` does not exist")
    [notice] = run.engine.snapshot().notices
    assert notice.endswith("has no model 'gpt-9' (404): check [ai] model and base_url")
