"""Twitch as it really behaves (issue 12): each failure found by probing botdeck's old
Twitch adapter, replayed with the real twitchio client against the loopback fake.

Readers banned or refused, tokens dropped by twitchio's validation, sends that must not
wait on reading, rate limits with `Ratelimit-Reset`, an auth server that is briefly down,
a token fixed from another terminal, shared chat, altered echoes, roles not yet confirmed.
"""

from __future__ import annotations

import datetime

import pytest

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import ChatMessage, ConnectionStatus, Role
from botdeck.twitch.tokens import TokenStore
from tests.fakes.twitch_server import BOT_SCOPES, FakeTwitch
from tests.harness.twitch import (
    BOTS,
    Echo,
    engine_for,
    faster,
    make_config,
    record_states,
    store_tokens,
)
from tests.harness.waiting import until

NOT_AUTHORIZED = "bot {} is not authorized: run `botdeck auth`"


def subscribed_as(fake: FakeTwitch) -> set[str]:
    """The logins whose subscriptions are live on the fake."""
    return {fake.user_by_id(s.creator).login for s in fake.subscriptions.values() if s.creator}


def from_store(config: dict) -> dict:
    for entry in config["bots"]:
        del entry["token_env"], entry["refresh_token_env"]
    return config


# ------------------------------------------------------------- reading survives
async def test_a_banned_reader_hands_reading_to_the_next_bot(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        assert subscribed_as(fake) == {"alpha_bot"}
        states = record_states(run.chat)
        attempts = len(fake.subscribe_attempts)
        fake.ban("alpha_bot")  # Twitch revokes its subscription: chat_user_banned
        await until(lambda: subscribed_as(fake) == {"beta_bot"}, what="beta_bot reading")
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED)
        assert run.chat.connection.reason == "reader alpha_bot banned: reading as beta_bot"
        assert "connected (reader alpha_bot banned: reading as beta_bot)" in (
            run.chat.connection.describe()
        )
        msg = await fake.say("viewer", "@beta_bot still here?")
        assert await run.outcome_of(msg) == ("sent", None)
    banned_id = fake.users["alpha_bot"].id
    assert all(user != banned_id for user, _ in fake.subscribe_attempts[attempts:])
    assert any(reason and "banned" in reason for _, _, reason in states)


async def test_a_reader_twitch_refuses_twice_gives_way(fake, monkeypatch):
    fake.add_user("alpha_bot", scopes=BOT_SCOPES)
    fake.users["alpha_bot"].banned = True  # banned before the run: every subscription 403
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    async with run:
        await until(lambda: subscribed_as(fake) == {"beta_bot"}, what="beta_bot reading")
        alpha = fake.users["alpha_bot"].id
        assert [status for user, status in fake.subscribe_attempts if user == alpha] == [403, 403]
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED)
        assert run.chat.connection.reason == (
            "reader alpha_bot refused by Twitch (HTTP 403: the user is banned from the channel):"
            " reading as beta_bot"
        )


async def test_the_broadcaster_reads_when_its_token_may(fake, monkeypatch):
    store_tokens(fake, "streamer", scopes=("channel:bot", "user:read:chat"))
    run = engine_for(fake, monkeypatch)
    async with run:
        assert subscribed_as(fake) == {"streamer"}  # a broadcaster cannot be banned
        assert run.chat.reader == "streamer"
        fake.ban("alpha_bot")  # a banned bot no longer stops anyone reading
        msg = await fake.say("viewer", "@beta_bot hi")
        assert await run.outcome_of(msg) == ("sent", None)
    assert not fake.revocations


async def test_a_token_twitchio_dropped_never_becomes_the_app_token(fake, monkeypatch):
    """twitchio's hourly validation drops a token it cannot refresh; its own resubscribe
    would then use the app token, which Twitch refuses for websockets."""
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.revoke("alpha_bot", notify=False)  # the grant is gone, no revocation message
        http = run.chat._client._http  # type: ignore[union-attr]
        alpha = fake.users["alpha_bot"].id
        http._tokens[alpha]["last_validated"] = datetime.datetime(2000, 1, 1).isoformat()
        await http._revalidate_all()  # what twitchio's validation loop does every hour
        assert alpha not in run.chat._client.tokens  # type: ignore[union-attr]
        await fake.drop()
        await until(lambda: subscribed_as(fake) == {"beta_bot"}, what="beta_bot reading")
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED)
        assert run.chat.connection.reason == "reader alpha_bot token revoked: reading as beta_bot"
    assert all(user is not None for user, _ in fake.subscribe_attempts)  # never the app token
    assert run.chat.bot_problems()["alpha_bot"] == "Twitch refused to refresh its token"


async def test_the_state_is_not_connected_without_a_subscription(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, config=make_config(fake, bots=("alpha_bot",)))
    async with run:
        fake.ban("alpha_bot")  # the only reader: nobody is left to read
        await until(lambda: run.chat.connection.status is ConnectionStatus.FAILED)
        assert run.chat.connection.reason == "reader alpha_bot banned: no account left to read chat"
        assert not fake.subscriptions


