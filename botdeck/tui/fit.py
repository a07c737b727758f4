"""Fitting a line of figures to the width it has, so that what matters is never cut.

A line is a list of parts, each with a rank: rank 0 must show whole (the router state,
the uptime, a card's size, pending, budget, the totals' p50 and p95); higher ranks are
left out, the highest first, while the line is too wide, after the separators between
parts shrank to one space. Parts keep their order. Only when the rank-0 parts alone do
not fit (a terminal the layout would not give this much) is the end cut with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

WIDE, TIGHT = "  ", " "


@dataclass(frozen=True, slots=True)
class Part:
    text: Text
    rank: int = 0  # 0: always shown; higher ones give way first

    @classmethod
    def of(cls, *pieces: str | tuple[str, str], rank: int = 0) -> Part:
        return cls(Text.assemble(*pieces), rank)


def _join(parts: Sequence[Part], separator: str) -> Text:
    return Text(separator).join(part.text for part in parts)


def fit_line(parts: Sequence[Part], width: int | None, *, sep: str = WIDE) -> Text:
    """The parts joined to fit `width` cells (None: no limit, wide separators)."""
    kept = [part for part in parts if part.text.plain]
    line = _join(kept, sep)
    if width is None or line.cell_len <= width:
        return _done(line)
    line = _join(kept, TIGHT)
    for rank in sorted({part.rank for part in kept if part.rank > 0}, reverse=True):
        if line.cell_len <= width:
            break
        # Leave out this rank's parts one by one from the end, while still too wide.
        for index in range(len(kept) - 1, -1, -1):
            if kept[index].rank == rank and line.cell_len > width:
                del kept[index]
                line = _join(kept, TIGHT)
    if line.cell_len <= width:
        wide = _join(kept, sep)
        return _done(wide if wide.cell_len <= width else line)
    return _done(line)


def _done(line: Text) -> Text:
    line.no_wrap = True
    line.overflow = "ellipsis"
    return line


def fits(parts: Sequence[Part], width: int | None) -> bool:
    """Whether every part shows (with one space between) in `width` cells."""
    return width is None or _join([p for p in parts if p.text.plain], TIGHT).cell_len <= width


def fit_first(variants: Sequence[Sequence[Part]], width: int | None) -> Text:
    """The first variant (say, long labels, then short ones) that shows every part; else
    the last one fitted by rank."""
    for parts in variants:
        if fits(parts, width):
            return fit_line(parts, width)
    return fit_line(variants[-1], width)
