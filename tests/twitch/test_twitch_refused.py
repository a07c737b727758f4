"""A ban or timeout botdeck never heard (it fell while reading was lost) shows only as
sends Twitch refuses: the refused send makes botdeck ask Get Banned Users, and only when
Twitch lists the bot is it paused with its replies waiting (resuming by itself when a
timeout ends); otherwise the send fails as before. Real twitchio against the loopback fake.
"""

from __future__ import annotations

import logging

import pytest

from botdeck.model.live import Removal
from botdeck.twitch import timeouts
from tests.fakes.twitch_server import BOT_SCOPES, FakeTwitch
from tests.harness.twitch import BOTS, engine_for, store_tokens
from tests.harness.waiting import until

ALPHA, BETA = BOTS
BROADCASTER = ("channel:bot", "moderator:read:followers", "moderation:read")
BANNED = ("GET", "/helix/moderation/banned")
NOT_HERE = "sender_removed_xyz: You cannot send messages to this channel right now."


def lookups(fake: FakeTwitch) -> int:
    return fake.requests.count(BANNED)


@pytest.mark.parametrize("refusal", ["drop", "403"])
async def test_a_timeout_missed_in_a_blind_spot_pauses_the_bot_and_its_mentions_wait(
    fake: FakeTwitch, monkeypatch, refusal: str
):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch, clock=fake.now)
    async with run:
        fake.remove_unheard(ALPHA, 600)  # no clear_user_messages, no channel.ban
        if refusal == "403":
            fake.script({"status": 403, "message": "The sender is banned from the channel"})
        first = await fake.say("viewer", "@alpha_bot are you there?")
        await until(lambda: ALPHA in run.engine.snapshot().live.removed, what="paused")
        await until(
            lambda: run.engine.snapshot().live.removed[ALPHA].kind is Removal.TIMEOUT,
            what="the timeout's end",
        )
        removal = run.engine.snapshot().live.removed[ALPHA]
        assert removal.until is not None and abs(removal.until - (fake.now() + 600)) < 5
        second = await fake.say("viewer2", "@alpha_bot hello?")
        await until(lambda: run.engine.snapshot().queues.bot(ALPHA).size == 2, what="waiting")
        lane = run.engine.snapshot().queues.bot(ALPHA)
        assert lane.paused and lane.failed == 0
        assert run.outcome(first) is None and run.outcome(second) is None
        assert len([s for s in fake.sent if s.sender == ALPHA]) == 1  # the refused one, no more
        assert lookups(fake) == 1
        fake.advance(601)  # the timeout ends on the world's clock
        assert await run.outcome_of(first, within=5) == ("sent", None)
        assert await run.outcome_of(second, within=5) == ("sent", None)
        assert ALPHA not in run.engine.snapshot().live.removed
    assert not run.events("failed")


async def test_a_refused_send_for_a_bot_not_banned_fails_as_before_and_asks_once(
    fake: FakeTwitch, monkeypatch
):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.script({"drop": ("brand_new_code", "Nope")}, {"status": 403, "message": "No"})
        first = await fake.say("viewer", "@alpha_bot hello")
        assert await run.outcome_of(first) == ("failed", "brand_new_code: Nope")
        second = await fake.say("viewer", "@alpha_bot again")
        failed = await run.outcome_of(second)
        assert failed[0] == "failed" and "HTTP 403" in (failed[1] or "")
        assert ALPHA not in run.engine.snapshot().live.removed
        assert not run.engine.snapshot().queues.bot(ALPHA).paused
        assert lookups(fake) == 1  # at most once per bot per 30 s
        third = await fake.say("viewer", "@alpha_bot third time")
        assert await run.outcome_of(third) == ("sent", None)


async def test_an_automod_hold_and_a_rate_limit_drop_ask_nothing(fake: FakeTwitch, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    fake.automod_holds.add(ALPHA)
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.script({"drop": ("user_rate_limited", "You are sending messages too quickly.")})
        await fake.say("viewer", "@alpha_bot hello")
        await until(lambda: run.events("held"), what="the hold")
    assert lookups(fake) == 0


async def test_without_the_broadcasters_grant_a_refused_send_fails_as_before(
    fake: FakeTwitch, monkeypatch
):
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.remove_unheard(ALPHA, None)
        msg = await fake.say("viewer", "@alpha_bot hello")
        assert await run.outcome_of(msg) == ("failed", NOT_HERE)
        assert ALPHA not in run.engine.snapshot().live.removed
    assert lookups(fake) == 0


async def test_an_odd_banned_users_answer_is_logged_once_and_ignored(
    fake: FakeTwitch, monkeypatch, caplog
):
    monkeypatch.setattr(timeouts, "REFUSED_CHECK_EVERY", 0.0)  # every refusal asks
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    fake.remove_unheard(ALPHA, 600)
    alpha = fake.users[ALPHA].id
    fake.odd_answers["/helix/moderation/banned"] = {
        "data": [{"user_id": alpha, "expires_at": "next tuesday"}]
    }
    run = engine_for(fake, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="botdeck.twitch"):
        async with run:
            for text in ("@alpha_bot hello", "@alpha_bot again"):
                msg = await fake.say("viewer", text)
                assert await run.outcome_of(msg) == ("failed", NOT_HERE)
            assert ALPHA not in run.engine.snapshot().live.removed
    assert lookups(fake) == 2
    odd = [r for r in caplog.records if "moderation/banned answered unexpectedly" in r.message]
    assert len(odd) == 1
