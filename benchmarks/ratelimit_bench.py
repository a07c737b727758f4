"""Send-limit benchmark: a sustained backlog through the real router, on a virtual clock.

One bot with far more mentions queued than Twitch lets it answer, for ten minutes of
virtual time (the clock jumps whenever the loop is idle, so this takes well under a
second). Measured on the sink's side: the send rate against the allowed rate, and how
many 30 s windows hold more sends than allowed. The baseline is an aiolimiter-style
leaky bucket of the same rate and capacity, in the same harness: it bursts 20 and then
lets one more through every 1.5 s, which Twitch counts as 21 in 30 s and answers with a
30-minute lockout; `delivered` applies that lockout to both.

    python -m benchmarks.ratelimit_bench -> JSON with both sides
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace

from botdeck.ai.base import Reply, ReplyRequest, Responder
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import assemble
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.defaults import SendLimits
from botdeck.model.jobs import Priority
from botdeck.model.snapshot import SendBudget
from tests.harness.engine import DEFAULTS, orchestrator_settings
from tests.harness.virtual_time import VirtualTimeLoop

DURATION = 600.0  # seconds of virtual time
LOCKOUT = 1800.0  # what Twitch does to an account over its limit
LATENCY = 0.05  # each send's round trip


class LeakyBucket:
    """aiolimiter's AsyncLimiter semantics (max_rate per time_period, drained continuously)."""

    def __init__(self, max_rate: int, time_period: float) -> None:
        self.max_rate = max_rate
        self.rate_per_sec = max_rate / time_period
        self.level = 0.0
        self.last = 0.0

    def _leak(self, now: float) -> None:
        self.level = max(0.0, self.level - (now - self.last) * self.rate_per_sec)
        self.last = now

    async def acquire(
        self, bot: str, text: str, *, on_wait: Callable[[float | None], None] | None = None
    ) -> str:
        loop = asyncio.get_running_loop()
        while True:
            self._leak(loop.time())
            if self.level + 1 <= self.max_rate:
                self.level += 1
                return text
            # (at least 1 µs: a float-rounding remainder must not spin at one instant)
            await asyncio.sleep(max(1e-6, (self.level + 1 - self.max_rate) / self.rate_per_sec))

    def sent(self, bot: str, text: str, *, delivered: bool = True) -> None:
        return None

    def release(self, bot: str, text: str) -> None:
        return None

    def budget(self, bot: str) -> SendBudget:
        return SendBudget(used=round(self.level), limit=self.max_rate, window=30.0, next_free_in=0)


class Numbered(Responder):
    """An instant responder with a fresh text each time (no duplicate guard involved)."""

    label = "bench"

    def __init__(self) -> None:
        self.count = 0

    async def reply(self, request: ReplyRequest) -> Reply:
        self.count += 1
        return Reply(f"answer number {self.count}")


class TimedSink:
    echoes = False

    def __init__(self) -> None:
        self.starts: list[float] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        self.starts.append(asyncio.get_running_loop().time())
        await asyncio.sleep(LATENCY)
        return str(len(self.starts))


async def _backlog(limiter: object, limit: int) -> list[float]:
    sink = TimedSink()
    router = assemble(
        # The limiter alone: no merged replies (raid mode has its own benchmark).
        replace(
            DEFAULTS,
            global_limit=5,
            per_bot_limit=2,
            orchestrator=orchestrator_settings(
                random_reply_chance=0.0, delays={p: (0.0, 0.0) for p in Priority}
            ),
            seed=1,
            job_timeout=None,
            ack_target=None,
        ),
        personas={"bot": "persona"},
        responder=Numbered(),
        sink=sink,
        limiter=limiter,  # type: ignore[arg-type]
    )
    backlog = int(DURATION / 30 * limit * 2)  # twice what may be sent: never runs dry
    for n in range(backlog):
        router.handle(ChatMessage(id=f"m{n}", user=f"v{n}", text="@bot hi", timestamp=0.0))
    await asyncio.sleep(DURATION)
    router.stop()
    await router.wait_idle()
    return [t for t in sink.starts if t < DURATION]


def _windows_over(times: list[float], limit: int, window: float = 30.0) -> int:
    """Windows [t, t+30) starting at a send that hold more than `limit` sends."""
    over, j = 0, 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + window:
            j += 1
        over += j - i > limit
    return over


def _delivered(times: list[float], limit: int, window: float = 30.0) -> int:
    """Sends Twitch would deliver: none for 30 minutes from the first one over the limit."""
    delivered, locked_until = [], -1.0
    for t in times:
        if t < locked_until:
            continue
        recent = [d for d in delivered if d > t - window]
        if len(recent) >= limit:
            locked_until = t + LOCKOUT
            continue
        delivered.append(t)
    return len(delivered)


def run(role: Role = Role.VIEWER) -> dict:
    limits = SendLimits()
    limit = limits.per_window(role)
    allowed = DURATION / limits.window * limit
    result = {"role": role.value, "duration_s": DURATION, "allowed": allowed}
    sides = {"botdeck": lambda: RateLimiter({"bot": role}, limits)}
    if role is Role.VIEWER:
        sides["leaky_bucket"] = lambda: LeakyBucket(limit, limits.window)
    for name, make in sides.items():
        loop = VirtualTimeLoop()
        try:
            times = loop.run_until_complete(_backlog(make(), limit))
        finally:
            loop.close()
        result[name] = {
            "sends": len(times),
            "rate_pct": round(100 * len(times) / allowed, 2),
            "windows_over_limit": _windows_over(times, limit),
            "delivered_with_lockout": _delivered(times, limit),
        }
    return result


if __name__ == "__main__":
    print(json.dumps({"viewer": run(Role.VIEWER), "moderator": run(Role.MODERATOR)}))
