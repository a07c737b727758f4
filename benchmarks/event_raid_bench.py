"""Raid event benchmark: the greeting's latency from `channel.raid`, and the share of the
raiders' mentions answered within 60 s when Twitch tells of the raid first, against the
same raid told by nothing but its mentions.

One viewer-role bot (20 messages per 30 s) in a channel a raid of V viewers reaches: the
platform's raid event at 0 s (only in the "event" runs), then the viewers arrive over
`ARRIVAL` seconds from 1 s on, half of them mentioning the bot. Raid mode (merging) is on
in both runs (`ack_target` 60 s); the only difference is the event, which arms raid mode
before the wave and asks the bot to greet the raider. Virtual clock; the engine,
scheduler, send limiter and offline responder are the real ones (with the config's
default reply delays); the sink takes 0.2 s per send.

    python -m benchmarks.event_raid_bench -> JSON
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics

from botdeck.ai.offline import OfflineResponder
from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.stream import ChannelEvent, EventKind
from tests.harness.engine import make_engine
from tests.harness.virtual_time import VirtualTimeLoop

BOT = "stickyman1776"
RAIDER = "bigstreamer"
ACK_TARGET = 60.0
ARRIVAL = 10.0  # seconds over which the raiders' lines arrive
MENTION_SHARE = 0.5


class TimedSink:
    echoes = False

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        await asyncio.sleep(0.2)
        self.sent.append((asyncio.get_running_loop().time(), text))
        return f"out-{len(self.sent)}"


async def one_raid(viewers: int, told: bool) -> dict[str, float | int | None]:
    loop = asyncio.get_running_loop()
    sink = TimedSink()
    engine, _ = make_engine(
        (BOT,),
        responder=OfflineResponder(seed=3, bots=(BOT,)),
        sink=sink,
        limiter=RateLimiter({BOT: Role.VIEWER}),
        seed=3,
        ack_target=ACK_TARGET,
        journal_clock=loop.time,
    )
    start = loop.time()
    if told:
        engine.take(ChannelEvent(EventKind.RAID, "raid-1", start, user=RAIDER,
                                 display_name="BigStreamer", count=viewers))  # fmt: skip
    rng = random.Random(viewers)
    mentioning = [i for i in range(viewers) if rng.random() < MENTION_SHARE]
    await asyncio.sleep(1.0)
    asked: dict[str, float] = {}
    for i in mentioning:
        name = f"raider_{i:04d}"
        asked[name] = loop.time()
        engine.handle(ChatMessage(f"m{i}", name, f"@{BOT} hi from the raid!", loop.time()))
        await asyncio.sleep(ARRIVAL / len(mentioning))
    await engine.wait_idle()
    await engine.close()
    answered: dict[str, float] = {}
    greeting: float | None = None
    for at, text in sink.sent:
        if greeting is None and "BigStreamer" in text:
            greeting = at - start
        for name in re.findall(r"@(raider_\d{4})", text):
            answered.setdefault(name, at)
    waits = [answered[name] - asked[name] for name in asked if name in answered]
    in_time = sum(1 for wait in waits if wait <= ACK_TARGET)
    return {
        "viewers": viewers,
        "mentions": len(asked),
        "greeting_s": None if greeting is None else round(greeting, 2),
        "greeting_first": bool(sink.sent) and "BigStreamer" in sink.sent[0][1],
        "answered_in_60s_pct": round(100.0 * in_time / len(asked), 1),
        "p50_s": round(statistics.median(waits), 1),
        "last_s": round(max(waits), 1),
        "messages": len(sink.sent),
    }


def main() -> None:
    results = {}
    for viewers in (200, 600):
        for told in (True, False):
            loop = VirtualTimeLoop()
            try:
                results[f"{viewers}_{'event' if told else 'no_event'}"] = loop.run_until_complete(
                    one_raid(viewers, told)
                )
            finally:
                loop.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
