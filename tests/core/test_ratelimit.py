"""The per-account send limiter on a virtual clock: exact windows, spacing, duplicates and
slow mode."""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import Role
from botdeck.model.defaults import SendLimits
from tests.harness.virtual_time import now, run_virtual


@dataclass
class Send:
    bot: str
    start: float  # when the send began (after acquire)
    end: float  # when it completed (sent() was called)
    text: str


async def backlog(
    limiter: RateLimiter, bot: str, count: int, latency: float = 0.05, texts=None
) -> list[Send]:
    """`count` replies all wanting to go out at once, each send taking `latency` seconds."""
    sends: list[Send] = []

    async def one(i: int) -> None:
        text = await limiter.acquire(bot, texts(i) if texts else f"reply number {i}")
        start = now()
        await asyncio.sleep(latency)
        limiter.sent(bot, text)
        sends.append(Send(bot, start, now(), text))

    await asyncio.gather(*(one(i) for i in range(count)))
    return sorted(sends, key=lambda s: s.start)


def max_in_any_window(times: list[float], window: float) -> int:
    """The most events in any half-open window [a, a + window); a at an event is enough."""
    times = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def assert_within(sends: list[Send], limit: int, window: float) -> None:
    """No window can hold limit+1 arrivals, wherever in [start, end] Twitch saw each send.

    Exactly: when a send starts, fewer than `limit` other sends that started no later may
    still have arrived within the last `window` (ended less than `window` ago, or not yet).
    Take any limit+1 sends: the latest to start is then at least `window` after one of the
    others arrived. The plain counts on start and end times are checked too.
    """
    for send in sends:
        recent = [
            other
            for other in sends
            if other is not send and other.start <= send.start and other.end + window > send.start
        ]
        assert len(recent) < limit, (send, len(recent))
    assert max_in_any_window([s.start for s in sends], window) <= limit
    assert max_in_any_window([s.end for s in sends], window) <= limit


def assert_spaced(sends: list[Send], spacing: float) -> None:
    """Each send starts at least `spacing` after the previous one completed."""
    for earlier, later in itertools.pairwise(sends):
        assert later.start >= earlier.end + spacing, (earlier, later)


def test_a_viewer_never_sends_more_than_20_in_any_30s_under_a_sustained_backlog():
    limiter = RateLimiter({"bot": Role.VIEWER})
    sends = run_virtual(backlog(limiter, "bot", 120))
    assert len(sends) == 120
    assert_within(sends, 20, 30.0)
    assert_spaced(sends, 1.0)  # non-moderators: 1 s between messages, from the completion
    # and it is not timid: 120 sends take 5 full windows plus the last 20 spaced by 1.05 s
    assert sends[-1].start == pytest.approx(5 * (30 + 0.05) + 19 * 1.05, abs=1e-6)


def test_a_moderator_may_send_100_in_a_window_without_spacing():
    limiter = RateLimiter({"mod": Role.MODERATOR})
    sends = run_virtual(backlog(limiter, "mod", 350, latency=0.2))
    assert_within(sends, 100, 30.0)
    assert sends[99].start == 0.0  # the first hundred go at once
    assert sends[100].start == pytest.approx(30.2)  # the first completion plus the window


def test_vip_gets_100_per_window_but_keeps_the_non_moderator_spacing():
    limiter = RateLimiter({"vip": Role.VIP})
    sends = run_virtual(backlog(limiter, "vip", 40, latency=0.0))
    assert [s.start for s in sends[:3]] == [0.0, 1.0, 2.0]
    assert limiter.budget("vip").limit == 100


@settings(max_examples=40, deadline=None)
@given(
    latencies=st.lists(st.floats(0.0, 3.0), min_size=30, max_size=80),
    role=st.sampled_from([Role.VIEWER, Role.MODERATOR]),
    arrivals=st.lists(st.floats(0.0, 60.0), min_size=30, max_size=80),
)
def test_no_window_is_ever_over_the_limit_whatever_the_latencies(latencies, role, arrivals):
    limits = SendLimits(window=10.0, viewer=4, privileged=7, spacing=0.5)
    limiter = RateLimiter({"bot": role}, limits)
    count = min(len(latencies), len(arrivals))
    sends: list[Send] = []

    async def one(i: int) -> None:
        await asyncio.sleep(arrivals[i])
        text = await limiter.acquire("bot", f"text {i}")
        start = now()
        await asyncio.sleep(latencies[i])
        limiter.sent("bot", text)
        sends.append(Send("bot", start, now(), text))

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(count)))

    run_virtual(main())
    sends.sort(key=lambda s: s.start)
    assert_within(sends, limits.per_window(role), limits.window)
    if role is Role.VIEWER:
        assert_spaced(sends, 0.5)


