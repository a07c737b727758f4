"""`botdeck demo --mention-rate R`: the simulated chat gets about R more mentions a minute,
drawn as a rehearsal's (`draw_mentions`) from its own questions and viewers, seeded by the
demo's seed and journaled `synthetic`; `botdeck run` has no such flag."""

from __future__ import annotations

import io
import json
import os
import random
import re
import time
from pathlib import Path

import pytest

from botdeck.chat.rehearsal_lines import with_scripted_mentions
from botdeck.chat.simulated import (
    QUESTIONS,
    ScriptedLine,
    SimulatedChat,
    mixed_script,
    scenario_lines,
)
from botdeck.commands.headless import run_headless
from botdeck.config import demo_config
from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual, wall_clock
from botdeck.engine import RunSession, build_engine, demo_source
from tests.harness.cli import run_botdeck
from tests.harness.dashboard import app_for, wait_until

BOTS = ("alpha_bot", "beta_bot")


def test_mentions_are_drawn_from_the_scripts_own_questions_and_viewers():
    script = mixed_script(BOTS, random.Random(4), duration=120.0)
    mentioned = with_scripted_mentions(iter(script), BOTS, 30, seed=4)
    lines = list(mentioned.script)
    made_up = [line for line in lines if isinstance(line, ScriptedLine) and line.synthetic]
    assert [line for line in lines if not line.synthetic] == script  # the chat as it was
    assert 30 <= len(made_up) <= 90  # about 30 a minute for two minutes, seeded
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    assert made_up[-1].at < script[-1].at  # they end with the chat
    viewers = {line.user for line in script}
    asked = {re.sub(r"^(?:@\S+\s+)+", "", line.text) for line in script}
    for line in made_up:
        bot, _, question = line.text.partition(" ")
        assert bot in ("@alpha_bot", "@beta_bot") and line.user in viewers
        assert question in asked
    again = with_scripted_mentions(iter(script), BOTS, 30, seed=4).script
    assert [line for line in again if line.synthetic] == made_up  # the seed decides
    other = with_scripted_mentions(iter(script), BOTS, 30, seed=5).script
    assert [line for line in other if line.synthetic] != made_up


def test_a_raid_that_asks_nothing_asks_the_usual_questions_of_its_own_viewers():
    mentioned = with_scripted_mentions(scenario_lines("raid", BOTS, 2), BOTS, 600, seed=2)
    lines = list(mentioned.script)
    made_up = [line for line in lines if isinstance(line, ScriptedLine) and line.synthetic]
    assert made_up and mentioned.questions == len(QUESTIONS)
    raiders = {line.user for line in lines if isinstance(line, ScriptedLine)}
    assert all(line.text.split(" ", 1)[1] in QUESTIONS for line in made_up)
    assert {line.user for line in made_up} <= raiders


def test_the_simulated_chat_marks_them_synthetic_and_counts_them_apart():
    script = [ScriptedLine(0.1, "Viewer1", "hello"), ScriptedLine(0.3, "viewer2", "gg")]
    made_up = ScriptedLine(0.2, "viewer2", "@alpha_bot what game is this?", synthetic=True)
    chat = SimulatedChat([script[0], made_up, script[1]], speed=1.0)

    async def read() -> list:
        return [event async for event in chat]

    messages = run_virtual(read(), loop=VirtualTimeLoop())
    assert [(m.id, m.synthetic) for m in messages] == [
        ("sim-1", False),
        ("synthetic-1", True),
        ("sim-2", False),
    ]  # the script's own ids are those it has without --mention-rate


