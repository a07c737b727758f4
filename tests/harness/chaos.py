"""Fire drills in tests: a night played with a fault plan on the virtual clock, as
`rehearse --chaos` plays it, and its journal read back
with offsets from the moment the drill began."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botdeck.chaos import Drill, Handling, Ledger, parse_plan
from botdeck.config import Config, parse_config
from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual, wall_clock
from botdeck.engine import AppendTo, RunOptions
from tests.harness.journals import OUTCOMES, events_of

T0 = 1_800_000_000.0  # the drill's clock starts here: offsets are `ts - T0`
BOTS = ("stickyman1776", "pixelsage", "genejacqueman")


def chat_log(path: Path, seconds: float = 300, every: float = 1.0, mention_every: int = 3) -> Path:
    """Steady chat: a line every `every` s, every `mention_every`th names a bot in turn,
    half a step off the whole seconds (a replay counts from its first line, at 0)."""
    records: list[dict[str, object]] = [{"t": 0, "user": "early_viewer", "text": "hello"}]
    for n in range(int(seconds / every)):
        at = n * every + every / 2  # never on a fault's instant: no tie to break
        if n % mention_every == 0:
            text = f"@{BOTS[n // mention_every % 3]} question {n}?"
        else:
            text = f"just chatting {n}"
        records.append({"t": at, "user": f"viewer{n % 29}", "text": text})
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def config(log: Path, **router: object) -> Config:
    return parse_config(
        {
            "router": {"random_reply_chance": 0.0, **router},
            "ai": {"provider": "offline"},
            "chat": {"source": "replay", "replay_file": str(log), "channel": "somechannel"},
            "bots": [
                {"name": BOTS[0]},
                {"name": BOTS[1]},
                {"name": BOTS[2], "role": "moderator"},
            ],
        }
    )


@dataclass
class Night:
    events: list[dict[str, Any]]
    ledger: Ledger
    drill: Drill
    code: int

    def at(self, event: dict[str, Any]) -> float:
        return float(event["ts"]) - T0

    def of(self, *kinds: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] in kinds]

    def between(self, begin: float, end: float, *kinds: str) -> list[dict[str, Any]]:
        return [event for event in self.of(*kinds) if begin <= self.at(event) < end]

    def viewer_lines(self) -> list[dict[str, Any]]:
        return [e for e in self.of("chat") if not e.get("is_bot")]

    def mentions(self) -> list[dict[str, Any]]:
        """High-priority jobs' outcomes (a resumed job's handover left out)."""
        return [
            e
            for e in self.of(*OUTCOMES)
            if e["priority"] == "high" and e.get("reason") != "resumed"
        ]

    def lost(self) -> list[dict[str, Any]]:
        withdrawn = {"deleted_by_moderator", "user_removed"}
        return [e for e in self.mentions() if e["event"] != "sent" and e["reason"] not in withdrawn]

    def sent_by(self, bot: str) -> list[dict[str, Any]]:
        return [e for e in self.of("sent") if e["bot"] == bot]


def play(
    tmp_path: Path,
    plan: str,
    *,
    log: Path | None = None,
    handling: Handling | None = None,
    duration: float | None = None,
    **router: object,
) -> Night:
    """The plan played against the log (default: five minutes of steady chat)."""
    log = log or chat_log(tmp_path / "chat.jsonl")
    journal = tmp_path / "night.jsonl"
    loop = VirtualTimeLoop()
    options = RunOptions(
        journal=AppendTo(journal), clock=wall_clock(loop, start=T0), duration=duration
    )
    drill = Drill(
        config(log, **router),
        parse_plan(plan, "plan.toml"),
        options,
        handling=handling or Handling(),
    )
    with drill.opened():
        code = run_virtual(drill.play(), loop=loop)
    events = events_of(journal)
    assert drill.world is not None
    return Night(events, drill.world.ledger, drill, code)


def every_job_ended_once(night: Night) -> None:
    """No job without an outcome, none with two (a killed run's are resumed or expired)."""
    enqueued = {e["job"] for e in night.of("enqueued")}
    ends: dict[int, int] = {}
    for event in night.of(*OUTCOMES):
        ends[event["job"]] = ends.get(event["job"], 0) + 1
    assert set(ends) == enqueued
    assert set(ends.values()) == {1}
