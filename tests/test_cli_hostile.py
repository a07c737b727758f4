"""`botdeck` as a user runs it, on hostile and extreme input (issue 16): one line and
exit 2 for what it refuses, the normal exit code when only the journal fails, and never
a traceback or a hang (every run has a deadline)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.harness.cli import run_botdeck

CONFIG = '[router]\nrandom_reply_chance = 0.0\n\n[[bots]]\nname = "stickyman1776"\n'


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs"), "PYTHONUNBUFFERED": "1"}


def config(tmp_path: Path) -> str:
    path = tmp_path / "botdeck.toml"
    path.write_text(CONFIG)
    return str(path)


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr and "usage:" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def jsonl(tmp_path: Path, *rows: dict) -> str:
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["demo", "--headless", "--duration", "-1"], "botdeck: --duration: expected"),
        (["demo", "--headless", "--duration", "nan"], "botdeck: --duration: expected"),
        (["demo", "--bots"], "botdeck: --bots: expected one argument"),
        (["demo", "--bots", "99"], "botdeck: --bots: expected 1..8, got 99"),
        (["rehearse", "--replay", "x.jsonl", "--start", "inf"], "botdeck: --start: expected"),
        (["rehearse", "--replay", "x.jsonl", "--speed", "0"], "botdeck: --speed: expected"),
        (["nope"], "botdeck: COMMAND: invalid choice: 'nope'"),
        ([], "botdeck: the following arguments are required: COMMAND"),
        # `report` alone reads the latest run (tests/test_cli.py); two journals are too many
        (["report", "a.jsonl", "b.jsonl"], "botdeck: unrecognized arguments: b.jsonl"),
    ],
)
def test_a_bad_flag_is_one_line_without_the_usage_block(env, args, needle):
    result = run_botdeck(*args, env=env, timeout=30)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith(needle) and "--help" in line


def test_help_still_shows_the_usage(env):
    result = run_botdeck("demo", "--help", env=env, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("usage: botdeck demo")


def test_an_unknown_theme_is_refused_headless_too(env):
    result = run_botdeck("demo", "--headless", "--theme", "nope", env=env, timeout=30)
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("botdeck: --theme: unknown theme 'nope'")


def test_a_known_theme_is_fine_headless(env):
    result = run_botdeck(
        "demo", "--headless", "--theme", "low-glare", "--scenario", "questions:count=1,within=0",
        env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def journal_fills_up(tmp_path: Path, env: dict[str, str]) -> dict[str, object]:
    """Run options under which the journal's writes fail part way, as on a full disk: the
    process may write files of at most 1,500 bytes (RLIMIT_FSIZE; Python ignores SIGXFSZ,
    so the write fails with EFBIG). The log goes nowhere, so the journal is the only file
    written. (A journal is only ever a regular file, so /dev/full cannot stand in.)"""
    resource = pytest.importorskip("resource")
    blocker = tmp_path / "no-logs"
    blocker.write_text("a file where the log folder would be: botdeck logs nowhere")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))

    return {"env": {**env, "BOTDECK_LOG_DIR": str(blocker / "logs")}, "preexec_fn": limit}


def test_a_full_disk_for_the_journal_is_a_notice_and_the_run_ends_normally(env, tmp_path):
    result = run_botdeck(
        "demo", "--headless", "--journal", str(tmp_path / "j.jsonl"),
        "--scenario", "questions:count=2,within=0", timeout=60, **journal_fills_up(tmp_path, env),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    notices = [line for line in result.stdout.splitlines() if "journal stopped" in line]
    assert len(notices) == 1 and "File too large" in notices[0]
    assert "2 mentions, 2 answered" in result.stdout


def test_a_rehearsal_whose_journal_fails_says_so_instead_of_a_report(env, tmp_path):
    replay = jsonl(tmp_path, *({"t": 0, "user": "viewer", "text": "@stickyman1776 hi"},) * 5)
    result = run_botdeck(
        "rehearse", "--config", config(tmp_path), "--replay", replay,
        "--journal", str(tmp_path / "j.jsonl"), timeout=60, **journal_fills_up(tmp_path, env),
    )  # fmt: skip
    assert result.returncode == 0
    line = one_line(result.stderr)
    assert "journal stopped" in line and "File too large; no report" in line


@pytest.mark.parametrize("command", ["rehearse", "report", "check"])
def test_dev_zero_is_refused_at_once_with_one_line(env, tmp_path, command):
    args = {
        "rehearse": ["rehearse", "--config", config(tmp_path), "--replay", "/dev/zero"],
        "report": ["report", "/dev/zero"],
        "check": ["check", "--config", "/dev/zero"],
    }[command]
    result = run_botdeck(*args, env=env, timeout=30)
    assert result.returncode == 2
    assert "/dev/zero: is a device" in one_line(result.stderr)


def test_a_log_spanning_a_billion_seconds_rehearses_in_seconds(env, tmp_path):
    replay = jsonl(
        tmp_path,
        {"t": 0, "user": "viewer", "text": "@stickyman1776 hi"},
        {"t": 1e9, "user": "viewer", "text": "@stickyman1776 still there?"},
    )
    result = run_botdeck(
        "rehearse", "--config", config(tmp_path), "--replay", replay, "--json",
        env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mentions"]["answered"] == 2
    assert "played as 3600 s" in result.stderr


def test_a_unix_time_log_with_start_0_plays_from_its_first_line(env, tmp_path):
    replay = jsonl(
        tmp_path,
        {"t": 1_700_000_000, "user": "viewer", "text": "@stickyman1776 hi"},
        {"t": 1_700_000_030, "user": "viewer", "text": "@stickyman1776 again"},
    )
    result = run_botdeck(
        "rehearse", "--config", config(tmp_path), "--replay", replay, "--start", "0", "--json",
        env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mentions"]["answered"] == 2 and report["duration"] < 60


def test_report_on_a_journal_with_an_absurd_ts_and_deep_nesting(env, tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        '{"ts": 1795000000, "event": "state", "state": "running"}\n'
        '{"ts": 1e20, "event": "state", "state": "draining"}\n'
        + '{"ts": 1795000001, "event": "chat", "msg": '
        + "[" * 100_000
        + "]" * 100_000
        + "}\n"
    )
    for extra in ([], ["--json"]):
        result = run_botdeck("report", str(journal), *extra, env=env, timeout=30)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert "not a Unix time" in result.stdout and "nested deeper than 64" in result.stdout
