"""A journal line read back, checked against its event's definition in `model.journal`.

Journals are untrusted input (hand-edited, cut off by a kill, written by another version),
so every reader (the report, resume) takes lines through `check_line`: an unknown event,
a `ts` that is no Unix time, or a required field missing, of the wrong type or out of
range makes the line unusable (`LineError`, one line saying why); an optional field of
the wrong type or out of range is left out, as if absent, and named in `dropped` for the
reader's notes; fields the definition does not name are dropped. What comes out has
exactly the types the definition states (enums as enums), so readers index it freely.

Numbers are range-checked against `model.journal.LIMITS` (none is negative or
non-finite; seconds are at most a week), before anything converts them: JSON allows an
integer of four thousand digits, which no float can hold.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any, Literal, NoReturn, NotRequired, Union, get_args, get_origin, get_type_hints

from botdeck.model.journal import (
    LIMITS,
    LINES,
    MAX_COUNT,
    MAX_TS,
    RENAMED,
    JournalEvent,
    JournalLine,
)

__all__ = ["MAX_TS", "LineError", "check_line", "field_types", "rules"]


class LineError(ValueError):
    """Why a line is not a usable journal event (the message names the field)."""


_MISSING = object()
Check = Callable[[object], object]  # the value as the definition types it, or _MISSING


@dataclass(frozen=True, slots=True)
class FieldRule:
    name: str
    required: bool
    check: Check  # a number's includes its range
    shown: str  # the type for people: "text", "integer", "`high`, `normal` or `low`", ...
    limit: float | None = None  # numbers: the largest value (the smallest is 0)
    old: str | None = None  # the name older journals gave it (`RENAMED`)


def check_line(record: object, dropped: list[str] | None = None) -> JournalLine:
    """`record` (parsed JSON) as a typed journal line, or LineError. Optional fields left
    out for their value are described in `dropped`, when given."""
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
        raise LineError(f'"ts" is not a Unix time in seconds ({shown_number(ts)})')
    line: dict[str, object] = {"ts": float(ts), "event": kind}
    get = record.get
    for rule in rules(kind):
        name = rule.name
        value = get(name, _MISSING)
        if value is _MISSING and rule.old is not None:
            value = get(rule.old, _MISSING)
        checked = _MISSING if value is _MISSING else rule.check(value)
        if checked is not _MISSING:
            line[name] = checked
        elif rule.required:
            _refuse(kind, rule, value)
        elif value is not _MISSING and dropped is not None:
            dropped.append(f'"{name}" {_problem(rule, value)}')
    return line  # type: ignore[return-value]  # checked field by field against its class


def _refuse(kind: JournalEvent, rule: FieldRule, value: object) -> NoReturn:
    if _out_of_range(rule, value):
        raise LineError(f'a {kind} event with "{rule.name}" {_problem(rule, value)}')
    raise LineError(f'a {kind} event without "{rule.name}"{_choices(rule)}')


def _out_of_range(rule: FieldRule, value: object) -> bool:
    return rule.limit is not None and _is_number(value)  # a number, yet refused


def _problem(rule: FieldRule, value: object) -> str:
    """Why `value` was refused: "out of range (-5; 0 to 10,000,000)", "is not a number"."""
    if _out_of_range(rule, value):
        assert isinstance(value, int | float) and rule.limit is not None
        return f"out of range ({shown_number(value)}; 0 to {rule.limit:,.0f})"
    shown = {"integer": "an integer", "number": "a number"}.get(rule.shown, rule.shown)
    return f"is not {shown}"


def shown_number(value: float) -> str:
    """A number for a note, whatever its size (an int too large for a float included)."""
    if isinstance(value, int) and abs(value) >= 10**15:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"
    return f"{value:g}"


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
        limit = LIMITS.get(name, MAX_COUNT) if typ in (int, float) else None
        check, shown = _rule_for(typ, limit)
        old = next(
            (was for (event, was), now in RENAMED.items() if event is kind and now == name), None
        )
        found.append(FieldRule(name, required, check, shown, limit, old))
    return tuple(found)


def field_types(kind: JournalEvent) -> dict[str, tuple[str, bool]]:
    """Each field of `kind` (with `ts` and `event`): its type for people, and whether it is
    required. For the README's tables."""
    shown = {"ts": ("number", True), "event": (f"`{kind}`", True)}
    return shown | {rule.name: (rule.shown, rule.required) for rule in rules(kind)}


def _rule_for(typ: Any, limit: float | None = None) -> tuple[Check, str]:
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
    top = MAX_COUNT if limit is None else limit
    simple: dict[Any, tuple[Check, str]] = {
        str: (lambda v: v if isinstance(v, str) else _MISSING, "text"),
        bool: (lambda v: v if isinstance(v, bool) else _MISSING, "true or false"),
        int: (lambda v: v if _is_int(v) and 0 <= v <= top else _MISSING, "integer"),  # type: ignore[operator]
        float: (lambda v: float(v) if _is_number(v) and 0 <= v <= top else _MISSING, "number"),  # type: ignore[arg-type, operator]
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
    """An int (any size: never converted here) or a finite float; not a bool."""
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value)
