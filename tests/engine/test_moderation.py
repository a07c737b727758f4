"""Moderators' actions on a virtual clock: deleted lines, removed users, a cleared chat,
and merged raid replies that lose just the removed viewer."""

from __future__ import annotations

import asyncio
import re

from botdeck.ai.base import ReplyRequest
from botdeck.core.ratelimit import RateLimiter
from botdeck.model.channel import ChatCleared, MessageDeleted, UserCleared
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.defaults import SendLimits
from botdeck.model.events import ModerationSeen
from tests.harness.engine import BOTS, RecordingSink, ScriptedResponder, SlowSink, line, make_engine
from tests.harness.journals import assert_one_outcome_per_job, events_of
from tests.harness.virtual_time import now, run_virtual

ALPHA, BETA, _ = BOTS


def router(responder=None, sink=None, **settings):
    settings.setdefault("delays", 2.0)
    return make_engine(
        BOTS,
        responder=responder or ScriptedResponder(delay=1.0),
        sink=sink or RecordingSink(),
        context_lines=10,
        journal_clock=lambda: asyncio.get_running_loop().time(),
        **settings,
    )


def seen_lines(request: ReplyRequest) -> set[str]:
    return {message.id for message in request.history}


def test_a_deleted_line_whose_reply_is_in_its_delay_is_never_sent_and_leaves_the_context():
    responder, sink = ScriptedResponder(delay=1.0), RecordingSink()

    async def main():
        engine, stream = router(responder, sink)
        heard: list[ModerationSeen] = []
        engine.subscribe(lambda e: isinstance(e, ModerationSeen) and heard.append(e))
        engine.handle(line(1, "troll", f"@{ALPHA} @{BETA} something awful"))
        await asyncio.sleep(1)  # both replies are in their 2 s delay
        engine.take(MessageDeleted("m1", user="troll"))
        engine.handle(line(2, "viewer", f"@{ALPHA} what did I miss?"))
        await engine.wait_idle()
        return events_of(stream), heard

    events, heard = run_virtual(main())
    assert [bot for bot, _, _ in sink.sent] == [ALPHA]  # only the reply to m2
    assert [r.message.id for r in responder.requests] == ["m2"]
    assert "m1" not in seen_lines(responder.requests[0])
    skipped = [e for e in events if e["event"] == "skipped"]
    assert {(e["msg"], e["reason"]) for e in skipped} == {("m1", "deleted_by_moderator")}
    assert len(skipped) == 2
    [moderation] = [e for e in events if e["event"] == "moderation"]
    assert moderation == {**moderation, "action": "delete", "msg": "m1", "ended": 2}
    assert "something awful" not in str(moderation) and "unknown" not in moderation
    assert heard[0].known and heard[0].ended == 2
    assert_one_outcome_per_job(events)


def test_a_reply_written_from_a_context_holding_a_deleted_line_is_written_again_without_it():
    responder, sink = ScriptedResponder(delay=3.0), RecordingSink()

    async def main():
        engine, _ = router(responder, sink, delays=0.0)
        engine.handle(line(1, "troll", "something awful"))
        engine.handle(line(2, "viewer", f"@{ALPHA} thoughts?"))
        await asyncio.sleep(1)  # the reply to m2 is being written, with m1 in its context
        engine.take(MessageDeleted("m1"))
        await engine.wait_idle()

    run_virtual(main())
    assert [r.message.id for r in responder.requests] == ["m2", "m2"]
    assert "m1" in seen_lines(responder.requests[0])
    assert "m1" not in seen_lines(responder.requests[1])
    assert len(sink.sent) == 1


def test_a_removed_user_loses_their_replies_and_context_and_is_not_answered_for_a_while():
    responder, sink = ScriptedResponder(delay=1.0), RecordingSink()

    async def main():
        engine, stream = router(responder, sink, removed_user_quiet=600.0)
        engine.handle(line(1, "spammer", f"@{ALPHA} buy followers"))
        engine.handle(line(2, "spammer", f"@{BETA} cheap followers"))
        engine.handle(line(3, "viewer", "hello chat"))
        await asyncio.sleep(1)
        engine.take(UserCleared("Spammer"))
        await asyncio.sleep(10)
        quiet = engine.handle(line(4, "spammer", f"@{ALPHA} I'm back"))
        await asyncio.sleep(600)
        back = engine.handle(line(5, "spammer", f"@{ALPHA} sorry"))
        engine.handle(line(6, "viewer", f"@{BETA} hi"))
        await engine.wait_idle()
        return events_of(stream), quiet, back

    events, quiet, back = run_virtual(main())
    assert quiet == [] and len(back) == 1
    removed = [e for e in events if e.get("reason") == "user_removed"]
    assert {e["msg"] for e in removed} == {"m1", "m2"}
    answered = {r.message.id for r in responder.requests}
    assert answered == {"m5", "m6"}
    history = seen_lines(next(r for r in responder.requests if r.message.id == "m6"))
    assert "m3" in history and not history & {"m1", "m2", "m4"}  # m4 came while quiet
    [moderation] = [e for e in events if e["event"] == "moderation"]
    assert moderation == {**moderation, "action": "clear_user", "user": "spammer", "ended": 2}


