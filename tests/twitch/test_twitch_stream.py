"""A 4-hour stream on Twitch (issue 22), each problem replayed with the real twitchio
client against the loopback fake: followers-only with one bot following, AutoMod holds,
a timeout that ends, a socket gone silent, a shared chat session, a 429 and its retry,
the chat subscription revoked alone, a reply to a deleted parent, events twitchio cannot
read, a moderator's status taken away, `send_as = "app"` grants, odd Helix answers.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from botdeck.config import ConfigError
from botdeck.model.chat import ConnectionStatus, Role
from botdeck.model.live import Removal
from botdeck.twitch.client import TwitchChat
from tests.fakes.twitch_server import BOT_SCOPES, FakeTwitch
from tests.harness.twitch import BOTS, engine_for, faster, make_config, store_tokens
from tests.harness.waiting import until

ALPHA, BETA = BOTS
# What `botdeck auth` asks the broadcaster for now (it does not read chat here: the bots do).
BROADCASTER = ("channel:bot", "moderator:read:followers", "moderation:read")


def quick(chat: TwitchChat, **changes: float) -> None:
    chat.settings = replace(faster(chat), **changes)


def held_reason(run, bot: str) -> str | None:
    return run.engine.snapshot().queues.bot(bot).held


# ------------------------------------------------------------------ 1. follows
async def test_followers_only_holds_the_bot_that_does_not_follow_and_not_the_one_that_does(
    fake: FakeTwitch, monkeypatch
):
    fake.chat_settings.update(follower_mode=True, follower_mode_duration=10)
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    fake.follow(ALPHA, minutes_ago=60)  # beta_bot does not follow
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch)
    async with run:
        await until(lambda: held_reason(run, BETA) and not held_reason(run, ALPHA), what="follows")
        assert "followers-only: does not follow" in (held_reason(run, BETA) or "")
        msg = await fake.say("viewer", "@alpha_bot @beta_bot anyone?")
        assert await run.outcome_of(msg) == ("sent", None)
        assert [s.sender for s in fake.sent if s.status == 200] == [ALPHA]
    assert not fake.violations  # nothing Twitch would have dropped was sent
    assert ("GET", "/helix/channels/followers") in fake.requests


async def test_follows_are_asked_again_when_followers_only_turns_on(fake: FakeTwitch, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    fake.follow(BETA, minutes_ago=2)  # too recent for a 10-minute mode
    fake.follow(ALPHA, minutes_ago=30)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch, clock=fake.now)
    async with run:
        asked = fake.requests.count(("GET", "/helix/channels/followers"))
        await fake.set_chat_settings(follower_mode=True, follower_mode_duration=10)
        await until(lambda: held_reason(run, BETA), what="beta_bot held")
        assert fake.requests.count(("GET", "/helix/channels/followers")) == asked + 2
        assert "followers-only 10m: followed at" in (held_reason(run, BETA) or "")
        assert held_reason(run, ALPHA) is None
        fake.advance(8 * 60 + 1)  # beta_bot's follow is ten minutes old now
        await until(lambda: held_reason(run, BETA) is None, within=5, what="released")


async def test_a_bot_made_to_follow_mid_stream_talks_without_the_mode_turned_off(
    fake: FakeTwitch, monkeypatch
):
    """The card says "have it follow": once the streamer does, the bot talks."""
    fake.chat_settings.update(follower_mode=True, follower_mode_duration=0)
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    fake.follow(ALPHA)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch)
    quick(run.chat, follow_check_interval=0.2)
    async with run:
        await until(lambda: held_reason(run, BETA), what="beta_bot held")
        asked = fake.requests.count(("GET", "/helix/channels/followers"))
        fake.follow(BETA, minutes_ago=0)
        await until(lambda: held_reason(run, BETA) is None, what="beta_bot talks")
        assert fake.requests.count(("GET", "/helix/channels/followers")) > asked
        assert not run.chat._follows.waiting()  # everyone follows: no more asking
        msg = await fake.say("viewer", "@beta_bot welcome back")
        assert await run.outcome_of(msg) == ("sent", None)
    assert not fake.violations


async def test_without_the_broadcasters_grant_follows_are_not_checked_and_bots_wait(
    fake: FakeTwitch, monkeypatch
):
    fake.chat_settings.update(follower_mode=True, follower_mode_duration=0)
    fake.follow(ALPHA)
    run = engine_for(fake, monkeypatch)
    async with run:
        await until(lambda: held_reason(run, ALPHA), what="held by the mode")
        assert "have it follow" in (held_reason(run, ALPHA) or "")
        assert (
            "twitch: followers-only, and follows not checked: run `botdeck auth` as streamer"
            " (moderator:read:followers) so that bots which follow may talk"
        ) in run.engine.snapshot().notices
        await fake.set_chat_settings(follower_mode=False)
        await until(lambda: not held_reason(run, ALPHA), what="the mode off")
        assert not [n for n in run.engine.snapshot().notices if "follows not checked" in n]
    assert ("GET", "/helix/channels/followers") not in fake.requests


# ------------------------------------------------------------------ 2. automod
def automod_ids(fake: FakeTwitch) -> list[str]:
    return list(fake.held)


async def test_an_automod_hold_then_approval_is_sent_late_and_a_denied_one_skipped(
    fake: FakeTwitch, monkeypatch
):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    fake.automod_holds.add(ALPHA)
    run = engine_for(fake, monkeypatch)
    async with run:
        first = await fake.say("viewer", "@alpha_bot say something edgy")
        await until(lambda: run.events("held"), what="the hold journaled")
        await fake.wait_for(
            lambda: any(
                s.type == "channel.chat.user_message_update" for s in fake.subscriptions.values()
            )
        )
        lane = run.engine.snapshot().queues.bot(ALPHA)
        assert lane.parked == 1 and lane.failed == 0 and lane.pending == 0
        second = await fake.say("viewer2", "@alpha_bot and again")
        await until(lambda: len(run.events("held")) == 2, what="the second hold")
        approve, deny = automod_ids(fake)
        await fake.decide_held(approve, "approved")
        assert await run.outcome_of(first) == ("sent", None)
        await fake.decide_held(deny, "denied")
        assert await run.outcome_of(second) == ("skipped", "automod_denied")
        # The approved line came back to chat as alpha_bot's own, with its depth.
        echo = await until(lambda: [m for m in run.lines if m.id == approve])
        assert echo[0].is_bot and echo[0].depth == 1
    held = run.events("held")
    assert [e["reason"] for e in held] == ["automod", "automod"]
    sent = next(e for e in run.events("sent") if e["msg"] == first)
    assert sent["text"] == held[0]["text"]
    assert not [e for e in run.events("failed")]


# ------------------------------------------------------------------ 3. timeouts
async def test_a_ten_minute_timeout_ends_and_the_bot_resumes_by_itself(
    fake: FakeTwitch, monkeypatch
):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch, clock=fake.now)
    async with run:
        await fake.time_out(ALPHA, 600)
        await until(lambda: ALPHA in run.engine.snapshot().live.removed, what="the removal")
        removal = run.engine.snapshot().live.removed[ALPHA]
        assert removal.kind is Removal.TIMEOUT and removal.until is not None
        assert abs(removal.until - (fake.now() + 600)) < 5
        assert any("timed out until" in n for n in run.engine.snapshot().notices)
        msg = await fake.say("viewer", "@alpha_bot you there?")
        await until(lambda: run.engine.snapshot().queues.bot(ALPHA).size == 1)
        assert not fake.sent_by(ALPHA)  # paused while timed out
        fake.advance(601)  # ten minutes on the world's clock
        assert await run.outcome_of(msg, within=5) == ("sent", None)
        assert ALPHA not in run.engine.snapshot().live.removed
    assert ("GET", "/helix/moderation/banned") in fake.requests


async def test_a_timeout_lifted_early_resumes_the_bot_then(fake: FakeTwitch, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch, clock=fake.now)
    quick(run.chat, timeout_check_interval=0.2)
    async with run:
        await fake.time_out(ALPHA, 600)
        await until(lambda: ALPHA in run.engine.snapshot().live.removed, what="the removal")
        msg = await fake.say("viewer", "@alpha_bot you there?")
        await until(lambda: run.engine.snapshot().queues.bot(ALPHA).size == 1)
        looked = fake.requests.count(("GET", "/helix/moderation/banned"))
        await until(
            lambda: fake.requests.count(("GET", "/helix/moderation/banned")) > looked + 1,
            what="looked up again",
        )
        assert ALPHA in run.engine.snapshot().live.removed  # the same end: still paused
        assert not fake.sent_by(ALPHA)
        fake.lift(ALPHA)  # a moderator takes the timeout back after a minute
        assert await run.outcome_of(msg, within=5) == ("sent", None)
        assert ALPHA not in run.engine.snapshot().live.removed
        assert not run.engine.snapshot().queues.bot(ALPHA).paused
        assert not run.chat._timeouts.waiting()  # nothing left to look up


async def test_a_ban_waits_for_the_operator(fake: FakeTwitch, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch, clock=fake.now)
    async with run:
        await fake.time_out(BETA, None)
        await until(
            lambda: (
                run.engine.snapshot().live.removed.get(BETA)
                and run.engine.snapshot().live.removed[BETA].kind is Removal.BAN
            ),
            what="the ban",
        )
        fake.advance(3600)
        assert run.engine.snapshot().queues.bot(BETA).paused


# ------------------------------------------------------------------ 4. blind spots
async def test_a_socket_that_goes_silent_is_a_reading_gap_with_its_start_and_end(
    fake: FakeTwitch, monkeypatch
):
    """Twitch's keepalive timeout is 10 s, so a 20 s blip is twice it: here 1 s."""
    fake.keepalive_timeout, fake.keepalive_every = 1.0, 0.1
    run = engine_for(fake, monkeypatch)
    quick(run.chat, silence_grace=0.3)
    async with run:
        states = []
        run.chat.add_state_listener(states.append)
        fake.go_silent()
        lost = await fake.say("viewer", "@alpha_bot are you there?")  # never heard
        await until(lambda: any(s.blind_since for s in states), what="the gap shown")
        blind = next(s for s in states if s.blind_since)
        assert blind.status is ConnectionStatus.RECONNECTING
        assert "no word from Twitch" in (blind.reason or "")
        await until(lambda: run.events("reading_gap"), what="the gap journaled")
        assert run.chat.connection.status is ConnectionStatus.CONNECTED
        assert run.chat.connection.blind_since is None
        msg = await fake.say("viewer", "@alpha_bot and now?")
        assert await run.outcome_of(msg) == ("sent", None)
    [gap] = run.events("reading_gap")
    assert 0.9 < gap["until"] - gap["ts"] < 5
    assert run.outcome(lost) is None  # missed, as the report will say it may be


