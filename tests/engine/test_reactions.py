"""Channel events on a virtual clock: each reaction is a job like any other, gift bombs are
merged per gifter, raids arm raid mode and are greeted first, every prompt carries the
stream's game and title, and what cannot be read is journaled and goes no further."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from botdeck.ai.base import Reply, ReplyRequest, Responder
from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.jobs import Priority
from botdeck.model.stream import ChannelEvent, EventKind, StreamInfo
from tests.harness.engine import Recording, Sink, make_engine, reactions
from tests.harness.virtual_time import now, run_virtual

BOTS = ("alpha", "beta")


def engine(responder: Responder | None = None, sink: Sink | None = None, **settings: object):
    settings.setdefault("asks", {f"Ask {bot}": bot for bot in BOTS})
    return make_engine(
        BOTS,
        responder=responder or Recording(),
        sink=sink or Sink(),
        delays=1.0,
        journal_clock=lambda: asyncio.get_running_loop().time(),
        **settings,
    )


def event(kind: EventKind, id: str, **fields: object) -> ChannelEvent:
    return ChannelEvent(kind, id, 0.0, **fields)  # type: ignore[arg-type]


def lines(stream) -> list[dict]:
    return [json.loads(row) for row in stream.getvalue().splitlines()]


# ------------------------------------------------------------------ gifts
def test_a_community_gift_of_50_is_one_thank_you_naming_the_gifter():
    recording, sink = Recording(), Sink()

    async def main():
        router, journal = engine(recording, sink)
        router.take(event(EventKind.GIFT, "c1", user="santa", display_name="Santa",
                          count=50, group="g1", bundle=50))  # fmt: skip
        for i in range(50):  # Twitch then tells each of the 50 gifts
            router.take(event(EventKind.GIFT, f"g{i}", user="santa", display_name="Santa",
                              count=1, group="g1"))  # fmt: skip
        await router.wait_idle()
        return lines(journal)

    journal = run_virtual(main())
    assert [(bot, text) for _, bot, text in sink.sent] == [("alpha", "@Santa reply 1")]
    [request] = recording.requests
    assert request.event == "Santa just gifted 50 subs to the community: thank Santa by name"
    assert request.event_kind is EventKind.GIFT
    seen = [line for line in journal if line["event"] == "channel_event"]
    assert len(seen) == 51 and {line["kind"] for line in seen} == {"gift"}
    [enqueued] = [line for line in journal if line["event"] == "enqueued"]
    assert (enqueued["msg"], enqueued["reaction"], enqueued["priority"]) == ("c1", "gift", "normal")


def test_single_gifts_from_one_gifter_merge_while_the_thank_you_waits():
    recording = Recording()

    async def main():
        router, _ = engine(recording)
        for i in range(5):
            router.take(event(EventKind.GIFT, f"g{i}", user="elf", count=1))
            await asyncio.sleep(0.1)  # inside the thank-you's 1 s delay
        router.take(event(EventKind.GIFT, "other", user="someone_else", count=1))
        await router.wait_idle()
        router.take(event(EventKind.GIFT, "late", user="elf", count=1))  # after: a new one
        await router.wait_idle()

    run_virtual(main())
    assert [r.event for r in recording.requests] == [
        "elf just gifted 5 subs to the community: thank elf by name",
        "someone_else just gifted 1 subs to the community: thank someone_else by name",
        "elf just gifted 1 subs to the community: thank elf by name",
    ]


# ------------------------------------------------------------------ thresholds, cooldowns
def test_thresholds_cooldowns_and_disabled_reactions_make_no_job():
    recording = Recording()
    settings = reactions(
        cheer={"enabled": True, "threshold": 100},
        sub={"cooldown": 30.0},
        raid={"threshold": 10},
    )

    async def main():
        router, journal = engine(recording, reactions=settings)
        router.take(event(EventKind.CHEER, "c1", user="a", count=99))
        router.take(event(EventKind.CHEER, "c2", user="b", count=100))
        router.take(event(EventKind.SUB, "s1", user="c", count=1))
        router.take(event(EventKind.SUB, "s2", user="d", count=1))  # inside the cooldown
        router.take(event(EventKind.FOLLOW, "f1", user="e"))  # follows are off by default
        router.take(event(EventKind.RAID, "r1", user="tiny", count=3))  # under min_viewers
        raid = router.snapshot().raid
        await router.wait_idle()
        await asyncio.sleep(31)
        router.take(event(EventKind.SUB, "s3", user="f", count=1))  # after the cooldown
        await router.wait_idle()
        return raid, lines(journal)

    raid, journal = run_virtual(main())
    assert [r.message.id for r in recording.requests] == ["c2", "s1", "s3"]
    assert raid is not None and raid.viewers == 3  # raid mode is armed all the same
    assert len([line for line in journal if line["event"] == "channel_event"]) == 7


def test_a_text_reaction_is_sent_as_written_without_the_ai():
    class Refusing(Responder):
        label = "refusing"

        async def reply(self, request: ReplyRequest) -> Reply:
            raise AssertionError("a text reaction asked the AI")

    sink = Sink()
    settings = reactions(follow={"enabled": True, "template": "welcome {user}!", "fixed": True})

    async def main():
        router, _ = engine(Refusing(), sink, reactions=settings)
        router.take(event(EventKind.FOLLOW, "f1", user="newbie", display_name="Newbie"))
        await router.wait_idle()

    run_virtual(main())
    assert [text for _, _, text in sink.sent] == ["welcome Newbie!"]


def test_rotate_takes_each_bot_in_turn_and_a_named_bot_answers_alone():
    sink = Sink()
    settings = reactions(sub={"bot": "rotate"}, gift={"bot": "beta"})

    async def main():
        router, _ = engine(sink=sink, reactions=settings)
        for i in range(4):
            router.take(event(EventKind.SUB, f"s{i}", user=f"u{i}", count=1))
        router.take(event(EventKind.GIFT, "g", user="x", count=1))
        await router.wait_idle()

    run_virtual(main())
    bots = sorted((text, bot) for _, bot, text in sink.sent)
    assert [bot for text, bot in bots if text.startswith("@u")] == ["alpha", "beta"] * 2
    assert [bot for text, bot in bots if text.startswith("@x")] == ["beta"]


# ------------------------------------------------------------------ raids
def test_a_raid_is_greeted_first_then_its_mentions_merge_from_the_first():
    sink = Sink()
    limiter = RateLimiter({bot: Role.VIEWER for bot in BOTS})

    async def main():
        router, journal = engine(sink=sink, limiter=limiter, ack_target=60.0)
        router.take(event(EventKind.RAID, "raid1", user="bigstreamer",
                          display_name="BigStreamer", count=200))  # fmt: skip
        router.take(event(EventKind.RAID, "raid1-notice", user="bigstreamer", count=200))
        header = router.snapshot().raid
        await asyncio.sleep(0.5)
        asked = {}
        for i in range(60):
            name = f"raider{i:02d}"
            asked[name] = now()
            router.handle(ChatMessage(f"m{i}", name, "@alpha hi from the raid!", now()))
            await asyncio.sleep(0.1)
        await router.wait_idle()
        return header, asked, lines(journal)

    header, asked, journal = run_virtual(main())
    assert header is not None and header.header() == "raid: BigStreamer (200 viewers)"
    first = sink.sent[0]
    assert first[2].startswith("@BigStreamer ")  # the greeting, first, naming the raider
    assert sum(1 for _, _, text in sink.sent if "BigStreamer" in text) == 1  # told twice
    answered = {}
    for at, _, text in sink.sent[1:]:
        for name in (word[1:] for word in text.split() if word.startswith("@raider")):
            answered[name] = at
    assert set(answered) == set(asked)
    assert max(answered[name] - asked[name] for name in asked) <= 60.0
    coalesced = [line for line in journal if line.get("coalesced_into")]
    assert coalesced  # armed: merging began before the window was spent
    assert not any(line.get("coalesced_into") == 1 for line in journal)  # never the greeting


def test_without_a_raid_event_the_first_mentions_go_one_by_one():
    sink = Sink()
    limiter = RateLimiter({bot: Role.VIEWER for bot in BOTS})

    async def main():
        router, _ = engine(sink=sink, limiter=limiter, ack_target=60.0)
        for i in range(10):
            router.handle(ChatMessage(f"m{i}", f"raider{i}", "@alpha hi!", now()))
            await asyncio.sleep(0.1)
        await router.wait_idle()

    run_virtual(main())
    assert len(sink.sent) == 10  # a small burst fits the window: no merging unarmed


# ------------------------------------------------------------------ stream context
def test_every_prompt_carries_the_game_and_title_and_follows_a_channel_update():
    recording = Recording()

    async def main():
        router, _ = engine(recording)
        start = StreamInfo("Celeste", "any% attempts", live=True, started_at=0.0)
        router.take(event(EventKind.UPDATE, "info", stream=start))
        router.handle(ChatMessage("m1", "viewer", "@alpha what game is this?", now()))
        await router.wait_idle()
        router.take(event(EventKind.UPDATE, "u2", stream=StreamInfo("Hollow Knight", "boss rush")))
        router.handle(ChatMessage("m2", "viewer", "@alpha and now?", now()))
        await router.wait_idle()
        return router.snapshot().stream

    stream = run_virtual(main())
    first, second = recording.requests
    assert first.stream.startswith('Stream: playing Celeste, title "any% attempts", live for')
    assert second.stream.startswith('Stream: playing Hollow Knight, title "boss rush"')
    assert stream.game == "Hollow Knight" and stream.live is True  # an update keeps live


def test_an_unsupported_event_is_journaled_and_nothing_else_happens():
    recording = Recording()

    async def main():
        router, journal = engine(recording)
        bad = event(EventKind.UNSUPPORTED, "x1", detail="notice_type watch_streak")
        router.take(bad)
        router.take(replace(bad, id="x2"))
        router.handle(ChatMessage("m1", "viewer", "@alpha still there?", now()))
        await router.wait_idle()
        return router.snapshot().events, lines(journal)

    counts, journal = run_virtual(main())
    unsupported = [line for line in journal if line.get("kind") == "unsupported"]
    assert [line["detail"] for line in unsupported] == ["notice_type watch_streak"] * 2
    assert counts.unsupported == 2 and counts.reactions == 0
    assert [r.message.id for r in recording.requests] == ["m1"]


# ------------------------------------------------------------------ test events
@pytest.mark.parametrize("kind", [kind for kind in EventKind if kind.reacts])
def test_the_operator_can_fire_a_test_event_of_each_kind(kind):
    sink = Sink()
    everything_on = reactions(**{k.value: {"enabled": True, "threshold": 0} for k in EventKind
                                 if k.reacts})  # fmt: skip

    async def main():
        router, journal = engine(sink=sink, reactions=everything_on)
        jobs = router.fire_event(kind)
        await router.wait_idle()
        await router.close()
        return jobs, lines(journal)

    jobs, journal = run_virtual(main())
    assert len(jobs) == 1 and jobs[0].priority in set(Priority)
    [seen] = [line for line in journal if line["event"] == "channel_event"]
    assert seen["kind"] == kind.value and seen["test"] is True
    assert len(sink.sent) == 1
    if kind is EventKind.REDEEM:
        [fate] = [line for line in journal if line["event"] == "redemption"]
        assert fate["status"] == "FULFILLED" and "test" in fate["unapplied"]
