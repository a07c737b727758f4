"""`botdeck demo` in a real terminal (tmux): first frame, `d` drains, `q` quits with 0."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.harness.tmux import session_running, tmux, wait_for_screen

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_demo_in_a_real_terminal_drains_and_quits(tmp_path: Path):
    env = {"BOTDECK_LOG_DIR": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    started = time.monotonic()
    with session_running("botdeck-smoke", ["demo", "--seed", "2"], tmp_path, **env) as pane:
        session = pane.session
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
        assert pane.exit_code(timeout=40) == "0"
        assert first_frame < 20
        journals = tmp_path / "botdeck" / "journal"  # kept without --journal: said on exit
        [kept] = journals.iterdir()
        said = f"botdeck: journal: {kept}"
        wait_for_screen(session, lambda s: said in "".join(s.splitlines()), timeout=5)
    log = (tmp_path / "botdeck.log").read_text()
    assert "Traceback" not in log


def test_the_queue_inspector_cancels_one_reply_in_a_real_terminal(tmp_path: Path):
    """Open a bot's queue with `1`, cancel the selected reply with `c`: the journal has it
    skipped by the operator, and every other reply still gets exactly one outcome."""
    journal = tmp_path / "journal.jsonl"
    args = ["demo", "--seed", "2", "--journal", str(journal)]
    with session_running("botdeck-queue", args, tmp_path, BOTDECK_LOG_DIR=str(tmp_path)) as pane:
        session = pane.session
        wait_for_screen(session, lambda s: "router: running" in s and "q Quit" in s, timeout=20)
        tmux("send-keys", "-t", session, "r")  # a raid: every bot gets a queue
        wait_for_screen(session, lambda s: "BACKLOG" in s, timeout=20)
        tmux("send-keys", "-t", session, "1")
        screen = wait_for_screen(
            session, lambda s: "queue: stickyman1776" in s and "c Cancel" in s, timeout=10
        )
        assert re.search(r"job +pri +phase +age +viewer", screen), screen  # ids, as toasts
        tmux("send-keys", "-t", session, "c")
        wait_for_screen(session, lambda s: "cancelled" in s, timeout=10)
        tmux("send-keys", "-t", session, "x")
        wait_for_screen(session, lambda s: "y Stop now" in s, timeout=10)
        tmux("send-keys", "-t", session, "y")
        wait_for_screen(session, lambda s: "router: stopped" in s, timeout=10)
        tmux("send-keys", "-t", session, "q")
        assert pane.exit_code(timeout=30) == "130"
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
