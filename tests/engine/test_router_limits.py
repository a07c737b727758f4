"""The send limiter inside the router's jobs: waits show, stops release, failures count."""

from __future__ import annotations

import asyncio
import io
import json

from botdeck.chat.base import SendError
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import Engine
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.defaults import SendLimits
from botdeck.model.jobs import Phase
from tests.harness.engine import ScriptedResponder, make_engine
from tests.harness.journals import OUTCOMES
from tests.harness.virtual_time import now, run_virtual

BOTS = ("alpha_bot", "beta_bot")


class TimedSink:
    """Records when each send started and ended; refuses texts containing `refuse`."""

    echoes = False

    def __init__(self, refuse: str | None = None, latency: float = 0.1) -> None:
        self.refuse = refuse
        self.latency = latency
        self.calls: list[tuple[str, float, float, str]] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        start = now()
        await asyncio.sleep(self.latency)
        self.calls.append((bot, start, now(), text))
        if self.refuse and self.refuse in text:
            raise SendError("msg_rejected: Your message was not sent")
        return f"out-{len(self.calls)}"


def make(sink: TimedSink, limiter: RateLimiter, per_bot: int = 2) -> tuple[Engine, io.StringIO]:
    return make_engine(
        BOTS,
        personas={bot: "persona" for bot in BOTS},
        responder=ScriptedResponder(lambda r: f"reply to {r.message.id}", delay=0.2),
        sink=sink,
        limiter=limiter,
        delays=0.0,
        seed=1,
        g=4,
        b=per_bot,
    )


def mention(n: int, bot: str = "alpha_bot") -> ChatMessage:
    return ChatMessage(id=f"m{n}", user=f"viewer{n}", text=f"@{bot} hi", timestamp=float(n))


def test_a_raid_on_one_viewer_bot_is_answered_within_twitchs_limits():
    sink = TimedSink()
    limiter = RateLimiter(dict.fromkeys(BOTS, Role.VIEWER))
    waits: list[tuple[Phase, float | None]] = []

    async def main() -> list[dict]:
        router, stream = make(sink, limiter)
        for n in range(45):
            router.handle(mention(n))
        await asyncio.sleep(25)  # the window is full: the two running jobs wait in it
        waits.extend((job.phase, job.send_wait_until) for job in router.running_jobs())
        lane = router.snapshot().queues.bot("alpha_bot")
        assert lane.sending == 2 and lane.pending == 2
        assert limiter.budget("alpha_bot").waiting == 2
        await router.wait_idle()
        return [json.loads(row) for row in stream.getvalue().splitlines()]

    events = run_virtual(main())
    assert sum(e["event"] == "sent" for e in events) == 45  # nothing dropped
    starts = [start for _, start, _, _ in sink.calls]
    ends = [end for _, _, end, _ in sink.calls]
    for i in range(20, len(sink.calls)):
        assert starts[i] >= ends[i - 20] + 30.0  # the 21st waits for the 1st to leave
    for i in range(1, len(sink.calls)):
        assert starts[i] >= ends[i - 1] + 1.0  # a viewer's 1 s spacing
    assert all(phase is Phase.SENDING for phase, _ in waits)
    assert any(until is not None and until >= 30.0 for _, until in waits)


def test_an_emergency_stop_while_waiting_for_the_window_sends_nothing_and_leaks_no_slot():
    sink = TimedSink()
    limits = SendLimits(window=30.0, viewer=2, spacing=0.0)
    limiter = RateLimiter(dict.fromkeys(BOTS, Role.VIEWER), limits)

    async def main() -> None:
        router, _ = make(sink, limiter)
        for n in range(6):
            router.handle(mention(n))
        await asyncio.sleep(5)
        assert len(sink.calls) == 2
        router.stop()
        await router.wait_idle()
        await asyncio.sleep(60)
        assert len(sink.calls) == 2
        budget = limiter.budget("alpha_bot")
        assert (budget.used, budget.waiting, budget.next_free_in) == (0, 0, 0.0)

    run_virtual(main())


def test_a_refused_send_fails_the_job_and_still_counts_against_the_window():
    sink = TimedSink(refuse="m1")
    limits = SendLimits(window=30.0, viewer=2, spacing=0.0)
    limiter = RateLimiter(dict.fromkeys(BOTS, Role.VIEWER), limits)

    async def main() -> list[dict]:
        router, stream = make(sink, limiter, per_bot=1)
        for n in range(3):
            router.handle(mention(n))
        await router.wait_idle()
        return [json.loads(row) for row in stream.getvalue().splitlines()]

    events = run_virtual(main())
    ends = {e["msg"]: (e["event"], e.get("reason")) for e in events if e["event"] in OUTCOMES}
    assert ends["m1"] == ("failed", "msg_rejected: Your message was not sent")
    assert ends["m0"][0] == ends["m2"][0] == "sent"
    assert sink.calls[2][1] >= sink.calls[0][2] + 30.0  # the failed one took a slot


class FlakySink(TimedSink):
    """Refuses the first `refusals` sends with `retry_after`, then sends."""

    def __init__(self, refusals: int, retry_after: float | None) -> None:
        super().__init__()
        self.refusals = refusals
        self.retry_after = retry_after

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        start = now()
        await asyncio.sleep(self.latency)
        self.calls.append((bot, start, now(), text))
        if self.refusals:
            self.refusals -= 1
            raise SendError(
                "rate limited by Twitch (HTTP 429: slow down)", retry_after=self.retry_after
            )
        return f"out-{len(self.calls)}"


def test_a_retryable_refusal_waits_then_retries_through_the_limiter():
    sink = FlakySink(refusals=1, retry_after=5.0)
    limiter = RateLimiter(dict.fromkeys(BOTS, Role.VIEWER))

    async def main():
        engine, stream = make(sink, limiter)
        engine.handle(mention(1))
        await engine.wait_idle()
        return limiter.budget("alpha_bot").used, stream

    used, stream = run_virtual(main())
    (_, _, first_end, _), (_, second, _, _) = sink.calls
    assert second == first_end + 5.0  # after the wait the sink asked for, not at once
    assert used == 2  # each attempt took a slot: Twitch may have counted the refused one
    outcome = [e for e in map(json.loads, stream.getvalue().splitlines()) if e["event"] == "sent"]
    assert len(outcome) == 1


def test_retries_stop_after_send_retries_and_a_plain_refusal_is_not_retried():
    sink = FlakySink(refusals=5, retry_after=1.0)
    plain = FlakySink(refusals=1, retry_after=None)

    async def main(chosen: FlakySink):
        engine, stream = make(chosen, RateLimiter(dict.fromkeys(BOTS, Role.VIEWER)))
        engine.handle(mention(1))
        await engine.wait_idle()
        events = [json.loads(row) for row in stream.getvalue().splitlines()]
        return [e for e in events if e["event"] in OUTCOMES]

    [outcome] = run_virtual(main(sink))
    assert outcome["event"] == "failed" and len(sink.calls) == 2  # one retry (the default)
    assert outcome["reason"] == "rate limited by Twitch (HTTP 429: slow down)"
    [outcome] = run_virtual(main(plain))
    assert outcome["event"] == "failed" and len(plain.calls) == 1
