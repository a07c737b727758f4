"""Reading a recorded chat log for replay: two formats, checked in full before a run.

Two formats, told apart by their content (not the file name), optionally gzip-compressed:

- botdeck JSONL: one `{"t": seconds, "user": "…", "text": "…"}` per line (`display_name`
  optional, other fields ignored);
- the chat JSON that TwitchDownloader writes: `comments[]` with `content_offset_seconds`,
  `commenter.name`/`display_name` and `message.body` (or its `fragments`).

The whole file is read and checked before the run starts, so a bad file fails at once
and never halfway through a rehearsal. The rule (README, "Replaying a chat log"): a file
that cannot be a chat log (missing, unreadable, empty, not JSON, JSON of another shape,
no playable line) is a `ReplayError` naming the file and, where there is one, the line;
a single unusable line (not JSON, a missing or ill-typed field, longer than 64 KiB,
empty text) is skipped with a warning naming its line. Lines out of time order are
played in time order (a stable sort, so equal times keep the file's order), with one
warning.

`start` is the log time that plays first: `replay_start`, or unset the first line's
time; earlier lines are left out. `botdeck.chat.replay` plays the result.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botdeck.core.text import clean_text
from botdeck.files import unreadable

MAX_LINE_BYTES = 64 * 1024  # a chat line is at most 500 characters; far longer is not chat
JSONL = "botdeck JSONL"
TWITCH_DOWNLOADER = "TwitchDownloader chat JSON"
_SHAPES = (
    'expected botdeck JSONL ({"t": seconds, "user": …, "text": …} per line) '
    'or a TwitchDownloader chat JSON (an object with "comments")'
)


class ReplayError(Exception):
    """The replay file cannot be played; the message is one line naming file and line."""


@dataclass(frozen=True, slots=True)
class ReplayLine:
    at: float  # seconds, in the log's own time
    user: str  # login, lower case
    display_name: str
    text: str  # cleaned
    where: int  # the line (JSONL) or comment (TwitchDownloader) number, from 1


@dataclass(frozen=True, slots=True)
class ReplayLog:
    """A checked log: the lines to play, in time order, and what was left out and why."""

    path: Path
    format: str
    lines: tuple[ReplayLine, ...]
    start: float  # the log time that plays at the start of the replay
    warnings: tuple[str, ...] = ()  # one line each, naming the file and line
    skipped: int = 0  # unusable lines left out (lines before `start` are not counted)

    @property
    def duration(self) -> float:
        """Log seconds from `start` to the last line (divide by speed for play time)."""
        return self.lines[-1].at - self.start if self.lines else 0.0


class _Skip(Exception):
    """One unusable line: the reason, without the file and line (the caller adds them)."""


# ------------------------------------------------------------------ loading
def load_replay(path: Path, *, start: float | None = None) -> ReplayLog:
    """Read and check the whole file; raise `ReplayError` if it cannot be played."""
    raw = _read(path)
    if not raw.strip():
        raise ReplayError(f"{path}: empty")
    document: Any = None
    broken: str | None = None  # why the file is not one JSON document, if it looks like one
    if raw.lstrip()[:1] in (b"{", b"["):
        try:
            document = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            broken = f"line {_line_of(raw, error.start)}: not UTF-8"
        except json.JSONDecodeError as error:
            broken = f"line {error.lineno} column {error.colno}: not JSON ({error.msg})"
    if isinstance(document, dict) and "comments" in document:
        lines, problems = _twitch_downloader(path, document["comments"])
        return _finish(path, TWITCH_DOWNLOADER, lines, problems, start)
    if document is not None and not (isinstance(document, dict) and "t" in document):
        what = 'an object without "comments"' if isinstance(document, dict) else _kind(document)
        raise ReplayError(f"{path}: JSON of another shape ({what}): {_SHAPES}")
    lines, problems = _jsonl(path, raw, broken)
    return _finish(path, JSONL, lines, problems, start)


def _read(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ReplayError(unreadable(path, error, "chat log")) from None
    if raw[:2] == b"\x1f\x8b":  # TwitchDownloader's "GZip JSON" (.json.gz)
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ReplayError(f"{path}: a damaged gzip file: {error}") from None
    return raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark


def _finish(
    path: Path,
    fmt: str,
    lines: list[ReplayLine],
    problems: list[str],
    start: float | None,
) -> ReplayLog:
    if not lines:
        first = f" ({len(problems)} unusable; first: {problems[0]})" if problems else ""
        raise ReplayError(f"{path}: no chat lines to play{first}")
    warnings = [f"{path}: {problem}: skipped" for problem in problems]
    unit = "line" if fmt == JSONL else "comment"
    disorder = _out_of_order(lines, unit)
    if disorder:
        lines = sorted(lines, key=lambda line: line.at)  # stable: ties keep the file's order
        warnings.append(f"{path}: {disorder}; played in time order")
    origin = lines[0].at if start is None else start
    playable = [line for line in lines if line.at >= origin]
    if not playable:
        raise ReplayError(
            f"{path}: replay_start {origin:g}s is after the last line (t={lines[-1].at:g})"
        )
    return ReplayLog(path, fmt, tuple(playable), origin, tuple(warnings), len(problems))


def _out_of_order(lines: Sequence[ReplayLine], unit: str) -> str | None:
    late = 0
    first = ""
    latest = lines[0]
    for line in lines[1:]:
        if line.at < latest.at:
            if not late:
                first = (
                    f"{unit} {line.where} (t={line.at:g}) comes after "
                    f"{unit} {latest.where} (t={latest.at:g})"
                )
            late += 1
        else:
            latest = line
    if not late:
        return None
    return f"{late} {unit}{'s' if late > 1 else ''} out of time order, first {first}"


# ------------------------------------------------------------------ botdeck JSONL
def _jsonl(path: Path, raw: bytes, broken: str | None) -> tuple[list[ReplayLine], list[str]]:
    lines: list[ReplayLine] = []
    problems: list[str] = []
    shape_known = False  # the first line that is JSON decides what the file is
    for number, row in enumerate(raw.split(b"\n"), start=1):
        if not row.strip():
            continue
        try:
            record = _json_line(row)
        except _Skip as skip:
            problems.append(f"line {number}: {skip}")
            continue
        if not shape_known:
            if not (isinstance(record, dict) and "t" in record):
                what = 'an object without "t"' if isinstance(record, dict) else _kind(record)
                raise ReplayError(
                    f"{path}: line {number}: JSON of another shape ({what}): {_SHAPES}"
                )
            shape_known = True
        try:
            lines.append(_jsonl_line(record, number))
        except _Skip as skip:
            problems.append(f"line {number}: {skip}")
    if not shape_known and problems:  # no line is JSON: this is no chat log
        if broken is not None:  # it looked like one JSON document: say where it breaks
            raise ReplayError(f"{path}: {broken}")
        raise ReplayError(f"{path}: {problems[0]}; {_SHAPES}")
    return lines, problems


def _json_line(row: bytes) -> Any:
    if len(row) > MAX_LINE_BYTES:
        raise _Skip(f"longer than {MAX_LINE_BYTES // 1024} KiB")
    try:
        text = row.decode("utf-8")
    except UnicodeDecodeError:
        raise _Skip("not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _Skip(f"not JSON ({error.msg} at column {error.colno})") from None


def _jsonl_line(record: Any, number: int) -> ReplayLine:
    if not isinstance(record, dict):
        raise _Skip(f"expected an object, got {_kind(record)}")
    at = _seconds(record, "t")
    user = _text(record.get("user"), "user")
    display = record.get("display_name")
    text = _text(record.get("text"), "text")
    return _line(at, user, display if isinstance(display, str) else "", text, number)


# ------------------------------------------------------------------ TwitchDownloader
def _twitch_downloader(path: Path, comments: Any) -> tuple[list[ReplayLine], list[str]]:
    if not isinstance(comments, list):
        what = f'"comments" is {_kind(comments)}, not an array'
        raise ReplayError(f"{path}: JSON of another shape ({what}): {_SHAPES}")
    lines: list[ReplayLine] = []
    problems: list[str] = []
    for number, comment in enumerate(comments, start=1):
        try:
            lines.append(_comment(comment, number))
        except _Skip as skip:
            problems.append(f"comment {number}: {skip}")
    return lines, problems


def _comment(comment: Any, number: int) -> ReplayLine:
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
    return _line(
        at,
        _text(login, "commenter.name"),
        display if isinstance(display, str) else "",
        _text(body, "message.body"),
        number,
    )


def _from_fragments(fragments: Any) -> str | None:
    """Files without `body`: the text of each fragment (an emote's fragment is its name)."""
    if not isinstance(fragments, list):
        return None
    raw = [part.get("text") for part in fragments if isinstance(part, dict)]
    texts = [text for text in raw if isinstance(text, str)]
    return "".join(texts) if texts else None


# ------------------------------------------------------------------ fields
def _seconds(record: Mapping[str, Any], key: str) -> float:
    if key not in record:
        raise _Skip(f'missing "{key}"')
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Skip(f'"{key}" must be seconds, got {_short(value)}')
    if not math.isfinite(value) or value < 0:
        raise _Skip(f'"{key}" must be seconds >= 0, got {value!r}')
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
    cleaned = clean_text(text)
    if not cleaned:
        raise _Skip("empty text")
    return ReplayLine(at, login, clean_text(display) or clean_text(user), cleaned, where)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    kinds = {dict: "an object", list: "an array", str: "a string", type(None): "null"}
    return kinds.get(type(value), "a number")


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1
