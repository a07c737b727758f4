"""A journal line read back, checked against its event's definition in `model.journal`.

Journals are untrusted input (hand-edited, cut off by a kill, written by another version),
so every reader (the report, resume) takes lines through `check_line`: an unknown event,
a `ts` that is no Unix time, or a required field missing or of the wrong type makes the
line unusable (`LineError`, one line saying why); an optional field of the wrong type is
left out, as if absent; fields the definition does not name are dropped. What comes out
has exactly the types the definition states (enums as enums), so readers index it freely.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any, Literal, NotRequired, Union, get_args, get_origin, get_type_hints

from botdeck.model.journal import LINES, RENAMED, JournalEvent, JournalLine

MAX_TS = 1e10  # a Unix time in seconds, until the year 2286


class LineError(ValueError):
    """Why a line is not a usable journal event (the message names the field)."""


_MISSING = object()
Check = Callable[[object], object]  # the value as the definition types it, or _MISSING


@dataclass(frozen=True, slots=True)
class FieldRule:
    name: str
    required: bool
    check: Check
    shown: str  # the type for people: "text", "integer", "`high`, `normal` or `low`", ...


def check_line(record: object) -> JournalLine:
    """`record` (parsed JSON) as a typed journal line, or LineError."""
    if not isinstance(record, dict):
        raise LineError("not a journal event (not an object)")
    try:
        kind = JournalEvent(str(record.get("event")))
    except ValueError:
        raise LineError(f"unknown event {str(record.get('event'))[:40]!r}") from None
    ts = record.get("ts")
    if not _is_number(ts):
        raise LineError('"ts" is missing or not a number')
    assert isinstance(ts, int | float)
    if not 0 <= ts <= MAX_TS:
        raise LineError(f'"ts" is not a Unix time in seconds ({ts:g})')
    line: dict[str, object] = {"ts": float(ts), "event": kind}
    for rule in rules(kind):
        value = _value(record, kind, rule.name)
        checked = _MISSING if value is _MISSING else rule.check(value)
        if checked is not _MISSING:
            line[rule.name] = checked
        elif rule.required:
            raise LineError(f'a {kind} event without "{rule.name}"{_choices(rule)}')
    return line  # type: ignore[return-value]  # checked field by field against its class


def _value(record: Mapping[str, object], kind: JournalEvent, name: str) -> object:
    if name in record:
        return record[name]
    for (event, old), new in RENAMED.items():
        if event is kind and new == name and old in record:
            return record[old]
    return _MISSING


def _choices(rule: FieldRule) -> str:
    """A closed vocabulary is named in the message: `"priority" (high, normal or low)`."""
    return f" ({rule.shown.replace('`', '')})" if rule.shown.startswith("`") else ""


@cache
def rules(kind: JournalEvent) -> tuple[FieldRule, ...]:
    """The fields of `kind` besides `ts` and `event`, in their definition's order."""
    hints = get_type_hints(LINES[kind].line, include_extras=True)  # keeps NotRequired
    found = []
    for name, hint in hints.items():
        if name in ("ts", "event"):
            continue
        required = get_origin(hint) is not NotRequired
        typ = hint if required else get_args(hint)[0]
        check, shown = _rule_for(typ)
        found.append(FieldRule(name, required, check, shown))
    return tuple(found)


def field_types(kind: JournalEvent) -> dict[str, tuple[str, bool]]:
    """Each field of `kind` (with `ts` and `event`): its type for people, and whether it is
    required. For the README's tables."""
    shown = {"ts": ("number", True), "event": (f"`{kind}`", True)}
    return shown | {rule.name: (rule.shown, rule.required) for rule in rules(kind)}


def _rule_for(typ: Any) -> tuple[Check, str]:
    origin = get_origin(typ)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(typ) if arg is not type(None)]
        if len(options) != 1:
            raise TypeError(f"journal fields are one type or None, not {typ}")
        inner, shown = _rule_for(options[0])
        return (lambda v: None if v is None else inner(v)), f"{shown} or null"
    if origin is Literal:
        allowed = get_args(typ)
        return _one_of({str(a): a for a in allowed}), _listed(str(a) for a in allowed)
    if isinstance(typ, type) and issubclass(typ, Enum):
        members = {str(m.value): m for m in typ}
        return _one_of(members), _listed(members)
    simple: dict[Any, tuple[Check, str]] = {
        str: (lambda v: v if isinstance(v, str) else _MISSING, "text"),
        bool: (lambda v: v if isinstance(v, bool) else _MISSING, "true or false"),
        int: (lambda v: v if _is_int(v) else _MISSING, "integer"),
        float: (lambda v: float(v) if _is_number(v) else _MISSING, "number"),  # type: ignore[arg-type]
    }
    if typ not in simple:
        raise TypeError(f"no journal check for {typ!r}")
    return simple[typ]


def _one_of(allowed: Mapping[str, object]) -> Check:
    return lambda v: allowed.get(v, _MISSING) if isinstance(v, str) else _MISSING


def _listed(values: Any) -> str:
    names = [f"`{value}`" for value in values]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