async def test_a_run_that_ends_blind_still_journals_its_gap(fake: FakeTwitch, monkeypatch):
    fake.keepalive_timeout, fake.keepalive_every = 1.0, 0.1
    run = engine_for(fake, monkeypatch)
    quick(run.chat, silence_grace=0.3, retry_wait=5.0, reconnect_wait=5.0)
    async with run:
        fake.go_silent()
        fake.ws_down = True  # and no new connection works either
        await until(lambda: run.chat.connection.blind_since, what="blind")
    await until(lambda: run.events("reading_gap"), what="the gap at the end")


# ------------------------------------------------------------------ 5. shared chat
async def test_a_shared_chat_session_that_begins_and_ends(fake: FakeTwitch, monkeypatch):
    config = make_config(fake)
    config["router"]["random_reply_chance"] = 1.0
    config["router"]["max_depth"] = 0
    run = engine_for(fake, monkeypatch, config=config)
    async with run:
        await fake.share_chat("partner_one", "partner_two")
        await until(lambda: run.engine.snapshot().live.shared_with, what="the session")
        live = run.engine.snapshot().live
        assert live.shared_with == ("partner_one", "partner_two")
        assert live.shared_banner() == (
            "SHARED CHAT with #partner_one, #partner_two: random and bot-to-bot replies held"
        )
        chatter = await fake.say("viewer", "what a lovely evening it is in this channel")
        mention = await fake.say("viewer", "@alpha_bot still answering mentions?")
        assert await run.outcome_of(mention) == ("sent", None)
        await fake.share_chat()  # the session ends
        await until(lambda: not run.engine.snapshot().live.shared_with, what="the end")
        after = await fake.say("viewer", "and a lovely line after the session is over")
        assert await run.outcome_of(after) == ("sent", None)
    assert run.outcome(chatter) is None  # no random reply while shared
    assert [e["partners"] for e in run.events("shared_chat")] == ["partner_one,partner_two", ""]