def test_two_acquirers_cannot_both_take_the_last_slot():
    limits = SendLimits(window=30.0, viewer=3, spacing=0.0)
    limiter = RateLimiter({"bot": "viewer"}, limits)
    got: dict[str, float] = {}

    async def take(name: str) -> None:
        text = await limiter.acquire("bot", name)
        got[name] = now()
        limiter.sent("bot", text)

    async def main() -> None:
        for i in range(2):
            limiter.sent("bot", await limiter.acquire("bot", f"warm {i}"))
        await asyncio.gather(take("a"), take("b"))

    run_virtual(main())
    assert got == {"a": 0.0, "b": 30.0}


def test_repeated_text_is_changed_not_dropped_and_stays_within_500_chars():
    limiter = RateLimiter({"bot": Role.MODERATOR})

    async def main() -> list[str]:
        texts = []
        for _ in range(3):
            texts.append(await limiter.acquire("bot", "gg everyone"))
            limiter.sent("bot", texts[-1])
        long = "word " * 120  # 600 characters
        for _ in range(2):
            texts.append(await limiter.acquire("bot", long))
            limiter.sent("bot", texts[-1])
        await asyncio.sleep(30)  # the guard is 30 s: afterwards the text may repeat as is
        texts.append(await limiter.acquire("bot", "gg everyone"))
        return texts

    texts = run_virtual(main())
    assert texts[:3] == ["gg everyone", "gg everyone (again)", "gg everyone (x3)"]
    assert len(texts[3]) <= 500 and len(texts[4]) <= 500
    assert texts[4] != texts[3] and texts[4].endswith(" (again)")
    assert texts[5] == "gg everyone"


def test_a_text_still_in_flight_counts_as_a_duplicate():
    limiter = RateLimiter({"bot": Role.MODERATOR})

    async def main() -> tuple[str, str]:
        first = await limiter.acquire("bot", "same")
        second = await limiter.acquire("bot", "same")  # the first has not completed
        return first, second

    assert run_virtual(main()) == ("same", "same (again)")


def test_a_waiter_cancelled_while_waiting_reserves_nothing():
    limits = SendLimits(window=30.0, viewer=2, spacing=0.0)
    limiter = RateLimiter({"bot": "viewer"}, limits)

    async def main() -> tuple[float, float, int]:
        for i in range(2):
            limiter.sent("bot", await limiter.acquire("bot", f"t{i}"))
        holder = asyncio.create_task(limiter.acquire("bot", "cancelled holder"))
        queued = asyncio.create_task(limiter.acquire("bot", "cancelled queued"))
        await asyncio.sleep(10)
        holder.cancel()
        queued.cancel()
        await asyncio.gather(holder, queued, return_exceptions=True)
        assert limiter.budget("bot").waiting == 0
        assert limiter.budget("bot").used == 2
        first = await limiter.acquire("bot", "next")  # the window frees at t=30
        at_first = now()
        second = await limiter.acquire("bot", "after")  # same window, the other slot
        at_second = now()
        limiter.sent("bot", first)
        limiter.sent("bot", second)
        return at_first, at_second, limiter.budget("bot").used

    assert run_virtual(main()) == (30.0, 30.0, 2)


def test_release_gives_the_slot_back_and_sent_counts_from_the_completion():
    limits = SendLimits(window=30.0, viewer=1, spacing=0.0)
    limiter = RateLimiter({"bot": "viewer"}, limits)

    async def main() -> list[float]:
        times = []
        text = await limiter.acquire("bot", "never sent")
        limiter.release("bot", text)
        text = await limiter.acquire("bot", "never sent")  # free again, and not a duplicate
        times.append(now())
        await asyncio.sleep(5)  # a slow send: Twitch may have seen it as late as t=5
        limiter.sent("bot", text)
        await limiter.acquire("bot", "third")
        times.append(now())
        return times

    assert run_virtual(main()) == [0.0, 35.0]


