"""Chat modes on a virtual clock: bots that cannot talk are held (no LLM call, mentions
wait), slow mode paces viewer bots, and a drain never hangs on a held bot."""

from __future__ import annotations

import asyncio

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.channel import ChatSettings
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.events import ChatModeChanged
from botdeck.model.jobs import RouterState
from tests.harness.engine import BOTS, ScriptedResponder, SlowSink, line, make_engine
from tests.harness.journals import events_of
from tests.harness.virtual_time import now, run_virtual

VIEWER_BOT, VIP_BOT, MOD_BOT = BOTS
ROLES = {VIEWER_BOT: Role.VIEWER, VIP_BOT: Role.VIP, MOD_BOT: Role.MODERATOR}
FOLLOWERS_ONLY = ChatSettings(followers_only=True, follow_minutes=10)
FOLLOW_REASON = "followers-only: make this bot a VIP or moderator, or have it follow"


def engine_with_roles(responder=None, sink=None, **settings):
    settings.setdefault("delays", 1.0)
    return make_engine(
        BOTS,
        responder=responder or ScriptedResponder(delay=1.0),
        sink=sink or SlowSink(),
        limiter=RateLimiter(ROLES),
        journal_clock=lambda: asyncio.get_running_loop().time(),
        **settings,
    )


def everyone(n: int) -> ChatMessage:
    return line(n, f"viewer{n}", f"@{VIEWER_BOT} @{VIP_BOT} @{MOD_BOT} hi all")


def test_followers_only_holds_a_viewer_bot_whose_mentions_wait_without_an_llm_call():
    responder, sink = ScriptedResponder(delay=1.0), SlowSink()

    async def main():
        engine, stream = engine_with_roles(responder, sink)
        changes: list[ChatModeChanged] = []
        engine.subscribe(lambda e: isinstance(e, ChatModeChanged) and changes.append(e))
        engine.take(FOLLOWERS_ONLY)
        engine.handle(everyone(1))
        await asyncio.sleep(30)
        during = [r.bot for r in responder.requests]
        snap = engine.snapshot()
        engine.take(ChatSettings())
        await engine.wait_idle()
        return events_of(stream), changes, during, snap

    events, changes, during, snap = run_virtual(main())
    assert sorted(during) == sorted([MOD_BOT, VIP_BOT])  # none from the viewer bot meanwhile
    assert snap.queues.bot(VIEWER_BOT).held == FOLLOW_REASON
    assert (snap.queues.bot(VIEWER_BOT).size, snap.chat_mode) == (1, "followers-only 10m")
    assert snap.queues.bot(VIP_BOT).held is None
    assert [c.held for c in changes] == [{VIEWER_BOT: FOLLOW_REASON}, {}]
    viewer_sent = [at for at, (bot, _, _) in zip(sink.times, sink.sent, strict=True)
                   if bot == VIEWER_BOT]  # fmt: skip
    assert len(viewer_sent) == 1 and viewer_sent[0] > 30
    assert {e["bot"] for e in events if e["event"] == "sent"} == set(BOTS)


def test_a_reply_running_when_the_mode_starts_goes_back_to_the_queue_unsent():
    responder, sink = ScriptedResponder(delay=2.0), SlowSink()

    async def main():
        engine, stream = engine_with_roles(responder, sink, delays=0.0)
        engine.handle(line(1, "viewer", f"@{VIEWER_BOT} hey"))
        await asyncio.sleep(1)  # being written
        engine.take(ChatSettings(subscribers_only=True))
        await asyncio.sleep(60)
        held_for = len(sink.sent)
        engine.take(ChatSettings())
        await engine.wait_idle()
        return events_of(stream), held_for

    events, held_for = run_virtual(main())
    assert held_for == 0 and len(sink.sent) == 1
    kinds = [e["event"] for e in events if e.get("msg") == "m1" and e["event"] != "chat"]
    assert kinds == ["enqueued", "started", "enqueued", "started", "sent"]
    assert [e.get("requeued") for e in events if e["event"] == "enqueued"] == [None, 1]
    assert len(responder.requests) == 2  # the first was cut off when the mode started


def test_emote_only_holds_vips_too_but_not_moderators():
    async def main():
        engine, _ = engine_with_roles()
        engine.take(ChatSettings(emote_only=True))
        return {lane.bot: lane.held for lane in engine.snapshot().queues.bots}

    held = run_virtual(main())
    assert held == {
        VIEWER_BOT: "emote-only: make this bot a moderator",
        VIP_BOT: "emote-only: make this bot a moderator",
        MOD_BOT: None,
    }


def test_slow_mode_spaces_a_viewer_bots_messages_and_drops_nothing():
    sink = SlowSink()

    async def main():
        engine, stream = engine_with_roles(sink=sink, delays=0.0)
        engine.take(ChatSettings(slow=10))
        for n in range(4):
            engine.handle(line(n, f"viewer{n}", f"@{VIEWER_BOT} question {n}"))
        await engine.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    gaps = [b - a for a, b in zip(sink.times, sink.times[1:], strict=False)]
    assert len(sink.times) == 4 and min(gaps) >= 10
    assert sum(e["event"] == "sent" for e in events) == 4


def test_random_replies_go_only_to_bots_that_may_talk():
    responder = ScriptedResponder(delay=0.1)

    async def main():
        engine, _ = engine_with_roles(responder, chance=1.0, max_depth=0, delays=0.0)
        engine.take(FOLLOWERS_ONLY)
        for n in range(30):
            engine.handle(line(n, f"viewer{n}", "nice play"))
            await asyncio.sleep(20)  # past every cooldown
        await engine.wait_idle()

    run_virtual(main())
    assert len(responder.requests) == 30
    assert VIEWER_BOT not in {r.bot for r in responder.requests}


def test_a_drain_skips_what_a_held_bot_still_has_with_the_reason():
    async def main():
        engine, stream = engine_with_roles()
        engine.take(FOLLOWERS_ONLY)
        engine.handle(everyone(1))
        await engine.wait_idle()  # returns with the held bot's mention still waiting
        waiting = [job.bot for job in engine.waiting_jobs()]
        engine.drain()
        return events_of(stream), waiting, engine.state

    events, waiting, state = run_virtual(main())
    assert waiting == [VIEWER_BOT] and state is RouterState.DRAINED
    skipped = [e for e in events if e["event"] == "skipped"]
    assert [(e["bot"], e["reason"]) for e in skipped] == [(VIEWER_BOT, FOLLOW_REASON)]


def test_a_bot_whose_badges_show_it_became_a_moderator_is_released():
    async def main():
        limiter = RateLimiter(ROLES)
        engine, _ = make_engine(BOTS, limiter=limiter, delays=0.0)
        engine.take(FOLLOWERS_ONLY)
        assert engine.snapshot().queues.bot(VIEWER_BOT).held
        limiter.observe_role(VIEWER_BOT, Role.MODERATOR)  # from the badges on its message
        engine.handle(ChatMessage("own", VIEWER_BOT, "hello", now()))
        return engine.snapshot().queues.bot(VIEWER_BOT).held

    assert run_virtual(main()) is None
