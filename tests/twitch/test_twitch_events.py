"""The channel's events on Twitch: the real twitchio client and botdeck's engine against the
loopback fake, which sends EventSub notifications shaped as Twitch's reference documents
them (`channel.chat.notification`, `channel.raid`, `channel.follow` v2, `channel.cheer`,
channel-point redemptions, `stream.online`/`offline`, `channel.update` v2) and serves
Get Channel Information, Get Streams, the custom rewards and Update Redemption Status.
Waiting is on the fake's or the journal's state, never by sleeping and hoping."""

from __future__ import annotations

import re
import time
from dataclasses import replace

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import Role
from botdeck.model.defaults import SendLimits
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.twitch_server import FakeTwitch
from tests.harness.ai import KEY, KEY_ENV
from tests.harness.twitch import BOTS, engine_for, faster, make_config, until

ALPHA, BETA = BOTS
BROADCASTER_SCOPES = (
    "channel:bot",
    "moderator:read:followers",
    "bits:read",
    "channel:manage:redemptions",
)


def broadcaster_token(fake: FakeTwitch, scopes: tuple[str, ...] = BROADCASTER_SCOPES) -> None:
    """The broadcaster authorized botdeck (`botdeck auth` left it in the token file);
    without user:read:chat it does not read chat: a bot does."""
    user = fake.channel
    token = fake._token(user.id, scopes)
    TokenStore().save(
        fake.client_id, StoredToken(user.login, user.id, token.value, token.refresh, scopes)
    )


def config_with(fake: FakeTwitch, **sections: dict) -> dict:
    config = make_config(fake)
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    return config


def sent_texts(fake: FakeTwitch, login: str) -> list[str]:
    return [s.text for s in fake.sent_by(login)]


def gifts(run) -> list[dict]:
    return [e for e in run.events("channel_event") if e["kind"] == "gift"]


def named(text: str) -> list[str]:
    return [name.lower() for name in re.findall(r"@(\w+)", text)]


# ------------------------------------------------------------------ raids
async def test_a_raid_of_200_is_greeted_first_then_every_mention_answered_in_time(
    fake, monkeypatch
):
    # One viewer-role bot at 4 messages per 3 s (the fake checks the same limits) and a
    # 6 s ack_target: Twitch's 20 per 30 s and 60 s, ten times faster.
    limits = SendLimits(window=3.0, viewer=4)
    fake.limits = limits
    limiter = RateLimiter({ALPHA: Role.VIEWER, BETA: Role.VIEWER}, limits)
    config = config_with(fake, router={"ack_target": 6.0})
    run = engine_for(fake, monkeypatch, config=config, limiter=limiter)
    async with run:
        await fake.raid("bigstreamer", 200)  # channel.raid, then the raid notice in chat
        await until(lambda: run.engine.snapshot().raid is not None, what="raid mode armed")
        header = run.engine.snapshot().raid
        asked = {}
        for i in range(40):
            name = f"raider{i:02d}"
            asked[name] = time.monotonic()
            await fake.say(name, f"@{ALPHA} hello from the raid!")
        await until(
            lambda: {n for t in sent_texts(fake, ALPHA) for n in named(t)} >= set(asked),
            within=20,
            what="every raider answered",
        )
        channel_events = run.events("channel_event")
    assert header is not None and header.header() == "raid: Bigstreamer (200 viewers)"
    sent = fake.sent_by(ALPHA)
    assert named(sent[0].text) == ["bigstreamer"]  # the greeting, first, by name
    assert sum(1 for s in sent if "bigstreamer" in named(s.text)) == 1  # told twice, one
    answered = {}
    for message in sent[1:]:
        for name in named(message.text):
            answered.setdefault(name, message.at)
    late = {name: answered[name] - asked[name] for name in asked}
    assert max(late.values()) <= 6.0, sorted(late.values())[-3:]
    assert len(sent) < 41  # merged: one message answered several raiders
    assert not fake.violations
    raids = [e for e in channel_events if e["kind"] == "raid"]
    assert [(e["user"], e["count"]) for e in raids] == [("bigstreamer", 200)]


