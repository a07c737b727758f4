"""Chatterino's plain text logs: one file per channel and day.

    # Start logging at 2024-03-05 20:15:03 CET
    [20:15:09]  viewer1: hello chat
    [20:15:12] ニック nick_jp: こんにちは
    [20:16:40] spammer has been timed out for 10m 0s.

A chat line is `[HH:MM:SS] ` then the display name when it differs from the login (for
names in other scripts), the login, `: ` and the text; other lines are the channel's
notices, of which timeouts, bans and a cleared chat are kept. Times are seconds from
midnight of the first day logged: the "Start logging" lines give the date, so a log
joined across days counts on; without them a time earlier than the last by more than
twelve hours is taken as the next day.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from botdeck.model.channel import ChatCleared, UserCleared

DAY = 86_400.0
_TIME = r"\[(\d{1,2}):(\d{2}):(\d{2})\] "
LINE_START = re.compile(_TIME)
_CHAT = re.compile(_TIME + r"(?:([^\s:]*) )?([A-Za-z0-9_]{1,25}): ?(.*)$", re.DOTALL)
_NOTICE = re.compile(_TIME + r"(.*)$", re.DOTALL)
_HEADER = re.compile(r"# (Start|Stop) logging at (\d{4})-(\d{2})-(\d{2}) ")
_REMOVED = re.compile(r"(\w{1,25}) has been (?:timed out|permanently banned|banned)\b")
_REMOVED_BY = re.compile(r"\w{1,25} (?:timed out|banned) (\w{1,25})\b")  # as moderators see it
_CLEARED = re.compile(r"Chat has been cleared by a moderator")


class ChatterinoError(ValueError):
    """A line that is not one of Chatterino's; the message says why."""


@dataclass(frozen=True, slots=True)
class ChatterinoChat:
    at: float
    user: str  # the login as written
    display_name: str  # the localized name, or ""
    text: str


ChatterinoEvent = ChatterinoChat | tuple[float, UserCleared | ChatCleared]


def looks_like(line: str) -> bool:
    """The start of a Chatterino log line (a chat line, a notice or a header)."""
    return bool(LINE_START.match(line)) or line.startswith(("# Start logging", "# Stop logging"))


class ChatterinoLog:
    """A Chatterino file read in order: the time of day of each line made a count of
    seconds that keeps growing across midnight."""

    def __init__(self) -> None:
        self._first_day: datetime.date | None = None
        self._day = 0.0  # seconds from the first day's midnight to today's
        self._last = -1.0  # the last time of day read, for wraps without a header

    def read(self, line: str) -> ChatterinoEvent | None:
        """What the line is; None for a notice that means nothing to a replay (and for
        the headers, which only set the day)."""
        header = _HEADER.match(line)
        if header:
            self._set_date(header)
            return None
        chat = _CHAT.match(line)
        if chat:
            hours, minutes, seconds, display, login, text = chat.groups()
            return ChatterinoChat(self._time(hours, minutes, seconds), login, display or "", text)
        notice = _NOTICE.match(line)
        if notice is None:
            raise ChatterinoError("not a Chatterino line")
        hours, minutes, seconds, text = notice.groups()
        at = self._time(hours, minutes, seconds)
        if _CLEARED.match(text):
            return (at, ChatCleared())
        removed = _REMOVED.match(text) or _REMOVED_BY.match(text)
        if removed:
            return (at, UserCleared(removed.group(1).lower()))
        return None

    def _set_date(self, header: re.Match[str]) -> None:
        try:
            date = datetime.date(int(header.group(2)), int(header.group(3)), int(header.group(4)))
        except ValueError:
            raise ChatterinoError("a header with no such date") from None
        if self._first_day is None:
            self._first_day = date
        days = (date - self._first_day).days
        if days < 0:
            raise ChatterinoError(f"a header dated before the first one ({self._first_day})")
        if days * DAY > self._day:
            self._day = days * DAY
            self._last = -1.0

    def _time(self, hours: str, minutes: str, seconds: str) -> float:
        of_day = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
        if int(hours) > 23 or int(minutes) > 59 or int(seconds) > 59:
            raise ChatterinoError(f"no such time {hours}:{minutes}:{seconds}")
        if self._last >= 0 and of_day < self._last - DAY / 2:
            self._day += DAY  # past midnight without a new header
        self._last = of_day
        return self._day + of_day
