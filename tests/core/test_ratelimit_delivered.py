"""Only delivered text counts as a duplicate, and the app token's shared Helix bucket
(issue 22, items 6 and 10), on the virtual clock."""

from __future__ import annotations

import asyncio

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import Role
from botdeck.model.defaults import SendLimits, SharedBucket
from tests.harness.virtual_time import now, run_virtual


def test_a_failed_send_leaves_its_text_free_for_the_retry():
    async def scenario() -> list[str]:
        limiter = RateLimiter({"bot": Role.VIEWER})
        first = await limiter.acquire("bot", "hello there")
        limiter.sent("bot", first, delivered=False)  # a 429: it counted, nobody saw it
        retry = await limiter.acquire("bot", "hello there")
        limiter.sent("bot", retry)
        again = await limiter.acquire("bot", "hello there")
        limiter.sent("bot", again)
        return [first, retry, again]

    assert run_virtual(scenario()) == ["hello there", "hello there", "hello there (again)"]


def test_a_failed_send_still_takes_its_slot_in_the_window():
    async def scenario() -> float:
        limiter = RateLimiter({"bot": Role.VIEWER}, SendLimits(viewer=2, spacing=0.0))
        for text in ("a", "b"):
            limiter.sent("bot", await limiter.acquire("bot", text), delivered=False)
        await limiter.acquire("bot", "c")
        return now()

    assert run_virtual(scenario()) == 30.0  # the third waits for the first to leave


def test_sends_of_every_bot_share_the_app_bucket():
    """Five moderator bots may each send 100 per 30 s, 1,000 a minute together: over the
    app's 800 Helix points. With the shared bucket no minute holds more than its limit."""
    bucket = SharedBucket(limit=50, window=60.0)

    async def scenario() -> list[float]:
        bots = {f"bot{i}": Role.MODERATOR for i in range(5)}
        limiter = RateLimiter(bots, SendLimits(), shared=bucket)
        times: list[float] = []

        async def one(bot: str, i: int) -> None:
            text = await limiter.acquire(bot, f"{bot} says {i}")
            times.append(now())
            await asyncio.sleep(0.01)
            limiter.sent(bot, text)

        await asyncio.gather(*(one(bot, i) for bot in bots for i in range(30)))
        return sorted(times)

    times = run_virtual(scenario())
    assert len(times) == 150
    for i, start in enumerate(times):
        within = [t for t in times[i:] if t < start + bucket.window - 0.011]
        assert len(within) <= bucket.limit, f"{len(within)} sends in a minute from {start}"
    assert times[-1] >= 120.0  # 150 sends at 50 a minute: the third minute


def test_without_the_bucket_an_account_is_limited_by_its_own_window_only():
    async def scenario() -> float:
        limiter = RateLimiter({"a": Role.MODERATOR, "b": Role.MODERATOR})
        for i in range(100):
            limiter.sent("a", await limiter.acquire("a", f"a{i}"))
        await limiter.acquire("b", "b0")
        return now()

    assert run_virtual(scenario()) == 0.0
