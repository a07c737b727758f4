"""Chat modes and moderation: what botdeck sends that Twitch would drop, and what it sends
that moderators removed, with and without knowing about them.

On a virtual clock (exact, machine-independent) with the real engine, scheduler, send
limiter and offline responder. The sink plays Twitch: it drops a viewer-role bot's message
in followers-only mode, or within the slow-mode wait of its previous delivered message.
The baseline is the same run where botdeck is not told about the chat modes or the
moderators' actions (botdeck before issue 13): it writes and sends regardless.

The moderator's `!botdeck stop` is measured over the real twitchio client against the
loopback fake Twitch (tests/fakes): from the fake sending the line to the router stopped.

    python -m benchmarks.moderation_bench -> JSON
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import replace

from botdeck.ai.offline import OfflineResponder
from botdeck.chat.base import SendError
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import Engine, assemble
from botdeck.model.channel import ChatSettings, MessageDeleted
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.events import JobChanged
from botdeck.model.jobs import JobStage, Outcome
from tests.harness.engine import DEFAULTS, orchestrator_settings
from tests.harness.virtual_time import VirtualTimeLoop

ROLES = {"viewer_one": Role.VIEWER, "viewer_two": Role.VIEWER, "mod_bot": Role.MODERATOR}


class TwitchLikeSink:
    """Drops what Twitch's chat modes drop; counts what went out and what was dropped."""

    echoes = False

    def __init__(self) -> None:
        self.modes = ChatSettings()
        self.delivered: dict[str, float] = {}
        self.sent = 0
        self.dropped = 0

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        now = asyncio.get_running_loop().time()
        role = ROLES[bot]
        late_enough = now - self.delivered.get(bot, float("-inf")) >= self.modes.spacing_for(role)
        if self.modes.blocks(role) or not late_enough:
            self.dropped += 1
            raise SendError("msg_dropped: chat mode")
        self.delivered[bot] = now
        self.sent += 1
        return f"out-{self.sent}"


def engine(sink: TwitchLikeSink, calls: list[tuple[float, str]]) -> Engine:
    class Counting(OfflineResponder):
        async def reply(self, request):  # type: ignore[no-untyped-def]
            calls.append((asyncio.get_running_loop().time(), request.bot))
            return await super().reply(request)

    return assemble(
        replace(
            DEFAULTS,
            global_limit=8,
            per_bot_limit=2,
            orchestrator=orchestrator_settings(random_reply_chance=0.0, max_depth=0),
            seed=3,
        ),
        personas={bot: "a regular" for bot in ROLES},
        responder=Counting(seed=3, bots=tuple(ROLES)),
        sink=sink,
        limiter=RateLimiter(ROLES),
        roles=ROLES,
    )


def outcomes(router: Engine) -> dict[Outcome, int]:
    counts = dict.fromkeys(Outcome, 0)

    def listen(event: object) -> None:
        if isinstance(event, JobChanged) and event.stage is JobStage.FINISHED:
            assert event.job.outcome is not None
            counts[event.job.outcome] += 1

    router.subscribe(listen)
    return counts


async def chat_modes(aware: bool) -> dict[str, float]:
    """10 minutes, a mention to a random bot every 10 s; followers-only from minute 2 to 7,
    then slow mode 30 s."""
    loop = asyncio.get_running_loop()
    sink, calls = TwitchLikeSink(), []
    router = engine(sink, calls)
    ends = outcomes(router)
    rng = random.Random(5)
    for second in range(0, 600, 10):
        modes = ChatSettings(followers_only=True) if 120 <= second < 420 else ChatSettings()
        if second >= 420:
            modes = ChatSettings(slow=30)
        if modes != sink.modes:
            sink.modes = modes
            if aware:
                router.take(modes)
        bot = rng.choice(list(ROLES))
        router.handle(ChatMessage(f"m{second}", f"viewer{second}", f"@{bot} hi", loop.time()))
        await asyncio.sleep(10)
    await router.wait_idle()
    held_calls = sum(1 for at, bot in calls if 120 <= at < 420 and ROLES[bot] is Role.VIEWER)
    return {
        "mentions": 60,
        "answered": ends[Outcome.SENT],
        "dropped_by_twitch": sink.dropped,
        "llm_calls": len(calls),
        "viewer_bot_llm_calls_in_followers_only": held_calls,
    }


