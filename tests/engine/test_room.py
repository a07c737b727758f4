"""Random and bot-to-bot replies only where one fits, within the bots' share of chat, to
the audience each bot has; mentions always answered (virtual time, the real engine)."""

from __future__ import annotations

import asyncio
import bisect
import io
import json
from collections import Counter
from dataclasses import replace

from botdeck.commands.headless import print_summary
from botdeck.config import parse_config
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine.build import room_settings
from botdeck.engine.review import ReviewSettings
from botdeck.engine.room import RoomSettings
from botdeck.model.channel import ChatSettings
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.jobs import Priority
from botdeck.model.room import PassKind
from tests.harness.engine import make_engine
from tests.harness.virtual_time import now, run_virtual

BOTS = ("alpha_bot", "beta_bot")


def room(share: float = 1.0, bots: list[dict] | None = None, **filters: object) -> RoomSettings:
    """The room as a config with these keys sets it (every other key at its default)."""
    config = {
        "router": {"chat_share": share},
        "filters": {"emotes": ["forsenParty", "EDM"], **filters},
        "bots": bots or [{"name": bot} for bot in BOTS],
    }
    return room_settings(parse_config(config))


def line(n: int, text: str, user: str | None = None, badges: tuple[str, ...] = ()) -> ChatMessage:
    return ChatMessage(f"c{n}", user or f"viewer{n}", text, now(), badges=badges)


def events_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(row) for row in stream.getvalue().splitlines()]


def passes(engine) -> Counter[PassKind]:
    snap = engine.snapshot().room
    total: Counter[PassKind] = Counter()
    for bot in BOTS:
        total.update(snap.passed(bot))
    return total


UNFIT = {
    "c1": "forsenParty EDM forsenParty EDM",  # only emotes (known by name)
    "c2": "gg",  # under three words of text
    "c3": "W W W W W",  # one word over and over
    "c4": "PogChamp PogChamp",  # emotes Twitch marked (below)
}
PASTA = "this is the copypasta that everybody in this chat pastes when the boss dies again"


def test_no_random_reply_is_started_for_a_line_that_does_not_fit():
    def run(settings: RoomSettings) -> tuple[set[str], Counter[PassKind]]:
        async def main():
            engine, stream = make_engine(BOTS, chance=1.0, max_depth=0, room=settings)
            for n, text in enumerate(UNFIT.values(), start=1):
                marked = ("PogChamp",) if "PogChamp" in text else ()
                engine.handle(replace(line(n, text), emotes=marked))
            for n in range(5, 9):  # four viewers paste it, the last with an emote added
                engine.handle(line(n, PASTA + (" EDM" if n == 8 else "")))
            engine.handle(line(9, "what a great run that was"))
            await engine.wait_idle()
            return {e["msg"] for e in events_of(stream) if e["event"] == "enqueued"}, passes(engine)

        return run_virtual(main())

    answered, passed = run(room())
    assert answered == {"c5", "c6", "c9"}  # the paste is copypasta from its third viewer on
    assert passed == {
        PassKind.EMOTES: 2,
        PassKind.SHORT: 1,
        PassKind.REPEATS: 1,
        PassKind.COPYPASTA: 2,
    }
    everything, nothing = run(RoomSettings.off())
    assert everything == {f"c{n}" for n in range(1, 10)} and not nothing
    # each filter is its own switch
    answered, _ = run(room(emote_only=False, min_words=0, repeats=False, copypasta=False))
    assert answered == everything


def test_mentions_are_never_filtered_nor_counted_against_the_share():
    async def main():
        engine, stream = make_engine(BOTS, chance=1.0, max_depth=0, room=room(share=0.0))
        jobs = [
            engine.handle(line(1, "@alpha_bot forsenParty EDM forsenParty")),
            engine.handle(line(2, "@beta_bot hi")),
            engine.handle(line(3, "@alpha_bot LUL LUL LUL LUL")),
        ]
        engine.handle(line(4, "and what about the rest of you bots"))  # share 0: none
        await engine.wait_idle()
        return jobs, events_of(stream), passes(engine)

    jobs, events, passed = run_virtual(main())
    assert [job.priority for [job] in jobs] == [Priority.HIGH] * 3
    assert {e["msg"] for e in events if e["event"] == "sent"} == {"c1", "c2", "c3"}
    assert passed == {PassKind.SHARE: 1}


def test_random_and_bot_to_bot_replies_stay_within_the_share_of_chat():
    """Ten minutes, a viewer line every 0.6 s and a mention every 15 s; every line drawn."""

    async def main():
        engine, stream = make_engine(BOTS, chance=1.0, max_depth=2, room=room(share=0.1))
        for n in range(1000):
            text = f"@alpha_bot question {n} for you" if n % 25 == 0 else f"a line of chat {n}"
            engine.handle(line(n, text))
            await asyncio.sleep(0.6)
        await engine.wait_idle()
        return events_of(stream), engine.snapshot().room

    events, snap = run_virtual(main())
    viewers = [e["ts"] for e in events if e["event"] == "chat" and not e.get("is_bot")]
    chance = [e["ts"] for e in events if e["event"] == "enqueued" and e["priority"] != "high"]
    for at in chance:  # within every five minutes that ends at one of them
        taken = bisect.bisect_right(chance, at) - bisect.bisect_right(chance, at - 300)
        seen = bisect.bisect_right(viewers, at) - bisect.bisect_right(viewers, at - 300)
        assert taken <= 0.1 * seen
    assert len(chance) >= 0.08 * len(viewers)  # the share is used, not just respected
    mentions = {e["msg"] for e in events if e["event"] == "enqueued" and e["priority"] == "high"}
    sent = {e["msg"] for e in events if e["event"] == "sent"}
    assert len(mentions) == 40 and mentions <= sent  # every mention answered
    assert snap.passed("alpha_bot")[PassKind.SHARE] + snap.passed("beta_bot")[PassKind.SHARE]
    assert snap.total_chance_replies == len(chance)


