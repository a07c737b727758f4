"""Reading a recorded chat log for replay: five formats, checked in full before a run.

The format is told from the content (not the file name), optionally gzip-compressed:

- botdeck JSONL: one `{"t": seconds, "user": "…", "text": "…"}` per line (`display_name`,
  `badges` and `emotes` optional, other fields ignored), or a moderator's action, chat
  settings or a channel event: `{"t": …, "event": "delete" | "clear_user" | "clear" |
  "chat_settings" | "raid" | "sub" | "gift" | "follow" | "cheer" | "announcement" |
  "update", …}` (see `botdeck.chat.channel_events`);
- the chat JSON that TwitchDownloader writes: `comments[]` with `content_offset_seconds`,
  `commenter.name`/`display_name` and `message.body` (or its `fragments`);
- raw Twitch IRC, one line each with its tags, as Chatterino and the public log services
  keep it (`botdeck.chat.irc_log`): chat, timeouts and bans (`CLEARCHAT`), deleted lines
  (`CLEARMSG`), chat modes (`ROOMSTATE`), raids, subs, gifts and announcements
  (`USERNOTICE`);
- recent-messages JSON: `{"messages": [raw IRC lines]}`;
- Chatterino's text logs, `[HH:MM:SS] user: text` (`botdeck.chat.chatterino_log`).

The line formats (JSONL, IRC, Chatterino) are told line by line: the first usable line
decides the file's format, and a usable line of another format later is a `ReplayError`
naming the line where the format changes (two logs joined). Emotes are kept where the log
marks them (IRC's `emotes` tag, TwitchDownloader's emote fragments, JSONL's `emotes`).

The whole file is read and checked before the run starts, so a bad file fails at once
and never halfway through a rehearsal. The rule (README, "Replaying a chat log"): a file
that cannot be a chat log (missing, unreadable, not a regular file, empty, not JSON,
JSON of another shape, no playable line, too large, too many unusable lines, formats
mixed) is a `ReplayError` naming the file and, where there is one, the line; a single
unusable line (not JSON, a malformed IRC line, nested too deeply, a missing or ill-typed
field, longer than 64 KiB, empty text) is skipped with a warning naming its line.

The file is streamed (`botdeck.storage.files`): line formats line by line, never more than one
line held; a JSON document is one value and is read whole, within the same cap on its
uncompressed size.

Time: `t` is seconds from any origin (IRC: `tmi-sent-ts`, Unix time; Chatterino: seconds
from the first day's midnight). Lines out of time order by at most `ORDER_TOLERANCE` are
played in time order (a stable sort, so equal times keep the file's order), with one
warning; further back is refused (two logs joined). A log whose first line is at or after
`UNIX_TIME`, or a Chatterino log, tells clock time, so `start` counts from its first line
(a start that is itself a Unix time is taken as one). Gaps longer than `MAX_GAP` are
played as `MAX_GAP`, with one warning, so no log keeps a replay silent for hours (or
years); `--start` skips ahead instead.

`start` is the log time that plays first: `replay_start`, or unset the first line's
time; earlier lines are left out. `botdeck.chat.replay` plays the result.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from botdeck.chat.channel_events import logged_event
from botdeck.chat.chatterino_log import ChatterinoChat, ChatterinoError, ChatterinoLog
from botdeck.chat.irc_log import IrcChannel, IrcChat, IrcError, parse_irc, sent_at
from botdeck.core.json_items import NotOneValue, WrongShape, array_items
from botdeck.core.json_items import kind as _kind
from botdeck.core.text import MAX_SCAN_CHARS, clean_text
from botdeck.model.channel import ChatSettings, MessageDeleted, ModerationEvent
from botdeck.model.stream import ChannelEvent
from botdeck.storage.files import (
    KIB,
    MIB,
    BlankRun,
    FileRefused,
    JSONTooDeep,
    Line,
    load_json,
    open_stream,
    read_lines,
)

MAX_LINE_BYTES = 64 * KIB  # a chat line is at most 500 characters; far longer is not chat
MAX_REPLAY_BYTES = 256 * MIB  # uncompressed: a long VOD's TwitchDownloader file fits
MAX_REPLAY_LINES = 1_000_000  # ten hours at 28 lines a second
MAX_UNUSABLE = 10_000  # more unusable lines than this: not a chat log
LEAD_LINES = 1_000  # the first playable line comes within this many, or it is no chat log
MAX_WARNINGS = 20  # kept word for word; the rest are counted
MAX_LOG_TIME = 1e10  # seconds: a Unix time (until 2286) or an offset into a log
UNIX_TIME = 1e9  # a log whose first line is this late is in Unix time (2001-09-09 on)
ORDER_TOLERANCE = 60.0  # seconds a line may be out of time order
MAX_GAP = 3600.0  # seconds of log time: a longer silence is played as an hour
_BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, which some tools write first
JSONL = "botdeck JSONL"
TWITCH_DOWNLOADER = "TwitchDownloader chat JSON"
IRC = "raw Twitch IRC"
RECENT_MESSAGES = "recent-messages JSON"
CHATTERINO = "Chatterino text log"
_SHAPES = (
    'expected botdeck JSONL ({"t": seconds, "user": …, "text": …} per line), '
    'a TwitchDownloader chat JSON (an object with "comments"), raw Twitch IRC lines with '
    'tags, recent-messages JSON ({"messages": [IRC lines]}) or a Chatterino text log'
)
_UNITS = {TWITCH_DOWNLOADER: "comment", RECENT_MESSAGES: "message"}  # the rest: "line"
_AS = {JSONL: "botdeck JSONL", IRC: "raw Twitch IRC", CHATTERINO: "Chatterino text"}
_CLOCK_FORMATS = (CHATTERINO,)  # times of day: `start` counts from the first line
_CHATTERINO_START = re.compile(rb"\[\d{1,2}:\d{2}:\d{2}\] |# (?:Start|Stop) logging at ")
MAX_KNOWN_IDS = 100_000  # IRC message ids remembered for CLEARMSG (a deletion is recent)


class ReplayError(Exception):
    """The replay file cannot be played; the message is one line naming file and line."""


@dataclass(frozen=True, slots=True)
class ReplayLine:
    at: float  # seconds, in the log's own time (after long gaps were shortened)
    user: str  # login, lower case
    display_name: str
    text: str  # cleaned, whole (the source cuts it for display after finding mentions)
    where: int  # the line (JSONL) or comment (TwitchDownloader) number, from 1
    badges: tuple[str, ...] = ()  # the sender's badge set ids, when the log has them
    event: ModerationEvent | ChatSettings | ChannelEvent | None = None  # instead of chat
    emotes: tuple[str, ...] = ()  # emote names the log marks in the text
    synthetic: bool = False  # made up by a rehearsal (`--mention-rate`), not in the log


@dataclass(frozen=True, slots=True)
class ReplayLog:
    """A checked log: the lines to play, in time order, and what was left out and why."""

    path: Path
    format: str
    lines: tuple[ReplayLine, ...]
    start: float  # the log time that plays at the start of the replay
    warnings: tuple[str, ...] = ()  # one line each, naming the file and line (the first few)
    skipped: int = 0  # unusable lines left out (lines before `start` are not counted)
    reordered: int = 0  # lines played earlier than their place in the file
    gaps: int = 0  # silences longer than MAX_GAP, played as MAX_GAP

    @property
    def duration(self) -> float:
        """Log seconds from `start` to the last line (divide by speed for play time)."""
        return self.lines[-1].at - self.start if self.lines else 0.0


class _Skip(Exception):
    """One unusable line: the reason, without the file and line (the caller adds them)."""


@dataclass(slots=True)
class _Problems:
    """Unusable lines: the first few word for word, all of them counted, a cap on both."""

    path: Path
    first: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, problem: str) -> None:
        self.count += 1
        if len(self.first) < MAX_WARNINGS:
            self.first.append(problem)
        if self.count > MAX_UNUSABLE:
            raise ReplayError(
                f"{self.path}: more than {MAX_UNUSABLE:,} unusable lines (first: "
                f"{self.first[0]}): is this a chat log? {_SHAPES}"
            )

    def warnings(self) -> list[str]:
        shown = [f"{self.path}: {problem}: skipped" for problem in self.first]
        hidden = self.count - len(self.first)
        if hidden:
            shown.append(f"{self.path}: ... and {hidden:,} more unusable lines skipped")
        return shown


# ------------------------------------------------------------------ loading
def load_replay(path: Path, *, start: float | None = None) -> ReplayLog:
    """Read and check the whole file; raise `ReplayError` if it cannot be played."""
    try:
        with open_stream(path, "chat log", MAX_REPLAY_BYTES) as stream:
            rows = read_lines(stream, MAX_LINE_BYTES)
            first = next(rows, None)
            if first is None:
                raise ReplayError(f"{path}: empty")
            if _is_line_log(first, rows):
                fmt, lines, problems = _line_log(path, _chain(first, rows), None)
                return _finish(path, fmt, lines, problems, start)
        try:
            fmt, lines, problems = _json_document(path)
        except NotOneValue as broken:  # a line log after all, whose first line is not JSON?
            with open_stream(path, "chat log", MAX_REPLAY_BYTES) as stream:
                fmt, lines, problems = _line_log(
                    path, read_lines(stream, MAX_LINE_BYTES), str(broken)
                )
        return _finish(path, fmt, lines, problems, start)
    except FileRefused as error:
        raise ReplayError(str(error)) from None
    except BlankRun as error:
        raise ReplayError(f"{path}: line {error.line}: {error}: not a chat log") from None


def _chain(first: Line, rest: Iterator[Line]) -> Iterator[Line]:
    yield first
    yield from rest


def _is_line_log(first: Line, rest: Iterator[Line]) -> bool:
    """A log of lines, or (False) one JSON value: a TwitchDownloader file or recent
    messages, often one long line."""
    if first.too_long:
        return False
    data = first.data.removeprefix(_BOM)
    if data[:1] not in (b"{", b"[") or _CHATTERINO_START.match(data):
        return True
    try:
        value = load_json(data)
    except ValueError:
        return False  # perhaps the first line of an indented document
    if isinstance(value, dict) and "t" in value:
        return True
    # One JSON value on a line of its own is a document; with more lines after it, JSONL
    # whose first line is of another shape (say a journal), which _line_log says.
    return next(rest, None) is not None


def _finish(
    path: Path,
    fmt: str,
    lines: list[ReplayLine],
    problems: _Problems,
    start: float | None,
) -> ReplayLog:
    if not lines:
        first = (
            f" ({problems.count} unusable; first: {problems.first[0]})" if problems.count else ""
        )
        raise ReplayError(f"{path}: no chat lines to play{first}")
    warnings = problems.warnings()
    unit = _UNITS.get(fmt, "line")
    disorder, reordered = _out_of_order(path, lines, unit)
    if disorder:
        lines = sorted(lines, key=lambda line: line.at)  # stable: ties keep the file's order
        warnings.append(f"{path}: {disorder}; played in time order")
    origin = _origin(path, lines, start, clock=fmt in _CLOCK_FORMATS)
    playable = [line for line in lines if line.at >= origin]
    playable, gaps, shortened = _shorten_gaps(playable, origin, unit)
    if shortened:
        warnings.append(f"{path}: {shortened}")
    return ReplayLog(
        path, fmt, tuple(playable), origin, tuple(warnings), problems.count, reordered, gaps
    )


def _out_of_order(path: Path, lines: Sequence[ReplayLine], unit: str) -> tuple[str | None, int]:
    """A warning for lines a little out of time order (and how many); a `ReplayError` for
    a line further back than `ORDER_TOLERANCE`: that is two logs in one, not jitter."""
    late = 0
    first = ""
    latest = lines[0]
    for line in lines[1:]:
        if line.at < latest.at:
            if latest.at - line.at > ORDER_TOLERANCE:
                raise ReplayError(
                    f"{path}: {unit} {line.where} (t={line.at:g}) is {latest.at - line.at:g} s "
                    f"earlier than {unit} {latest.where} (t={latest.at:g}); lines may be out of "
                    f"time order by at most {ORDER_TOLERANCE:g} s (two logs joined? replay each "
                    "on its own)"
                )
            if not late:
                first = (
                    f"{unit} {line.where} (t={line.at:g}) comes after "
                    f"{unit} {latest.where} (t={latest.at:g})"
                )
            late += 1
        else:
            latest = line
    if not late:
        return None, 0
    return f"{late} {unit}{'s' if late > 1 else ''} out of time order, first {first}", late


def _origin(
    path: Path, lines: Sequence[ReplayLine], start: float | None, *, clock: bool = False
) -> float:
    """The log time that plays first. In a Unix-time log (or one of times of day,
    `clock`) a small `start` counts from the first line, so `--start 0` is "from the
    beginning", not 1970 or midnight."""
    first, last = lines[0].at, lines[-1].at
    if start is None:
        return first
    unix = (clock or first >= UNIX_TIME) and start < UNIX_TIME
    origin = first + start if unix else start
    if origin > last:
        where = f"{last - first:g} s after its first line" if unix else f"t={last:g}"
        raise ReplayError(f"{path}: replay_start {start:g}s is after the last line ({where})")
    return origin


