"""Per-account send limits, enforced exactly in the job's send phase.

Twitch locks a chat account out for 30 minutes when it sends more than 20 messages in any
30 s (100 where it is VIP, moderator or broadcaster), drops a non-moderator's message sent
less than 1 s after its previous one, and drops a repeat of the account's own message
within 30 s. A leaky bucket (aiolimiter) does not keep the first promise: after a burst of
20 it lets a 21st message through 1.5 s later, and Twitch counts 21 in 30 s. So this is an
exact sliding window: a deque of the times the account's messages went out.

Why the times are completion times: a message reaches Twitch somewhere between the moment
we start sending it and the moment the request returns. Counting a send from its
completion (and counting a send still in flight as occupying a slot until then) means our
window never frees a slot before Twitch's does, however slow the network is. For the same
reason a non-moderator's sends are serialized: the next one starts at least `spacing`
after the previous one completed.

A slot is reserved when `acquire` returns, so two jobs can never both take the last one;
a job cancelled while it waits has reserved nothing. One `asyncio.Lock` per account keeps
waiters in FIFO order; only its holder sleeps on a timer, which `sent`, `release` and a
role change cut short. All times come from the running loop's clock, so the tests run on
a virtual-time loop.

Only delivered text counts as a duplicate: a send that failed still took its slot (Twitch
may have counted it), but viewers never saw its text, so a retry goes out unchanged
rather than with " (again)". A `SharedBucket` adds one window every account's sends go
through as well (messages sent with Twitch's app token share the app's Helix points).
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from botdeck.core.clock import loop_time
from botdeck.core.text import cut_to_length
from botdeck.model.chat import Role
from botdeck.model.defaults import SendLimits, SharedBucket
from botdeck.model.snapshot import SendBudget

WaitListener = Callable[[float | None], None]


@dataclass(slots=True)
class _Text:
    """A text the account sent or is sending, for the duplicate guard."""

    text: str
    at: float
    in_flight: bool = True


class _Account:
    __slots__ = (
        "configured",
        "done",
        "in_flight",
        "last_done",
        "lock",
        "observed",
        "texts",
        "waiter_count",
        "waker",
    )

    def __init__(self, role: Role) -> None:
        self.configured = role
        self.observed: Role | None = None  # from the badges on the account's own messages
        self.done: deque[float] = deque()  # completion times of sends still in the window
        self.in_flight = 0  # reserved by acquire, not yet reported by sent/release
        self.last_done = -math.inf
        self.texts: deque[_Text] = deque()
        self.lock = asyncio.Lock()
        self.waiter_count = 0
        self.waker: asyncio.Future[None] | None = None

    @property
    def role(self) -> Role:
        return self.observed or self.configured

    def wake(self) -> None:
        if self.waker is not None and not self.waker.done():
            self.waker.set_result(None)


class SendLimiter(Protocol):
    """Keeps a bot account within the platform's send limits (part of a job's send phase).

    `acquire` waits until `bot` may send `text`, reserves that send and returns the text to
    send, which may be changed (e.g. to avoid a duplicate of the bot's previous message);
    while it waits it tells `on_wait` the loop time it expects to send at, then None.
    Every acquire is settled by exactly one of `sent` (the message went out, or may have:
    a failed send counts too, with `delivered=False` so its text is no duplicate) or
    `release` (it certainly did not). `budget` describes the bot's current window.
    """

    async def acquire(
        self, bot: str, text: str, *, on_wait: Callable[[float | None], None] | None = None
    ) -> str: ...

    def sent(self, bot: str, text: str, *, delivered: bool = True) -> None: ...

    def release(self, bot: str, text: str) -> None: ...

    def budget(self, bot: str) -> SendBudget: ...

    def observe_role(self, bot: str, role: Role) -> None:
        """The role the channel shows for the bot (its badges); it may change the limits."""
        ...

    def role(self, bot: str) -> Role:
        """The role the bot's limits are sized for."""
        ...

    def set_slow_mode(self, seconds: float) -> None:
        """The channel's slow mode: a viewer-role account waits this long between messages
        (0: off); moderators, the broadcaster and VIPs are exempt."""
        ...

    def send_times(self, bot: str, count: int) -> list[float]:
        """When `bot`'s next `count` messages could go out at the earliest (loop times),
        if each used the first free slot; what raid mode forecasts a backlog with."""
        ...


class RateLimiter:
    """The `SendLimiter` for chat accounts: see the module docstring."""

    def __init__(
        self,
        roles: Mapping[str, Role | str],
        limits: SendLimits | None = None,
        *,
        shared: SharedBucket | None = None,
    ) -> None:
        self.limits = limits or SendLimits()
        self._accounts = {bot: _Account(Role(role)) for bot, role in roles.items()}
        self._slow = 0.0  # the channel's slow mode, seconds
        self.shared = shared
        self._shared_done: deque[float] = deque()  # completions within the shared window
        self._shared_in_flight = 0

    # ------------------------------------------------------------- the protocol
    async def acquire(self, bot: str, text: str, *, on_wait: WaitListener | None = None) -> str:
        """Wait until `bot` may send, reserve the slot, and return the text to send.

        The text comes back unchanged unless it repeats one of the bot's recent texts
        (then it gets a small visible variation) or is longer than `max_chars` (cut).
        `on_wait` hears the loop time the send is expected at while waiting, then None.
        """
        account = self._account(bot)
        loop = asyncio.get_running_loop()
        account.waiter_count += 1
        try:
            async with account.lock:
                while True:
                    now = loop.time()
                    ready_at = self._ready_at(account, now)
                    if ready_at is not None and ready_at <= now:
                        break
                    if on_wait is not None:
                        on_wait(ready_at)
                    await self._pause(account, loop, None if ready_at is None else ready_at - now)
                # No await from here on: the reservation is atomic with the check above.
                text = self._unique_text(account, text, now)
                account.in_flight += 1
                if self.shared is not None:
                    self._shared_in_flight += 1
                account.texts.append(_Text(text, now))
                return text
        finally:
            account.waiter_count -= 1
            if on_wait is not None:
                on_wait(None)

    def sent(self, bot: str, text: str, *, delivered: bool = True) -> None:
        """The reserved message went out, or may have: a failed send counts against the
        window too, but with `delivered=False` its text is no duplicate (nobody saw it)."""
        account = self._account(bot)
        now = self._now()
        account.in_flight = max(0, account.in_flight - 1)
        account.done.append(now)
        account.last_done = max(account.last_done, now)
        entry = self._in_flight_text(account, text)
        if not delivered:
            if entry is not None:
                account.texts.remove(entry)
        elif entry is None:
            account.texts.append(_Text(text, now, in_flight=False))
        else:
            entry.at, entry.in_flight = now, False
        if self.shared is not None:
            self._shared_in_flight = max(0, self._shared_in_flight - 1)
            self._shared_done.append(now)
        self._wake(account)

    def release(self, bot: str, text: str) -> None:
        """The reserved message was certainly not sent (its job ended before the send)."""
        account = self._account(bot)
        account.in_flight = max(0, account.in_flight - 1)
        entry = self._in_flight_text(account, text)
        if entry is not None:
            account.texts.remove(entry)
        if self.shared is not None:
            self._shared_in_flight = max(0, self._shared_in_flight - 1)
        self._wake(account)

    def _wake(self, account: _Account) -> None:
        """The account's waiter, and with a shared bucket every account's (a slot there
        may have freed for any of them)."""
        if self.shared is None:
            account.wake()
            return
        for each in self._accounts.values():
            each.wake()

    def budget(self, bot: str) -> SendBudget:
        account = self._account(bot)
        now = self._now()
        self._expire(account, now)
        ready_at = self._ready_at(account, now)
        # None: waiting for a send in flight to complete
        next_free = self._spacing(account.role) if ready_at is None else max(0.0, ready_at - now)
        return SendBudget(
            used=len(account.done) + account.in_flight,
            limit=self.limits.per_window(account.role),
            window=self.limits.window,
            next_free_in=next_free,
            waiting=account.waiter_count,
            role=account.role.value,
        )

    def send_times(self, bot: str, count: int) -> list[float]:
        """The earliest loop times of the bot's next `count` sends, each taking the first
        free slot and landing at once: the same window and spacing rules, run forward.

        Raid mode uses it to see whether a backlog can be answered in time one by one.
        """
        account = self._account(bot)
        now = self._now()
        self._expire(account, now)
        role = account.role
        per_window = self.limits.per_window(role)
        spacing = self._spacing(role)
        window = self.limits.window
        history = sorted([*account.done, *([now] * account.in_flight)])  # in flight: lands now
        last = max(account.last_done, now if account.in_flight else -math.inf)
        shared = self.shared
        pooled = sorted([*self._shared_done, *([now] * self._shared_in_flight)])
        times = []
        at = now
        for _ in range(count):
            if spacing:
                at = max(at, last + spacing)
            if len(history) >= per_window:
                at = max(at, history[-per_window] + window)
            if shared is not None and len(pooled) >= shared.limit:
                at = max(at, pooled[-shared.limit] + shared.window)
            times.append(at)
            history.append(at)
            pooled.append(at)
            last = at
        return times

    # ----------------------------------------------------------------- roles
    def role(self, bot: str) -> Role:
        return self._account(bot).role

    def set_slow_mode(self, seconds: float) -> None:
        """Slow mode spaces a viewer's messages by `seconds` (at least `spacing`); waiting
        sends are re-timed at once, both ways."""
        self._slow = max(0.0, seconds)
        for account in self._accounts.values():
            account.wake()

    def _spacing(self, role: Role) -> float:
        spacing = self.limits.spacing_for(role)
        return max(spacing, self._slow) if role is Role.VIEWER else spacing

    def observe_role(self, bot: str, role: Role) -> None:
        """The role seen on the bot's own message in the channel; it wins over the config.

        Both ways: a bot configured as moderator whose messages carry no moderator badge
        is held to a viewer's limits, which is what Twitch will hold it to.
        """
        account = self._accounts.get(bot)
        if account is None or account.observed is role:
            return
        account.observed = role
        account.wake()

    # ------------------------------------------------------------- internals
    def _account(self, bot: str) -> _Account:
        try:
            return self._accounts[bot]
        except KeyError:
            raise KeyError(f"unknown bot {bot!r}") from None

    _now = staticmethod(loop_time)

    def _expire(self, account: _Account, now: float) -> None:
        window = self.limits.window
        done = account.done
        while done and done[0] + window <= now:
            done.popleft()
        keep = self.limits.duplicate_window
        texts = account.texts
        while texts and not texts[0].in_flight and texts[0].at + keep <= now:
            texts.popleft()

    def _ready_at(self, account: _Account, now: float) -> float | None:
        """When the account may start its next send; None while only a completion can tell."""
        self._expire(account, now)
        role = account.role
        spacing = self._spacing(role)
        if spacing and account.in_flight:
            return None  # non-moderators send one at a time, spaced from the completion
        ready = now
        excess = len(account.done) + account.in_flight - self.limits.per_window(role)
        if excess >= 0:
            if excess >= len(account.done):
                return None  # the window is full of sends still in flight
            ready = max(ready, account.done[excess] + self.limits.window)
        if spacing:
            ready = max(ready, account.last_done + spacing)
        shared = self.shared
        if shared is not None:
            pooled = self._shared_done
            while pooled and pooled[0] + shared.window <= now:
                pooled.popleft()
            over = len(pooled) + self._shared_in_flight - shared.limit
            if over >= 0:
                if over >= len(pooled):
                    return None  # the shared window is full of sends still in flight
                ready = max(ready, pooled[over] + shared.window)
        return ready

    @staticmethod
    async def _pause(
        account: _Account, loop: asyncio.AbstractEventLoop, delay: float | None
    ) -> None:
        """Sleep `delay` seconds (forever if None) unless something frees the account first."""
        waker: asyncio.Future[None] = loop.create_future()
        account.waker = waker
        handle = loop.call_later(delay, _resolve, waker) if delay is not None else None
        try:
            await waker
        finally:
            if handle is not None:
                handle.cancel()
            account.waker = None

    def _unique_text(self, account: _Account, text: str, now: float) -> str:
        limit = self.limits.max_chars
        text = cut_to_length(text, limit)
        recent = {
            entry.text
            for entry in account.texts
            if entry.in_flight or entry.at + self.limits.duplicate_window > now
        }
        if text not in recent:
            return text
        for n in itertools.count(2):
            suffix = " (again)" if n == 2 else f" (x{n})"
            candidate = cut_to_length(text, limit - len(suffix)) + suffix
            if candidate not in recent:
                return candidate
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _in_flight_text(account: _Account, text: str) -> _Text | None:
        for entry in account.texts:
            if entry.in_flight and entry.text == text:
                return entry
        return None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
