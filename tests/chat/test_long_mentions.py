"""A mention is found on the whole line, before the line is cut for display (issue 16):
400 emotes ending in "@bot" is 2,405 characters, past the 2,000 shown, and still a
mention, headless and (tests/tui/test_replay_app.py) in the dashboard."""

from __future__ import annotations

import json
import random
from pathlib import Path

from botdeck.ai.offline import OfflineResponder
from botdeck.chat.simulated import ScriptedLine, SimulatedChat
from botdeck.config import parse_config
from botdeck.core.mentions import MentionFinder
from botdeck.core.text import MAX_LINE_CHARS
from botdeck.engine import EngineSettings, SourceParts, assemble
from botdeck.engine.orchestrator import Orchestrator
from botdeck.model.chat import ChatMessage
from botdeck.model.events import EngineEvent, JobChanged
from botdeck.model.jobs import JobStage, Outcome
from tests.harness.engine import journal_of_run, orchestrator_settings
from tests.harness.virtual_time import run_virtual

EMOTES = " ".join(["Kappa"] * 400)  # 2,399 characters


def test_the_finder_keeps_the_orchestrators_rule():
    finder = MentionFinder(["StickyMan1776", "pixelsage"])
    text = "PIXELSAGE hi, mail me@stickyman1776 or @StickyMan1776! pixelsage again"
    assert finder.find(text) == ["pixelsage", "stickyman1776"]
    assert finder.find("stickyman17765 @pixelsage_ x@pixelsage") == []
    assert MentionFinder([]).find("anything") == []


def test_the_orchestrator_counts_the_sources_mentions_past_the_cut():
    settings = orchestrator_settings(random_reply_chance=0.0)
    orchestrator = Orchestrator(["pixelsage"], settings, random.Random(1))
    cut = ChatMessage("m", "viewer", EMOTES[:1999] + "…", 0.0, mentions=("pixelsage",))
    assert [plan.bot for plan in orchestrator.plan(cut)] == ["pixelsage"]


def replay_events(tmp_path: Path, rows: list[dict]) -> list[dict]:
    replay = tmp_path / "chat.jsonl"
    replay.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = parse_config(
        {
            "router": {"random_reply_chance": 0.0, "max_depth": 0},
            "chat": {"source": "replay", "replay_file": str(replay)},
            "bots": [{"name": "stickyman1776"}, {"name": "pixelsage"}],
        }
    )
    return journal_of_run(config)


def test_a_mention_after_2000_characters_of_emotes_is_answered(tmp_path):
    rows = [
        {"t": 0, "user": "emote_fan", "text": f"{EMOTES} @stickyman1776"},
        {"t": 1, "user": "quiet_one", "text": f"{EMOTES} pixelsage what do you think"},
    ]
    events = replay_events(tmp_path, rows)
    sent = sorted((e["msg"], e["bot"]) for e in events if e["event"] == "sent")
    assert sent == [("replay-1", "stickyman1776"), ("replay-2", "pixelsage")]
    lines = [e["text"] for e in events if e["event"] == "chat" and not e.get("is_bot")]
    assert [len(text) for text in lines] == [MAX_LINE_CHARS, MAX_LINE_CHARS]
    assert all(text.endswith("…") for text in lines)  # the journal keeps the cut line


def test_simulated_lines_keep_their_mentions_past_the_cut():
    """The demo's source hands the whole line on, as the Twitch and replay sources do."""
    line = ScriptedLine(0.0, "emote_fan", f"{EMOTES} @stickyman1776")
    config = parse_config(
        {"router": {"random_reply_chance": 0.0}, "bots": [{"name": "stickyman1776"}]}
    )

    async def main() -> list[tuple[str, Outcome | None]]:
        finished: list[tuple[str, Outcome | None]] = []

        def listen(event: EngineEvent) -> None:
            if isinstance(event, JobChanged) and event.stage is JobStage.FINISHED:
                finished.append((event.job.bot, event.job.outcome))

        engine = assemble(
            EngineSettings.from_config(config),
            personas={"stickyman1776": "a test bot"},
            responder=OfflineResponder(seed=1, bots=["stickyman1776"]),
            source=SourceParts(SimulatedChat([line], speed=1.0)),
        )
        engine.subscribe(listen)
        await engine.run_chat()
        await engine.wait_idle()
        await engine.close()
        return finished

    assert run_virtual(main()) == [("stickyman1776", Outcome.SENT)]