# ------------------------------------------------------------------ gifts and subs
async def test_a_community_gift_of_50_is_one_thank_you(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        await fake.community_gift("santa", 50)
        await until(lambda: len(gifts(run)) == 51, what="the 51 notices")
        await until(lambda: run.events("sent"), what="the thank-you")
        await fake.sub("regular", months=7, text="seven months!")
        await until(lambda: len(run.events("sent")) == 2, what="the resub's thanks")
        texts = [e["text"] for e in run.events("sent")]
        kinds = [e["kind"] for e in run.events("channel_event")]
    assert len(texts) == 2 and named(texts[0]) == ["santa"]
    assert kinds == ["update"] + ["gift"] * 51 + ["sub"]  # the game and title at start
    assert named(texts[1]) == ["regular"]


async def test_follows_and_cheers_come_on_the_broadcasters_own_socket(fake, monkeypatch):
    broadcaster_token(fake)
    config = config_with(
        fake,
        events={
            "follow": {"enabled": True, "text": "welcome {user}!"},
            "cheer": {"enabled": True, "min_bits": 100, "text": "thanks for {count} bits!"},
        },
    )
    run = engine_for(fake, monkeypatch, config=config)
    async with run:
        await until(
            lambda: (
                {s.type for s in fake.subscriptions.values()} >= {"channel.follow", "channel.cheer"}
            ),
            what="the broadcaster's subscriptions",
        )
        await fake.announce_follow("newfan")
        await fake.cheer("bigfan", 500)
        await fake.cheer(None, 50)  # under min_bits: journaled, not thanked
        await until(lambda: len(run.events("sent")) == 2, what="two reactions")
        texts = sorted(e["text"] for e in run.events("sent"))
        kinds = sorted(e["kind"] for e in run.events("channel_event") if e["kind"] != "update")
        owners = {s.type: fake.session_users[s.session_id] for s in fake.subscriptions.values()}
    assert texts == ["thanks for 500 bits!", "welcome Newfan!"]
    assert kinds == ["cheer", "cheer", "follow"]
    assert owners["channel.follow"] == fake.channel.id  # the broadcaster's token
    assert owners["channel.chat.message"] == fake.users[ALPHA].id  # a bot reads


async def test_the_broadcasters_events_socket_gone_silent_is_opened_anew(fake, monkeypatch):
    """A socket of purpose `events` is watched for silence as the reader's is: a follow
    after the blip is still heard."""
    fake.keepalive_timeout, fake.keepalive_every = 1.0, 0.1
    broadcaster_token(fake)
    config = config_with(fake, events={"follow": {"enabled": True, "text": "welcome {user}!"}})
    run = engine_for(fake, monkeypatch, config=config)
    run.chat.settings = replace(faster(run.chat), silence_grace=0.3)
    async with run:
        await until(
            lambda: any(s.type == "channel.follow" for s in fake.subscriptions.values()),
            what="the follow subscription",
        )
        first = {s.session_id for s in fake.subscriptions.values() if s.type == "channel.follow"}
        fake.go_silent()
        await until(
            lambda: any(
                s.type == "channel.follow" and s.session_id not in first
                for s in fake.subscriptions.values()
            ),
            what="a new socket for the follows",
        )
        await fake.announce_follow("newfan")
        await until(lambda: run.events("sent"), what="the welcome")
    assert [e["text"] for e in run.events("sent")] == ["welcome Newfan!"]


async def test_without_the_broadcasters_scope_the_notice_says_what_to_do(fake, monkeypatch):
    broadcaster_token(fake, scopes=("channel:bot",))
    config = config_with(fake, events={"follow": {"enabled": True}})
    run = engine_for(fake, monkeypatch, config=config)
    async with run:
        notices = run.engine.snapshot().notices
    assert (
        "follows: the broadcaster has not granted moderator:read:followers: run `botdeck auth`"
        in notices
    )
    assert "channel.follow" not in {s.type for s in fake.subscriptions.values()}


# ------------------------------------------------------------------ bad input
async def test_unknown_notices_and_missing_fields_are_unsupported_and_the_reader_goes_on(
    fake, monkeypatch
):
    run = engine_for(fake, monkeypatch)
    async with run:
        await fake.chat_notification("shiny_new_notice", "viewer", details={"x": 1})
        await fake.chat_notification("resub", "viewer", details={"sub_tier": "1000"})
        await fake.chat_notification("sub", "viewer", drop=("sub",))
        await fake.chat_notification("unraid", "viewer")  # known, nothing to do: nothing
        line = await fake.say("viewer", f"@{ALPHA} still reading?")
        assert await run.outcome_of(line) == ("sent", None)
        unsupported = [e["detail"] for e in run.events("channel_event") if "detail" in e]
    assert unsupported == [
        "channel.chat.notification notice type 'shiny_new_notice'",
        "channel.chat.notification (resub): no usable cumulative_months",
        "channel.chat.notification (sub): no usable sub",
    ]
    assert not run.events("enqueued")[:-1]  # only the mention became a job


# ------------------------------------------------------------------ channel points
REDEMPTIONS = "channel.channel_points_custom_reward_redemption.add"


async def listening_for_redemptions(fake: FakeTwitch) -> None:
    await until(
        lambda: REDEMPTIONS in {s.type for s in fake.subscriptions.values()},
        what="the broadcaster's redemption subscription",
    )


def redeem_config(fake: FakeTwitch, openai: FakeOpenAI | None = None, **more: dict) -> dict:
    config = config_with(fake, events={"redeem": {"enabled": True, "bot": ALPHA}}, **more)
    if openai is not None:
        openai.bots = BOTS
        config["ai"] = {
            "provider": "openai",
            "base_url": openai.base_url,
            "api_key_env": KEY_ENV,
            "timeout": 0.5,
            "outage_wait": 1.0,
        }
    return config


async def test_20_redemptions_while_the_ai_is_down_are_all_refunded(
    fake, monkeypatch, openai_server
):
    monkeypatch.setenv(KEY_ENV, KEY)
    broadcaster_token(fake)
    reward = fake.add_reward("Ask alpha_bot")
    config = redeem_config(fake, openai_server)
    run = engine_for(fake, monkeypatch, config=config, ai_from_config=True)
    async with run:
        await listening_for_redemptions(fake)
        await openai_server.go_down()
        ids = [await fake.redeem(f"fan{i:02d}", reward, f"question {i}?") for i in range(20)]
        await until(lambda: len(run.events("redemption")) == 20, within=20, what="20 fates")
        fates = run.events("redemption")
        failed = run.events("failed")
    assert {fake.redemptions[i].status for i in ids} == {"CANCELED"}
    assert {e["status"] for e in fates} == {"CANCELED"} and {e["id"] for e in fates} == set(ids)
    assert {e["reason"] for e in failed} == {"ai_unavailable"}
    assert not fake.sent_by(ALPHA)
    assert not [r for r in fake.redemptions.values() if r.status == "UNFULFILLED"]


async def test_an_answered_redemption_is_fulfilled_and_one_rejected_in_review_refunded(
    fake, monkeypatch
):
    broadcaster_token(fake)
    reward = fake.add_reward("Ask alpha_bot")
    config = redeem_config(fake, review={"bots": [ALPHA], "timeout": 30})
    run = engine_for(fake, monkeypatch, config=config)
    async with run:
        await listening_for_redemptions(fake)
        first = await fake.redeem("fan", reward, "what game is this?")
        await until(lambda: run.engine.reviews(), what="the answer held for review")
        run.engine.approve(run.engine.reviews()[0].job)
        await until(lambda: fake.redemptions[first].status == "FULFILLED", what="fulfilled")
        second = await fake.redeem("troll", reward, "say something awful")
        await until(lambda: run.engine.reviews(), what="the second answer held")
        run.engine.reject(run.engine.reviews()[0].job)
        await until(lambda: fake.redemptions[second].status == "CANCELED", what="refunded")
        fates = [(e["id"], e["status"]) for e in run.events("redemption")]
    assert fates == [(first, "FULFILLED"), (second, "CANCELED")]
    assert [named(t) for t in sent_texts(fake, ALPHA)] == [["fan"]]


async def test_a_reward_made_on_twitchs_dashboard_is_answered_and_said_not_to_be_ours(
    fake, monkeypatch
):
    broadcaster_token(fake)
    reward = fake.add_reward("Ask alpha_bot", by_botdeck=False)
    run = engine_for(fake, monkeypatch, config=redeem_config(fake))
    async with run:
        await listening_for_redemptions(fake)
        redemption = await fake.redeem("fan", reward, "hello?")
        await until(lambda: run.events("redemption"), what="its fate")
        [fate] = run.events("redemption")
        notices = run.engine.snapshot().notices
    assert fake.sent_by(ALPHA)  # the reply went out all the same
    assert fate["status"] == "FULFILLED" and "was not created by botdeck" in fate["unapplied"]
    assert any("'Ask alpha_bot' was not created by botdeck" in n for n in notices)
    assert fake.redemptions[redemption].status == "UNFULFILLED"
    assert fake.redemptions[redemption].updates == []  # no fulfil step tried


# ------------------------------------------------------------------ the stream
async def test_every_prompt_carries_the_game_and_a_channel_update_changes_it(
    fake, monkeypatch, openai_server
):
    monkeypatch.setenv(KEY_ENV, KEY)
    fake.game, fake.title = "Celeste", "any% practice"
    await fake.go_live()
    config = config_with(fake)
    openai_server.bots = BOTS
    config["ai"] = {"provider": "openai", "base_url": openai_server.base_url,
                    "api_key_env": KEY_ENV, "timeout": 2.0}  # fmt: skip
    run = engine_for(fake, monkeypatch, config=config, ai_from_config=True)
    async with run:
        first = await fake.say("viewer", f"@{ALPHA} what game is this?")
        await run.outcome_of(first)
        await fake.update_channel(game="Hollow Knight", title="boss rush")
        await until(lambda: run.engine.snapshot().stream.game == "Hollow Knight")
        second = await fake.say("viewer", f"@{ALPHA} and now?")
        await run.outcome_of(second)
        prompts = [request.user for request in openai_server.chats]
        updates = [e for e in run.events("channel_event") if e["kind"] == "update"]
    assert prompts[0].startswith('Stream: playing Celeste, title "any% practice", live for')
    assert prompts[1].startswith('Stream: playing Hollow Knight, title "boss rush"')
    assert len(updates) == 2  # Get Channel Information at start, then channel.update


async def test_online_and_offline_reach_the_engine(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        await until(lambda: run.engine.snapshot().stream.live is False, what="not live yet")
        await fake.go_live()
        await until(lambda: run.engine.snapshot().stream.live is True, what="online")
        await fake.go_offline()
        await until(lambda: run.engine.snapshot().stream.live is False, what="offline")
        assert run.engine.snapshot().live.offline  # the header's `[chat] on_offline` word
        await fake.go_live()
        await until(lambda: not run.engine.snapshot().live.offline, what="live again")
        kinds = [e["kind"] for e in run.events("channel_event")]
    assert kinds == ["update", "online", "offline", "online"]
