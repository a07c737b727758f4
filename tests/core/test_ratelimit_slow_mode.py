"""Slow mode in the send limiter, on a virtual clock: a viewer waits the slow-mode time
between messages; moderators, the broadcaster and VIPs do not."""

from __future__ import annotations

import asyncio

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import Role
from tests.virtual_time import now, run_virtual


async def send_all(limiter: RateLimiter, bot: str, count: int) -> list[float]:
    """`count` replies wanting out at once; each send takes 0.1 s. Their start times."""
    starts: list[float] = []

    async def one(i: int) -> None:
        text = await limiter.acquire(bot, f"reply {i}")
        starts.append(now())
        await asyncio.sleep(0.1)
        limiter.sent(bot, text)

    await asyncio.gather(*(one(i) for i in range(count)))
    return sorted(starts)


def test_slow_mode_spaces_a_viewers_messages_from_the_last_completion():
    async def main() -> tuple[list[float], list[float], list[float]]:
        limiter = RateLimiter({"viewer": Role.VIEWER, "vip": Role.VIP, "mod": Role.MODERATOR})
        limiter.set_slow_mode(10)
        forecast = limiter.send_times("viewer", 3)
        viewer, vip, mod = await asyncio.gather(
            send_all(limiter, "viewer", 3), send_all(limiter, "vip", 3), send_all(limiter, "mod", 3)
        )
        return forecast, viewer, [*vip, *mod]

    forecast, viewer, others = run_virtual(main())
    assert forecast == [0.0, 10.0, 20.0]  # what raid mode plans with
    assert viewer == [0.0, 10.1, 20.2]  # >= 10 s after the previous send completed
    assert max(others) < 3  # a VIP keeps Twitch's 1 s spacing; a moderator none


def test_slow_mode_ending_frees_a_waiting_send_at_once_and_starting_delays_it():
    async def main() -> list[float]:
        limiter = RateLimiter({"viewer": Role.VIEWER})
        limiter.set_slow_mode(30)
        first = await limiter.acquire("viewer", "one")
        limiter.sent("viewer", first)
        waiting = asyncio.ensure_future(limiter.acquire("viewer", "two"))
        await asyncio.sleep(5)
        assert not waiting.done() and limiter.budget("viewer").next_free_in == 25
        limiter.set_slow_mode(0)
        limiter.sent("viewer", await waiting)
        return [now(), limiter.send_times("viewer", 1)[0]]

    assert run_virtual(main()) == [5.0, 6.0]  # then Twitch's 1 s spacing again
