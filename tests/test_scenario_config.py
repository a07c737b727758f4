"""Scenario parameters from config and from `botdeck demo --scenario NAME:KEY=VALUE`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from botdeck.chat.scenarios import RaidParams, SoakParams
from botdeck.chat.simulated import SimulatedChat
from botdeck.commands.cli import build_parser
from botdeck.commands.run import config_for
from botdeck.config import ConfigError, load_config, render_config
from botdeck.engine import build_source
from botdeck.model.stream import ChannelEvent
from tests.harness.cli import run_botdeck
from tests.harness.virtual_time import run_virtual

CONFIG = """
[chat]
scenario = "raid"
seed = 2

[chat.scenario_params]
viewers = 9
within = 1
mention_share = 1.0

[[bots]]
name = "stickyman1776"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "botdeck.toml"
    path.write_text(text)
    return path


async def drain(source: SimulatedChat) -> list:
    return [message async for message in source]


def test_a_config_table_sets_the_parameters(tmp_path):
    config = load_config(write(tmp_path, CONFIG))
    spec = config.chat.adapter_options().spec
    assert spec.params == RaidParams(viewers=9, within=1.0, mention_share=1)
    source = build_source(config).source
    assert isinstance(source, SimulatedChat)
    raid, *messages = run_virtual(drain(source))
    assert isinstance(raid, ChannelEvent) and raid.count == 9  # told first, as Twitch does
    assert len(messages) == 9
    assert all("stickyman1776" in message.text for message in messages)


def test_check_shows_the_parameters(tmp_path):
    rendered = render_config(load_config(write(tmp_path, CONFIG)))
    assert "[chat.scenario_params]\nviewers = 9\nwithin = 1\nmention_share = 1.0" in rendered


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ("viewers = 0", "chat.scenario_params: viewers: expected >= 1"),
        ("crowd = 3", "chat.scenario_params: crowd: unknown parameter for raid"),
        ('viewers = "9"', "chat.scenario_params.viewers"),
    ],
)
def test_a_bad_parameter_in_config_names_the_key(tmp_path, params, needle):
    text = CONFIG.replace("viewers = 9", params)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert needle in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path))


def test_parameters_belong_to_the_configured_scenario(tmp_path):
    text = CONFIG.replace('scenario = "raid"', 'scenario = "questions"')
    with pytest.raises(ConfigError, match="viewers: unknown parameter for questions"):
        load_config(write(tmp_path, text))


def test_demo_takes_parameters_after_the_name():
    args = build_parser().parse_args(["demo", "--scenario", "soak:rate=20,duration=30"])
    config = config_for(args)
    options = config.chat.adapter_options()
    assert options.scenario == "soak"
    assert options.spec.params == SoakParams(rate=20.0, duration=30.0)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}


def test_a_bad_demo_parameter_exits_2_naming_it(env):
    result = run_botdeck("demo", "--headless", "--scenario", "raid:viewers=-3", env=env)
    assert result.returncode == 2
    assert "--scenario" in result.stderr and "viewers: expected >= 1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_headless_demo_plays_the_raid_it_was_given(env):
    scenario = "raid:viewers=8,within=0.5,mention_share=1"
    result = run_botdeck("demo", "--headless", "--bots", "2", "--scenario", scenario, env=env)
    assert result.returncode == 0, result.stderr
    events = [json.loads(row) for row in result.stdout.splitlines()]
    viewers = [e for e in events if e["event"] == "chat" and not e.get("is_bot")]
    assert len(viewers) == 8
    [raid] = [e for e in events if e["event"] == "channel_event"]
    assert (raid["kind"], raid["count"]) == ("raid", 8)
    high = {e["job"] for e in events if e["event"] == "sent" and e["priority"] == "high"}
    greeting = {e["job"] for e in events if e["event"] == "enqueued" and "reaction" in e}
    assert len(high - greeting) == 8 and len(greeting) == 1  # every raider, and the greeting
    assert "  channel: 1 event, 1 reaction" in result.stderr.splitlines()  # the summary
