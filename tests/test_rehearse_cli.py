"""`botdeck rehearse` and `botdeck report` as a user runs them (subprocesses), moderators'
actions in a rehearsed log among them."""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from botdeck.chat.simulated import raid_script
from tests.harness.cli import run_botdeck
from tests.harness.journals import OUTCOMES

BOTS = ("stickyman1776", "pixelsage", "genejacqueman")

CONFIG = """
[router]
random_reply_chance = {chance}
{delays}

[ai]
provider = "{provider}"
api_key_env = "BOTDECK_TEST_UNSET_KEY"

[chat]
seed = 4

[[bots]]
name = "stickyman1776"

[[bots]]
name = "pixelsage"
role = "vip"

[[bots]]
name = "genejacqueman"
role = "moderator"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}
    environ.pop("BOTDECK_TEST_UNSET_KEY", None)
    return environ


def write_config(
    tmp_path: Path, *, delays: str = "", chance: float = 0.25, provider: str = "offline"
) -> Path:
    path = tmp_path / "botdeck.toml"
    path.write_text(CONFIG.format(delays=delays, chance=chance, provider=provider))
    return path


def raid_log(tmp_path: Path, viewers: int = 200) -> Path:
    """A raid of `viewers` lines within 20 s, as botdeck JSONL."""
    path = tmp_path / "raid.jsonl"
    lines = raid_script(BOTS, random.Random(11), viewers=viewers, within=20.0)
    records = ({"t": round(line.at, 3), "user": line.user, "text": line.text} for line in lines)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def events_of(path: Path) -> list[dict]:
    return [json.loads(row) for row in path.read_text().splitlines()]


def mentions_bot(text: str) -> bool:
    return any(re.search(rf"(?<![\w@])@?{bot}(?!\w)", text, re.I) for bot in BOTS)


def test_rehearsing_a_200_line_raid_answers_for_every_mention(env, tmp_path):
    replay, journal = raid_log(tmp_path), tmp_path / "journal.jsonl"
    config = write_config(tmp_path)
    args = ["--config", str(config), "--replay", str(replay), "--speed", "20"]
    result = run_botdeck("rehearse", *args, "--journal", str(journal), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    events = events_of(journal)

    # Every viewer line that mentions a bot became a mention job, and every job ended once.
    viewer_lines = [e for e in events if e["event"] == "chat" and not e.get("is_bot")]
    assert len(viewer_lines) == 200
    mentioning = {e["msg"] for e in viewer_lines if mentions_bot(e["text"])}
    enqueued = [e for e in events if e["event"] == "enqueued"]
    high = {e["job"]: e["msg"] for e in enqueued if e["priority"] == "high"}
    assert set(high.values()) == mentioning
    ends = Counter(e["job"] for e in events if e["event"] in OUTCOMES)
    assert all(ends[job_id] == 1 for job_id in high)
    assert set(ends.values()) == {1}

    # The report's figures are the journal's.
    answered = sum(1 for e in events if e["event"] == "sent" and e["priority"] == "high")
    assert report["mentions"]["jobs"] == len(high)
    assert report["mentions"]["lines"] == len(mentioning)
    assert report["mentions"]["answered"] == answered
    assert report["mentions"]["share"] == round(answered / len(high), 4)
    assert report["outcomes"]["open"] == 0
    assert report["final_state"] == "drained"
    assert report["backlog_peak"]["size"] > 0

    # `botdeck report` on the same journal says the same.
    again = run_botdeck("report", str(journal), "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert {**json.loads(again.stdout), "journal": None} == {**report, "journal": None}


def test_an_offline_rehearsal_keeps_exact_time(env, tmp_path):
    """On the virtual clock a reply's latency is exactly its delay, however busy the host."""
    replay = tmp_path / "chat.jsonl"
    replay.write_text(
        json.dumps({"t": 0, "user": "viewer", "text": "@pixelsage hi"})
        + "\n"
        + json.dumps({"t": 3600, "user": "viewer", "text": "@pixelsage an hour later"})
        + "\n"
    )
    delays = "[router.delays]\nhigh = [2.5, 2.5]"
    config = write_config(tmp_path, delays=delays, chance=0.0)
    result = run_botdeck(
        "rehearse", "--config", str(config), "--replay", str(replay), "--json", env=env
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["latency_by_priority"]["high"] == {
        "count": 2,
        "p50": 2.5,
        "p95": 2.5,
        "max": 2.5,
    }
    assert report["duration"] == pytest.approx(3602.5, abs=0.01)  # an hour, played at once
    assert "virtual clock" in report["journal"]


@pytest.mark.slow
def test_a_wall_clock_rehearsal_with_the_human_report(env, tmp_path):
    replay = raid_log(tmp_path, viewers=20)
    delays = "[router.delays]\nhigh = [0.01, 0.05]\nnormal = [0.01, 0.05]\nlow = [0.01, 0.05]"
    config = write_config(tmp_path, delays=delays)
    args = ["--config", str(config), "--replay", str(replay), "--speed", "100", "--real-time"]
    result = run_botdeck("rehearse", *args, env=env)
    assert result.returncode == 0, result.stderr
    assert "botdeck report: rehearsal of" in result.stdout
    assert "on the wall clock" in result.stdout
    assert re.search(r"mentions \d+ \(in \d+ lines\), answered \d+ \(100\.0%\)", result.stdout)
    assert "latency, chat line to reply" in result.stdout


def test_a_rehearsal_reports_on_its_own_run_only(env, tmp_path):
    replay, journal = raid_log(tmp_path, viewers=10), tmp_path / "journal.jsonl"
    config = write_config(tmp_path)
    args = ["rehearse", "--config", str(config), "--replay", str(replay), "--journal", str(journal)]
    first = json.loads(run_botdeck(*args, "--json", env=env).stdout)
    second = json.loads(run_botdeck(*args, "--json", env=env).stdout)
    assert first["mentions"] == second["mentions"]  # the seed replays the same run
    both = json.loads(run_botdeck("report", str(journal), "--json", env=env).stdout)
    assert both["runs"] == 2
    assert both["mentions"]["jobs"] == 2 * first["mentions"]["jobs"]


def test_the_configured_ai_is_not_needed_unless_live(env, tmp_path):
    replay = raid_log(tmp_path, viewers=5)
    config = write_config(tmp_path, provider="openai")
    args = ["rehearse", "--config", str(config), "--replay", str(replay)]
    assert run_botdeck(*args, env=env).returncode == 0  # offline replies: no key needed
    live = run_botdeck(*args, "--live-ai", env=env)
    assert live.returncode == 2
    assert "BOTDECK_TEST_UNSET_KEY is not set" in live.stderr
    assert live.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--replay", "missing.jsonl"], "missing.jsonl: file not found"),
        (["--replay", "raid.jsonl", "--speed", "0"], "--speed"),
        (["--replay", "raid.jsonl", "--start", "9999"], "replay_start 9999s is after the last"),
    ],
)
def test_bad_rehearsal_input_exits_2_with_one_line(env, tmp_path, extra, needle):
    raid_log(tmp_path, viewers=5)
    config = write_config(tmp_path)
    result = run_botdeck(
        "rehearse", "--config", str(config), *extra, env=env, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_report_on_a_journal_cut_off_mid_line(env, tmp_path):
    replay, journal = raid_log(tmp_path, viewers=30), tmp_path / "journal.jsonl"
    config = write_config(tmp_path)
    args = ["--config", str(config), "--replay", str(replay), "--journal", str(journal)]
    assert run_botdeck("rehearse", *args, env=env).returncode == 0
    whole = journal.read_bytes()
    lines = whole.count(b"\n")
    journal.write_bytes(whole[: len(whole) - 25])  # killed while writing the last line
    result = run_botdeck("report", str(journal), "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["notes"] == [f"line {lines}: cut off mid-line (the run was killed?): skipped"]
    kept = [json.loads(row) for row in whole.splitlines()[:-1]]
    sent = sum(1 for e in kept if e["event"] == "sent")
    assert report["outcomes"]["sent"] == sent
    human = run_botdeck("report", str(journal), env=env)
    assert human.returncode == 0
    assert "cut off mid-line" in human.stdout


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "file not found"), ("", "empty"), ("not a journal\n", "no journal events")],
)
def test_report_on_a_bad_journal_exits_2_with_one_line(env, tmp_path, content, needle):
    journal = tmp_path / "journal.jsonl"
    if content is not None:
        journal.write_text(content)
    result = run_botdeck("report", str(journal), env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"botdeck: {journal}: ")
    assert needle in result.stderr
    assert result.stderr.count("\n") == 1


# ---------------------------------------------------------------- moderators' actions
# A log that holds moderators' actions, chat modes and a moderator's commands, played
# on the virtual clock.
HELD = "followers-only: make this bot a VIP or moderator, or have it follow"


def log_of(tmp_path: Path, *rows: dict) -> Path:
    """A botdeck JSONL log of `rows` (lines and moderators' actions)."""
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def rehearse(env, tmp_path: Path, log: Path) -> tuple[dict, list[dict]]:
    """`botdeck rehearse --json` of `log` with 2 s mention delays: its report and journal."""
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
    log = log_of(
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
    log = log_of(
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
