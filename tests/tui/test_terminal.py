"""`botdeck demo` in a real terminal (tmux): first frame, `d` drains, `q` quits with 0."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
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
