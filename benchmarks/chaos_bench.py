"""Fire-drill benchmark: one 30-minute stream (virtual clock) with every fault at once.

Three bots (two viewer-role, one moderator), steady chat: a line a second, every third
naming a bot. Minutes 10 to 15 are a storm: followers-only for 5 minutes, a raid of
300, moderators deleting 25 lines, a bot timed out 90 s, the AI server down 60 s (from
10:30), botdeck killed and restarted (at 11:00, 10 s down), reading lost 90 s (from
12:00), then the reader banned for 2 minutes (at 13:30, as reading comes back: the ban is
not read, and botdeck learns it from the refused send).
Everything is the real engine, limiter, pipeline, journal and resume, played by
`botdeck.chaos.Drill` as `rehearse --chaos` plays it; the platform's side (its send
limits, the drops, the deletions) is the drill's world, which counts what Twitch would.

The baseline is the same engine built without its fault handling
(`chaos.Handling.off()`: no circuit, no failover to another reader, no resume after the
restart, moderators' actions journaled but not acted on).

And the same plan on the wall clock in the real dashboard (Textual's headless driver, 120x40),
compressed 10x into 3 minutes of the demo's simulated chat: the event loop's lag (a 10 ms
sleep's lateness), and whether anything raised.

    python -m benchmarks.chaos_bench -> JSON
    python -m benchmarks.chaos_bench dashboard -> JSON
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from botdeck.chaos import Drill, Handling, parse_plan
from botdeck.config import demo_config
from botdeck.engine import AppendTo, Resume, RunOptions
from botdeck.tui.factory import create_app
from tests.harness.chaos import Night, chat_log, play

MINUTES = 30
PLAN = """
seed = 25

[[fault]]
kind = "chat_mode"
at = "10:00"
for = 300
mode = "followers-only"

[[fault]]
kind = "raid"
at = "10:00"
viewers = 300
within = 30

[[fault]]
kind = "deletions"
at = "10:00"
for = 300
count = 25
after = 0.5

[[fault]]
kind = "bot_timeout"
at = "10:00"
for = 90
bot = "pixelsage"

[[fault]]
kind = "ai_down"
at = "10:30"
for = 60

[[fault]]
kind = "crash"
at = "11:00"
down = 10

[[fault]]
kind = "reading_lost"
at = "12:00"
for = 90

[[fault]]
kind = "reader_banned"
at = "13:30"
for = 120
"""


def summary(night: Night, seconds: float) -> dict[str, Any]:
    ledger = night.ledger
    mentions = night.mentions()
    lost = night.lost()
    latencies = sorted(e["latency"] for e in night.of("sent") if "latency" in e)
    return {
        "wall_s": round(seconds, 2),
        "runs": len(night.of("run")),
        "mentions": len(mentions),
        "mentions_lost": len(lost),
        "lost_reasons": sorted({e.get("reason", "") for e in lost}),
        "mentions_unseen_could_have_been": ledger.could_have_seen(),
        "mentions_unseen_unavoidable": sum(ledger.unseen_mentions.values())
        - ledger.could_have_seen(),
        "send_limit_violations": ledger.over_limit,
        "replies_to_deleted_lines": ledger.replies_to_deleted,
        "sends_refused_or_dropped": sum(ledger.refused.values()) + ledger.mode_drops,
        "latency_max_s": round(latencies[-1], 1) if latencies else None,
    }


def one(handling: Handling) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        log = chat_log(tmp / "chat.jsonl", seconds=MINUTES * 60)
        started = time.perf_counter()
        night = play(tmp, PLAN, log=log, handling=handling, duration=MINUTES * 60 + 120)
        return summary(night, time.perf_counter() - started)


COMPRESSED = 10.0  # the dashboard plays the 30 minutes in 3


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


async def on_screen(folder: Path) -> dict[str, Any]:
    plan = parse_plan(PLAN, "plan.toml").scaled(COMPRESSED)
    seconds = MINUTES * 60 / COMPRESSED
    config = demo_config(bots=3, scenario=None, seed=25)
    journal = folder / "drill.jsonl"
    options = RunOptions(journal=AppendTo(journal), resume=Resume.CLOSE, demo=True, watched=True)
    drill = Drill(config, plan, options, operator=False)
    lateness: list[float] = []
    with drill.opened() as first:
        app = create_app(first, config, demo=True)

        async def watch() -> int:
            async with app.run_test(size=(120, 40)):
                loop = asyncio.get_running_loop()
                stop_at = loop.time() + seconds
                while loop.time() < stop_at and app.is_running:
                    start = loop.time()
                    await asyncio.sleep(0.01)
                    lateness.append((loop.time() - start - 0.01) * 1000)
                failure = app.failure
                app.engine.stop()  # every job ends, journaled, before the files close
                for _ in range(3000):  # at most 30 s
                    if app.engine.state.ended:
                        break
                    await asyncio.sleep(0.01)
                app.exit()
            await app.session.close()
            return 1 if failure is not None else 0

        code = await drill.beside(watch(), app.replace_session, start=app.call_later)
    return {
        "seconds": seconds,
        "lag_p50_ms": round(percentile(lateness, 50), 2),
        "lag_p99_ms": round(percentile(lateness, 99), 2),
        "lag_max_ms": round(max(lateness), 1),
        "raised": code != 0,
        "runs": drill.lives,
        "faults": sum(1 for line in journal.read_text().splitlines() if '"fault"' in line),
    }


def main() -> None:
    logging.getLogger("botdeck").setLevel(logging.ERROR)  # the faults are expected here
    if sys.argv[1:] == ["dashboard"]:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(asyncio.run(on_screen(Path(folder)))))
        return
    results = {"botdeck": one(Handling()), "baseline": one(Handling.off())}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
