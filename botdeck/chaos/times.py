"""Offsets into a run, as a fault plan writes them and its errors say them."""

from __future__ import annotations

import math
import re

_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)")
MAX_OFFSET = 7 * 86_400.0  # a week: longer than any stream a plan is for


def parse_offset(value: object) -> float:
    """Seconds (`90`, `90.5`) or a clock (`"1:30"`, `"1:02:03"`); never negative."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or M:SS, got a true/false")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        match = _CLOCK.fullmatch(text)
        if match is None:
            try:
                seconds = float(text)
            except ValueError:
                raise ValueError(f"expected seconds or M:SS, got {value!r}") from None
        else:
            hours, minutes, secs = match.groups()
            if (int(minutes) >= 60 and hours is not None) or float(secs) >= 60:
                raise ValueError(f"expected M:SS or H:MM:SS, got {value!r}")
            seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
    else:
        raise ValueError(f"expected seconds or M:SS, got {type(value).__name__}")
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_OFFSET:
        raise ValueError(f"expected 0 to {MAX_OFFSET:,.0f} seconds, got {value!r}")
    return seconds


def offset_label(seconds: float) -> str:
    """`1:30`, `1:02:03`: how the report's offsets and a plan's errors show a time."""
    whole = int(seconds)
    fraction = seconds - whole
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{secs:02d}" + (f"{fraction:.1f}"[1:] if fraction >= 0.05 else "")
    return f"{hours}:{minutes:02d}:{tail}" if hours else f"{minutes}:{tail}"