def _shorten_gaps(
    lines: list[ReplayLine], origin: float, unit: str
) -> tuple[list[ReplayLine], int, str | None]:
    """Silences longer than `MAX_GAP` (from `origin` to the first line too) played as
    `MAX_GAP`: the lines after each move earlier by the difference."""
    shift = 0.0
    previous = origin
    gaps = 0
    first = ""
    shortened: list[ReplayLine] = []
    for line in lines:
        gap = line.at - previous
        previous = line.at
        if gap > MAX_GAP:
            if not gaps:
                first = f"{gap:,.0f} s before {unit} {line.where} (t={line.at:g})"
            gaps += 1
            shift += gap - MAX_GAP
        shortened.append(dataclasses.replace(line, at=line.at - shift) if shift else line)
    if not gaps:
        return lines, 0, None
    many = f"{gaps} silences" if gaps > 1 else "a silence"
    return (
        shortened,
        gaps,
        (
            f"{many} longer than {MAX_GAP:g} s played as {MAX_GAP:g} s, the first "
            f"{first}; to begin later in the log, use --start (replay_start)"
        ),
    )


# ------------------------------------------------------------------ line logs
class _Reader(Protocol):
    """One line format, read in order (a reader may keep state from line to line)."""

    fmt: str
    known: bool  # a line was of this format, usable or not: the file is of it

    def read(self, text: str, where: int) -> list[ReplayLine]:
        """What the line plays (often one line; none for what is not chat), or `_Skip`."""
        ...