def test_the_journal_clock_is_the_one_the_share_is_measured_on():
    """The header's share: lines in the last five minutes, bots' own included."""

    async def main():
        engine, _ = make_engine(BOTS, chance=0.0, room=room(share=0.1))
        for n in range(10):
            engine.handle(line(n, f"a line of chat {n}"))
        engine.handle(ChatMessage("b1", "alpha_bot", "a bot line", now(), is_bot=True, depth=1))
        early = engine.snapshot().room
        await asyncio.sleep(301)
        return early, engine.snapshot().room

    early, late = run_virtual(main())
    assert (early.lines, early.bot_lines, early.viewer_lines) == (11, 1, 10)
    assert early.share == 1 / 11 and early.limit == 0.1
    assert (late.lines, late.total_lines, late.total_bot_lines) == (0, 11, 1)


def test_a_reviewed_bots_replies_are_not_counted_against_the_share():
    async def main():
        engine, stream = make_engine(
            BOTS,
            chance=1.0,
            max_depth=0,
            room=room(share=0.0),
            review=ReviewSettings(frozenset({"alpha_bot"}), 1.0, False),
        )
        for n in range(20):
            engine.handle(line(n, f"a line of chat number {n}"))
        await engine.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    drawn = Counter(e["bot"] for e in events if e["event"] == "enqueued")
    assert drawn["alpha_bot"] > 0 and drawn["beta_bot"] == 0  # a person approves alpha's


def test_random_replies_go_only_to_bots_whose_audience_the_viewer_is_in():
    bots = [{"name": "alpha_bot", "audience": "subscribers"}, {"name": "beta_bot"}]

    async def main():
        engine, stream = make_engine(BOTS, chance=1.0, max_depth=0, room=room(bots=bots))
        for n in range(40):
            badges = ("subscriber",) if n % 2 else ()
            engine.handle(line(n, f"a line of chat number {n}", badges=badges))
        await engine.wait_idle()
        return events_of(stream)

    events = run_virtual(main())
    by_bot = {
        bot: {int(e["msg"][1:]) % 2 for e in events if e["event"] == "enqueued" and e["bot"] == bot}
        for bot in BOTS
    }
    assert by_bot == {"alpha_bot": {1}, "beta_bot": {0, 1}}


def test_a_mention_from_outside_the_audience_ends_skipped_audience_when_asked():
    bots = [
        {"name": "alpha_bot", "audience": "vips", "audience_mentions": True},
        {"name": "beta_bot", "audience": "vips"},  # random replies only: mentions answered
    ]

    async def main():
        engine, stream = make_engine(BOTS, chance=0.0, room=room(bots=bots))
        engine.handle(line(1, "@alpha_bot are you there?"))
        engine.handle(line(2, "@alpha_bot are you there?", badges=("vip",)))
        engine.handle(line(3, "@alpha_bot and you?", badges=("moderator",)))
        engine.handle(line(4, "@beta_bot are you there?"))
        await engine.wait_idle()
        return events_of(stream), engine.snapshot()

    events, snap = run_virtual(main())
    ends = {e["msg"]: (e["event"], e.get("reason")) for e in events if "job" in e}
    assert ends == {
        "c1": ("skipped", "audience"),
        "c2": ("sent", None),
        "c3": ("sent", None),
        "c4": ("sent", None),
    }
    assert snap.room.passed("alpha_bot") == {PassKind.AUDIENCE: 1}
    assert snap.chat.mentions == 3  # the refused one is not a mention waiting for an answer


def test_followers_are_everyone_who_may_talk_in_followers_only_mode():
    bots = [{"name": "alpha_bot", "audience": "followers"}]

    async def main():
        limiter = RateLimiter({"alpha_bot": Role.MODERATOR})  # the mode does not hold it
        engine, stream = make_engine(
            ("alpha_bot",), chance=1.0, max_depth=0, room=room(bots=bots), limiter=limiter
        )
        engine.handle(line(1, "a plain viewer says something here"))
        engine.handle(line(2, "a subscriber says something here", badges=("founder",)))
        engine.take(ChatSettings(followers_only=True))
        engine.handle(line(3, "a viewer in followers-only mode says something"))
        await engine.wait_idle()
        return {e["msg"] for e in events_of(stream) if e["event"] == "enqueued"}

    assert run_virtual(main()) == {"c2", "c3"}


def test_the_headless_summary_says_what_was_passed_up_and_the_share():
    async def main():
        engine, _ = make_engine(BOTS, chance=1.0, max_depth=0, room=room(share=0.5))
        for n in range(6):
            engine.handle(line(n, "forsenParty EDM" if n % 2 else f"a line of chat {n}"))
        await engine.wait_idle()
        out = io.StringIO()
        print_summary(engine, out)
        return out.getvalue()

    summary = run_virtual(main())
    assert "passed: emote-only" in summary
    assert "chat share: the bots wrote" in summary
    assert "(limit 50% per 5 min)" in summary
