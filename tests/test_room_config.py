"""The room's keys: `[router] chat_share`, `[filters]`, each bot's `audience` (strict, as
every key: unknown keys and bad values are one line naming the key)."""

from __future__ import annotations

import typing

import pytest

from botdeck.config import BotConfig, ConfigError, parse_config
from botdeck.engine.build import room_settings
from botdeck.model.defaults import COMMON_EMOTES
from botdeck.model.room import Audience

BOTS = [{"name": "alpha_bot"}]


def test_the_defaults_read_the_room():
    settings = room_settings(parse_config({"bots": BOTS}))
    assert settings.chat_share == 0.1
    assert (settings.emote_only, settings.copypasta, settings.repeats) == (True, True, True)
    assert settings.min_words == 3
    assert (settings.copypasta_viewers, settings.copypasta_window) == (3, 60.0)
    assert settings.emotes == COMMON_EMOTES and not settings.audiences


def test_each_switch_and_the_channel_emotes():
    config = parse_config(
        {
            "router": {"chat_share": 1.0},
            "filters": {"emotes": ["forsenParty"], "builtin_emotes": False, "min_words": 0},
            "bots": [{"name": "alpha_bot", "audience": "vips", "audience_mentions": True}],
        }
    )
    settings = room_settings(config)
    assert settings.chat_share is None  # 1: no limit
    assert settings.emotes == {"forsenParty"} and settings.min_words == 0
    assert settings.audiences["alpha_bot"].audience is Audience.VIPS
    assert settings.audiences["alpha_bot"].mentions


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        (
            {"router": {"chat_share": 1.5}},
            "router.chat_share: Input should be less than or equal to 1",
        ),
        ({"router": {"chat_share": -0.1}}, "router.chat_share"),
        ({"filters": {"emote_wall": True}}, "filters.emote_wall: unknown key"),
        ({"filters": {"emotes": ["two words"]}}, "filters.emotes[0]: expected an emote name"),
        ({"filters": {"copypasta_viewers": 1}}, "filters.copypasta_viewers"),
        ({"filters": {"min_words": "3"}}, "filters.min_words"),
        ({"bots": [{"name": "alpha_bot", "audience": "friends"}]}, "bots[0].audience"),
    ],
)
def test_a_bad_key_is_one_line_naming_it(table, needle):
    with pytest.raises(ConfigError) as caught:
        parse_config({"bots": BOTS, **table})
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_the_config_offers_every_audience():
    offered = typing.get_args(BotConfig.model_fields["audience"].annotation)
    assert set(offered) == {audience.value for audience in Audience}


@pytest.mark.parametrize(
    ("badges", "followers_only", "admitted"),
    [
        ((), False, {Audience.EVERYONE}),
        ((), True, {Audience.EVERYONE, Audience.FOLLOWERS}),
        (("subscriber",), False, {Audience.EVERYONE, Audience.FOLLOWERS, Audience.SUBSCRIBERS}),
        (("founder",), False, {Audience.EVERYONE, Audience.FOLLOWERS, Audience.SUBSCRIBERS}),
        (("vip",), False, set(Audience) - {Audience.MODERATORS}),
        (("moderator",), False, set(Audience)),
        (("broadcaster",), False, set(Audience)),
    ],
)
def test_each_level_includes_those_above_it(badges, followers_only, admitted):
    assert {a for a in Audience if a.admits(badges, followers_only)} == admitted
