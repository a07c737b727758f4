"""Extreme values and hostile files refused by the config loader with one line (issue 16)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from botdeck.config import MAX_CONFIG_BYTES, ConfigError, load_config
from tests.harness.cli import run_botdeck

ONE_BOT = '\n[[bots]]\nname = "pixelsage"\n'


def refused(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "botdeck.toml"
    path.write_text(text + ONE_BOT, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ("[router]\njob_timeout = inf", "router.job_timeout"),
        ("[router.delays]\nhigh = [1.0, inf]", "router.delays.high[1]"),
        ("[router.delays]\nhigh = [nan, 2.0]", "router.delays.high[0]"),
        ("[router]\nack_target = inf", "router.ack_target"),
        ("[router]\nmax_age = inf", "router.max_age"),
        ("[router]\nrandom_reply_chance = nan", "router.random_reply_chance"),
        ("[chat]\nreplay_start = inf", "chat.replay_start"),
        ("[chat]\nspeed = -inf", "chat.speed"),
        ("[send_limits]\nspacing = nan", "send_limits.spacing"),
        ("[ai]\ntimeout = inf", "ai.timeout"),
        ("[chat.scenario_params]\nwithin = inf", "chat.scenario_params.within"),
    ],
)
def test_inf_and_nan_are_refused_naming_the_key(tmp_path, snippet, key):
    message = refused(write(tmp_path, snippet))
    assert f"{key}: " in message and "finite" in message


def test_inf_in_extra_body_is_refused(tmp_path):
    message = refused(write(tmp_path, "[ai.extra_body]\noptions = { top_k = inf }"))
    assert "ai.extra_body: " in message and "finite" in message


@pytest.mark.parametrize(
    ("snippet", "key", "bound"),
    [
        ("[router.delays]\nnormal = [1.0, 601]", "router.delays.normal", "600"),
        ("[router]\njob_timeout = 3601", "router.job_timeout", "3600"),
        ("[router]\nack_target = 1e9", "router.ack_target", "3600"),
        ("[router]\nmax_age = 86400", "router.max_age", "3600"),
        ("[router]\nbacklog_warning = 1000000", "router.backlog_warning", "100000"),
        ("[router]\nper_user_cap = 5000", "router.per_user_cap", "1000"),
        ("[router]\nglobal_concurrency = 1001", "router.global_concurrency", "1000"),
        ("[send_limits]\nwindow = 7200", "send_limits.window", "3600"),
        ("[send_limits]\nviewer = 1000000", "send_limits.viewer", "100000"),
        ("[chat]\nreplay_start = 1e11", "chat.replay_start", "10000000000"),
        ("[ai]\ntoken_budget = 10000000000000", "ai.token_budget", "1000000000000"),
    ],
)
def test_durations_and_counts_have_an_upper_bound(tmp_path, snippet, key, bound):
    message = refused(write(tmp_path, snippet))
    assert f"{key}: " in message and bound in message


def test_more_than_a_hundred_bots_is_refused(tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text("".join(f'[[bots]]\nname = "bot_{i:03d}"\n' for i in range(101)))
    assert "bots: " in refused(path)


def test_the_bounds_themselves_are_accepted(tmp_path):
    config = load_config(
        write(
            tmp_path,
            "[router]\njob_timeout = 3600\nack_target = 3600\nmax_age = 3600\n"
            "[router.delays]\nlow = [600, 600]",
        )
    )
    assert config.router.job_timeout == 3600 and config.router.delays.low == [600, 600]


def test_a_device_is_refused_before_it_is_read():
    message = refused(Path("/dev/zero"))
    assert "is a device" in message


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "botdeck.toml"
    os.mkfifo(path)
    assert "FIFO" in refused(path)


def test_a_config_over_1_mib_is_refused_before_parsing(tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text(ONE_BOT + "#" * MAX_CONFIG_BYTES)
    assert "larger than 1 MiB" in refused(path)


def test_deeply_nested_toml_is_one_line(tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text("x = " + "[" * 5000 + ONE_BOT)
    assert "nested too deeply" in refused(path)


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_check_refuses_a_device_or_fifo_with_one_line(tmp_path, target):
    if target == "fifo":
        target = str(tmp_path / "fifo")
        os.mkfifo(target)
    env = {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}
    result = run_botdeck("check", "--config", target, env=env, timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and target in result.stderr
    assert "Traceback" not in result.stderr


def test_check_refuses_an_infinite_delay(tmp_path):
    path = write(tmp_path, "[router.delays]\nhigh = [1.0, inf]")
    env = {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}
    result = run_botdeck("check", "--config", str(path), env=env, timeout=30)
    assert result.returncode == 2
    assert "router.delays.high[1]" in result.stderr and result.stderr.count("\n") == 1
