"""Summaries of a stream in fixed memory: percentiles, the most frequent names, a sample.

A journal may hold millions of replies, and the report reads it in one pass, so none of
these keeps what it is fed: each has a size fixed in advance, whatever the journal's.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Hashable
from typing import Generic, TypeVar

from botdeck.core.stats import percentile

EXACT = 2_048  # values kept as they are: percentiles of up to this many are exact
RELATIVE_ERROR = 0.005  # then: a percentile within 0.5% of the true one
TINY = 0.001  # seconds: latencies are journaled to the millisecond; below is 0
_GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(_GAMMA)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Quantiles:
    """Nearest-rank percentiles of non-negative values (seconds).

    The first `EXACT` values are kept and the percentiles are exact (as `core.stats`
    computes them for the dashboard). Past that, values go into logarithmic buckets
    (each (1 + e)/(1 - e) times the last, e = `RELATIVE_ERROR`), and a percentile is the
    middle of its bucket: within 0.5% of the true nearest-rank value, or 1 ms below
    `TINY`. Memory: at most about 2,000 buckets (1 ms to a week, the most a latency may be).
    """

    __slots__ = ("_buckets", "_exact", "_tiny", "count", "max")

    def __init__(self) -> None:
        self.count = 0
        self.max: float | None = None
        self._exact: array[float] | None = array("d")
        self._buckets: dict[int, int] = {}
        self._tiny = 0

    @property
    def exact(self) -> bool:
        return self._exact is not None

    def add(self, value: float) -> None:
        self.count += 1
        self.max = value if self.max is None else max(self.max, value)
        if self._exact is not None:
            self._exact.append(value)
            if len(self._exact) > EXACT:
                kept, self._exact = self._exact, None
                for old in kept:
                    self._bucket(old)
            return
        self._bucket(value)

    def _bucket(self, value: float) -> None:
        if value < TINY:
            self._tiny += 1
        else:
            key = math.ceil(math.log(value) / _LOG_GAMMA)
            self._buckets[key] = self._buckets.get(key, 0) + 1

    def quantile(self, q: float) -> float | None:
        """The `q`th percentile (0..100), nearest rank; None without values."""
        if not self.count:
            return None
        if self._exact is not None:
            return percentile(sorted(self._exact), q)
        rank = max(1, math.ceil(self.count * q / 100))
        seen = self._tiny
        if rank <= seen:
            return 0.0
        for key in sorted(self._buckets):
            seen += self._buckets[key]
            if rank <= seen:
                middle = 2 * _GAMMA**key / (_GAMMA + 1)
                return round(min(middle, self.max or middle), 3)
        return self.max

    def above(self, limit: float) -> int:
        """How many values exceed `limit` (exact while exact; else by bucket, so values
        within 0.5% of `limit` may be counted on either side)."""
        if self._exact is not None:
            return sum(1 for value in self._exact if value > limit)
        if limit < TINY:
            return self.count - self._tiny
        edge = math.ceil(math.log(limit) / _LOG_GAMMA)
        return sum(n for key, n in self._buckets.items() if key > edge)


class TopCounts(Generic[K]):
    """The most frequent keys of a stream in `capacity` counters (Space-Saving).

    Exact while fewer than `capacity` different keys came. After that a new key takes
    the smallest counter's place, with its count plus one, and remembers that count as
    its possible error: a key's true count lies between `count - error` and `count`, and
    no key more frequent than the smallest kept count is ever missed. `top` ranks by the
    count each key surely has.
    """

    __slots__ = ("_counts", "_heap", "capacity", "evicted")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._counts: dict[K, list[int]] = {}  # key -> [count, error]
        self._heap: list[tuple[int, int, K]] = []  # (count, tie, key), stale ones included
        self.evicted = 0  # counters given to another key

    def add(self, key: K) -> None:
        counts = self._counts
        held = counts.get(key)
        if held is not None:
            held[0] += 1
            self._push(held[0], key)
        elif len(counts) < self.capacity:
            counts[key] = [1, 0]
            self._push(1, key)
        else:
            smallest = self._smallest()
            floor = counts.pop(smallest)[0]
            counts[key] = [floor + 1, floor]
            self._push(floor + 1, key)
            self.evicted += 1

    def _push(self, count: int, key: K) -> None:
        heap = self._heap
        heapq.heappush(heap, (count, id(key), key))
        if len(heap) > 4 * self.capacity:  # mostly stale: rebuild from the counts
            self._heap = [(held[0], id(k), k) for k, held in self._counts.items()]
            heapq.heapify(self._heap)

    def _smallest(self) -> K:
        """The key with the smallest count (entries whose count has moved on are stale)."""
        heap, counts = self._heap, self._counts
        while True:
            count, _, key = heap[0]
            held = counts.get(key)
            if held is not None and held[0] == count:
                return key
            heapq.heappop(heap)

    def top(self, n: int) -> list[tuple[K, int]]:
        """The `n` keys seen most, each with the count it surely has (at least 1)."""
        sure = [(key, max(1, count - error)) for key, (count, error) in self._counts.items()]
        return sorted(sure, key=lambda item: -item[1])[:n]

    @property
    def exact(self) -> bool:
        return self.evicted == 0


class EvenSample(Generic[T]):
    """At most `capacity` items of a stream, spread evenly over all of it.

    Every item is kept while they fit; then every second one, every fourth, ... (each
    time the list would overflow, the stride doubles and every other kept item goes),
    so what is kept covers the whole stream, first to last, in order. `wants()` says
    whether the next item would be kept, so a caller builds only those.
    """

    __slots__ = ("_items", "capacity", "seen", "stride")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.seen = 0
        self.stride = 1
        self._items: list[tuple[int, T]] = []

    def wants(self) -> bool:
        return self.seen % self.stride == 0

    def add(self, item: T) -> None:
        if self.wants():
            self._items.append((self.seen, item))
            if len(self._items) > self.capacity:
                self.stride *= 2
                self._items = [(i, kept) for i, kept in self._items if i % self.stride == 0]
        self.seen += 1

    def skip(self) -> None:
        """Count an item not kept (one `wants()` said no to)."""
        self.seen += 1

    @property
    def items(self) -> list[T]:
        return [item for _, item in self._items]
