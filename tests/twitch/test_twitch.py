"""botdeck on Twitch: the real twitchio client and botdeck's engine against a loopback fake
(see `twitch_harness`): replies, refusals, setup errors, the connection, chat lines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import stat

import pytest
from twitchio.eventsub import websockets as twitchio_websockets
from twitchio.http import Route

from botdeck.config import ConfigError, parse_config
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import build_engine
from botdeck.model.chat import ChatMessage, ConnectionStatus, Role
from botdeck.model.defaults import SendLimits
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.fakes.twitch_server import BOT_SCOPES
from tests.harness.journals import OUTCOMES
from tests.harness.twitch import (
    BOTS,
    Echo,
    engine_for,
    faster,
    make_config,
    record_states,
    shown,
    store_tokens,
)
from tests.harness.waiting import until


# ---------------------------------------------------------------- replies
async def test_a_mention_is_answered_by_that_bot_with_its_own_token(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        assert run.chat.connection.status is ConnectionStatus.CONNECTED
        msg = await fake.say("viewer_one", "hey @alpha_bot how are you?")
        assert await run.outcome_of(msg) == ("sent", None)
        [sent] = fake.sent_by("alpha_bot")
        assert sent.sender_id == fake.users["alpha_bot"].id
        assert sent.token == fake.token_of("alpha_bot").value
        assert sent.text.startswith("@Viewer_one alpha_bot says hi")
        assert sent.reply_to is None
        # Twitch echoes the reply: it comes back as our bot's line, one hop deep.
        echo = await until(lambda: [m for m in run.lines if m.user == "alpha_bot"])
        assert echo[0].is_bot and echo[0].depth == 1 and echo[0].text == sent.text
    viewer = run.lines[0]
    assert viewer.mentions == ("alpha_bot",) and viewer.display_name == "Viewer_one"
    assert not fake.sent_by("beta_bot")


async def test_two_bots_mentioned_answer_as_two_identities(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        msg = await fake.say("viewer", "@alpha_bot @beta_bot settle this")
        await until(lambda: len(run.events("sent")) == 2)
        assert run.outcome(msg) == ("sent", None)
    senders = {(s.sender_id, s.token) for s in fake.sent if s.status == 200}
    assert senders == {
        (fake.users[bot].id, fake.token_of(bot).value) for bot in ("alpha_bot", "beta_bot")
    }


async def test_threaded_replies_answer_in_the_mentions_thread(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, config=make_config(fake, threaded_replies=True))
    async with run:
        msg = await fake.say("viewer", "@beta_bot thread please")
        await run.outcome_of(msg)
    assert fake.sent_by("beta_bot")[0].reply_to == msg


async def test_send_as_app_uses_the_app_token_for_the_chat_bot_badge(fake, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES, app_authorized=True)
    fake.channel.app_authorized = True  # the broadcaster granted channel:bot
    store_tokens(fake, "streamer", scopes=("channel:bot",))  # as `botdeck auth` left it
    run = engine_for(fake, monkeypatch, config=make_config(fake, send_as="app"))
    async with run:
        msg = await fake.say("viewer", "@alpha_bot badge?")
        assert await run.outcome_of(msg) == ("sent", None)
    [sent] = fake.sent_by("alpha_bot")
    assert sent.token == fake.app_token.value and sent.sender_id == fake.users["alpha_bot"].id


# ---------------------------------------------------------------- refusals
async def test_a_drop_reason_fails_the_job_with_twitchs_reason(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.script({"drop": ("msg_duplicate", "Your message is identical to the previous one")})
        msg = await fake.say("viewer", "@alpha_bot again")
        reason = "msg_duplicate: Your message is identical to the previous one"
        assert await run.outcome_of(msg) == ("failed", reason)


async def test_a_429_is_retried_once_then_fails(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    async with run:
        fake.script({"status": 429, "message": "slow down"})
        first = await fake.say("viewer", "@alpha_bot one")
        assert await run.outcome_of(first) == ("sent", None)
        fake.script({"status": 429, "message": "slow down"}, {"status": 429, "message": "no"})
        second = await fake.say("viewer", "@beta_bot two")
        assert await run.outcome_of(second) == (
            "failed",
            "rate limited by Twitch (HTTP 429: no)",
        )
    assert [s.status for s in fake.sent] == [429, 200, 429, 429]


async def test_a_rate_limit_drop_is_retried_once(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    async with run:
        fake.script({"drop": ("msg_ratelimit", "You are sending messages too quickly")})
        msg = await fake.say("viewer", "@alpha_bot hello")
        assert await run.outcome_of(msg) == ("sent", None)
    assert len(fake.sent) == 2


async def test_a_bot_without_a_token_fails_clearly_and_sends_nothing(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, with_tokens=("alpha_bot",))
    async with run:
        msg = await fake.say("viewer", "@beta_bot are you there?")
        assert await run.outcome_of(msg) == (
            "failed",
            "bot beta_bot is not authorized: run `botdeck auth`",
        )
        ok = await fake.say("viewer", "@alpha_bot and you?")
        assert await run.outcome_of(ok) == ("sent", None)
    assert [s.sender for s in fake.sent] == ["alpha_bot"]  # never as another identity
    assert run.chat.bot_problems() == {"alpha_bot": None, "beta_bot": "no token"}
    assert run.engine.snapshot().notices == (
        "bot beta_bot is not authorized: run `botdeck auth` (no token)",
    )


async def test_a_token_revoked_during_the_run_fails_that_bots_jobs(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.revoke("beta_bot")  # the user disconnected the app: the refresh fails too
        first = await fake.say("viewer", "@beta_bot hi")
        reason = "bot beta_bot is not authorized: run `botdeck auth`"
        assert await run.outcome_of(first) == ("failed", reason)
        attempts = len(fake.sent)
        second = await fake.say("viewer", "@beta_bot hello?")
        assert await run.outcome_of(second) == ("failed", reason)
        assert len(fake.sent) == attempts  # known unauthorized: no further request
        other = await fake.say("viewer", "@alpha_bot still fine?")
        assert await run.outcome_of(other) == ("sent", None)
    assert all(
        s.sender != "alpha_bot" or s.token == fake.token_of("alpha_bot").value for s in fake.sent
    )


async def test_a_token_from_another_account_is_not_used(fake, monkeypatch):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    monkeypatch.setenv("TOKEN_BETA_BOT", fake.token_of("alpha_bot").value)
    run = engine_for(fake, monkeypatch, with_tokens=("alpha_bot",))
    async with run:
        msg = await fake.say("viewer", "@beta_bot who are you?")
        assert await run.outcome_of(msg) == (
            "failed",
            "bot beta_bot is not authorized: run `botdeck auth`",
        )
    assert run.chat.bot_problems()["beta_bot"] == "the token is for alpha_bot, not beta_bot"
    assert not fake.sent


async def test_refreshed_tokens_are_used_and_saved_back_to_the_store(fake, monkeypatch, tmp_path):
    for bot in BOTS:
        fake.add_user(bot, scopes=BOT_SCOPES)
    store = TokenStore()
    for bot in BOTS:
        token = fake.token_of(bot)
        user = fake.users[bot]
        store.save(
            fake.client_id, StoredToken(bot, user.id, token.value, token.refresh, BOT_SCOPES)
        )
    config = make_config(fake)
    for entry in config["bots"]:
        del entry["token_env"], entry["refresh_token_env"]  # from the store
    run = engine_for(fake, monkeypatch, config=config, with_tokens=())
    async with run:
        fake.expire("alpha_bot")  # the access token expires; its refresh token works
        msg = await fake.say("viewer", "@alpha_bot still there?")
        assert await run.outcome_of(msg) == ("sent", None)
    fresh = fake.token_of("alpha_bot")
    assert fake.sent_by("alpha_bot")[0].token == fresh.value
    saved = TokenStore().load(fake.client_id)["alpha_bot"]
    assert (saved.access_token, saved.refresh_token) == (fresh.value, fresh.refresh)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


# ---------------------------------------------------------------- setup errors
async def test_a_channel_that_does_not_exist_is_a_clear_error(fake, monkeypatch):
    config = make_config(fake)
    config["chat"]["channel"] = "nobody_here"
    run = engine_for(fake, monkeypatch, config=config)
    with pytest.raises(
        ConfigError, match=r"chat\.channel: there is no Twitch channel 'nobody_here'"
    ):
        await run.engine.connect()
    assert Route.BASE == "https://api.twitch.tv/helix/"  # endpoints restored
    assert twitchio_websockets.WSS == "wss://eventsub.wss.twitch.tv/ws"


async def test_a_refused_client_secret_is_a_clear_error(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    fake.client_secret = "something-else-entirely"
    with pytest.raises(
        ConfigError, match=r"twitch\.client_id: Twitch refused the client id or secret"
    ):
        await run.engine.connect()


async def test_no_bot_that_can_read_chat_is_a_clear_error(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, with_tokens=())
    with pytest.raises(ConfigError, match="no bot has a token that may read chat"):
        await run.engine.connect()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["twitch"].update(client_id=""), "x.toml: twitch.client_id: missing"),
        (lambda c: c["chat"].pop("channel"), "x.toml: chat.channel: missing"),
        (lambda c: c["chat"].update(channel="no spaces"), "chat.channel: expected a Twitch login"),
        (lambda c: c.update(send_limits={"viewer": 30}), "send_limits.viewer: looser than Twitch"),
        (lambda c: c.update(send_limits={"enabled": False}), "send_limits.enabled: looser"),
        (lambda c: c["twitch"].update(send_as="bot"), "twitch.send_as: Input should be 'user'"),
        (lambda c: c["twitch"].update(eventsub_url="http://x"), "twitch.eventsub_url: expected"),
    ],
)
async def test_an_incomplete_twitch_config_names_the_key(fake, change, message):
    config = make_config(fake)
    change(config)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_config(config, source="x.toml")


async def test_a_missing_client_secret_names_the_variable(fake, monkeypatch):
    monkeypatch.delenv("TWITCH_CLIENT_SECRET", raising=False)
    with pytest.raises(ConfigError, match=r"twitch\.client_secret_env: .*TWITCH_CLIENT_SECRET"):
        build_engine(parse_config(make_config(fake)))


# ---------------------------------------------------------------- connection
async def test_a_dropped_socket_reconnects_and_the_next_mention_is_answered(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        states = record_states(run.chat)
        fake.welcome_gate = asyncio.Event()  # hold the new welcome, so the state shows
        await fake.drop()
        await until(lambda: run.chat.connection.status is ConnectionStatus.RECONNECTING)
        fake.welcome_gate.set()
        await fake.wait_for(lambda: fake.welcomes == 2 and fake.subscriptions)
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED)
        msg = await fake.say("viewer", "@alpha_bot back?")
        assert await run.outcome_of(msg) == ("sent", None)
        assert shown(states, "reconnecting", 1)
    assert len(fake.subscriptions) == 0  # closed: the session and its subscription are gone


async def test_session_reconnect_moves_without_losing_a_message_or_a_socket(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        await fake.session_reconnect()
        await fake.wait_for(lambda: fake.welcomes == 2)
        msg = await fake.say("viewer", "@beta_bot moved?")
        assert await run.outcome_of(msg) == ("sent", None)
        assert run.chat.connection.status is ConnectionStatus.CONNECTED
        assert len(fake.sessions) == 1
    # twitchio 3.3 alone would orphan the new socket here; it is closed with the client.
    await fake.wait_for(lambda: not fake.sessions)


async def test_replies_go_out_while_reading_is_down(fake, monkeypatch):
    """Sending is Helix: it does not wait for the EventSub socket (it used to, and failed
    every reply after 30 s without it)."""
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.welcome_gate = asyncio.Event()  # reading stays down until the test says
        await fake.drop()
        await until(lambda: run.chat.connection.status is ConnectionStatus.RECONNECTING)
        # The line came in before the drop (here: straight into the router).
        line = ChatMessage(id="before-drop", user="viewer", text="@alpha_bot hi", timestamp=0)
        run.engine.handle(line)
        assert await run.outcome_of("before-drop") == ("sent", None)
        assert run.chat.connection.status is ConnectionStatus.RECONNECTING
        assert run.chat.connection.describe().endswith("· sending ok")
        fake.welcome_gate.set()
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED)


async def test_garbage_and_error_closes_show_in_the_state_and_the_app_keeps_going(
    fake, monkeypatch
):
    run = engine_for(fake, monkeypatch)
    async with run:
        states = record_states(run.chat)
        await fake.send_raw("this is not json")
        await fake.send_raw(b"\x00\x01binary")
        first = await fake.say("viewer", "@alpha_bot still reading?")
        assert await run.outcome_of(first) == ("sent", None)

        await fake.send_raw(json.dumps({"unexpected": "shape"}))  # kills twitchio's reader
        await until(lambda: fake.welcomes == 2, what="a fresh connection after garbage")
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED)
        second = await fake.say("viewer", "@alpha_bot and now?")
        assert await run.outcome_of(second) == ("sent", None)

        await fake.close_sockets(4000)  # internal server error: twitchio reconnects
        await until(lambda: fake.welcomes == 3 and fake.subscriptions)
        third = await fake.say("viewer", "@beta_bot after 4000?")
        assert await run.outcome_of(third) == ("sent", None)

        await fake.close_sockets(4003)  # "connection unused": twitchio gives up, botdeck not
        await until(lambda: fake.welcomes == 4 and fake.subscriptions)
        fourth = await fake.say("viewer", "@beta_bot after 4003?")
        assert await run.outcome_of(fourth) == ("sent", None)
    assert shown(states, "reconnecting", 1)
    assert any("could not be read" in (reason or "") for _, _, reason in states)


async def test_a_websocket_that_cannot_connect_shows_failed_and_recovers(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    fake.refuse_connections = 4
    async with run:
        await until(
            lambda: run.chat.connection.status is ConnectionStatus.FAILED, what="failed state"
        )
        assert run.chat.connection.attempt >= 3
        assert "cannot connect" in (run.chat.connection.reason or "")
        await until(lambda: run.chat.connection.status is ConnectionStatus.CONNECTED, within=15)
        msg = await fake.say("viewer", "@alpha_bot finally")
        assert await run.outcome_of(msg) == ("sent", None)


# ---------------------------------------------------------------- chat lines
async def test_untrusted_chat_text_is_cleaned_and_duplicates_are_dropped(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        await fake.say("viewer", "\x1b[31mred\x1b[0m [b]markup[/b] zero\u200b\u200bwidth")
        await fake.say("viewer", "Kappa Kappa PogChamp")  # only emotes: plain text
        await fake.say("viewer", "x" * 600)
        await fake.say("viewer", "once", message_id="same-id")
        await fake.say("viewer", "once", message_id="same-id")  # Twitch may resend
        await fake.say("viewer", "last")  # frames arrive in order: this one comes after
        await until(lambda: run.lines and run.lines[-1].text == "last")
    texts = [m.text for m in run.lines]
    assert texts == [
        "red [b]markup[/b] zerowidth",
        "Kappa Kappa PogChamp",  # only emotes: plain text
        "x" * 600,
        "once",  # once only
        "last",
    ]


async def test_the_bots_badges_set_its_send_limit(fake, monkeypatch):
    fake.add_user("alpha_bot", scopes=BOT_SCOPES, badges=("moderator",))
    run = engine_for(fake, monkeypatch)
    limiter = run.limiter
    assert isinstance(limiter, RateLimiter)
    assert limiter.role("alpha_bot") is Role.VIEWER  # as configured
    async with run:
        msg = await fake.say("viewer", "@alpha_bot are you a mod?")
        await run.outcome_of(msg)
        await until(lambda: limiter.role("alpha_bot") is Role.MODERATOR)
    assert run.engine.snapshot().budgets["alpha_bot"].limit == 100


async def test_the_limiter_holds_from_twitchs_side_with_short_windows(fake, monkeypatch):
    """Real time, a 1 s window of 5 (the fake checks the same), a raid of 18 mentions."""
    limits = SendLimits(window=1.0, viewer=5, spacing=0.1, duplicate_window=1.0)
    fake.limits = limits
    limiter = RateLimiter(dict.fromkeys(BOTS, Role.VIEWER), limits)
    config = make_config(fake)
    config["router"]["per_user_cap"] = 0  # one viewer sends them all: no fairness cap here
    run = engine_for(
        fake, monkeypatch, config=config, limiter=limiter, responder=Echo(lambda r: "same text")
    )
    async with run:
        for n in range(18):
            await fake.say("viewer", f"@{BOTS[n % 2]} go")
        await until(lambda: len(run.events("sent")) == 18, within=20)
    sent = [s for s in fake.sent if s.status == 200]
    assert len(sent) == 18 and fake.violations == []  # no window, gap or repeat over
    alpha = [s for s in sent if s.sender == "alpha_bot"]
    assert alpha[-1].at - alpha[0].at >= 1.0  # nine sends needed a second window
    assert alpha[0].text == "@Viewer same text"
    assert "@Viewer same text (again)" in [s.text for s in alpha]  # changed, not dropped


async def test_no_token_or_secret_reaches_the_log(fake, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    run = engine_for(fake, monkeypatch)
    async with run:
        fake.revoke("beta_bot")
        msg = await fake.say("viewer", "@beta_bot @alpha_bot hi")
        await run.outcome_of(msg)
        await until(lambda: len([e for e in run.events() if e["event"] in OUTCOMES]) == 2)
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    secrets = [fake.client_secret] + [t.value for t in fake.tokens.values()]
    secrets += [t.refresh for t in fake.tokens.values() if t.refresh]
    assert not [s for s in secrets if s in text]
    assert "bot beta_bot is not authorized" in caplog.text


def test_endpoint_overrides_apply_while_used_and_are_restored():
    from botdeck.twitch.endpoints import Endpoints, use_endpoints

    mock = Endpoints("http://127.0.0.1:9/helix", "http://127.0.0.1:9", "ws://127.0.0.1:9/ws/")
    assert (mock.api_url, mock.auth_url, mock.eventsub_url) == (
        "http://127.0.0.1:9/helix/",
        "http://127.0.0.1:9/",
        "ws://127.0.0.1:9/ws",
    )
    with use_endpoints(mock):
        assert Route("GET", "users").url == "http://127.0.0.1:9/helix/users"
        assert twitchio_websockets.WSS == "ws://127.0.0.1:9/ws"
        with (
            pytest.raises(RuntimeError, match="different endpoints"),
            use_endpoints(
                Endpoints("https://api.twitch.tv/helix/", "https://id.twitch.tv/", "wss://a.b/ws")
            ),
        ):
            pass
    assert Route("GET", "users").url == "https://api.twitch.tv/helix/users"
    assert Route.ID_BASE == "https://id.twitch.tv/"