async def deleted_lines(aware: bool) -> dict[str, float]:
    """100 mentions, every fourth line deleted by a moderator 0.5 s after it was said
    (its reply is in its 1-3 s delay): replies that reach chat anyway."""
    loop = asyncio.get_running_loop()
    sink = TwitchLikeSink()
    router = engine(sink, [])
    deleted: set[str] = set()
    sent_to: list[str] = []
    router.subscribe(
        lambda e: (
            isinstance(e, JobChanged)
            and e.job.outcome is Outcome.SENT
            and sent_to.append(e.job.context.message.id)
        )
    )
    for i in range(100):
        router.handle(ChatMessage(f"m{i}", f"viewer{i}", "@mod_bot hi", loop.time()))
        await asyncio.sleep(0.5)
        if i % 4 == 0:
            deleted.add(f"m{i}")
            if aware:
                router.take(MessageDeleted(f"m{i}"))
        await asyncio.sleep(1.5)
    await router.wait_idle()
    return {
        "deleted": len(deleted),
        "replies_to_deleted_lines": sum(1 for msg in sent_to if msg in deleted),
        "other_replies": sum(1 for msg in sent_to if msg not in deleted),
    }


def virtual(coroutine_factory, aware: bool) -> dict[str, float]:
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coroutine_factory(aware))
    finally:
        loop.close()


async def stop_latency(runs: int = 15) -> list[float]:
    """Seconds from the fake Twitch sending a moderator's `!botdeck stop` to `stopped`."""
    from botdeck.config import parse_config
    from botdeck.engine import build_engine, build_limiter, build_source
    from botdeck.model.events import StateChanged
    from botdeck.model.jobs import RouterState
    from tests.fakes.twitch_server import BOT_SCOPES, FakeTwitch

    latencies = []
    for _ in range(runs):
        fake = FakeTwitch()
        await fake.start()
        fake.add_user("alpha_bot", scopes=BOT_SCOPES)
        os.environ["TWITCH_CLIENT_SECRET"] = fake.client_secret
        os.environ["TOKEN_ALPHA_BOT"] = fake.token_of("alpha_bot").value
        config = parse_config(
            {
                "chat": {"source": "twitch", "channel": fake.channel.login},
                "twitch": {
                    "client_id": fake.client_id,
                    "api_url": fake.api_url,
                    "auth_url": fake.auth_url,
                    "eventsub_url": fake.eventsub_url,
                },
                "bots": [{"name": "alpha_bot", "token_env": "TOKEN_ALPHA_BOT"}],
            }
        )
        limiter = build_limiter(config)
        parts = build_source(config, limiter=limiter)
        router = build_engine(config, source=parts, limiter=limiter)
        stopped: list[float] = []
        done = asyncio.Event()

        def on_state(event: object, stopped: list[float] = stopped, done=done) -> None:
            if isinstance(event, StateChanged) and event.state is RouterState.STOPPED:
                stopped.append(time.perf_counter())
                done.set()

        router.subscribe(on_state)
        await router.connect()
        feeder = asyncio.create_task(router.run_chat())
        said = time.perf_counter()
        await fake.say("mod_jane", "!botdeck stop", badges=("moderator",))
        await asyncio.wait_for(done.wait(), 5)
        latencies.append(stopped[0] - said)
        await router.close()
        await feeder
        await fake.stop()
    return latencies


def main() -> None:
    results: dict[str, object] = {}
    for name, factory in (("chat_modes", chat_modes), ("deleted_lines", deleted_lines)):
        results[name] = {"botdeck": virtual(factory, True), "unaware": virtual(factory, False)}
    with tempfile.TemporaryDirectory() as data:
        os.environ["BOTDECK_DATA_DIR"] = data
        latencies = asyncio.run(stop_latency())
    results["mod_stop_ms"] = {
        "median": round(1000 * statistics.median(latencies), 2),
        "max": round(1000 * max(latencies), 2),
        "runs": len(latencies),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
