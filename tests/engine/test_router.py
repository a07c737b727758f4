"""The router on a virtual clock: chat in, replies out, every job journaled with one outcome."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from botdeck.ai.base import ReplyRequest
from botdeck.ai.offline import OfflineResponder
from botdeck.model.jobs import Outcome
from tests.harness.engine import BOTS, RecordingSink, ScriptedResponder, line, make_engine
from tests.harness.journals import OUTCOMES, assert_one_outcome_per_job, events_of
from tests.harness.virtual_time import run_virtual


def make_router(responder=None, sink=None, chance=0.0, max_depth=2, g=5, b=2):
    return make_engine(
        BOTS,
        responder=responder or ScriptedResponder(),
        sink=sink or RecordingSink(),
        chance=chance,
        max_depth=max_depth,
        delays=1.0,
        g=g,
        b=b,
        context_lines=5,
    )


def test_a_mention_is_answered_by_that_bot_addressed_to_the_viewer():
    sink = RecordingSink()

    async def main():
        router, stream = make_router(sink=sink)
        router.handle(line(1, "viewer_one", "hey @Beta_Bot how are you?"))
        await router.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    assert sink.sent == [("beta_bot", "@viewer_one hello from beta_bot", "m1")]
    assert [e["event"] for e in events] == ["chat", "enqueued", "started", "sent", "chat"]
    sent = events[3]
    assert sent | {"ts": 0} == {
        "ts": 0,
        "event": "sent",
        "job": 1,
        "bot": "beta_bot",
        "priority": "high",
        "msg": "m1",
        "text": "@viewer_one hello from beta_bot",
        "latency": 1.6,  # 1 s delay + 0.5 s generation + 0.1 s send
    }
    assert events[4]["user"] == "beta_bot" and events[4]["is_bot"] is True


def test_two_bots_mentioned_both_answer_concurrently():
    sink = RecordingSink()

    async def main():
        router, _ = make_router(sink=sink)
        jobs = router.handle(line(1, "viewer", "@alpha_bot @gamma_bot debate this"))
        await router.wait_idle()
        return jobs

    jobs = run_virtual(main())
    assert sorted(bot for bot, _, _ in sink.sent) == ["alpha_bot", "gamma_bot"]
    assert [job.finished_at for job in jobs] == [1.6, 1.6]


def test_bots_debate_within_the_depth_limit_and_then_stop():
    def script(request: ReplyRequest) -> str:
        other = "beta_bot" if request.bot == "alpha_bot" else "alpha_bot"
        return f"@{other} I disagree"

    sink = RecordingSink()

    async def main():
        router, stream = make_router(responder=ScriptedResponder(script), sink=sink, max_depth=2)
        router.handle(line(1, "viewer", "@alpha_bot start a debate"))
        await router.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    # viewer -> alpha (depth 1, high) -> beta (depth 2, low) -> nobody (depth 3 > 2)
    assert [(bot, text.split()[0]) for bot, text, _ in sink.sent] == [
        ("alpha_bot", "@viewer"),
        ("beta_bot", "@alpha_bot"),
    ]
    priorities = [e["priority"] for e in events if e["event"] == "sent"]
    assert priorities == ["high", "low"]
    assert [e.get("depth") for e in events if e["event"] == "chat"] == [None, 1, 2]


def test_the_responder_sees_persona_context_and_trigger():
    responder = ScriptedResponder()

    async def main():
        router, _ = make_router(responder=responder)
        for n in range(1, 9):
            router.handle(line(n, f"user{n}", f"line number {n}"))
        router.handle(line(9, "asker", "@alpha_bot what now?"))
        await router.wait_idle()

    run_virtual(main())
    request = responder.requests[0]
    assert request.persona == "persona of alpha_bot"
    assert request.message.text == "@alpha_bot what now?"
    assert [m.text for m in request.history] == [f"line number {n}" for n in range(4, 9)]


def test_failures_and_skips_are_journaled_with_reasons_and_nothing_stalls():
    def script(request: ReplyRequest) -> str:
        return {"m1": "!error", "m2": "   \x1b[0m  ", "m3": "same again"}.get(
            request.message.id, "fine"
        )

    sink = RecordingSink(refuse="same again")

    async def main():
        router, stream = make_router(responder=ScriptedResponder(script), sink=sink)
        for n in range(1, 5):
            router.handle(line(n, f"viewer{n}", "@alpha_bot hi"))
        await router.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    ends = {e["msg"]: (e["event"], e.get("reason")) for e in events if e["event"] in OUTCOMES}
    assert ends == {
        "m1": ("failed", "model unavailable"),
        "m2": ("failed", "empty reply"),
        "m3": ("failed", "msg_duplicate: Your message is identical to the previous one"),
        "m4": ("sent", None),
    }


def test_lines_while_draining_are_journaled_and_their_jobs_skipped():
    async def main():
        router, stream = make_router()
        router.handle(line(1, "viewer", "@alpha_bot first"))
        router.drain()
        late = router.handle(line(2, "viewer", "@beta_bot too late"))
        assert [job.outcome for job in late] == [Outcome.SKIPPED]
        await router.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    kinds = [(e["event"], e.get("msg"), e.get("reason") or e.get("state")) for e in events]
    assert ("chat", "m2", None) in kinds
    assert ("skipped", "m2", "draining") in kinds
    assert ("sent", "m1", None) in kinds
    assert kinds[-1] == ("state", None, "drained")
    assert_one_outcome_per_job(events)


def test_emergency_stop_sends_nothing_more_and_records_every_job():
    sink = RecordingSink()

    async def main():
        router, stream = make_router(sink=sink, g=2, b=1)
        for n in range(30):
            router.handle(line(n, f"viewer{n}", f"@{BOTS[n % 3]} hi"))
        await asyncio.sleep(1.55)  # two replies are mid-generation
        sent_before = len(sink.sent)
        router.stop()
        await asyncio.sleep(60)
        assert len(sink.sent) == sent_before
        return events_of(stream)

    events = run_virtual(main())
    assert Counter(e["event"] for e in events if e["event"] in OUTCOMES) == {"cancelled": 30}
    assert_one_outcome_per_job(events)


def test_duplicate_ids_are_dropped_and_echoes_get_their_depth_back():
    sink = RecordingSink(echoes=True)

    async def main():
        router, stream = make_router(sink=sink)
        router.handle(line(1, "viewer", "@alpha_bot hi"))
        router.handle(line(1, "viewer", "@alpha_bot hi"))  # delivered twice by the source
        await router.wait_idle()
        bot, text, _ = sink.sent[0]
        router.handle(line(2, bot, text))  # the channel echoes our own reply back
        await router.wait_idle()
        return router, events_of(stream)

    router, events = run_virtual(main())
    assert router.snapshot().chat.duplicates == 1
    assert len(sink.sent) == 1
    chat = [e for e in events if e["event"] == "chat"]
    assert [(e["user"], e.get("is_bot"), e.get("depth")) for e in chat] == [
        ("viewer", None, None),
        ("alpha_bot", True, 1),
    ]


def test_a_random_busy_session_gives_every_job_exactly_one_outcome():
    async def main():
        router, stream = make_router(
            responder=OfflineResponder(seed=3, bots=BOTS), chance=0.5, g=3, b=1
        )
        rng = random.Random(11)
        for n in range(200):
            text = rng.choice(["gg", "@alpha_bot hi", "@beta_bot @gamma_bot fight", "what?"])
            router.handle(line(n, f"viewer{n % 17}", text))
            await asyncio.sleep(rng.uniform(0, 0.3))
            if n == 150:
                router.drain()
        await router.wait_idle()
        return router, events_of(stream)

    router, events = run_virtual(main())
    assert_one_outcome_per_job(events)
    assert router.snapshot().chat.mentions_answered > 0
    assert all(len(e["text"]) <= 450 for e in events if e["event"] == "sent")


def test_a_viewer_past_the_per_user_cap_is_skipped_with_that_reason():
    async def main():
        router, stream = make_router(g=1, b=1)
        for n in range(6):
            router.handle(line(n, "spammer", f"@alpha_bot again {n}"))
        router.handle(line(9, "regular", "@alpha_bot hi"))
        await router.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    ends = [(e["msg"], e["event"], e.get("reason")) for e in events if e["event"] in OUTCOMES]
    skipped = [msg for msg, kind, reason in ends if reason == "per_user_cap"]
    assert skipped == ["m3", "m4", "m5"]  # three may wait; the regular is not capped
    assert ("m9", "sent", None) in ends
    assert_one_outcome_per_job(events)


def test_random_and_bot_replies_that_waited_too_long_are_stale_but_mentions_never():
    async def main():
        router, stream = make_router(chance=1.0, g=1, b=1)
        router.pause()
        router.handle(line(1, "viewer", "just chatting"))  # a random reply: normal priority
        router.handle(line(2, "viewer", "@alpha_bot still there?"))
        await asyncio.sleep(600)  # the streamer paused the bots for ten minutes
        router.resume()
        await router.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    ends = {e["msg"]: (e["priority"], e["event"], e.get("reason")) for e in events
            if e["event"] in OUTCOMES and e["msg"] in ("m1", "m2")}  # fmt: skip
    assert ends == {"m1": ("normal", "skipped", "stale"), "m2": ("high", "sent", None)}
