"""Small, allocation-light statistics for the metrics snapshot."""

from __future__ import annotations

from collections import deque

from botdeck.model.snapshot import Percentiles


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty list (q in 0..100)."""
    if not sorted_values:
        raise ValueError("percentile of an empty list")
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil without floats drifting
    return sorted_values[int(rank) - 1]


class LatencyWindow:
    """The last `capacity` latencies, with percentiles cached until the next sample.

    A UI polls percentiles at 10 Hz while samples arrive far less often, so caching
    makes the poll O(1) between samples.
    """

    __slots__ = ("_cache", "_samples")

    def __init__(self, capacity: int = 1024) -> None:
        self._samples: deque[float] = deque(maxlen=capacity)
        self._cache: Percentiles | None = Percentiles.empty()

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)
        self._cache = None

    def percentiles(self) -> Percentiles:
        if self._cache is None:
            ordered = sorted(self._samples)
            self._cache = Percentiles(
                percentile(ordered, 50), percentile(ordered, 95), ordered[-1], len(ordered)
            )
        return self._cache


class RateCounter:
    """Events per minute over the last 60 s, counted in one-second buckets.

    Adding is a compare and an increment on the hot path; reading walks at most 60 buckets.
    """

    __slots__ = ("_buckets", "_current", "_second")

    def __init__(self) -> None:
        self._buckets: deque[tuple[int, int]] = deque()
        self._second = -1
        self._current = 0

    def add(self, now: float) -> None:
        second = int(now)
        if second != self._second:
            if self._current:
                self._buckets.append((self._second, self._current))
                if len(self._buckets) > 64:
                    self._buckets.popleft()
            self._second = second
            self._current = 0
        self._current += 1

    def per_minute(self, now: float) -> float:
        cutoff = int(now) - 60
        total = self._current if self._second > cutoff else 0
        return float(total + sum(count for second, count in self._buckets if second > cutoff))
