"""A rehearsal of a log that holds moderators' actions, chat modes and a moderator's
commands, run as a user runs it (`botdeck rehearse`, a subprocess, the virtual clock)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.harness.cli import run_botdeck
from tests.test_rehearse_cli import events_of, write_config

HELD = "followers-only: make this bot a VIP or moderator, or have it follow"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}


def replay(tmp_path: Path, *rows: dict) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def rehearse(env, tmp_path: Path, log: Path) -> tuple[dict, list[dict]]:
    journal = tmp_path / "journal.jsonl"
    delays = "[router.delays]\nhigh = [2.0, 2.0]"
    config = write_config(tmp_path, delays=delays, chance=0.0)
    args = ["--config", str(config), "--replay", str(log), "--journal", str(journal), "--json"]
    result = run_botdeck("rehearse", *args, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), events_of(journal)


def outcomes(events: list[dict]) -> dict[str, tuple[str, str | None]]:
    ends = ("sent", "failed", "cancelled", "skipped")
    return {e["msg"]: (e["event"], e.get("reason")) for e in events if e["event"] in ends}


def test_a_rehearsal_plays_deletions_bans_chat_modes_and_a_moderators_status(env, tmp_path):
    log = replay(
        tmp_path,
        {"t": 0, "user": "troll", "text": "@pixelsage something awful"},
        {"t": 1, "event": "delete", "msg": 1},
        {"t": 2, "user": "spammer", "text": "@genejacqueman cheap followers"},
        {"t": 3, "event": "clear_user", "user": "spammer"},
        {"t": 4, "event": "chat_settings", "follower_mode": True},
        {"t": 5, "user": "viewer", "text": "@stickyman1776 @pixelsage hello?"},
        {"t": 6, "user": "spammer", "text": "@pixelsage I am back"},
        {"t": 7, "user": "mod_jane", "text": "!botdeck status", "badges": ["moderator"]},
        {"t": 60, "event": "chat_settings", "follower_mode": False},
    )
    _, events = rehearse(env, tmp_path, log)
    ends = outcomes(events)
    assert ends["replay-1"] == ("skipped", "deleted_by_moderator")
    assert ends["replay-3"] == ("skipped", "user_removed")
    assert "replay-7" not in ends  # a removed user's new line is not answered
    mention = [e for e in events if e.get("msg") == "replay-6" and e["event"] == "sent"]
    assert sorted(e["bot"] for e in mention) == ["pixelsage", "stickyman1776"]
    held = next(e for e in mention if e["bot"] == "stickyman1776")
    assert held["latency"] >= 55  # it waited for followers-only to end
    actions = [
        (e["action"], e.get("msg"), e.get("user")) for e in events if e["event"] == "moderation"
    ]
    assert actions == [("delete", "replay-1", None), ("clear_user", None, "spammer")]
    [status] = [e for e in events if e["event"] == "chat" and e["text"].startswith("botdeck")]
    assert status["user"] == "pixelsage"  # the first bot that may talk (a VIP)
    assert status["text"].startswith("botdeck is running: 1 reply waiting")
    assert "held: stickyman1776" in status["text"]
    states = [(e["state"], e.get("by"), e.get("command")) for e in events if e["event"] == "state"]
    assert states[0] == ("running", "mod_jane", "status")


def test_a_rehearsal_ending_in_followers_only_ends_with_the_held_replies_skipped(env, tmp_path):
    log = replay(
        tmp_path,
        {"t": 0, "event": "chat_settings", "follower_mode": True, "follower_mode_duration": 10},
        {"t": 1, "user": "viewer", "text": "@stickyman1776 hi"},
        {"t": 2, "user": "viewer", "text": "@genejacqueman hi"},
    )
    report, events = rehearse(env, tmp_path, log)
    ends = outcomes(events)
    assert ends["replay-2"] == ("skipped", HELD)
    assert ends["replay-3"] == ("sent", None)
    assert report["final_state"] == "drained" and report["outcomes"]["open"] == 0