def test_badges_on_the_bots_own_messages_set_its_limit_both_ways():
    limiter = RateLimiter({"up": Role.VIEWER, "down": Role.MODERATOR})

    async def main() -> tuple[float, float]:
        for _ in range(20):
            limiter.sent("up", await limiter.acquire("up", "x"))
            limiter.sent("down", await limiter.acquire("down", "y"))
        waiting = asyncio.create_task(limiter.acquire("up", "21st"))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        limiter.observe_role("up", Role.from_badges(["moderator", "subscriber"]))
        await waiting
        freed_at = now()
        limiter.observe_role("down", Role.from_badges(["subscriber"]))  # not a mod after all
        await limiter.acquire("down", "21st")
        return freed_at, now()

    up_at, down_at = run_virtual(main())
    assert up_at == 20 * 1.0 - 1.0 + 0.5  # woken by the role change, not by the window
    assert down_at == 30.0  # a viewer again: the 21st waits for the window
    assert limiter.role("up") is Role.MODERATOR and limiter.role("down") is Role.VIEWER


def test_budget_shows_the_window_and_the_wait():
    limits = SendLimits(window=30.0, viewer=3, spacing=1.0)
    limiter = RateLimiter({"bot": "viewer"}, limits)
    seen: list[float | None] = []

    async def main() -> None:
        for i in range(3):
            limiter.sent("bot", await limiter.acquire("bot", f"t{i}"))
            await asyncio.sleep(1)
        budget = limiter.budget("bot")
        assert (budget.used, budget.limit, budget.left, budget.role) == (3, 3, 0, "viewer")
        assert budget.next_free_in == 27.0  # the first leaves the window at t=30
        task = asyncio.create_task(limiter.acquire("bot", "late", on_wait=seen.append))
        await asyncio.sleep(1)
        assert limiter.budget("bot").waiting == 1
        await task

    run_virtual(main())
    assert seen == [30.0, None]


def test_bots_have_separate_accounts():
    limiter = RateLimiter({"a": Role.VIEWER, "b": Role.VIEWER})

    async def main() -> list[Send]:
        both = await asyncio.gather(backlog(limiter, "a", 25), backlog(limiter, "b", 25))
        return [send for sends in both for send in sends]

    sends = run_virtual(main())
    for bot in "ab":
        assert_within([s for s in sends if s.bot == bot], 20, 30.0)
    assert max(s.start for s in sends if s.start < 30) == pytest.approx(19 * 1.05)


def test_invalid_limits_are_refused():
    with pytest.raises(ValueError, match="window"):
        SendLimits(window=0)
    with pytest.raises(ValueError, match="per window"):
        SendLimits(viewer=0)
    with pytest.raises(KeyError, match="unknown bot"):
        RateLimiter({"a": "viewer"}).budget("b")


def test_random_sends_with_failures_keep_the_window():
    """Sends that fail still count (Twitch may have seen them); released ones do not."""
    rng = random.Random(5)
    limits = SendLimits(window=30.0, viewer=20, spacing=1.0)
    limiter = RateLimiter({"bot": "viewer"}, limits)
    counted: list[Send] = []

    async def one(i: int) -> None:
        await asyncio.sleep(rng.uniform(0, 120))
        text = await limiter.acquire("bot", f"r{i}")
        start = now()
        if rng.random() < 0.2:
            limiter.release("bot", text)  # the job ended before its send
            return
        await asyncio.sleep(rng.uniform(0, 0.5))
        limiter.sent("bot", text)
        counted.append(Send("bot", start, now(), text))

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(150)))

    run_virtual(main())
    counted.sort(key=lambda s: s.start)
    assert_within(counted, 20, 30.0)


# ---------------------------------------------------------------- slow mode
# A viewer waits the slow-mode time between messages; moderators, the broadcaster and VIPs
# do not.
async def starts(limiter: RateLimiter, bot: str, count: int) -> list[float]:
    """`count` replies wanting out at once, each send taking 0.1 s: when each started."""
    return [send.start for send in await backlog(limiter, bot, count, latency=0.1)]


def test_slow_mode_spaces_a_viewers_messages_from_the_last_completion():
    async def main() -> tuple[list[float], list[float], list[float]]:
        limiter = RateLimiter({"viewer": Role.VIEWER, "vip": Role.VIP, "mod": Role.MODERATOR})
        limiter.set_slow_mode(10)
        forecast = limiter.send_times("viewer", 3)
        viewer, vip, mod = await asyncio.gather(
            starts(limiter, "viewer", 3), starts(limiter, "vip", 3), starts(limiter, "mod", 3)
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
