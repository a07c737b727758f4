"""Raid benchmark: share of mentions acknowledged within 60 s, with and without merging.

One viewer-role bot (20 messages per 30 s) gets N mentions from N viewers within 2 s, on
a virtual clock (the clock jumps whenever the loop is idle, so a minute takes a moment).
The router, scheduler, send limiter and offline responder are the real ones; the sink
takes 0.2 s per send. The baseline is the same run with raid mode off (no merged
replies): one message per mention, which the send limit spreads over minutes.

    python -m benchmarks.raid_bench -> JSON
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace

from botdeck.ai.offline import OfflineResponder
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import assemble
from botdeck.model.chat import ChatMessage, Role
from tests.harness.engine import DEFAULTS, orchestrator_settings
from tests.harness.virtual_time import VirtualTimeLoop

BOT = "stickyman1776"
ACK_TARGET = 60.0


class TimedSink:
    echoes = False

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        await asyncio.sleep(0.2)
        self.sent.append((asyncio.get_running_loop().time(), text))
        return f"out-{len(self.sent)}"


async def one_raid(mentions: int, merging: bool) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    sink = TimedSink()
    router = assemble(
        replace(
            DEFAULTS,
            global_limit=5,
            per_bot_limit=2,
            orchestrator=orchestrator_settings(random_reply_chance=0.0, max_depth=0),
            seed=3,
            ack_target=ACK_TARGET if merging else None,
        ),
        personas={BOT: "an upbeat hype-man"},
        responder=OfflineResponder(seed=3, bots=(BOT,)),
        sink=sink,
        limiter=RateLimiter({BOT: Role.VIEWER}),
    )
    asked: dict[str, float] = {}
    for i in range(mentions):
        await asyncio.sleep(2.0 / mentions)
        name = f"raider_{i:03d}"
        asked[name] = loop.time()
        router.handle(ChatMessage(f"m{i}", name, f"@{BOT} hi from the raid!", loop.time()))
    await router.wait_idle()
    answered = {name: at for at, text in sink.sent for name in re.findall(r"@(raider_\d{3})", text)}
    in_time = sum(1 for name, at in answered.items() if at - asked[name] <= ACK_TARGET)
    last = max(answered[name] - asked[name] for name in asked)
    return {
        "mentions": mentions,
        "acknowledged_in_60s_pct": round(100.0 * in_time / mentions, 1),
        "messages": len(sink.sent),
        "last_ack_s": round(last, 1),
    }


def main() -> None:
    results = {}
    for mentions in (100, 300):
        for merging in (True, False):
            loop = VirtualTimeLoop()
            try:
                results[f"{mentions}_{'merging' if merging else 'one_by_one'}"] = (
                    loop.run_until_complete(one_raid(mentions, merging))
                )
            finally:
                loop.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