def test_one_of_our_bots_banned_or_timed_out_is_paused_and_its_replies_wait_until_resumed():
    """Mods time out a bot that misbehaved: its replies must not fail one by one at
    Twitch (or be lost): they wait, the ones in their delay too, and the operator says
    when it may talk again."""
    sink = RecordingSink()

    async def main():
        engine, stream = router(None, sink)
        for n in range(4):
            engine.handle(line(n + 1, f"viewer{n}", f"@{ALPHA} hi"))
        engine.handle(line(9, "viewer9", f"@{BETA} hi"))
        await asyncio.sleep(0.5)  # two of alpha's replies are in their delay
        engine.take(UserCleared(ALPHA.upper()))
        assert engine.snapshot().queues.bot(ALPHA).paused
        [notice] = [n for n in engine.snapshot().notices if ALPHA in n]
        assert "banned or timed out by a moderator" in notice
        await asyncio.sleep(120)
        sent_while_out = [bot for bot, _, _ in sink.sent]
        waiting = engine.snapshot().queues.bot(ALPHA).size
        assert engine.resume_bot(ALPHA)
        assert not any(ALPHA in n for n in engine.snapshot().notices)
        await engine.wait_idle()
        return events_of(stream), sent_while_out, waiting

    events, sent_while_out, waiting = run_virtual(main())
    assert ALPHA not in sent_while_out and BETA in sent_while_out
    assert waiting == 4  # the two in their delay went back to the queue
    assert_one_outcome_per_job(events)
    sent = [e["bot"] for e in events if e["event"] == "sent"]
    assert sent.count(ALPHA) == 4  # nothing lost: all went out once it was resumed


def test_a_cleared_chat_empties_the_context_and_queued_mentions_stay():
    responder = ScriptedResponder(delay=1.0)

    async def main():
        engine, stream = router(responder)
        engine.handle(line(1, "viewer", "some chatter"))
        engine.handle(line(2, "viewer", f"@{ALPHA} still there?"))
        await asyncio.sleep(0.5)
        engine.take(ChatCleared())
        await engine.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    [request] = responder.requests
    assert request.message.id == "m2" and request.history == ()
    assert [e["event"] for e in events if e.get("msg") == "m2"][-1] == "sent"
    [moderation] = [e for e in events if e["event"] == "moderation"]
    assert (moderation["action"], moderation["ended"]) == ("clear", 0)


def test_actions_on_a_line_or_user_never_seen_change_nothing_and_are_journaled():
    async def main():
        engine, stream = router()
        engine.handle(line(1, "viewer", f"@{ALPHA} hi"))
        engine.take(MessageDeleted("no-such-line"))
        engine.take(UserCleared("nobody_here"))
        await engine.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    moderation = [e for e in events if e["event"] == "moderation"]
    assert [(e["action"], e["ended"], e["unknown"]) for e in moderation] == [
        ("delete", 0, True),
        ("clear_user", 0, True),
    ]
    assert [e["event"] for e in events if e.get("msg") == "m1"][-1] == "sent"


# ------------------------------------------------------------ merged raid replies
def raid_engine(sink: SlowSink):
    """One viewer-role bot allowed one message per 30 s: the second reply must wait, and
    a raid behind it is answered in one merged reply."""
    limiter = RateLimiter({ALPHA: Role.VIEWER}, SendLimits(window=30.0, viewer=1))
    return make_engine(
        [ALPHA],
        responder=ScriptedResponder(lambda r: "welcome, raiders!", delay=0.5),
        sink=sink,
        limiter=limiter,
        delays=0.0,
        ack_target=45.0,
        max_depth=0,
        journal_clock=lambda: asyncio.get_running_loop().time(),
    )


def names(text: str) -> list[str]:
    return re.findall(r"@(\w+)", text)


async def raid_then(engine, action) -> None:
    engine.handle(ChatMessage("first", "regular", f"@{ALPHA} hi", now()))
    await asyncio.sleep(2)  # answered at once: the bot's window is now used until t=30
    for i in range(5):
        engine.handle(ChatMessage(f"r{i}", f"raider{i}", f"@{ALPHA} hello!", now()))
    await asyncio.sleep(10)  # r0's reply carries r1..r4 and waits for the window
    action(engine)
    await engine.wait_idle()


def test_a_ban_while_a_merged_raid_reply_waits_removes_just_that_viewer():
    sink = SlowSink()

    async def main():
        engine, stream = raid_engine(sink)
        running = []

        def ban(engine) -> None:
            running.extend(engine.running_jobs())
            engine.take(UserCleared("raider2"))

        await raid_then(engine, ban)
        return events_of(stream), running

    events, running = run_virtual(main())
    assert len(running) == 1  # the merged reply, waiting for its send window
    [_, merged] = sink.sent
    assert names(merged[1]) == ["raider0", "raider1", "raider3", "raider4"]
    assert sink.times[1] >= 30.0
    ends = ("sent", "skipped", "failed", "cancelled")
    outcome = {e["msg"]: (e["event"], e.get("reason")) for e in events if e["event"] in ends}
    assert outcome["r2"] == ("skipped", "user_removed")
    assert all(outcome[f"r{i}"][0] == "sent" for i in (0, 1, 3, 4))
    assert_one_outcome_per_job(events)


def test_a_ban_of_the_viewer_a_merged_reply_belongs_to_gives_the_others_back_their_turn():
    sink = SlowSink()

    async def main():
        engine, stream = raid_engine(sink)
        await raid_then(engine, lambda e: e.take(UserCleared("raider0")))
        return events_of(stream)

    events = run_virtual(main())
    named = [name for _, text, _ in sink.sent[1:] for name in names(text)]
    assert sorted(named) == ["raider1", "raider2", "raider3", "raider4"]
    sent = {e["msg"] for e in events if e["event"] == "sent"}
    assert {"r1", "r2", "r3", "r4"} <= sent and "r0" not in sent
    requeued = [e for e in events if e["event"] == "enqueued" and e.get("requeued")]
    assert {e["msg"] for e in requeued} == {"r1", "r2", "r3", "r4"}
    assert_one_outcome_per_job(events)
