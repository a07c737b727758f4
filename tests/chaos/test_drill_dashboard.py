"""`demo --chaos`: a fire drill on the wall clock in the real dashboard (Pilot). A crash
fault kills the run, and the run started again from the journal comes back under the
same dashboard, which keeps answering keys; each fault shows while it lasts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from botdeck.chaos import Drill, parse_plan
from botdeck.config import demo_config
from botdeck.engine import AppendTo, Resume, RunOptions
from botdeck.tui.factory import create_app
from tests.harness.dashboard import screen_text
from tests.harness.journals import events_of

WITHIN = 30.0  # seconds any one wait may take on a busy machine

PLAN = """
[[fault]]
kind = "ai_slow"
at = 0.2
for = 30
latency = 0.5

[[fault]]
kind = "crash"
at = 2
down = 1
"""


async def until(holds: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not holds():
        assert time.monotonic() < deadline, f"{what}: not within {WITHIN}s"
        await asyncio.sleep(0.02)


async def test_a_crash_in_the_dashboard_brings_the_new_run_under_it(tmp_path: Path):
    journal = tmp_path / "drill.jsonl"
    config = demo_config(bots=3, scenario=None, seed=3)
    options = RunOptions(journal=AppendTo(journal), resume=Resume.CLOSE, demo=True, watched=True)
    drill = Drill(config, parse_plan(PLAN, "plan.toml"), options, operator=False)
    with drill.opened() as first:
        app = create_app(first, config, demo=True)

        async def practise() -> int:
            async with app.run_test(size=(120, 40)) as pilot:
                await until(lambda: bool(app.engine.snapshot().faults), "the AI slow shown")
                await pilot.pause()
                assert "DRILL AI" in screen_text(app)
                await until(lambda: drill.lives == 2, "botdeck started again")
                assert drill.session is not None and app.engine is drill.session.engine
                await until(lambda: app.engine.snapshot().queues.sent > 0, "the new run replies")
                await pilot.press("?")  # keys still answer under the new run
                await pilot.press("escape")
                app.engine.stop()  # as an emergency stop would: every job ends, journaled
                await until(lambda: app.engine.state.ended, "the run stopped")
                app.exit()
            await app.session.close()
            return 0

        night = drill.beside(practise(), app.replace_session, start=app.call_later)
        assert await night == 0
        assert first is not drill.session
    events = events_of(journal)
    assert [e["event"] for e in events].count("run") == 2
    assert [e["kind"] for e in events if e["event"] == "fault"] == ["ai_slow", "crash"]