# ---------------------------------------------------------- sending apart from reading
async def test_a_reply_goes_out_while_nobody_can_read(fake, monkeypatch):
    fake.add_user("beta_bot", scopes=("user:write:chat",))  # beta may send, not read
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.ban("alpha_bot")
        await until(lambda: run.chat.connection.status is ConnectionStatus.FAILED)
        line = ChatMessage(id="heard-before", user="viewer", text="@beta_bot hi", timestamp=0)
        run.engine.handle(line)  # a line read before the ban
        assert await run.outcome_of("heard-before", within=5) == ("sent", None)
        assert run.chat.connection.describe().startswith("reading failed: reader alpha_bot")
        assert run.chat.connection.sending == "ok"


# --------------------------------------------------------------- honest retries
async def test_a_429_waits_for_ratelimit_reset_and_the_retry_takes_a_slot(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    limiter = run.limiter
    assert isinstance(limiter, RateLimiter)
    async with run:
        fake.script({"status": 429, "message": "slow down", "reset_in": 2.5})
        msg = await fake.say("viewer", "@alpha_bot hello")
        assert await run.outcome_of(msg) == ("sent", None)
        refused, sent = fake.sent
        assert refused.status == 429 and sent.status == 200
        reset = refused.wall + 2.5  # the fake's Ratelimit-Reset is this, rounded up
        assert sent.wall >= int(reset)  # waited for Twitch's reset, not a fixed 2 s
        assert limiter.budget("alpha_bot").used == 2  # both attempts took a slot


async def test_a_rate_limit_drop_is_retried_once_through_the_limiter(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    limiter = run.limiter
    assert isinstance(limiter, RateLimiter)
    async with run:
        fake.script({"drop": ("msg_ratelimit", "You are sending messages too quickly")})
        msg = await fake.say("viewer", "@alpha_bot hello")
        assert await run.outcome_of(msg) == ("sent", None)
        assert limiter.budget("alpha_bot").used == 2  # a dropped message counts too
    dropped, sent = fake.sent
    assert sent.text.startswith(dropped.text)  # changed only by the duplicate guard


async def test_an_unknown_drop_code_is_shown_as_twitch_words_it_and_not_retried(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.script({"drop": ("brand_new_code", "Something \x1b[31mnew\x1b[0m")})
        msg = await fake.say("viewer", "@alpha_bot hello")
        assert await run.outcome_of(msg) == ("failed", "brand_new_code: Something new")
    assert len(fake.sent) == 1


# ------------------------------------------------------- auth errors classified
async def test_an_auth_server_outage_is_temporary(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    async with run:
        seen: list = []
        run.chat.add_state_listener(seen.append)
        fake.expire("alpha_bot")  # the next send gets a 401 and twitchio refreshes...
        fake.oauth_errors.extend([503, 503])  # ...twice into a 503 (it retries one)
        msg = await fake.say("viewer", "@alpha_bot are you there?")
        assert await run.outcome_of(msg) == ("sent", None)  # the engine's retry got through
        assert run.chat.bot_problems()["alpha_bot"] is None  # never marked revoked
        later = await fake.say("viewer", "@alpha_bot and now?")
        assert await run.outcome_of(later) == ("sent", None)
        assert run.chat.connection.sending == "ok"
    shown = [state.sending for state in seen]
    assert "retrying (Twitch's auth server did not answer (HTTP 503))" in shown


async def test_a_refused_refresh_says_run_botdeck_auth(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.expire("alpha_bot")
        fake.oauth_errors.append(400)  # "Invalid refresh token": the grant is gone
        msg = await fake.say("viewer", "@alpha_bot hi")
        assert await run.outcome_of(msg) == ("failed", NOT_AUTHORIZED.format("alpha_bot"))
        assert run.chat.notices == (
            f"{NOT_AUTHORIZED.format('alpha_bot')} (Twitch refused to refresh the token"
            " (HTTP 400: scripted))",
        )


async def test_a_token_fixed_in_another_terminal_is_used_without_a_restart(fake, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store_tokens(fake, *BOTS)
    run = engine_for(fake, monkeypatch, config=from_store(make_config(fake)), with_tokens=())
    async with run:
        fake.revoke("beta_bot")
        first = await fake.say("viewer", "@beta_bot hi")
        assert await run.outcome_of(first) == ("failed", NOT_AUTHORIZED.format("beta_bot"))
        store_tokens(fake, "beta_bot")  # `botdeck auth` in another terminal
        second = await fake.say("viewer", "@beta_bot back?")
        assert await run.outcome_of(second) == ("sent", None)
        assert run.chat.notices == ()
    assert fake.sent_by("beta_bot")[-1].token == fake.token_of("beta_bot").value


async def test_a_reader_with_a_fixed_token_reads_again_when_nobody_else_can(fake, monkeypatch):
    fake.add_user("alpha_bot", scopes=BOT_SCOPES)
    store_tokens(fake, "alpha_bot")
    config = from_store(make_config(fake, bots=("alpha_bot",)))
    run = engine_for(fake, monkeypatch, config=config, with_tokens=())
    run.chat.settings = faster(run.chat)
    async with run:
        fake.revoke("alpha_bot")  # authorization_revoked: the only reader
        await until(lambda: run.chat.connection.status is ConnectionStatus.FAILED)
        store_tokens(fake, "alpha_bot")  # `botdeck auth` again
        await until(lambda: subscribed_as(fake) == {"alpha_bot"}, within=15)
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED)
        msg = await fake.say("viewer", "@alpha_bot welcome back")
        assert await run.outcome_of(msg) == ("sent", None)


# ------------------------------------------------------------------ shared chat
async def test_shared_chat_partners_are_ignored_by_default(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        await fake.say("their_viewer", "@alpha_bot hi from next door", source="partner")
        ours = await fake.say("our_viewer", "@alpha_bot hi from here")
        assert await run.outcome_of(ours) == ("sent", None)
        assert [line.user for line in run.lines if not line.is_bot] == ["our_viewer"]
        assert run.chat.shared_ignored == 1
    [sent] = fake.sent_by("alpha_bot")
    assert sent.for_source_only is None  # a user token may not set it


async def test_shared_chat_answer_and_the_app_token_keeps_replies_home(fake, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES, app_authorized=True)
    fake.channel.app_authorized = True
    store_tokens(fake, "streamer", scopes=("channel:bot",))  # as `botdeck auth` left it
    config = make_config(fake, send_as="app")
    config["chat"]["shared_chat"] = "answer"
    run = engine_for(fake, monkeypatch, config=config)
    async with run:
        msg = await fake.say("their_viewer", "@alpha_bot hi from next door", source="partner")
        assert await run.outcome_of(msg) == ("sent", None)
    [sent] = fake.sent_by("alpha_bot")
    assert sent.token == fake.app_token.value and sent.for_source_only is True


# ------------------------------------------------------------ echo by message id
@pytest.mark.parametrize("echo_first", [False, True], ids=["echo-after", "echo-before"])
async def test_an_altered_echo_keeps_its_depth(fake, monkeypatch, echo_first):
    fake.echo_text = lambda text: text.replace("says", "sayz")  # e.g. an emote rendered
    fake.echo_before_answer = echo_first  # the echo may even beat the send's answer
    config = make_config(fake)
    config["router"]["max_depth"] = 2

    def ping_pong(request) -> str:
        other = "beta_bot" if request.bot == "alpha_bot" else "alpha_bot"
        return f"@{other} {request.bot} says pong"

    run = engine_for(fake, monkeypatch, config=config, responder=Echo(ping_pong))
    async with run:
        await fake.say("viewer", "@alpha_bot start a chain")
        bot_lines = lambda: [line for line in run.lines if line.is_bot]  # noqa: E731
        await until(lambda: len(bot_lines()) == 2, what="two bot lines back from Twitch")
        await until(lambda: not run.engine.snapshot().queues.pending)
        # The second echo was handled (and planned nothing) before the wait above ended.
        assert [line.depth for line in bot_lines()] == [1, 2]
        assert run.engine.snapshot().queues.size == 0
    assert len([s for s in fake.sent if s.status == 200]) == 2


# ------------------------------------------------------- roles confirmed, not assumed
async def test_a_bot_configured_moderator_starts_at_the_viewer_limit(fake, monkeypatch):
    config = make_config(fake)
    config["bots"][0]["role"] = "moderator"  # but alpha_bot is not modded in the channel
    run = engine_for(fake, monkeypatch, config=config)
    limiter = run.limiter
    assert isinstance(limiter, RateLimiter)
    assert limiter.role("alpha_bot") is Role.MODERATOR  # as configured, before Twitch says
    async with run:
        assert limiter.role("alpha_bot") is Role.VIEWER
        assert run.engine.snapshot().budgets["alpha_bot"].limit == 20


async def test_get_moderated_channels_confirms_a_moderator_before_it_speaks(fake, monkeypatch):
    fake.add_user("alpha_bot", scopes=BOT_SCOPES, badges=("moderator",))
    run = engine_for(fake, monkeypatch)
    limiter = run.limiter
    assert isinstance(limiter, RateLimiter)
    async with run:
        assert limiter.role("alpha_bot") is Role.MODERATOR
        assert limiter.role("beta_bot") is Role.VIEWER
    assert ("GET", "/helix/moderation/channels") in fake.requests


async def test_the_state_shows_reading_and_sending_apart(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, with_tokens=("alpha_bot",))
    async with run:
        assert run.chat.connection.describe() == "reading connected · sending ok for 1 of 2 bots"


async def test_a_damaged_token_file_does_not_stop_bots_with_their_own_tokens(fake, monkeypatch):
    TokenStore().path.parent.mkdir(parents=True, exist_ok=True)
    TokenStore().path.write_text("{ not json")  # the broadcaster's token is optional
    run = engine_for(fake, monkeypatch)
    async with run:
        assert run.chat.reader == "alpha_bot"
        msg = await fake.say("viewer", "@alpha_bot still fine?")
        assert await run.outcome_of(msg) == ("sent", None)