# ------------------------------------------------------------------ 6. retries
async def test_a_429_then_its_retry_goes_out_with_the_same_text(fake: FakeTwitch, monkeypatch):
    run = engine_for(fake, monkeypatch)
    quick(run.chat)
    async with run:
        fake.script({"status": 429, "message": "slow down", "reset_in": 0.05})
        msg = await fake.say("viewer", "@alpha_bot one")
        assert await run.outcome_of(msg) == ("sent", None)
    refused, delivered = [s for s in fake.sent if s.sender == ALPHA]
    assert refused.status == 429 and delivered.status == 200
    assert delivered.text == refused.text and "(again)" not in delivered.text
    assert not fake.violations


# ------------------------------------------------------------------ 8. revocations
@pytest.mark.parametrize("status", ["version_removed", "beta_maintenance"])
async def test_the_chat_subscription_revoked_alone_moves_reading_on(
    fake: FakeTwitch, monkeypatch, status
):
    """The moderation subscriptions keep the socket open; reading is not live any more.
    `beta_maintenance` is a status twitchio 3.3.2's enum lacks (its listener died on it)."""
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.revoke_subscription("channel.chat.message", status)
        await until(
            lambda: (
                run.chat.reader == BETA and run.chat.connection.status is ConnectionStatus.CONNECTED
            ),
            what="beta_bot reading",
        )
        assert run.chat.connection.reason == (
            f"reader alpha_bot chat subscription revoked ({status}): reading as beta_bot"
        )
        msg = await fake.say("viewer", "@alpha_bot still there?")
        assert await run.outcome_of(msg) == ("sent", None)
    assert run.events("reading_gap")  # not read between the revocation and beta_bot


