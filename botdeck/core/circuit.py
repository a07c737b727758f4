"""A circuit breaker for the AI server: an outage is waited out together, not failed alone.

Without it, every reply that meets a dead server burns its own retries and fails, and
nothing tries again once the server is back. With it, the first transient failure
(refused or reset connections, timeouts, 5xx, 429) opens the circuit; while it is open
no request goes out except one probe at a time, after a backoff that doubles per failed
probe (or what the server's Retry-After asked for). The replies wait meanwhile; the
probe is simply the next reply that wants to go, so a success answers a viewer and
closes the circuit for everyone.

States: `closed` (requests go) -> `open` (a transient failure; waiters wait for the next
probe time) -> `probing` (one request in flight) -> `closed` on success, `open` again on
a transient failure. Any answer from the server, even a refusal, closes it: the server is
up, and a refusal is not an outage.

`limit_waits(at)` ends every wait, current or to come, by loop time `at`, whatever each
caller asked: a drain does not wait out an outage (the router wants to finish, and a
dead server would otherwise hold it for `outage_wait`).

Times are the running loop's (`loop.time()`), so the tests run it on virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from botdeck.model.events import AIState


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PROBING = "probing"


class OutageTooLong(Exception):
    """Raised by `Circuit.admit` when the caller's wait ran out with the circuit still open."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """Permission to send one request; `probe`: this request decides for everyone."""

    probe: bool


@dataclass(frozen=True, slots=True)
class CircuitChange:
    """What listeners hear: the server went down (the circuit opened), came back (it
    closed, with how long it was down), or refused the setup (with what to fix)."""

    state: AIState
    reason: str
    down_for: float = 0.0


GO = Ticket(probe=False)


class Circuit:
    def __init__(
        self,
        *,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop it last ran in
        self._state = CircuitState.CLOSED
        self._backoff = base_delay
        self._next_probe = 0.0
        self.down_since: float | None = None  # the first failure since the last success
        self.reason: str | None = None  # the latest transient failure, while down
        self.refused: str | None = None  # a setup problem: what to fix, until a success
        self._limit: float | None = None  # every wait ends by then (a drain), if set
        self._changed = asyncio.Event()
        self._listeners: list[Callable[[CircuitChange], None]] = []

    # ------------------------------------------------------------- observing
    @property
    def state(self) -> CircuitState:
        return self._state

    @property
    def down(self) -> bool:
        return self._state is not CircuitState.CLOSED

    def down_for(self) -> float | None:
        """Seconds the server has been down, or None when it is up."""
        return None if self.down_since is None else self._now() - self.down_since

    def add_listener(self, listener: Callable[[CircuitChange], None]) -> None:
        self._listeners.append(listener)

    def waits_over(self) -> bool:
        """Nobody may wait for the server any more (`limit_waits` has passed)."""
        return self._limit is not None and self._now() >= self._limit

    # -------------------------------------------------------------- limiting
    def limit_waits(self, at: float | None) -> None:
        """Every wait, current or to come, ends by loop time `at` (None: as each caller
        asked); the current waiters look again at once."""
        if at != self._limit:
            self._limit = at
            self._wake()

    # ---------------------------------------------------------------- asking
    async def admit(self, until: float | None = None) -> Ticket:
        """Wait until a request may go: at once while closed; while open, until this
        caller is the next probe. Raises `OutageTooLong` at loop time `until`, or at the
        limit on every wait (`limit_waits`), whichever is sooner."""
        asked = until
        while True:
            if self._state is CircuitState.CLOSED:
                return GO
            until = asked
            if self._limit is not None:
                until = self._limit if until is None else min(until, self._limit)
            now = self._now()
            if until is not None and now >= until:
                raise OutageTooLong  # a caller whose wait is over does not probe either
            if self._state is CircuitState.OPEN and now >= self._next_probe:
                self._state = CircuitState.PROBING
                return Ticket(probe=True)
            wake = self._next_probe if self._state is CircuitState.OPEN else None
            if until is not None:
                wake = until if wake is None else min(wake, until)
            changed = self._changed
            try:
                async with asyncio.timeout_at(wake):
                    await changed.wait()
            except TimeoutError:
                pass

    # ------------------------------------------------------------ reporting
    def succeeded(self, ticket: Ticket) -> None:
        """The server answered with a reply: closed, the backoff starts over."""
        self.refused = None
        self._close()

    def answered(self, ticket: Ticket, fix: str | None = None) -> None:
        """The server answered with an error no wait cures (a refused key, ...): it is up;
        `fix` says what to change and stays until a success."""
        if fix is not None and fix != self.refused:
            self.refused = fix
            self._tell(CircuitChange(AIState.REFUSED, fix))
        self._close()

    def failed(self, ticket: Ticket, reason: str, retry_after: float | None = None) -> None:
        """A transient failure: open (or stay open) until the next probe time."""
        now = self._now()
        self.reason = reason
        if self._state is CircuitState.CLOSED:
            self.down_since = now
            self._backoff = self._base_delay
            self._state = CircuitState.OPEN
            self._next_probe = now + (retry_after if retry_after is not None else self._backoff)
            self._tell(CircuitChange(AIState.DOWN, reason))
        elif ticket.probe:
            self._backoff = min(self._backoff * 2, self._max_delay)
            self._state = CircuitState.OPEN
            self._next_probe = now + (retry_after if retry_after is not None else self._backoff)
        # A request that was already in flight when the circuit opened changes nothing.
        self._wake()

    def abandoned(self, ticket: Ticket) -> None:
        """The probe ended without a verdict (its job was cancelled): another may probe."""
        if ticket.probe and self._state is CircuitState.PROBING:
            self._state = CircuitState.OPEN
            self._next_probe = self._now()
            self._wake()

    # ------------------------------------------------------------- internals
    def _close(self) -> None:
        if self._state is CircuitState.CLOSED:
            return
        down_for = self.down_for() or 0.0
        reason = self.reason or ""
        self._state = CircuitState.CLOSED
        self.down_since = None
        self.reason = None
        self._backoff = self._base_delay
        self._wake()
        self._tell(CircuitChange(AIState.UP, reason, down_for))

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _tell(self, change: CircuitChange) -> None:
        for listener in self._listeners:
            listener(change)

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock()
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:  # a summary after the loop ended: that loop's clock still
            # (a virtual clock's time is not the machine's: "AI down for 17164 s")
            return self._loop.time() if self._loop is not None else time.monotonic()
        return self._loop.time()
