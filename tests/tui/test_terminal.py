"""`botdeck demo` in a real terminal (tmux): first frame, `d` drains, `q` quits with 0."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.tui.tmux import tmux, wait_for_screen

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_demo_in_a_real_terminal_drains_and_quits(tmp_path: Path):
    session = f"botdeck-smoke-{os.getpid()}"
    exit_file = tmp_path / "exit-code"
    # A test runner may export COLUMNS/LINES, which would pin the app to 80x24.
    log_dir, python, exit_path = map(shlex.quote, map(str, (tmp_path, sys.executable, exit_file)))
    command = (
        f"unset COLUMNS LINES; BOTDECK_LOG_DIR={log_dir} XDG_DATA_HOME={log_dir} "
        f"{python} -m botdeck demo --seed 2; "
        f"echo $? > {exit_path}"
    )
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "sh")
    try:
        # Without an attached client some tmux versions fall back to 80x24: pin the size.
        tmux("set-option", "-t", session, "window-size", "manual")
        tmux("resize-window", "-t", session, "-x", "120", "-y", "40")
        tmux("send-keys", "-t", session, command, "Enter")
        started = time.monotonic()
        first = wait_for_screen(
            session, lambda s: "router: running" in s and "q Quit" in s, timeout=20
        )
        first_frame = time.monotonic() - started
        assert "stickyman1776" in first and "pixelsage" in first and "chat" in first
        assert max(len(row) for row in first.splitlines()) == 120
        assert "d Drain" in first and "q Quit" in first
        wait_for_screen(session, lambda s: "➤" in s, timeout=30)  # a bot has replied
        tmux("send-keys", "-t", session, "d")
        wait_for_screen(session, lambda s: "router: drain" in s, timeout=5)
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 40
        while not exit_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "0"
        assert first_frame < 20
        journals = tmp_path / "botdeck" / "journal"  # kept without --journal: said on exit
        [kept] = journals.iterdir()
        said = f"botdeck: journal: {kept}"
        wait_for_screen(session, lambda s: said in "".join(s.splitlines()), timeout=5)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    log = (tmp_path / "botdeck.log").read_text()
    assert "Traceback" not in log


def test_the_queue_inspector_cancels_one_reply_in_a_real_terminal(tmp_path: Path):
    """Open a bot's queue with `1`, cancel the selected reply with `c`: the journal has it
    skipped by the operator, and every other reply still gets exactly one outcome."""
    session = f"botdeck-queue-{os.getpid()}"
    exit_file = tmp_path / "exit-code"
    journal = tmp_path / "journal.jsonl"
    log_dir, python, exit_path, journal_path = map(
        shlex.quote, map(str, (tmp_path, sys.executable, exit_file, journal))
    )
    command = (
        f"unset COLUMNS LINES; BOTDECK_LOG_DIR={log_dir} {python} -m botdeck demo --seed 2"
        f" --journal {journal_path}; echo $? > {exit_path}"
    )
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "sh")
    try:
        tmux("set-option", "-t", session, "window-size", "manual")
        tmux("resize-window", "-t", session, "-x", "120", "-y", "40")
        tmux("send-keys", "-t", session, command, "Enter")
        wait_for_screen(session, lambda s: "router: running" in s and "q Quit" in s, timeout=20)
        tmux("send-keys", "-t", session, "r")  # a raid: every bot gets a queue
        wait_for_screen(session, lambda s: "BACKLOG" in s, timeout=20)
        tmux("send-keys", "-t", session, "1")
        screen = wait_for_screen(
            session, lambda s: "queue: stickyman1776" in s and "c Cancel" in s, timeout=10
        )
        assert "#   pri  phase  age  viewer" in screen
        tmux("send-keys", "-t", session, "c")
        wait_for_screen(session, lambda s: "cancelled" in s, timeout=10)
        tmux("send-keys", "-t", session, "x")
        wait_for_screen(session, lambda s: "y Stop now" in s, timeout=10)
        tmux("send-keys", "-t", session, "y")
        wait_for_screen(session, lambda s: "router: stopped" in s, timeout=10)
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 30
        while not exit_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "130"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    by_operator = [e for e in events if e.get("reason") == "operator"]
    assert len(by_operator) == 1 and by_operator[0]["event"] == "skipped"
    assert by_operator[0]["bot"] == "stickyman1776"
    outcomes = Counter(
        e["job"] for e in events if e["event"] in ("sent", "failed", "skipped", "cancelled")
    )
    assert set(outcomes.values()) == {1}
    assert {e["job"] for e in events if e["event"] == "enqueued"} <= set(outcomes)
    assert "Traceback" not in (tmp_path / "botdeck.log").read_text()
