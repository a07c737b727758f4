"""Drain benchmark: how long a drain takes after minutes of a chat flood.

Five viewer-role bots (20 messages per 30 s each) on the `soak` scenario at 100 lines a
second, 10% mentions, 25% random-reply chance with no cooldowns, offline replies, for
DURATION seconds of a virtual clock; then a drain, timed until the router is drained.
botdeck admits random replies only while the send window can deliver them within
`max_age` and skips stale ones before their delay; the baseline is the same engine with
both switched off (how botdeck behaved before: every random reply queued, staleness
checked after the delay).
Also counted: mentions queued at the drain and how many of them were answered, when the
last of them was answered, and what else the drain did: random or bot-to-bot replies
still younger than `max_age` are sent (a drain finishes everything), at Twitch's pace of
20 messages per 30 s per viewer-role bot, which no design can beat without breaking it.

    python -m benchmarks.drain_bench [DURATION] -> JSON
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace

from botdeck.ai.offline import OfflineResponder
from botdeck.chat.scenarios import Scenario
from botdeck.config import demo_config
from botdeck.engine import EngineSettings, assemble, build_limiter, build_source
from botdeck.engine.room import RoomSettings
from botdeck.model.defaults import Cooldowns
from botdeck.model.events import EngineEvent, JobChanged, StateChanged
from botdeck.model.jobs import JobStage, Outcome, Priority
from tests.harness.virtual_time import VirtualTimeLoop

RATE = 100


async def flood_then_drain(duration: float, improved: bool) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    scenario = Scenario.parse(f"soak:rate={RATE},duration={duration + 5:g}")
    config = demo_config(bots=5, scenario=scenario, seed=7)
    settings = replace(
        EngineSettings.from_config(config),
        admission=improved,
        stale_before_delay=improved,
        cooldowns=Cooldowns(per_user=0, per_bot=0, global_=0),  # every reply chance grants
        room=RoomSettings.off(),  # and no line or share holds one back: the flood is the test
    )
    engine = assemble(
        settings,
        personas={bot.name: bot.persona for bot in config.bots},
        responder=OfflineResponder(seed=7, bots=config.bot_names),
        source=build_source(config, clock=loop.time),
        limiter=build_limiter(config),
    )
    mentions: dict[int, Outcome | None] = {}
    latencies: list[float] = []
    sent = 0
    drained = asyncio.Event()
    began: float | None = None
    mentions_done = 0.0  # when the last mention answered after the drain began
    others_sent = 0  # random or bot-to-bot replies (still fresh) sent during the drain

    def listen(event: EngineEvent) -> None:
        nonlocal sent, mentions_done, others_sent
        if isinstance(event, StateChanged) and event.state.ended:
            drained.set()
        elif isinstance(event, JobChanged) and event.stage is JobStage.FINISHED:
            job = event.job
            if job.outcome is Outcome.SENT and job.carrier is None:
                sent += 1
            if began is not None and job.outcome is Outcome.SENT:
                if job.priority is Priority.HIGH:
                    mentions_done = loop.time() - began
                else:
                    others_sent += 1
            if job.priority is Priority.HIGH:
                mentions[job.id] = job.outcome
                if job.outcome is Outcome.SENT and job.finished_at is not None:
                    latencies.append(job.finished_at - job.created_at)
        elif isinstance(event, JobChanged) and event.job.priority is Priority.HIGH:
            mentions.setdefault(event.job.id, None)

    engine.subscribe(listen)
    feeder = asyncio.ensure_future(engine.run_chat())
    await asyncio.sleep(duration)
    queued = engine.snapshot().queues
    open_mentions = [job for job, outcome in mentions.items() if outcome is None]
    began = loop.time()
    engine.drain()
    await drained.wait()
    took = loop.time() - began
    feeder.cancel()
    answered = sum(1 for job in open_mentions if mentions[job] is Outcome.SENT)
    return {
        "drain_s": round(took, 2),
        "last_queued_mention_answered_s": round(mentions_done, 2),
        "fresh_replies_sent_in_drain": others_sent,
        "queued_at_drain": queued.size + queued.pending,
        "mentions_open_at_drain": len(open_mentions),
        "mentions_answered_of_those": answered,
        "passed_up": sum(engine.snapshot().passed.values()),
        "messages_sent": sent,
        "mentions": len(mentions),
        "mentions_answered_pct": round(
            100.0 * sum(1 for o in mentions.values() if o is Outcome.SENT) / len(mentions), 1
        ),
        "mention_latency_p95_s": round(sorted(latencies)[int(0.95 * len(latencies))], 1),
    }


def main() -> None:
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    result = {}
    for name, improved in (("botdeck", True), ("baseline", False)):
        loop = VirtualTimeLoop()
        try:
            result[name] = loop.run_until_complete(flood_then_drain(duration, improved))
        finally:
            loop.close()
    result["duration_s"] = duration
    print(json.dumps(result))


if __name__ == "__main__":
    main()
