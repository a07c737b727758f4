"""A rehearsal with a dead AI server ends at `--duration` plus the drain's bound (issue 20).

It used to run on: the replay kept playing while the router drained (every line after
the drain journaled with its replies refused), and replies waiting out the outage held
the drain for `outage_wait` or until they went stale (131 s for `--duration 20`). The
README's bound: with the AI server down, a drain ends within `[ai] timeout` plus the
longest reply delay once the outage is known, twice `[ai] timeout` plus that delay if it
is found during the drain.

The first test is exact, on the virtual clock the offline rehearsals use, with a
stand-in that fails as a rate-limited server does; the second is `botdeck rehearse
--live-ai` as a user runs it, the real SDK against the loopback server answering
nothing but 429 and 500, on the wall clock.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.commands.headless import run_headless
from botdeck.config import parse_config
from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual, wall_clock
from botdeck.engine import RunSession, build_engine
from tests.fakes.openai_server import FakeOpenAI, serving_in_thread, status
from tests.harness.cli import run_botdeck
from tests.harness.journals import OUTCOMES

BOTS = ("stickyman1776", "pixelsage", "genejacqueman")


def chat_log(path: Path, seconds: float, every: float = 0.5) -> Path:
    """Chat all along: every fourth line mentions a bot, the others may get a random reply."""
    records = []
    for n in range(int(seconds / every)):
        text = f"@{BOTS[n % 3]} question {n}?" if n % 4 == 0 else f"just chatting {n}"
        at = n * every + every / 2  # never at the drain's instant: no tie to break
        records.append({"t": at, "user": f"viewer{n % 17}", "text": text})
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def check_journal(events: list[dict], duration: float, bound: float) -> list[dict]:
    """Every job ended once; the drain began at `duration` and took at most `bound`; no
    line was played after it. Returns the outcomes."""
    states = [e for e in events if e["event"] == "state"]
    assert [e["state"] for e in states] == ["draining", "drained"]
    began, drained = states[0]["ts"], states[1]["ts"]
    assert began - events[0]["ts"] >= duration - 0.5  # --duration started it (not an end)
    assert drained - began <= bound, f"the drain took {drained - began:.2f} s > {bound} s"
    enqueued = {e["job"] for e in events if e["event"] == "enqueued"}
    ends = Counter(e["job"] for e in events if e["event"] in OUTCOMES)
    assert enqueued and set(ends) == enqueued and set(ends.values()) == {1}
    outcomes = [e for e in events if e["event"] in OUTCOMES]
    assert not [e for e in outcomes if e.get("reason") == "draining"]  # no line after it
    assert not [e for e in events if e["event"] == "chat" and e["ts"] > began]
    return outcomes


class RateLimited(Responder):
    """A server that answers every request, after a moment, with a 429 or a 500."""

    label = "dead"

    def __init__(self) -> None:
        self.calls = 0

    async def reply(self, request: ReplyRequest) -> Reply:
        self.calls += 1
        await asyncio.sleep(0.2)
        code = 429 if self.calls % 2 else 500
        raise ResponderError(f"server error ({code})", transient=True)


def test_on_the_virtual_clock_a_dead_ai_holds_a_20_s_rehearsal_no_longer_than_the_bound(
    tmp_path,
):
    replay = chat_log(tmp_path / "chat.jsonl", seconds=120)
    config = parse_config(
        {
            "router": {"random_reply_chance": 0.25},  # delays: the defaults, up to 8 s
            "ai": {"provider": "offline", "timeout": 20},  # outage_wait: the default, 300 s
            "chat": {"source": "replay", "replay_file": str(replay)},
            "bots": [{"name": bot} for bot in BOTS],
        }
    )
    responder = RateLimited()
    stream = io.StringIO()
    loop = VirtualTimeLoop()
    engine = build_engine(
        config, journal_stream=stream, clock=wall_clock(loop, start=0.0), responder=responder
    )

    async def rehearse() -> tuple[int, float]:
        code = await run_headless(RunSession(engine, duration=20.0))
        return code, asyncio.get_running_loop().time()

    code, ended_at = run_virtual(rehearse(), loop=loop)
    assert code == 0
    longest_delay = max(high for _, high in config.router.delays.as_mapping().values())
    bound = config.ai.timeout + longest_delay  # the server was known down before the drain
    events = [json.loads(row) for row in stream.getvalue().splitlines()]
    outcomes = check_journal(events, duration=20.0, bound=bound)
    assert ended_at <= 20.0 + bound  # not 20 + outage_wait, nor max_age
    assert {(e["event"], e["reason"]) for e in outcomes} == {("failed", "ai_unavailable")}
    # They waited for the AI (outage_wait is 300 s) until the drain, which ended the wait.
    assert min(e["ts"] for e in outcomes) == 20.0
    assert sum(e["event"] == "chat" for e in events) == 40  # 20 s of a 120 s log


@pytest.mark.slow
def test_rehearse_live_ai_against_a_server_answering_only_429_and_500_ends_in_time(tmp_path):
    replay = chat_log(tmp_path / "chat.jsonl", seconds=60)
    journal = tmp_path / "journal.jsonl"
    server = FakeOpenAI(BOTS)
    answers = itertools.cycle([status(429), status(500)])

    async def dead(request, fake):
        return await next(answers)(request, fake)

    server.chat_default = dead
    duration, timeout, longest_delay = 3.0, 1.0, 0.3
    with serving_in_thread(server) as url:
        config = tmp_path / "botdeck.toml"
        config.write_text(
            f"""
[router]
random_reply_chance = 0.25
[router.delays]
high = [0.1, {longest_delay}]
normal = [0.1, {longest_delay}]
low = [0.1, {longest_delay}]

[ai]
provider = "openai"
base_url = "{url}"
api_key_env = "BOTDECK_TEST_DEAD_KEY"
timeout = {timeout}
"""
            + "".join(f'\n[[bots]]\nname = "{bot}"\n' for bot in BOTS)
        )
        env = {
            **os.environ,
            "BOTDECK_TEST_DEAD_KEY": "sk-test-dead",
            "BOTDECK_LOG_DIR": str(tmp_path / "logs"),
        }
        args = ["--config", str(config), "--replay", str(replay), "--live-ai"]
        started = time.monotonic()
        result = run_botdeck(
            "rehearse", *args, "--duration", f"{duration:g}", "--journal", str(journal),
            "--json", env=env, timeout=120,
        )  # fmt: skip
        took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "botdeck: AI down:" in result.stderr
    assert len(server.chats) >= 1  # it was asked, and it said no
    report = json.loads(result.stdout)
    assert report["final_state"] == "drained" and report["outcomes"]["open"] == 0
    bound = 2 * timeout + longest_delay  # the documented bound, whenever the outage is found
    events = [json.loads(row) for row in journal.read_text().splitlines()]
    outcomes = check_journal(events, duration=duration, bound=bound)
    assert {e["reason"] for e in outcomes if e["event"] != "sent"} <= {"ai_unavailable"}
    assert took < duration + bound + 60  # generous: the start-up and the report, not the AI