def demo_run(rate: float | None, duration: float = 20.0) -> list[dict]:
    """The headless demo `--mention-rate` plays (the mixed chat's minute), on a virtual
    clock: its journal."""
    config = demo_config(bots=3, scenario="mixed", seed=3)
    loop = VirtualTimeLoop()
    clock = wall_clock(loop, start=0.0)
    notes: list[str] = []
    source = demo_source(config, rate, clock=clock, keep_open=False, endless=False, notes=notes)
    assert (source is None) == (rate is None) and len(notes) == (rate is not None)
    stream = io.StringIO()
    engine = build_engine(config, journal_stream=stream, clock=clock, source=source)
    code = run_virtual(run_headless(RunSession(engine, duration=duration)), loop=loop)
    assert code == 0
    return [json.loads(row) for row in stream.getvalue().splitlines()]


def test_a_demo_with_a_mention_rate_answers_its_synthetic_mentions():
    events = demo_run(60)
    chat = [e for e in events if e["event"] == "chat"]
    synthetic = [e for e in chat if e.get("synthetic")]
    assert 8 <= len(synthetic) <= 35  # about 60 a minute for 20 s, seeded
    assert all(e["msg"].startswith("synthetic-") for e in synthetic)
    bots = demo_config(bots=3).bot_names
    regulars = {line.user for line in scenario_lines("mixed", bots, 3)}  # the chat's minute
    assert {e["user"] for e in synthetic} <= regulars
    sent = {e["msg"] for e in events if e["event"] == "sent"}
    assert {e["msg"] for e in synthetic} <= sent  # every synthetic mention answered
    assert not any(e.get("synthetic") for e in events if e["event"] != "chat")
    again = [(e["user"], e["text"]) for e in demo_run(60) if e.get("synthetic")]
    assert again == [(e["user"], e["text"]) for e in synthetic]  # the seed decides


def test_a_demo_without_a_mention_rate_makes_nothing_up():
    events = demo_run(None)
    assert sum(e["event"] == "chat" for e in events) > 5
    assert not any(e.get("synthetic") for e in events)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}


@pytest.mark.slow
def test_botdeck_demo_headless_with_a_mention_rate(env, tmp_path):
    journal = tmp_path / "journal.jsonl"
    result = run_botdeck(
        "demo", "--headless", "--mention-rate", "60", "--duration", "20", "--seed", "3",
        "--journal", str(journal), env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "botdeck: demo: about 60 synthetic mentions a minute (--mention-rate)" in result.stderr
    events = [json.loads(row) for row in journal.read_text().splitlines()]
    synthetic = [e for e in events if e["event"] == "chat" and e.get("synthetic")]
    assert 8 <= len(synthetic) <= 35
    sent = {e["msg"] for e in events if e["event"] == "sent"}
    assert {e["msg"] for e in synthetic} <= sent


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "601", "lots"])
def test_a_bad_rate_is_one_line(env, value):
    result = run_botdeck("demo", "--headless", "--mention-rate", value, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("botdeck: --mention-rate: expected mentions per minute")
    assert result.stderr.count("\n") == 1


def test_run_has_no_mention_rate(env):
    """Nothing made up reaches a live channel: `run` refuses the flag before it reads a
    config."""
    result = run_botdeck("run", "--headless", "--mention-rate", "2", env=env)
    assert result.returncode == 2 and "unrecognized arguments: --mention-rate" in result.stderr
    assert result.stderr.count("\n") == 1


async def test_the_dashboards_demo_answers_synthetic_mentions_in_its_endless_chat():
    """`botdeck demo --mention-rate R` with the dashboard: the demo's endless mixed chat,
    with the made-up mentions among its lines, answered like any other."""
    config = demo_config(bots=3, seed=3)
    notes: list[str] = []
    source = demo_source(config, 300, clock=time.time, keep_open=True, endless=True, notes=notes)
    journal = io.StringIO()
    app = app_for(config, demo=True, source=source, journal=journal)

    def answered() -> set[str]:
        events = [json.loads(row) for row in journal.getvalue().splitlines()]
        made_up = {e["msg"] for e in events if e["event"] == "chat" and e.get("synthetic")}
        return made_up & {e["msg"] for e in events if e["event"] == "sent"}

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(answered()) >= 2, within=60)
    assert all(msg.startswith("synthetic-") for msg in answered())