# ------------------------------------------------------------------ 9. sockets
async def test_every_subscription_names_botdecks_socket(fake: FakeTwitch, monkeypatch):
    from twitchio.eventsub import ChatClearSubscription

    run = engine_for(fake, monkeypatch)
    async with run:
        client = run.chat._client
        assert client is not None
        alpha = fake.users[ALPHA].id
        payload = ChatClearSubscription(broadcaster_user_id=fake.channel.id, user_id=alpha)
        with pytest.raises(ValueError, match="must name botdeck's socket"):
            await client.subscribe_websocket(payload, token_for=alpha)
        assert len(fake.sessions) == 1  # twitchio opened none of its own
    assert {status for _, status in fake.subscribe_attempts} == {202}


# ------------------------------------------------------------------ 10. send_as = app
async def test_send_as_app_without_the_grants_stops_the_start_one_line_each(
    fake: FakeTwitch, monkeypatch
):
    fake.add_user(ALPHA, scopes=BOT_SCOPES)
    fake.add_user(BETA, scopes=("user:read:chat", "user:write:chat"))  # no user:bot
    run = engine_for(fake, monkeypatch, config=make_config(fake, send_as="app"))
    with pytest.raises(ConfigError) as refused:
        await run.engine.connect()
    await run.engine.close()
    lines = str(refused.value).splitlines()
    assert "bots: beta_bot has not granted user:bot: run `botdeck auth`" in lines
    assert sum("has not granted channel:bot" in line for line in lines) == 2
    assert len(lines) == 3
    assert not [s for s in fake.sent]


