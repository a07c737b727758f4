"""`[chat] source = "replay"` as a user runs it: a bad file is one line and exit 2 before
anything runs; an unusable line is skipped with a warning naming it; the run ends by itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.harness.cli import run_botdeck

CONFIG = """
[router]
random_reply_chance = 0.0
[router.delays]
high = [0.01, 0.05]
normal = [0.01, 0.05]
low = [0.01, 0.05]

[chat]
source = "replay"
replay_file = "{replay}"
speed = 20
{extra}

[[bots]]
name = "stickyman1776"
role = "moderator"

[[bots]]
name = "pixelsage"
role = "moderator"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}


def config_for(tmp_path: Path, replay: Path, extra: str = "") -> Path:
    path = tmp_path / "botdeck.toml"
    path.write_text(CONFIG.format(replay=replay, extra=extra))
    return path


def rows(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


GOOD = {"t": 0, "user": "viewer", "text": "@stickyman1776 hi"}

FATAL = {
    "empty": ("", "empty"),
    "not-json": ("12:00 <viewer> hello\n12:01 <other> hi\n", "line 1: not JSON"),
    "other-shape": ('{"chat": []}', 'JSON of another shape (an object without "comments")'),
    "no-recent-messages": ('{"messages": []}', "no chat lines to play"),
    "truncated": ('{\n "comments": [\n  {"content_offset_seconds": 1', "line 3 column"),
    "nothing-playable": (rows({"t": 1, "user": "a"}, {"t": 2, "text": "b"}), "no chat lines"),
}


@pytest.mark.parametrize("case", FATAL)
def test_a_bad_replay_file_exits_2_with_one_line(env, tmp_path, case):
    content, needle = FATAL[case]
    replay = tmp_path / "chat.jsonl"
    replay.write_text(content)
    journal = tmp_path / "journal.jsonl"
    config = config_for(tmp_path, replay)
    result = run_botdeck(
        "run", "--headless", "--config", str(config), "--journal", str(journal), env=env
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"botdeck: {replay}: ")
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert not journal.exists() or journal.read_text() == ""  # nothing ran


def test_a_missing_replay_file_exits_2_and_check_says_so_too(env, tmp_path):
    config = config_for(tmp_path, tmp_path / "gone.jsonl")
    result = run_botdeck("run", "--headless", "--config", str(config), env=env)
    assert result.returncode == 2
    assert result.stderr == f"botdeck: {tmp_path / 'gone.jsonl'}: file not found\n"
    checked = run_botdeck("check", "--config", str(config), env=env)
    assert checked.returncode == 2
    assert f"✗ chat.replay_file: {tmp_path / 'gone.jsonl'}: file not found" in checked.stdout


def test_check_reports_what_will_play(env, tmp_path):
    replay = tmp_path / "chat.jsonl"
    replay.write_text(rows(GOOD, "oops", {**GOOD, "t": 30}))
    result = run_botdeck("check", "--config", str(config_for(tmp_path, replay)), env=env)
    assert result.returncode == 0
    assert (
        f"✓ chat.replay_file: {replay} reads: 2 lines to play (botdeck JSONL), 30 s of chat"
        in result.stdout.splitlines()
    )
    assert f"botdeck: warning: {replay}: line 2: not JSON" in result.stderr


@pytest.mark.slow
def test_skipped_and_reordered_lines_are_warned_about_and_the_run_ends(env, tmp_path):
    replay = tmp_path / "chat.jsonl"
    replay.write_text(
        rows(
            {"t": 0, "user": "viewer1", "text": "@stickyman1776 first"},
            {"t": 2, "user": "viewer2", "text": "@pixelsage second"},
            "{broken",
            {"t": 1, "user": "viewer3", "text": "@STICKYMAN1776 early"},
            {"t": 3, "user": "viewer4"},
        )
    )
    journal = tmp_path / "journal.jsonl"
    config = config_for(tmp_path, replay)
    result = run_botdeck(
        "run", "--headless", "--config", str(config), "--journal", str(journal), env=env
    )
    assert result.returncode == 0, result.stderr
    assert f"warning: {replay}: line 3: not JSON" in result.stderr
    assert f'warning: {replay}: line 5: missing "text": skipped' in result.stderr
    assert "1 line out of time order, first line 4 (t=1) comes after line 2 (t=2)" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    events = [json.loads(row) for row in journal.read_text().splitlines()]
    chat = [e["text"] for e in events if e["event"] == "chat" and not e.get("is_bot")]
    assert chat == ["@stickyman1776 first", "@STICKYMAN1776 early", "@pixelsage second"]
    sent = sorted((e["msg"], e["bot"]) for e in events if e["event"] == "sent")
    assert sent == [
        ("replay-1", "stickyman1776"),
        ("replay-2", "pixelsage"),
        ("replay-4", "stickyman1776"),
    ]
    assert "notice: replay chat.jsonl: 2 unusable lines skipped" in result.stdout


def test_replay_start_is_checked(tmp_path):
    from botdeck.config import ConfigError, load_config

    replay = tmp_path / "chat.jsonl"
    with pytest.raises(ConfigError, match=r"chat\.replay_start"):
        load_config(config_for(tmp_path, replay, "replay_start = -5"))
    config = load_config(config_for(tmp_path, replay, "replay_start = 90"))
    assert config.chat.adapter_options().replay_start == 90
