"""The items of one array in a large JSON document, parsed one at a time.

A TwitchDownloader chat file is one JSON object whose "comments" array holds every chat
line of a VOD: tens of megabytes. `json.loads` would build the whole tree (about ten
times the text in memory) before the first comment could be looked at; this walks the
top-level object with `JSONDecoder.raw_decode`, so only one item (or one other member)
exists as Python objects at a time. The text itself is the caller's, already capped.

The document is checked as it goes: `NotOneValue` says where it stops being one JSON
value, `WrongShape` (after the whole text parsed) that it is JSON of another shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from typing import Any

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class NotOneValue(ValueError):
    """The text is not one JSON value; the message says where (`line L column C: ...`)."""


class WrongShape(ValueError):
    """One JSON value, but not an object with the array: the message says what it is."""


def kind(value: object) -> str:
    """ "an object", "an array", ... for messages."""
    if isinstance(value, bool):
        return "a boolean"
    kinds = {dict: "an object", list: "an array", str: "a string", type(None): "null"}
    return kinds.get(type(value), "a number")


def array_items(text: str, key: str) -> Iterator[Any]:
    """Each item of the array `key` of the object `text`, in order, as it is parsed.

    The first `key` counts (a later duplicate is parsed and dropped). Raises
    `NotOneValue` when the text stops being one JSON value (possibly after some items
    were yielded) and `WrongShape` when it is JSON of another shape.
    """
    at = _skip(text, 0)
    if text[at : at + 1] != "{":
        value, at = _decode(text, at)
        _end(text, at)
        raise WrongShape(kind(value))
    at = _skip(text, at + 1)
    found: str | None = None  # what `key` held: "array", or the kind of what it held
    if text[at : at + 1] == "}":
        at += 1
    else:
        while True:
            if text[at : at + 1] != '"':
                raise _broken(text, at, "Expecting property name enclosed in double quotes")
            name, at = _decode(text, at)
            at = _expect(text, at, ":", "Expecting ':' delimiter")
            if name == key and found is None and text[at : at + 1] == "[":
                found = "array"
                at = yield from _items(text, at + 1)
            else:
                value, at = _decode(text, at)
                if name == key and found is None:
                    found = kind(value)
            at = _skip(text, at)
            if text[at : at + 1] == ",":
                at = _skip(text, at + 1)
                continue
            at = _expect(text, at, "}", "Expecting ',' delimiter")
            break
    _end(text, at)
    if found is None:
        raise WrongShape(f'an object without "{key}"')
    if found != "array":
        raise WrongShape(f'"{key}" is {found}, not an array')


def _items(text: str, at: int) -> Generator[Any, None, int]:
    """The items of an array whose `[` is just before `at`; returns the index after `]`."""
    at = _skip(text, at)
    if text[at : at + 1] == "]":
        return at + 1
    while True:
        item, at = _decode(text, at)
        yield item
        at = _skip(text, at)
        if text[at : at + 1] == ",":
            at = _skip(text, at + 1)
            continue
        return _expect(text, at, "]", "Expecting ',' delimiter")


def _skip(text: str, at: int) -> int:
    return _SPACE.match(text, at).end()  # type: ignore[union-attr]


def _expect(text: str, at: int, char: str, message: str) -> int:
    at = _skip(text, at)
    if text[at : at + 1] != char:
        raise _broken(text, at, message)
    return _skip(text, at + 1)


def _decode(text: str, at: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except json.JSONDecodeError as error:
        raise _broken(text, error.pos, error.msg) from None
    except RecursionError:  # nested deeper than the interpreter goes: where it starts
        raise _broken(text, at, "nested too deeply") from None


def _end(text: str, at: int) -> None:
    if _skip(text, at) != len(text):
        raise _broken(text, _skip(text, at), "Extra data")


def _broken(text: str, at: int, message: str) -> NotOneValue:
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    return NotOneValue(f"line {line} column {column}: not JSON ({message})")