def _line_format(data: bytes) -> str:
    """Which format a line looks like (JSONL also for anything else: JSONL says why not)."""
    if data[:1] in (b"@", b":"):
        return IRC
    if _CHATTERINO_START.match(data):
        return CHATTERINO
    return JSONL


def _reader(fmt: str, path: Path) -> _Reader:
    if fmt == IRC:
        return _IrcReader(path)
    if fmt == CHATTERINO:
        return _ChatterinoReader()
    return _JsonlReader(path)


def _line_log(
    path: Path, rows: Iterator[Line], broken: str | None
) -> tuple[str, list[ReplayLine], _Problems]:
    lines: list[ReplayLine] = []
    problems = _Problems(path)
    reader: _Reader | None = None  # the file's format, once a line has shown it
    since = 0  # the line that showed it
    for row in rows:
        number = row.number
        try:
            if row.too_long:
                raise _Skip(f"longer than {MAX_LINE_BYTES // KIB} KiB")
            data = row.data.removeprefix(_BOM) if number == 1 else row.data
            fmt = _line_format(data)
            text = _decode(data)
            if reader is None:
                candidate = _reader(fmt, path)
                try:
                    read = candidate.read(text, number)
                finally:  # an unusable line of a known format still tells the format
                    if candidate.known:
                        reader, since = candidate, number
            elif fmt != reader.fmt:
                _check_not_other(path, fmt, text, number, reader.fmt, since)
                read = reader.read(text, number)  # _Skip, in the file's own words
            else:
                read = reader.read(text, number)
        except _Skip as skip:
            problems.add(f"line {number}: {skip}")
            _check_lead(path, lines, number, problems)
            continue
        lines.extend(read)
        _check_count(path, lines)
    if reader is None and problems.count:  # no line is of any format: this is no chat log
        if broken:  # it looked like one JSON document: say where it breaks
            raise ReplayError(f"{path}: {broken}")
        raise ReplayError(f"{path}: {problems.first[0]}; {_SHAPES}")
    return (reader.fmt if reader is not None else JSONL), lines, problems


