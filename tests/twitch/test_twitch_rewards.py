"""`botdeck rewards create`: the "Ask <bot>" rewards made with botdeck's client id on the
loopback fake (the real twitchio client), once; a reward of the same title made on
Twitch's dashboard is said to be one botdeck cannot settle; what to fix comes first."""

from __future__ import annotations

import os

import pytest

from botdeck.config import ConfigError, parse_config
from botdeck.twitch.reward_setup import Made, create_rewards
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.fakes.twitch_server import FakeTwitch
from tests.fakes.twitch_thread import ThreadedFake
from tests.harness.cli import run_botdeck

BOTS = ("alpha_bot", "beta_bot")


def store_broadcaster(fake: FakeTwitch, scopes: tuple[str, ...]) -> None:
    user = fake.channel
    token = fake._token(user.id, scopes)
    TokenStore().save(
        fake.client_id, StoredToken(user.login, user.id, token.value, token.refresh, scopes)
    )


def config_of(fake: FakeTwitch, **redeem: object) -> dict:
    return {
        "chat": {"source": "twitch", "channel": fake.channel.login},
        "twitch": {
            "client_id": fake.client_id,
            "api_url": fake.api_url,
            "auth_url": fake.auth_url,
            "eventsub_url": fake.eventsub_url,
        },
        "events": {"redeem": {"enabled": True, **redeem}},
        "bots": [{"name": bot, "token_env": f"TOKEN_{bot.upper()}"} for bot in BOTS],
    }


async def test_one_reward_per_bot_with_the_configured_cost_prompt_and_limits(fake, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    store_broadcaster(fake, ("channel:manage:redemptions",))
    config = parse_config(
        config_of(fake, bot="any", cost=250, max_per_user_per_stream=2, cooldown=60.0)
    )
    first = await create_rewards(config)
    again = await create_rewards(config)
    assert [(o.spec.title, o.made) for o in first] == [
        ("Ask alpha_bot", Made.CREATED),
        ("Ask beta_bot", Made.CREATED),
    ]
    assert {o.made for o in again} == {Made.THERE}  # made once
    rewards = sorted(fake.rewards.values(), key=lambda r: r.title)
    assert [(r.title, r.cost, r.prompt) for r in rewards] == [
        ("Ask alpha_bot", 250, "Your question for alpha_bot"),
        ("Ask beta_bot", 250, "Your question for beta_bot"),
    ]
    assert {(r.client_id, r.max_per_user_per_stream, r.global_cooldown) for r in rewards} == {
        (fake.client_id, 2, 60)
    }


async def test_a_dashboard_reward_of_that_title_is_not_botdecks_and_is_said_so(fake, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    store_broadcaster(fake, ("channel:manage:redemptions",))
    fake.add_reward("Ask alpha_bot", by_botdeck=False)
    [outcome] = await create_rewards(parse_config(config_of(fake, bot="alpha_bot")))
    assert outcome.made is Made.TAKEN and "delete it there" in outcome.detail
    assert len(fake.rewards) == 1


@pytest.mark.parametrize(
    ("scopes", "redeem", "says"),
    [
        (None, {}, "has not authorized botdeck: run `botdeck auth`"),
        (("channel:bot",), {}, "has not granted channel:manage:redemptions"),
        (("channel:manage:redemptions",), {"enabled": False}, "events.redeem.enabled: false"),
    ],
)
async def test_what_the_broadcaster_or_the_config_must_fix_first(
    fake, monkeypatch, scopes, redeem, says
):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    if scopes is not None:
        store_broadcaster(fake, scopes)
    with pytest.raises(ConfigError, match=says.replace("`", ".")):
        await create_rewards(parse_config(config_of(fake, **redeem)))
    assert not fake.rewards


def test_the_command_prints_a_line_per_reward_and_exits_by_them(tmp_path):
    with ThreadedFake() as fake:
        env = {**os.environ, "BOTDECK_DATA_DIR": str(tmp_path / "data")}
        env["TWITCH_CLIENT_SECRET"] = fake.client_secret
        user = fake.channel
        token = fake._token(user.id, ("channel:manage:redemptions",))
        TokenStore(tmp_path / "data" / "tokens.json").save(
            fake.client_id,
            StoredToken(user.login, user.id, token.value, token.refresh, token.scopes),
        )
        fake.add_reward("Ask beta_bot", by_botdeck=False)
        config = tmp_path / "botdeck.toml"
        config.write_text(
            f"""
[chat]
source = "twitch"
channel = "{user.login}"
[twitch]
client_id = "{fake.client_id}"
api_url = "{fake.api_url}"
auth_url = "{fake.auth_url}"
eventsub_url = "{fake.eventsub_url}"
[events.redeem]
enabled = true
bot = "rotate"
[[bots]]
name = "alpha_bot"
[[bots]]
name = "beta_bot"
""",
            encoding="utf-8",
        )
        done = run_botdeck("rewards", "create", "--config", str(config), env=env)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ok 'Ask alpha_bot': created (500 points, for alpha_bot)")
    assert lines[1].startswith("!! 'Ask beta_bot': taken (")
    assert token.value not in done.stdout + done.stderr
