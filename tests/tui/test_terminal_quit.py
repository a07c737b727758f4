"""Quitting the dashboard in a real terminal (tmux): ctrl+q, SIGTERM and SIGHUP each drain
every queued reply, leave a complete journal, and give the terminal back as it was."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.harness.journals import OUTCOMES, events_so_far
from tests.harness.tmux import (
    Pane,
    pane_flags,
    pid_alive,
    session_running,
    tmux,
    wait_for_screen,
)
from tests.harness.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]

# 24 mentions at once, two replies at a time, 0.4 s each: about 5 s of queue to drain
# (and the raid's greeting: the scenario tells the raid first, as Twitch does).
CONFIG = """
[router]
global_concurrency = 2
per_bot_concurrency = 1
random_reply_chance = 0.0
[router.delays]
high = [0.4, 0.4]
normal = [0.4, 0.4]
low = [0.4, 0.4]

[send_limits]
enabled = false

[chat]
source = "simulated"
scenario = "raid"
seed = 3
[chat.scenario_params]
viewers = 24
within = 0.5
mention_share = 1.0

[[bots]]
name = "stickyman1776"
[[bots]]
name = "pixelsage"
"""


def assert_drained_and_complete(journal: list[dict]) -> None:
    enqueued = [e["job"] for e in journal if e["event"] == "enqueued"]
    ends = Counter(e["job"] for e in journal if e["event"] in OUTCOMES)
    assert len(enqueued) == 25  # the 24 mentions and the raid's greeting
    assert set(enqueued) == set(ends) and set(ends.values()) == {1}
    assert {e["event"] for e in journal if e["event"] in OUTCOMES} == {"sent"}
    states = [e["state"] for e in journal if e["event"] == "state"]
    assert states == ["draining", "drained"], states


def start(tmp_path: Path, name: str, module: str = "botdeck"):
    (tmp_path / "botdeck.toml").write_text(CONFIG)
    args = ["run", "--config", "botdeck.toml", "--journal", "journal.jsonl"]
    env = {"BOTDECK_LOG_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return session_running(name, args, tmp_path, module=module, **env)


def wait_for_queue(session: str, journal: Path) -> int:
    wait_for_screen(session, lambda s: "router: running" in s, timeout=30)
    wait_for(
        lambda: sum(e["event"] == "enqueued" for e in events_so_far(journal)) == 25,
        within=30,
        what="the raid queued",
    )
    return int((journal.parent / "pid").read_text())


def wait_for_exit(pane: Pane) -> str:
    code = pane.exit_code(timeout=60)
    screen = wait_for_screen(pane.session, lambda s: "botdeck-exited" in s, timeout=10)
    assert pane_flags(pane.session) == "0 0"  # out of the alternate screen, no mouse reporting
    assert "Traceback" not in screen
    return code


@pytest.mark.parametrize("how", ["ctrl+q", "SIGTERM", "SIGHUP"])
def test_quitting_drains_completes_the_journal_and_restores_the_terminal(tmp_path, how):
    journal = tmp_path / "journal.jsonl"
    with start(tmp_path, f"botdeck-quit-{how.replace('+', '-')}") as pane:
        session = pane.session
        pid = wait_for_queue(session, journal)
        if how == "ctrl+q":
            tmux("send-keys", "-t", session, "C-q")
        else:
            os.kill(pid, getattr(signal, how))
        wait_for_screen(session, lambda s: "router: draining" in s or "drained" in s, 10)
        assert wait_for_exit(pane) == "0"
    assert_drained_and_complete(events_so_far(journal))
    assert "Traceback" not in (tmp_path / "botdeck.log").read_text()


def test_closing_the_terminal_window_drains_without_a_screen(tmp_path):
    journal = tmp_path / "journal.jsonl"
    with start(tmp_path, "botdeck-hangup") as pane:
        session = pane.session
        pid = wait_for_queue(session, journal)
        subprocess.run(["tmux", "kill-session", "-t", session], check=True)  # SIGHUP
        wait_for(lambda: not pid_alive(pid), within=60, what="botdeck exited")
    assert_drained_and_complete(events_so_far(journal))
    log = (tmp_path / "botdeck.log").read_text()
    assert "draining without a screen" in log
    assert "Traceback" not in log


def test_a_dashboard_that_fails_mid_raid_restores_the_terminal_and_the_run_goes_on(tmp_path):
    """A widget raises while the raid is queued: the terminal is given back, one line says
    what failed and where the traceback is, and the same process answers every mention,
    drains and exits as a headless run does (0)."""
    journal = tmp_path / "journal.jsonl"
    with start(tmp_path, "botdeck-fails", module="tests.fakes.failing_dashboard") as pane:
        wait_for_screen(pane.session, lambda s: "the dashboard failed" in s, timeout=30)
        assert pane_flags(pane.session) == "0 0"  # out of the alternate screen, no mouse
        screen = tmux("capture-pane", "-p", "-J", "-t", pane.session)  # wrapped lines joined
        assert f"traceback in {tmp_path / 'botdeck.log'}" in screen
        assert "Traceback" not in screen
        assert wait_for_exit(pane) == "0"
    assert_drained_and_complete(events_so_far(journal))
    log = (tmp_path / "botdeck.log").read_text()
    assert "RuntimeError: a widget bug, injected by the test" in log  # the traceback, logged
