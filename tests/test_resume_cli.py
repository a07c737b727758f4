"""A crash mid-raid, then a restart: `botdeck run` killed with SIGKILL, run again on the
same journal. Over the whole file, every job has exactly one outcome and every mention
was answered or expired."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.harness.journals import OUTCOMES
from tests.harness.waiting import wait_for

# 40 viewers within a second, two replies at a time, 0.3 s each: about 6 s of queue.
CONFIG = """
[router]
global_concurrency = 2
per_bot_concurrency = 1
random_reply_chance = 0.5
max_depth = 1
[router.delays]
high = [0.3, 0.3]
normal = [0.3, 0.3]
low = [0.3, 0.3]

[send_limits]
enabled = false

[chat]
source = "simulated"
scenario = "raid"
seed = 4
[chat.scenario_params]
viewers = 40
within = 1
mention_share = 0.8

[[bots]]
name = "stickyman1776"
[[bots]]
name = "pixelsage"
"""


def read(journal: Path) -> list[dict]:
    if not journal.exists():
        return []
    rows = journal.read_text(encoding="utf-8").splitlines()
    events = []
    for row in rows:
        try:
            events.append(json.loads(row))
        except json.JSONDecodeError:
            continue  # a line the kill cut off
    return events


def botdeck(tmp_path: Path, *extra: str, config: str = "botdeck.toml") -> subprocess.Popen[str]:
    env = {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}
    args = ["run", "--headless", "--config", config, "--journal", "journal.jsonl"]
    return subprocess.Popen(
        [sys.executable, "-m", "botdeck", *args, *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def mid_raid(journal: Path) -> bool:
    events = read(journal)
    sent = sum(e["event"] == "sent" for e in events)
    ended = {e["job"] for e in events if e["event"] in OUTCOMES}
    waiting = {e["job"] for e in events if e["event"] == "enqueued"} - ended
    return sent >= 4 and len(waiting) >= 10


@pytest.mark.slow
def test_a_run_killed_mid_raid_is_resumed_and_every_mention_is_answered_or_expired(tmp_path):
    (tmp_path / "botdeck.toml").write_text(CONFIG)
    journal = tmp_path / "journal.jsonl"
    first = botdeck(tmp_path)
    try:
        wait_for(lambda: mid_raid(journal), within=60, what="a raid under way")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
    killed = read(journal)
    left_open = {e["job"] for e in killed if e["event"] == "enqueued"} - {
        e["job"] for e in killed if e["event"] in OUTCOMES
    }
    assert left_open  # the kill left jobs without an outcome

    second = botdeck(tmp_path)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "Traceback" not in err
    assert "resumed " in err and " mentions from journal.jsonl" in err

    events = read(journal)
    enqueued = [e["job"] for e in events if e["event"] == "enqueued"]
    assert len(enqueued) == len(set(enqueued))  # ids unique across both runs
    ends = Counter(e["job"] for e in events if e["event"] in OUTCOMES)
    assert set(enqueued) == set(ends) and set(ends.values()) == {1}
    outcome = {e["job"]: e for e in events if e["event"] in OUTCOMES}

    def answered_or_expired(job: int) -> bool:
        end = outcome[job]
        if end["event"] == "sent":
            return True
        if end["event"] == "skipped" and end["reason"] == "resumed":
            return answered_or_expired(end["resumed_as"])
        return end["event"] == "skipped" and end["reason"] == "expired"

    mentions = [e["job"] for e in events if e["event"] == "enqueued" and e["priority"] == "high"]
    assert all(answered_or_expired(job) for job in mentions)
    for job in left_open:  # what the kill left open ended in the restart
        assert outcome[job]["event"] == "skipped"
        assert outcome[job]["reason"] in {"resumed", "expired"}
    resumed = [e for e in events if e["event"] == "enqueued" and "resumes" in e]
    assert resumed and all(outcome[e["resumes"]]["resumed_as"] == e["job"] for e in resumed)
    assert all(outcome[e["job"]]["event"] == "sent" for e in resumed)


def killed_mid_raid(tmp_path: Path, config: str = "botdeck.toml") -> list[dict]:
    """A run killed with SIGKILL while replies wait; its journal's events."""
    journal = tmp_path / "journal.jsonl"
    first = botdeck(tmp_path, config=config)
    try:
        wait_for(lambda: mid_raid(journal), within=60, what="a raid under way")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
    return read(journal)


@pytest.mark.slow
def test_a_killed_run_of_one_channel_is_not_resumed_by_another_channel(tmp_path):
    """kill -9 a #testchan run, start #otherchan with the same --journal: nothing of
    testchan is answered in otherchan; one line says whose journal it is."""
    chat = '[chat]\nsource = "simulated"\n'
    for channel in ("testchan", "otherchan"):
        text = CONFIG.replace(chat, f'{chat}channel = "{channel}"\n')
        assert text != CONFIG
        (tmp_path / f"{channel}.toml").write_text(text)
    killed = killed_mid_raid(tmp_path, "testchan.toml")
    assert killed[0]["event"] == "run" and killed[0]["channel"] == "testchan"
    ended = {e["job"] for e in killed if e["event"] in OUTCOMES}
    left_open = {e["job"] for e in killed if e["event"] == "enqueued"} - ended

    second = botdeck(tmp_path, config="otherchan.toml")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "Traceback" not in err
    said = [row for row in err.splitlines() if "#testchan" in row]
    assert len(said) == 1 and "is #testchan's journal, not #otherchan's" in said[0], err
    assert f"({len(left_open)} open jobs left alone)" in said[0]

    after = read(tmp_path / "journal.jsonl")[len(killed) :]
    assert after[0]["event"] == "run" and after[0]["channel"] == "otherchan"
    assert not [e for e in after if e.get("job") in left_open]  # no outcome written for them
    assert not [e for e in after if "resumes" in e]  # nothing taken over
    # What this run read: its chat lines, and its channel's events (the raid it greeted).
    read_here = {e["msg"] for e in after if e["event"] in ("chat", "channel_event")}
    answered = {e["msg"] for e in after if e["event"] == "sent"}
    assert answered and answered <= read_here  # only otherchan's own lines were answered
