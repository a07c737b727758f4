"""Outage benchmark: mentions lost when the AI server is down for 60 s mid-stream.

Three bots, one mention a second and one ordinary line a second for 3 minutes; the AI
server refuses connections from t=60 s to t=120 s. Everything above the HTTP layer is
the real thing: the engine, scheduler, circuit, `OpenAIResponder` with botdeck's retry
policy and error classification, built by `build_engine` from a config with the defaults.
Only the SDK client's `chat.completions.create` is a stand-in (0.8 s per reply; a
refused connection raises the SDK's own `APIConnectionError`), which lets the run go on
a virtual clock: exact and repeatable, three minutes in about a second.

The baseline is the same engine with the circuit off (`outage_wait = 0`: each reply
retries `max_retries` times, then fails; yesterday's behaviour).

    python -m benchmarks.outage_bench -> JSON
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from types import SimpleNamespace
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion

from botdeck.ai.openai_adapter import responder_with
from botdeck.chat.simulated import ScriptedLine, SimulatedChat
from botdeck.config import parse_config
from botdeck.core.stats import percentile
from botdeck.engine import SourceParts, build_engine
from botdeck.engine.parts import responder_context
from tests.harness.virtual_time import VirtualTimeLoop

BOTS = ("stickyman1776", "pixelsage", "captainbyte")
URL = "http://127.0.0.1:11434/v1"
DURATION = 180.0
OUTAGE = (60.0, 120.0)
LATENCY = 0.8


class ScriptedServer:
    """What the SDK client would get from a server that is down during `OUTAGE`."""

    def __init__(self) -> None:
        self.base_url = URL
        self.api_key = "no-key-needed"
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))
        self.requests = 0
        self.requests_while_down = 0

    async def create(self, **request: Any) -> ChatCompletion:
        now = asyncio.get_running_loop().time()
        self.requests += 1
        if OUTAGE[0] <= now < OUTAGE[1]:
            self.requests_while_down += 1
            await asyncio.sleep(0.002)
            refused = ConnectionRefusedError(111, "Connection refused")
            error = openai.APIConnectionError(request=httpx2.Request("POST", URL))
            raise error from refused
        await asyncio.sleep(LATENCY)
        return ChatCompletion.model_validate(
            {
                "id": "bench",
                "object": "chat.completion",
                "created": 0,
                "model": "bench",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "good question!"},
                    }
                ],
                "usage": {"prompt_tokens": 50, "completion_tokens": 8, "total_tokens": 58},
            }
        )


def chat() -> list[ScriptedLine]:
    lines = []
    for second in range(int(DURATION)):
        bot = BOTS[second % len(BOTS)]
        lines.append(ScriptedLine(float(second), f"viewer{second}", f"@{bot} question {second}?"))
        lines.append(ScriptedLine(second + 0.5, f"chatter{second}", f"nice play {second}"))
    return lines


async def one_run(circuit: bool) -> dict[str, Any]:
    config = parse_config(
        {
            "ai": {
                "provider": "openai",
                "base_url": URL,
                "api_key_env": "",
                **({} if circuit else {"outage_wait": 0}),
            },
            "send_limits": {"enabled": False},  # the outage is the subject, not Twitch's limit
            "chat": {"seed": 5},
            "bots": [{"name": bot} for bot in BOTS],
        }
    )
    server = ScriptedServer()
    stream = io.StringIO()
    loop = asyncio.get_running_loop()
    engine = build_engine(
        config,
        journal_stream=stream,
        source=SourceParts(SimulatedChat(chat(), clock=loop.time, speed=1.0)),
        responder=responder_with(responder_context(config, "openai"), server),  # type: ignore[arg-type]
        clock=loop.time,
    )
    await engine.connect()
    await engine.run_chat()
    await engine.wait_idle()
    await engine.close()
    events = [json.loads(row) for row in stream.getvalue().splitlines()]
    return summarise(events, server)


def summarise(events: list[dict[str, Any]], server: ScriptedServer) -> dict[str, Any]:
    line_at = {e["msg"]: e["ts"] for e in events if e["event"] == "chat"}
    priority = {e["job"]: e["priority"] for e in events if e["event"] == "enqueued"}
    ends = {e["job"]: e for e in events if e["event"] in {"sent", "failed", "skipped"}}
    mentions = [job for job, level in priority.items() if level == "high"]
    lost = [job for job in mentions if ends[job]["event"] != "sent"]
    answered = (job for job in mentions if job not in lost)
    latency = sorted(ends[job]["ts"] - line_at[ends[job]["msg"]] for job in answered)
    randoms = [ends[job] for job, level in priority.items() if level != "high"]
    return {
        "mentions": len(mentions),
        "lost": len(lost),
        "lost_pct": round(100.0 * len(lost) / len(mentions), 1),
        "lost_reasons": sorted({ends[job].get("reason") for job in lost}),
        "latency_p50_s": round(percentile(latency, 50), 1),
        "latency_p95_s": round(percentile(latency, 95), 1),
        "latency_max_s": round(latency[-1], 1),
        "other_replies": len(randoms),
        "other_sent": sum(1 for end in randoms if end["event"] == "sent"),
        "requests_while_down": server.requests_while_down,
    }


def main() -> None:
    logging.getLogger("botdeck").setLevel(logging.ERROR)  # "AI down" is expected here
    results = {}
    for name, circuit in (("circuit", True), ("no_circuit", False)):
        loop = VirtualTimeLoop()
        try:
            results[name] = loop.run_until_complete(one_run(circuit))
        finally:
            loop.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