def _check_not_other(path: Path, fmt: str, text: str, number: int, own: str, since: int) -> None:
    """A line another format plays means two logs joined: say where the format changes."""
    try:
        if not _reader(fmt, path).read(text, number):
            return  # nothing to play (an IRC JOIN, a Chatterino notice): no telling sign
    except (_Skip, ReplayError):
        return  # not a line of that format either: an unusable line of this one
    before = f"line {since}" if since == number - 1 else f"lines {since}-{number - 1}"
    raise ReplayError(
        f"{path}: the format changes at line {number}: {before}: {_AS[own]}; line {number} "
        f"is {_AS[fmt]} (two logs joined?); replay each part on its own"
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Skip("not UTF-8") from None


class _JsonlReader:
    fmt = JSONL

    def __init__(self, path: Path) -> None:
        self._path = path
        self.known = False  # the first line that is JSON decides what the file is

    def read(self, text: str, where: int) -> list[ReplayLine]:
        record = _json_line(text)
        if not self.known:
            if not (isinstance(record, dict) and "t" in record):
                what = 'an object without "t"' if isinstance(record, dict) else _kind(record)
                raise ReplayError(
                    f"{self._path}: line {where}: JSON of another shape ({what}): {_SHAPES}"
                )
            self.known = True
        return [_jsonl_line(record, where)]


class _IrcReader:
    """Raw IRC lines (also recent-messages' items). A line with no time (a ROOMSTATE, as
    Twitch sends it) takes the time of the line before it, or of the first that has one."""

    fmt = IRC

    def __init__(self, path: Path) -> None:
        self._channel = IrcChannel()
        self._ids: OrderedDict[str, str] = OrderedDict()  # Twitch's id -> the replay's id
        self._last: float | None = None
        self._untimed: list[ReplayLine] = []
        self.known = False

    def read(self, text: str, where: int) -> list[ReplayLine]:
        if len(text) > MAX_LINE_BYTES:
            raise _Skip(f"longer than {MAX_LINE_BYTES // KIB} KiB")
        try:
            message = parse_irc(text)
            self.known = True
            at = sent_at(message)
            event = self._channel.read(message, self._ids)
        except IrcError as error:
            raise _Skip(str(error)) from None
        if event is None:
            return []
        if at is not None and at > MAX_LOG_TIME:
            raise _Skip(f"tmi-sent-ts must be seconds <= {MAX_LOG_TIME:g}, got {at:g}")
        if isinstance(event, IrcChat):
            if at is None:
                raise _Skip("no tmi-sent-ts tag: a chat line without a time")
            line = _line(at, event.user, event.display_name, event.text, where)
            line = dataclasses.replace(
                line, badges=_badges(list(event.badges)), emotes=_badges(list(event.emotes))
            )
            if event.msg_id:
                self._remember(event.msg_id, where)
        else:
            if isinstance(event, MessageDeleted):
                event = MessageDeleted(clean_text(event.msg), clean_text(event.user).lower())
            line = ReplayLine(at or self._last or 0.0, "", "", "", where, event=event)
            if at is None and self._last is None:
                self._untimed.append(line)  # played with the first line that has a time
                return []
        if at is None:
            return [line]
        self._last = at
        early, self._untimed = self._untimed, []
        return [*(dataclasses.replace(e, at=at) for e in early), line]

    def item(self, item: Any, number: int) -> list[ReplayLine]:
        """One of recent-messages' items: an IRC line as a string."""
        if not isinstance(item, str):
            raise _Skip(f"expected an IRC line (a string), got {_kind(item)}")
        return self.read(item, number)

    def _remember(self, msg_id: str, where: int) -> None:
        self._ids[msg_id] = f"replay-{where}"
        if len(self._ids) > MAX_KNOWN_IDS:
            self._ids.popitem(last=False)


class _ChatterinoReader:
    fmt = CHATTERINO

    def __init__(self) -> None:
        self._log = ChatterinoLog()
        self.known = False

    def read(self, text: str, where: int) -> list[ReplayLine]:
        try:
            item = self._log.read(text)
        except ChatterinoError as error:
            raise _Skip(str(error)) from None
        self.known = True
        if item is None:
            return []
        if isinstance(item, ChatterinoChat):
            return [_line(item.at, item.user, item.display_name, item.text, where)]
        at, event = item
        return [ReplayLine(at, "", "", "", where, event=event)]


def _check_lead(path: Path, lines: list[ReplayLine], where: int, problems: _Problems) -> None:
    """A chat log plays from its first lines: a thousand unusable ones first is no log."""
    if not lines and problems.count >= LEAD_LINES:
        raise ReplayError(
            f"{path}: no playable line among the first {LEAD_LINES:,} (up to {where}; first "
            f"problem: {problems.first[0]}): is this a chat log? {_SHAPES}"
        )


def _check_count(path: Path, lines: list[ReplayLine]) -> None:
    if len(lines) > MAX_REPLAY_LINES:
        raise ReplayError(
            f"{path}: more than {MAX_REPLAY_LINES:,} chat lines, more than a replay plays; "
            "split the file and replay a part"
        )


def _json_line(text: str) -> Any:
    try:
        return load_json(text.encode("utf-8"))
    except JSONTooDeep as error:
        raise _Skip(f"JSON {error}") from None
    except json.JSONDecodeError as error:
        raise _Skip(f"not JSON ({error.msg} at column {error.colno})") from None


def _jsonl_line(record: Any, number: int) -> ReplayLine:
    if not isinstance(record, dict):
        raise _Skip(f"expected an object, got {_kind(record)}")
    at = _seconds(record, "t")
    if "event" in record:
        try:
            return ReplayLine(at, "", "", "", number, event=logged_event(record, number))
        except ValueError as error:
            raise _Skip(str(error)) from None
    user = _text(record.get("user"), "user")
    display = record.get("display_name")
    text = _text(record.get("text"), "text")
    line = _line(at, user, display if isinstance(display, str) else "", text, number)
    return dataclasses.replace(
        line, badges=_badges(record.get("badges")), emotes=_badges(record.get("emotes"))
    )


# ------------------------------------------------------------------ JSON documents
def _json_document(path: Path) -> tuple[str, list[ReplayLine], _Problems]:
    """A TwitchDownloader file's comments, or recent-messages' IRC lines, parsed one at a
    time (`core.json_items`): the file is held as text, never as one tree of objects."""
    with open_stream(path, "chat log", MAX_REPLAY_BYTES) as stream:
        raw = stream.read()
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise NotOneValue(f"line {line}: not UTF-8") from None
    del raw
    try:
        return TWITCH_DOWNLOADER, *_items(path, text, "comments", "comment", _comment)
    except WrongShape as shape:
        if str(shape) == 'an object without "comments"':
            try:
                reader = _IrcReader(path)
                return RECENT_MESSAGES, *_items(path, text, "messages", "message", reader.item)
            except WrongShape:
                pass  # neither: say what a TwitchDownloader file lacks
        raise ReplayError(f"{path}: JSON of another shape ({shape}): {_SHAPES}") from None


def _items(
    path: Path, text: str, key: str, unit: str, read: Callable[[Any, int], list[ReplayLine]]
) -> tuple[list[ReplayLine], _Problems]:
    lines: list[ReplayLine] = []
    problems = _Problems(path)
    for number, item in enumerate(array_items(text, key), start=1):
        try:
            lines.extend(read(item, number))
        except _Skip as skip:
            problems.add(f"{unit} {number}: {skip}")
            _check_lead(path, lines, number, problems)
            continue
        _check_count(path, lines)
    return lines, problems


def _comment(comment: Any, number: int) -> list[ReplayLine]:
    if not isinstance(comment, dict):
        raise _Skip(f"expected an object, got {_kind(comment)}")
    at = _seconds(comment, "content_offset_seconds")
    commenter = comment.get("commenter")
    if not isinstance(commenter, dict):
        raise _Skip('missing "commenter"')
    name, display = commenter.get("name"), commenter.get("display_name")
    login = name if isinstance(name, str) and name.strip() else display
    message = comment.get("message")
    if not isinstance(message, dict):
        raise _Skip('missing "message"')
    body = message.get("body")
    if body is None:
        body = _from_fragments(message.get("fragments"))
    line = _line(
        at,
        _text(login, "commenter.name"),
        display if isinstance(display, str) else "",
        _text(body, "message.body"),
        number,
    )
    badges = message.get("user_badges")
    ids = [b.get("_id") for b in badges if isinstance(b, dict)] if isinstance(badges, list) else []
    emotes = _emotes_of(message.get("fragments"))
    return [dataclasses.replace(line, badges=_badges(ids), emotes=_badges(emotes))]


def _from_fragments(fragments: Any) -> str | None:
    """Files without `body`: the text of each fragment (an emote's fragment is its name)."""
    if not isinstance(fragments, list):
        return None
    raw = [part.get("text") for part in fragments if isinstance(part, dict)]
    texts = [text for text in raw if isinstance(text, str)]
    return "".join(texts) if texts else None


def _emotes_of(fragments: Any) -> list[str]:
    """The names of the emote fragments (those with an `emoticon`)."""
    if not isinstance(fragments, list):
        return []
    return [
        part["text"].strip()
        for part in fragments[:500]
        if isinstance(part, dict) and isinstance(part.get("emoticon"), dict)
        if isinstance(part.get("text"), str)
    ]


# ------------------------------------------------------------------ fields
def _seconds(record: Mapping[str, Any], key: str) -> float:
    if key not in record:
        raise _Skip(f'missing "{key}"')
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Skip(f'"{key}" must be seconds, got {_short(value)}')
    if not math.isfinite(value) or value < 0:
        raise _Skip(f'"{key}" must be seconds >= 0, got {value!r}')
    if value > MAX_LOG_TIME:  # past the year 2286: milliseconds, or garbage
        raise _Skip(f'"{key}" must be seconds <= {MAX_LOG_TIME:g}, got {value:g}')
    return float(value)


def _text(value: Any, key: str) -> str:
    if value is None:
        raise _Skip(f'missing "{key}"')
    if not isinstance(value, str):
        raise _Skip(f'"{key}" must be text, got {_short(value)}')
    return value


def _line(at: float, user: str, display: str, text: str, where: int) -> ReplayLine:
    login = clean_text(user).lstrip("@").lower()
    if not login:
        raise _Skip("empty user name")
    cleaned = clean_text(text, max_chars=MAX_SCAN_CHARS)  # whole: mentions past the cut count
    if not cleaned:
        raise _Skip("empty text")
    return ReplayLine(at, login, clean_text(display) or clean_text(user), cleaned, where)


def _badges(value: Any) -> tuple[str, ...]:
    """Badge set ids, as far as they are text (anything else is left out)."""
    if not isinstance(value, list):
        return ()
    return tuple(clean_text(b, max_chars=40) for b in value if isinstance(b, str) and b.strip())


def _short(value: object) -> str:
    if isinstance(value, dict | list):
        return _kind(value)
    text = json.dumps(value[:40] if isinstance(value, str) else value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"
