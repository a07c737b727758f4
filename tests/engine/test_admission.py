"""Random replies are admitted only while they can be sent in time; stale ones never sleep."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.events import StateChanged
from botdeck.model.jobs import RouterState
from tests.harness.engine import make_engine
from tests.harness.journals import OUTCOMES
from tests.harness.virtual_time import now, run_virtual

BOTS = ("alpha_bot", "beta_bot")


def chatter(n: int) -> ChatMessage:
    return ChatMessage(f"c{n}", f"viewer{n}", f"just chatting {n}", now())


def test_a_chat_flood_only_makes_jobs_the_send_windows_can_deliver():
    """100 lines/s, every line a random reply: two viewer bots can send 40 per 30 s."""

    async def main():
        limiter = RateLimiter(dict.fromkeys(BOTS, Role.VIEWER))
        engine, stream = make_engine(
            BOTS, limiter=limiter, chance=1.0, max_depth=0, max_age=60.0, journal_clock=now
        )
        for n in range(3000):  # 30 s of flood
            engine.handle(chatter(n))
            await asyncio.sleep(0.01)
        mention = engine.handle(ChatMessage("m1", "asker", "@alpha_bot still there?", now()))
        await engine.wait_idle()
        events = [json.loads(row) for row in stream.getvalue().splitlines()]
        return engine.snapshot(), mention, events

    snap, mention, events = run_virtual(main())
    enqueued = sum(1 for e in events if e["event"] == "enqueued")
    ends = Counter((e["event"], e.get("reason")) for e in events if e["event"] in OUTCOMES)
    assert set(ends) <= {("sent", None), ("skipped", "stale")}
    # The forecast is close, not exact (it cannot know how long each reply takes): the
    # few it misjudges are skipped as they start, without sleeping their delay.
    assert ends[("skipped", "stale")] <= enqueued // 10
    started = {e["job"]: e["ts"] for e in events if e["event"] == "started"}
    assert all(e["ts"] == started[e["job"]] for e in events if e.get("reason") == "stale")
    assert enqueued < 120 and sum(snap.passed.values()) > 2800  # the rest never queued
    assert len(mention) == 1  # a mention is never refused
    assert ("sent", "m1") in {(e["event"], e["msg"]) for e in events}


def test_a_drain_skips_a_backlog_of_stale_replies_without_sleeping_their_delays():
    async def main():
        engine, stream = make_engine(BOTS, chance=1.0, max_depth=0, delays=5.0, max_age=120.0)
        engine.pause()  # the streamer paused the bots while chat went on
        for n in range(500):
            engine.handle(chatter(n))
        engine.handle(ChatMessage("m1", "asker", "@beta_bot are you there?", now()))
        await asyncio.sleep(300)
        drained = asyncio.Event()
        engine.subscribe(lambda e: isinstance(e, StateChanged) and e.state.ended and drained.set())
        began = now()
        engine.drain()
        await drained.wait()
        events = [json.loads(row) for row in stream.getvalue().splitlines()]
        return now() - began, engine.state, events

    took, state, events = run_virtual(main())
    assert state is RouterState.DRAINED
    ends = Counter((e["event"], e.get("reason")) for e in events if e["event"] in OUTCOMES)
    assert ends[("skipped", "stale")] == 500
    assert ends[("sent", None)] == 1  # the mention: its own 5 s delay, then sent
    assert took < 6.0  # 500 stale replies cost no delay; the mention's 5 s is all there is


def test_a_reply_that_would_go_stale_during_its_delay_is_skipped_before_it():
    async def main():
        engine, stream = make_engine(BOTS, chance=1.0, max_depth=0, delays=8.0, max_age=10.0)
        engine.pause()
        engine.handle(chatter(1))
        await asyncio.sleep(5)  # waited 5 s; with its 8 s delay it would be 13 s old
        engine.resume()
        await engine.wait_idle()
        return [json.loads(row) for row in stream.getvalue().splitlines()], now()

    events, ended_at = run_virtual(main())
    assert [(e["event"], e.get("reason")) for e in events if e["event"] in OUTCOMES] == [
        ("skipped", "stale")
    ]
    assert ended_at == 5.0  # skipped at once, not after sleeping 8 s
