"""An AI outage through the whole engine, on virtual time: exact waits, visible phases.

The responder here is a stand-in that fails as an unreachable server does until the
outage ends; the real SDK against a loopback server is in tests/ai/test_outage.py.
"""

from __future__ import annotations

import asyncio
import json

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Phase
from botdeck.model.snapshot import EngineSnapshot
from tests.harness.engine import make_engine
from tests.harness.virtual_time import now, run_virtual

BOTS = ("alpha", "beta")
REFUSED = "cannot reach ai.local:443: connection refused"


class DownUntil(Responder):
    """Refuses connections until `back_at` (loop time), then answers."""

    def __init__(self, back_at: float) -> None:
        self.back_at = back_at
        self.calls: list[float] = []

    @property
    def label(self) -> str:
        return "model"

    async def reply(self, request: ReplyRequest) -> Reply:
        self.calls.append(now())
        await asyncio.sleep(0.1)
        if now() < self.back_at:
            raise ResponderError(REFUSED, transient=True)
        return Reply(f"answer to {request.message.user}")


def say(n: int, text: str, user: str | None = None) -> ChatMessage:
    return ChatMessage(id=f"m{n}", user=user or f"viewer{n}", text=text, timestamp=0.0)


def outcomes(stream) -> dict[int, tuple[str, str | None, float]]:
    rows = [json.loads(row) for row in stream.getvalue().splitlines()]
    return {
        e["job"]: (e["event"], e.get("reason"), e["ts"])
        for e in rows
        if e["event"] in {"sent", "failed", "skipped", "cancelled"}
    }


def test_a_mention_waits_out_a_20_s_outage_in_a_visible_phase_past_its_job_timeout():
    responder = DownUntil(back_at=20.0)
    seen: dict[str, EngineSnapshot] = {}

    async def main():
        engine, stream = make_engine(
            BOTS, responder=responder, delays=0.0, journal_clock=now, job_timeout=5.0
        )
        engine.handle(say(1, "@alpha are you there?"))
        await asyncio.sleep(10.0)
        seen["during"] = engine.snapshot()
        await engine.wait_idle()
        seen["after"] = engine.snapshot()
        return outcomes(stream)

    ends = run_virtual(main())
    # Fails at 0.1, probes at 0.6, 1.7, 3.8, 7.9, 16.0 (8 s apart at most), then 24.1: sent.
    assert responder.calls == [0.0, 0.6, 1.7, 3.8, 7.9, 16.0, 24.1]
    assert ends == {1: ("sent", None, 24.2)}  # not "timeout": waiting is not the job's time
    during = seen["during"]
    assert during.queues.bot("alpha").ai_waiting == 1
    assert during.ai is not None and during.ai.header() == "AI down for 9 s"
    assert during.ai.waiting == 1 and during.ai.reason == REFUSED
    assert during.notices == (f"AI down for 9 s: {REFUSED}; 1 replies wait up to 300 s",)
    assert seen["after"].ai is None


def test_past_outage_wait_a_mention_fails_ai_unavailable_and_random_replies_go_stale():
    responder = DownUntil(back_at=1e9)

    async def main():
        engine, stream = make_engine(
            BOTS,
            responder=responder,
            delays=0.0,
            journal_clock=now,
            outage_wait=30.0,
            max_age=12.0,
            chance=1.0,
            g=4,
            b=2,
        )
        engine.handle(say(1, "@alpha hello"))  # fails at 0.1: the outage starts
        engine.handle(say(2, "nice stream"))  # a random reply
        await asyncio.sleep(20.0)
        engine.handle(say(3, "@beta late question"))  # arrives during the outage
        await engine.wait_idle()
        return outcomes(stream), {job.phase for job in engine.running_jobs()}

    ends, _ = run_virtual(main())
    assert ends[1] == ("failed", "ai_unavailable", 30.1)  # 30 s after the outage began
    assert ends[2] == ("skipped", "stale", 12.0)  # max_age, counted from its line
    assert ends[3] == ("failed", "ai_unavailable", 50.0)  # 30 s after it arrived


def test_with_outage_wait_0_a_transient_failure_fails_the_job_at_once():
    responder = DownUntil(back_at=1e9)

    async def main():
        engine, stream = make_engine(
            BOTS, responder=responder, delays=0.0, journal_clock=now, outage_wait=0.0
        )
        engine.handle(say(1, "@alpha hello"))
        engine.handle(say(2, "@beta hello"))
        await engine.wait_idle()
        return outcomes(stream), engine.snapshot()

    ends, snapshot = run_virtual(main())
    assert ends == {1: ("failed", REFUSED, 0.1), 2: ("failed", REFUSED, 0.1)}
    assert snapshot.ai is not None and snapshot.ai.notices()[0].endswith("; replies fail")


def test_the_waiting_phase_is_ai_wait_for_observers():
    async def main():
        engine, _ = make_engine(BOTS, responder=DownUntil(back_at=5.0), delays=0.0)
        engine.handle(say(1, "@alpha hi"))
        await asyncio.sleep(0.3)
        phases = [job.phase for job in engine.running_jobs()]
        await engine.wait_idle()
        return phases

    assert run_virtual(main()) == [Phase.AI_WAIT]


def drained_outcomes(outage_wait: float) -> tuple[dict, float, int]:
    """Sixteen mentions while the server is down, two slots, 1.5 s delays: drain at t=10."""
    responder = DownUntil(back_at=1e9)

    async def main():
        engine, stream = make_engine(
            BOTS,
            responder=responder,
            delays=1.5,
            journal_clock=now,
            outage_wait=outage_wait,
            g=2,
            b=1,
        )
        for n in range(16):
            engine.handle(say(n, f"@{BOTS[n % 2]} hello {n}"))
        await asyncio.sleep(10.0)
        engine.drain()
        await engine.wait_ended()
        return outcomes(stream), now(), len(responder.calls)

    return run_virtual(main())


def test_a_drain_does_not_wait_out_an_outage():
    ends, ended_at, calls = drained_outcomes(outage_wait=300.0)
    # The two started mentions waited from 1.6 (the first failure) until the drain; the
    # fourteen queued behind them fail as they start, before their delay: nothing sleeps,
    # nothing probes, the drain is over at once instead of at 301.6.
    assert ends == {n: ("failed", "ai_unavailable", 10.0) for n in range(1, 17)}
    assert ended_at == 10.0
    assert calls == 6  # at 1.5 the first two; probes at 2.1, 3.2, 5.3, 9.4


def test_a_drain_does_not_burn_retries_against_a_server_known_down_either():
    ends, ended_at, calls = drained_outcomes(outage_wait=0.0)
    # Without waiting, each reply fails on its own try, two every 1.6 s, until the drain.
    tried = {n: ("failed", REFUSED, round(1.6 * ((n + 1) // 2), 1)) for n in range(1, 13)}
    assert {n: ends[n] for n in range(1, 13)} == tried
    assert calls == 12
    # Then the two in their delay at the drain fail after it without trying a server known
    # to be down, and the two queued behind them fail as they start, without their delay
    # (else at 12.6): the drain ends within its bound, a reply delay (no try under way).
    assert {n: ends[n] for n in range(13, 17)} == {
        n: ("failed", "ai_unavailable", 11.1) for n in range(13, 17)
    }
    assert ended_at == 11.1
