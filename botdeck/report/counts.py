"""Counts keyed by untrusted text (bot names, reasons, field values), of bounded size.

A journal is untrusted: a million different reasons or bot names must not become a
million keys. Each counter names its first `limit` keys and counts the rest under one
label; every key is cut to `KEY_KEPT` characters first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Generic, TypeVar

from botdeck.report.lines import cut
from botdeck.report.model import Unsent, UnsentGroup
from botdeck.report.sketch import EvenSample

KEY_KEPT = 200
T = TypeVar("T")


class CappedCounter:
    """A Counter of at most `limit` named keys, and `other` for the rest."""

    def __init__(self, limit: int, other: str = "(others)") -> None:
        self.limit = limit
        self.other = other
        self.counts: Counter[str] = Counter()

    def key(self, value: str) -> str:
        key = cut(value, KEY_KEPT)
        if key not in self.counts and len(self.counts) >= self.limit:
            return self.other
        return key

    def add(self, value: str, count: int = 1) -> str:
        key = self.key(value)
        self.counts[key] += count
        return key

    def most_common(self) -> dict[str, int]:
        return dict(self.counts.most_common())


class Named(Generic[T]):
    """One `T` per name, for the first `limit` names; later names share `other`'s."""

    def __init__(self, limit: int, make: Callable[[], T], other: str) -> None:
        self.limit = limit
        self.other = other
        self._make = make
        self.by_name: dict[str, T] = {}

    def name(self, value: str) -> str:
        name = cut(value, KEY_KEPT)
        if name not in self.by_name and len(self.by_name) >= self.limit:
            return self.other
        return name

    def __getitem__(self, name: str) -> T:
        found = self.by_name.get(name)
        if found is None:
            found = self.by_name[name] = self._make()
        return found


class UnsentGroups:
    """Replies not sent, grouped by "outcome: reason": each group's count, and at most
    `shown` of its replies, evenly spread over the journal."""

    def __init__(self, limit: int, shown: int) -> None:
        self._keys = CappedCounter(limit, "(other reasons)")
        self._shown = shown
        self._samples: dict[str, EvenSample[Unsent]] = {}

    def wants(self, reason: str) -> str | None:
        """The group `reason` counts in, if its sample keeps the next reply; else None
        (the reply is only counted)."""
        key = self._keys.add(reason)
        sample = self._samples.get(key)
        if sample is None:
            sample = self._samples[key] = EvenSample(self._shown)
        if sample.wants():
            return key
        sample.skip()
        return None

    def add(self, key: str, unsent: Unsent) -> None:
        self._samples[key].add(unsent)

    def groups(self) -> list[UnsentGroup]:
        return [
            UnsentGroup(key, count, self._samples[key].items)
            for key, count in self._keys.counts.most_common()
        ]