async def test_send_as_app_with_a_moderator_bot_needs_no_channel_bot(fake: FakeTwitch, monkeypatch):
    fake.add_user(ALPHA, scopes=BOT_SCOPES, badges=("moderator",), app_authorized=True)
    fake.add_user(BETA, scopes=BOT_SCOPES, badges=("moderator",), app_authorized=True)
    fake.channel.app_authorized = True
    run = engine_for(fake, monkeypatch, config=make_config(fake, send_as="app"))
    async with run:
        msg = await fake.say("viewer", "@beta_bot badge?")
        assert await run.outcome_of(msg) == ("sent", None)


# ------------------------------------------------------------------ 11. chat control
async def test_a_moderators_stop_sent_as_a_reply_stops_the_bots(fake: FakeTwitch, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        await fake.say("mod_jane", "@alpha_bot !botdeck stop", badges=("moderator",))
        await until(lambda: run.events("state"), what="the stop")
    first = next(iter(run.events("state")))
    assert (first["state"], first.get("by")) == ("stopped", "mod_jane")
    assert not fake.sent_by(ALPHA)


# ------------------------------------------------------------------ 12. the smaller ones
async def test_a_reply_to_a_deleted_parent_goes_again_outside_the_thread(
    fake: FakeTwitch, monkeypatch
):
    run = engine_for(fake, monkeypatch, config=make_config(fake, threaded_replies=True))
    async with run:
        msg = await fake.say("viewer", "@alpha_bot quick question")
        fake.deleted.add(msg)  # deleted before the reply; its notice not seen yet
        assert await run.outcome_of(msg) == ("sent", None)
    refused, delivered = [s for s in fake.sent if s.sender == ALPHA]
    assert refused.status == 400 and refused.reply_to == msg
    assert delivered.status == 200 and delivered.reply_to is None


async def test_a_moderator_removed_drops_the_bot_to_the_viewers_pace_at_once(
    fake: FakeTwitch, monkeypatch
):
    fake.add_user(ALPHA, scopes=BOT_SCOPES, badges=("moderator",))
    fake.add_user(BETA, scopes=BOT_SCOPES, badges=("moderator",))
    store_tokens(fake, "streamer", scopes=("user:read:chat", *BROADCASTER))  # it reads
    run = engine_for(fake, monkeypatch)
    async with run:
        assert run.limiter is not None
        assert run.limiter.role(ALPHA) is Role.MODERATOR
        await fake.remove_moderator(ALPHA)
        await until(lambda: run.limiter.role(ALPHA) is Role.VIEWER, what="viewer's pace")
        assert run.limiter.role(BETA) is Role.MODERATOR


async def test_get_moderated_channels_on_a_schedule_finds_a_lost_status(
    fake: FakeTwitch, monkeypatch
):
    fake.add_user(ALPHA, scopes=BOT_SCOPES, badges=("moderator",))
    fake.add_user(BETA, scopes=BOT_SCOPES)
    run = engine_for(fake, monkeypatch)
    quick(run.chat, role_check_interval=0.2)
    async with run:
        assert run.limiter is not None and run.limiter.role(ALPHA) is Role.MODERATOR
        fake.users[ALPHA].badges = ()  # no event where the broadcaster does not read
        await until(lambda: run.limiter.role(ALPHA) is Role.VIEWER, what="the schedule")


async def test_the_stream_going_offline_drains_with_on_offline_drain(fake: FakeTwitch, monkeypatch):
    """twitchio 3.3.2 cannot read `stream.offline` (it wants a stream id the event has
    not): botdeck reads it raw, and counts it."""
    config = make_config(fake)
    config["chat"]["on_offline"] = "drain"
    run = engine_for(fake, monkeypatch, config=config)
    async with run:
        await fake.stream_offline()
        await until(lambda: run.engine.state.ended, what="drained")
        assert run.engine.snapshot().live.offline
        assert run.engine.snapshot().stream.live is False  # the timers pause too
        assert run.chat.unreadable == {"stream.offline": (1, 1)}
    assert [(e["state"], e.get("by")) for e in run.events("state")][:1] == [
        ("draining", "stream.offline")
    ]
    # One subscription, one event: drained and journaled as the channel's event too.
    assert [e["kind"] for e in run.events("channel_event")].count("offline") == 1
    assert sum(s.type == "stream.offline" for s in fake.subscriptions.values()) <= 1


async def test_a_chat_message_twitchio_cannot_read_is_answered_and_counted(
    fake: FakeTwitch, monkeypatch
):
    run = engine_for(fake, monkeypatch)
    async with run:
        msg = await fake.say(
            "viewer", "@alpha_bot an older payload", omit=("channel_points_animation_id",)
        )
        assert await run.outcome_of(msg) == ("sent", None)
        assert run.chat.unreadable == {"channel.chat.message": (1, 1)}
        assert any(
            "1 events twitchio could not read (1 read anyway)" in n
            for n in run.engine.snapshot().notices
        )


# ------------------------------------------------------------------ bad input
async def test_an_odd_helix_answer_is_logged_once_and_ignored(
    fake: FakeTwitch, monkeypatch, caplog
):
    fake.chat_settings.update(follower_mode=True, follower_mode_duration=0)
    fake.follow(ALPHA)
    fake.odd_answers["/helix/channels/followers"] = {"data": "not rows", "total": "many"}
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    run = engine_for(fake, monkeypatch)
    with caplog.at_level(logging.WARNING):
        async with run:
            await until(lambda: ("GET", "/helix/channels/followers") in fake.requests)
            await fake.set_chat_settings(follower_mode=False)
            await fake.set_chat_settings(follower_mode=True)
            await until(
                lambda: fake.requests.count(("GET", "/helix/channels/followers")) >= 4,
                what="asked twice",
            )
            msg = await fake.say("viewer", "@alpha_bot hi")
            assert run.chat.connection.status is ConnectionStatus.CONNECTED
            assert run.chat.bot_problems() == {ALPHA: None, BETA: None}
            await until(lambda: [m for m in run.lines if m.id == msg])
    odd = [r for r in caplog.records if "answered unexpectedly" in r.getMessage()]
    assert len(odd) == 1 and "channels/followers" in odd[0].getMessage()


async def test_an_odd_moderated_channels_answer_is_logged_once_and_the_bots_go_on(
    fake: FakeTwitch, monkeypatch, caplog
):
    fake.odd_answers["/helix/moderation/channels"] = {"data": [{"broadcaster_id": 7}]}
    run = engine_for(fake, monkeypatch)
    quick(run.chat, role_check_interval=0.1)
    with caplog.at_level(logging.WARNING):
        async with run:
            await until(
                lambda: fake.requests.count(("GET", "/helix/moderation/channels")) >= 6,
                what="asked at start and on the schedule",
            )
            assert run.limiter is not None and run.limiter.role(ALPHA) is Role.VIEWER
            msg = await fake.say("viewer", "@alpha_bot hi")
            assert await run.outcome_of(msg) == ("sent", None)
            assert run.chat.connection.status is ConnectionStatus.CONNECTED
    odd = [r for r in caplog.records if "answered unexpectedly" in r.getMessage()]
    assert len(odd) == 1 and "moderation/channels" in odd[0].getMessage()


def test_helix_times_are_read_or_refused():
    from botdeck.twitch.helix import timestamp

    assert timestamp("2024-05-01T12:00:00Z") == 1714564800.0
    assert timestamp("2024-05-01T12:00:00.5+00:00") == 1714564800.5
    assert timestamp("") is None and timestamp(None) is None and timestamp("soon") is None


async def test_check_probe_says_which_bots_do_not_follow(fake: FakeTwitch, monkeypatch):
    from botdeck.config import parse_config
    from botdeck.engine.parts import probe_source

    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    fake.follow(ALPHA)
    store_tokens(fake, "streamer", scopes=BROADCASTER)
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    said = await probe_source(parse_config(make_config(fake)))
    assert said is not None
    channel, alpha, beta = said.splitlines()
    assert channel.startswith("the channel streamer exists on Twitch")
    assert alpha.startswith("alpha_bot follows #streamer since ")
    assert beta == "beta_bot does not follow #streamer: followers-only mode would hold it"
