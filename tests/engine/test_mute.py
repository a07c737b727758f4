"""Muting a bot with mentions queued: the operator chooses what becomes of them (handed
to another bot, left to finish, or dropped); nothing else ends a mention. On a virtual
clock, through the engine façade."""

from __future__ import annotations

import asyncio

import pytest

from botdeck.model.console import QueuedMentions
from botdeck.model.jobs import Priority
from tests.harness.engine import (
    BOTS,
    RecordingSink,
    console_engine,
    line,
    mention,
)
from tests.harness.journals import assert_one_outcome_per_job, events_of
from tests.harness.virtual_time import run_virtual

ALPHA, BETA, GAMMA = BOTS


def queue_up(engine, count: int) -> None:
    """`count` mentions of alpha, one per viewer, and chatter that makes random replies."""
    for n in range(count):
        engine.handle(mention(n, f"viewer{n}", ALPHA))
    for n in range(100, 104):
        engine.handle(line(n, f"chatter{n}", "nice run"))


def test_handing_over_gives_every_queued_mention_to_the_other_bot():
    sink = RecordingSink()
    engine, stream = console_engine(sink, chance=0.5, b=1)

    async def main() -> None:
        queue_up(engine, 8)
        await asyncio.sleep(0.5)  # alpha's first reply is being written, the rest wait
        assert engine.queued_mentions(ALPHA) == 8
        mentions_before = engine.snapshot().chat.mentions
        muted = engine.mute_bot(ALPHA, QueuedMentions.HAND_OVER, to=GAMMA)
        assert (muted.handed, muted.to, muted.finishing) == (8, GAMMA, 0)
        assert engine.queued_mentions(ALPHA) == 0 and engine.queued_mentions(GAMMA) == 8
        engine.handle(mention(50, "late_viewer", ALPHA))  # muted: not answered
        await engine.wait_idle()
        snap = engine.snapshot()
        assert snap.chat.mentions == mentions_before + 1  # a handed mention is not a new one
        assert snap.chat.mentions_answered == 8

    run_virtual(main())
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    answered = sorted(t.split()[0] for b, t, _ in sink.sent if b == GAMMA and "@viewer" in t)
    assert answered == sorted(f"@viewer{n}" for n in range(8))  # each viewer, by gamma
    assert not [text for bot, text, _ in sink.sent if bot == ALPHA]
    alpha_ends = [e for e in events if e["event"] == "skipped" and e["bot"] == ALPHA]
    assert {e["reason"] for e in alpha_ends} == {"muted"}
    handed = {e["msg"] for e in events if e["event"] == "enqueued" and e["bot"] == GAMMA}
    assert {f"m{n}" for n in range(8)} <= handed


def test_letting_them_finish_answers_the_mentions_and_ends_the_rest():
    sink = RecordingSink()
    engine, stream = console_engine(sink, chance=1.0, b=1)

    async def main() -> None:
        queue_up(engine, 5)
        await asyncio.sleep(0.5)
        waiting_random = len(engine.waiting_jobs(ALPHA)) - 4  # 4 mentions wait, one runs
        muted = engine.mute_bot(ALPHA, QueuedMentions.FINISH)
        assert muted.finishing == 5 and muted.ended == waiting_random
        assert engine.muted(ALPHA)
        engine.handle(mention(50, "late_viewer", ALPHA))  # nothing new once muted
        await engine.wait_idle()

    run_virtual(main())
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    alpha_sent = [text.split()[0] for bot, text, _ in sink.sent if bot == ALPHA]
    assert sorted(alpha_sent) == sorted(f"@viewer{n}" for n in range(5))
    skipped = [e for e in events if e["event"] == "skipped" and e["bot"] == ALPHA]
    assert {e["priority"] for e in skipped if e["msg"] != "m50"} <= {"normal", "low"}
    assert [e["reason"] for e in skipped if e["msg"] == "m50"] == ["muted"]


def test_dropping_them_ends_every_unsent_reply_muted():
    engine, stream = console_engine(RecordingSink(), b=1)

    async def main() -> None:
        queue_up(engine, 4)
        await asyncio.sleep(0.5)
        muted = engine.mute_bot(ALPHA, QueuedMentions.DROP)
        assert (muted.ended, muted.handed, muted.finishing) == (4, 0, 0)
        await engine.wait_idle()

    run_virtual(main())
    events = events_of(stream)
    assert sorted(e["msg"] for e in events if e.get("reason") == "muted") == [
        f"m{n}" for n in range(4)
    ]


def test_mentions_go_only_to_another_bot_that_is_not_muted():
    engine, _ = console_engine(RecordingSink())

    async def main() -> None:
        with pytest.raises(ValueError, match="another bot"):
            engine.mute_bot(ALPHA, QueuedMentions.HAND_OVER, to=ALPHA)
        with pytest.raises(ValueError, match="another bot"):
            engine.mute_bot(ALPHA, QueuedMentions.HAND_OVER)
        engine.mute_bot(BETA)
        with pytest.raises(ValueError, match="is muted"):
            engine.mute_bot(ALPHA, QueuedMentions.HAND_OVER, to=BETA)
        assert not engine.muted(ALPHA)  # a refused hand-over mutes nothing

    run_virtual(main())


def test_a_merged_reply_s_mentions_are_handed_over_one_by_one():
    """A running reply that carries waiting mentions (raid mode) is unsent: its own mention
    and each it carries go to the other bot."""
    engine, stream = console_engine(RecordingSink(), b=1)

    async def main() -> None:
        for n in range(3):
            engine.handle(mention(n, f"viewer{n}", ALPHA))
        await asyncio.sleep(0.5)
        running = next(job for job in engine.running_jobs() if job.bot == ALPHA)
        waiting = engine.waiting_jobs(ALPHA)
        engine._scheduler.carry(running, 2)  # as the raid planner would
        assert engine.queued_mentions(ALPHA) == 3 and not engine.waiting_jobs(ALPHA)
        assert {job.id for job in running.carried} == {job.id for job in waiting}
        muted = engine.mute_bot(ALPHA, QueuedMentions.HAND_OVER, to=BETA)
        assert muted.handed == 3
        assert all(job.priority is Priority.HIGH for job in engine.jobs_of(BETA))
        await engine.wait_idle()

    run_virtual(main())
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    sent = sorted(e["msg"] for e in events if e["event"] == "sent" and e["bot"] == BETA)
    assert sent == ["m0", "m1", "m2"]
