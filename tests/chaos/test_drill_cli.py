"""Fire drills as a user runs them (subprocesses): `rehearse --chaos`, the shipped drill
headless (`demo --chaos default --headless`), and plans refused with one line naming the
fault and its line."""

from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from botdeck.chaos import PlanError, parse_plan
from tests.harness.chaos import chat_log
from tests.harness.cli import run_botdeck
from tests.harness.journals import OUTCOMES, events_of

CONFIG = """
[router]
random_reply_chance = 0.0

[ai]
provider = "offline"

[[bots]]
name = "stickyman1776"

[[bots]]
name = "pixelsage"

[[bots]]
name = "genejacqueman"
role = "moderator"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}


def shipped_kinds() -> list[str]:
    text = resources.files("botdeck.chaos").joinpath("drill.toml").read_text()
    return [fault["kind"] for fault in tomllib.loads(text)["fault"]]


def every_job_ended_once(events: list[dict[str, object]]) -> None:
    enqueued = {e["job"] for e in events if e["event"] == "enqueued"}
    ended = [e["job"] for e in events if e["event"] in OUTCOMES]
    assert sorted(ended) == sorted(enqueued)


def test_rehearse_with_the_shipped_drill(tmp_path: Path, env: dict[str, str]):
    config = tmp_path / "botdeck.toml"
    config.write_text(CONFIG)
    log = chat_log(tmp_path / "chat.jsonl", seconds=660)
    journal = tmp_path / "night.jsonl"
    result = run_botdeck(
        "rehearse", "--config", str(config), "--replay", str(log),
        "--chaos", "default", "--journal", str(journal),
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.rstrip().splitlines()
    assert re.fullmatch(r"lost: \d+ mentions?", lines[-1])  # the contract's last line
    assert "faults, and what each cost" in result.stdout
    events = events_of(journal)
    faults = [e["kind"] for e in events if e["event"] == "fault"]
    assert sorted(faults) == sorted(shipped_kinds())  # every fault journaled
    assert [e["event"] for e in events].count("run") == 2  # the crash, then a restart
    every_job_ended_once(events)  # the killed run's open jobs resumed or expired


def test_the_shipped_drill_headless(tmp_path: Path, env: dict[str, str]):
    journal = tmp_path / "drill.jsonl"
    result = run_botdeck(
        "demo", "--chaos", "default", "--headless", "--journal", str(journal), env=env
    )
    assert result.returncode == 0, result.stderr
    kinds = shipped_kinds()
    assert f"drill: {len(kinds)} faults, 2 runs" in result.stdout
    assert re.search(r"^  lost: \d+ mentions? ", result.stdout, re.M)
    events = events_of(journal)
    assert sorted(e["kind"] for e in events if e["event"] == "fault") == sorted(kinds)
    every_job_ended_once(events)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (
            '[[fault]]\nkind = "ai_down"\nat = 60\nfor = 60\n\n'
            '[[fault]]\nkind = "ai_slow"\nat = 90\nfor = 30\n',
            "plan.toml:6: fault 2 (ai_slow at 1:30): overlaps fault 1 (ai_down at 1:00)",
        ),
        ('[[fault]]\nkind = "nope"\nat = 60\n', "plan.toml:2: fault 1: unknown kind 'nope'"),
        ("[[fault]]\nat = 60\n", "plan.toml:1: fault 1: no kind"),
        (
            '[[fault]]\nkind = "ai_down"\nat = 60\nmood = 3\n',
            "plan.toml:4: fault 1 (ai_down): mood",
        ),
        ('[[fault]]\nkind = "ai_slow"\nat = "x"\n', "plan.toml:3: fault 1 (ai_slow): at:"),
    ],
)
def test_plans_refused(plan: str, message: str):
    with pytest.raises(PlanError) as refused:
        parse_plan(plan, "plan.toml")
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_a_fault_beyond_the_log_is_refused(tmp_path: Path, env: dict[str, str]):
    config = tmp_path / "botdeck.toml"
    config.write_text(CONFIG)
    log = chat_log(tmp_path / "chat.jsonl", seconds=120)
    plan = tmp_path / "plan.toml"
    plan.write_text('[[fault]]\nkind = "raid"\nat = 60\n\n[[fault]]\nkind = "crash"\nat = 300\n')
    result = run_botdeck(
        "rehearse", "--config", str(config), "--replay", str(log), "--chaos", str(plan),
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"botdeck: {plan}:5: fault 2 (crash at 5:00)")


def test_an_unknown_kind_is_refused_by_the_demo(tmp_path: Path, env: dict[str, str]):
    plan = tmp_path / "plan.toml"
    plan.write_text('[[fault]]\nkind = "ai_down"\nat = 60\n\n[[fault]]\nkind = "meteor"\nat = 9\n')
    result = run_botdeck("demo", "--chaos", str(plan), "--headless", env=env, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"botdeck: {plan}:6: fault 2: unknown kind 'meteor'")
