"""A fault plan: a small TOML file of faults at times, or drawn at random with a seed.

    seed = 7                 # random faults, and which lines moderators act on
    length = "10:00"         # optional: how long the drill lasts (a headless demo ends)

    [[fault]]
    kind = "ai_down"         # one of `chaos.kinds.KINDS`
    at = "2:00"              # seconds or M:SS from the start of the run
    for = 60                 # how long it lasts (kinds that last; each has a default)
    mode = "429"             # the kind's own keys

    [random]                 # optional: faults drawn at random, after the ones above
    count = 4
    kinds = ["ai_down", "reading_lost"]    # default: every kind but crash
    between = ["1:00", "9:00"]

A plan that cannot be played is refused with one line naming the fault and its line in
the file (`PlanError`, a `ConfigError`: exit 2): an unknown kind or key, a value out of
range, two faults holding the same thing at once (the AI server down and slow), a time
beyond the log, a bot that is not configured. Lines are found in the text, since TOML's
reader does not keep them: each `[[fault]]` header, and each key under it.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from botdeck.chaos.kinds import CLASHES, KINDS, Kind, Lasting
from botdeck.chaos.times import offset_label, parse_offset
from botdeck.config import ConfigError
from botdeck.storage.files import MIB, FileRefused, read_text_capped

DEFAULT = "default"  # `--chaos default`: the shipped drill
MAX_FAULTS = 500
MAX_RANDOM = 100


class PlanError(ConfigError):
    """A plan that cannot be played: one line naming the fault and its line."""


@dataclass(frozen=True, slots=True)
class PlannedFault:
    """One fault of a plan: its place (`number`, from 1) and `line` in the file, its kind
    and options, when it begins (`at`, seconds from the start of the run) and how long
    it lasts (None: no end planned)."""

    number: int
    line: int
    kind: Kind
    at: float
    duration: float | None
    options: Any
    bot: str | None = None  # the bot it concerns, once checked against the config
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # key -> its line

    def label(self) -> str:
        return f"fault {self.number} ({self.kind.name} at {offset_label(self.at)})"

    @property
    def span(self) -> float | None:
        """How long its effects take from `at`: its duration, or an instant kind's span."""
        if self.duration is not None:
            return self.duration
        return self.kind.span(self.options) if self.kind.span is not None else None

    def words(self) -> str:
        return self.kind.words(self.options, self.bot)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """A checked plan, its faults in the order they begin."""

    where: str  # the file, for errors and the report's title
    faults: tuple[PlannedFault, ...]
    seed: int  # random faults, and which lines moderators act on
    length: float | None = None

    def for_bots(self, bots: tuple[str, ...]) -> FaultPlan:
        """The plan with each fault's bot resolved against the configured bots (a kind's
        default, or the one named: it must be one of them); overlaps checked again."""
        resolved = []
        for fault in self.faults:
            bot = getattr(fault.options, "bot", None)
            if fault.kind.bot_default is not None:
                if bot is not None and bot.lower() not in bots:
                    line = fault.lines.get("bot", fault.line)
                    raise _error(
                        self.where,
                        line,
                        f"{fault.label()}: bot {bot!r} is not one of the [[bots]] "
                        f"({', '.join(bots)})",
                    )
                bot = bot.lower() if bot is not None else fault.kind.bot_default(bots)
            resolved.append(replace(fault, bot=bot))
        _check_overlaps(self.where, resolved)
        return FaultPlan(self.where, tuple(resolved), self.seed, self.length)

    def within(self, length: float, what: str) -> None:
        """Refuse a fault that begins after the run's chat has ended (`what` says what)."""
        for fault in self.faults:
            if fault.at > length:
                raise _error(
                    self.where,
                    fault.line,
                    f"{fault.label()}: beyond the end of {what} ({offset_label(length)})",
                )

    def scaled(self, factor: float) -> FaultPlan:
        """Every time divided by `factor` (a benchmark plays a plan compressed)."""

        def scale(value: float | None) -> float | None:
            return None if value is None else value / factor

        faults = tuple(
            replace(fault, at=fault.at / factor, duration=scale(fault.duration))
            for fault in self.faults
        )
        return FaultPlan(self.where, faults, self.seed, scale(self.length))


def _error(where: str, line: int | None, text: str) -> PlanError:
    return PlanError(f"{where}:{line}: {text}" if line else f"{where}: {text}")


# ------------------------------------------------------------------ reading
def load_plan(name: str | Path) -> FaultPlan:
    """`--chaos PLAN|default`: the shipped drill, or a plan file (read like every file
    botdeck reads: a regular file, at most 1 MiB)."""
    if str(name) == DEFAULT:
        text = resources.files("botdeck.chaos").joinpath("drill.toml").read_text("utf-8")
        return parse_plan(text, "the shipped drill (--chaos default)")
    path = Path(name)
    try:
        text = read_text_capped(path, "fault plan", MIB)
    except FileRefused as error:
        raise PlanError(f"--chaos: {error}") from None
    return parse_plan(text, str(path))


_HEADER = re.compile(r"\s*\[\[\s*fault\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"\s*\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")


@dataclass(slots=True)
class _Places:
    """Where things are in the text: each `[[fault]]` (header line, key -> line), the
    `[random]` table's, and the top level's keys."""

    faults: list[tuple[int, dict[str, int]]] = field(default_factory=list)
    random: tuple[int, dict[str, int]] | None = None
    top: dict[str, int] = field(default_factory=dict)


def _places(text: str) -> _Places:
    places = _Places()
    keys = places.top
    for number, raw in enumerate(text.splitlines(), 1):
        if _HEADER.match(raw):
            keys = {}
            places.faults.append((number, keys))
        elif table := _TABLE.match(raw):
            keys = {}
            if table.group(1).strip() == "random":
                places.random = (number, keys)
        elif key := _KEY.match(raw):
            keys.setdefault(key.group(1).strip("\"'"), number)
    return places


def parse_plan(text: str, where: str) -> FaultPlan:
    """Read and check a plan (see the module docstring); `where` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PlanError(f"{where}: not TOML: {error}") from None
    places = _places(text)
    for key in data:
        if key not in ("seed", "length", "fault", "random"):
            raise _error(
                where,
                places.top.get(key),
                f"unknown key {key!r} (a plan has seed, length, [[fault]] and [random])",
            )
    seed = _top_int(data, "seed", 1, where, places)
    length = None
    if "length" in data:
        try:
            length = parse_offset(data["length"])
        except ValueError as error:
            raise _error(where, places.top.get("length"), f"length: {error}") from None
    entries = data.get("fault", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _error(where, places.top.get("fault"), "fault: expected [[fault]] tables")
    if len(entries) > MAX_FAULTS:
        raise _error(where, None, f"{len(entries)} faults: at most {MAX_FAULTS} in a plan")
    faults = []
    for number, entry in enumerate(entries, 1):
        line, keys = places.faults[number - 1] if len(places.faults) == len(entries) else (0, {})
        faults.append(_fault(entry, number, line or places.top.get("fault", 0), keys, where))
    if "random" in data:
        faults += _random(data["random"], faults, seed, length, where, places)
    faults.sort(key=lambda fault: (fault.at, fault.number))
    _check_overlaps(where, faults)
    return FaultPlan(where, tuple(faults), seed, length)


def _top_int(data: dict[str, Any], key: str, default: int, where: str, places: _Places) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise _error(where, places.top.get(key), f"{key}: expected a whole number >= 0")
    return value


def _fault(
    entry: dict[str, Any], number: int, line: int, keys: dict[str, int], where: str
) -> PlannedFault:
    entry = dict(entry)
    name = entry.pop("kind", None)
    label = f"fault {number}"
    if name is None:
        raise _error(where, line, f"{label}: no kind (kinds: {', '.join(KINDS)})")
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise _error(
            where,
            keys.get("kind", line),
            f"{label}: unknown kind {name!r} (kinds: {', '.join(KINDS)})",
        )
    label = f"fault {number} ({kind.name})"
    if "at" not in entry:
        raise _error(where, line, f"{label}: no `at` (when it begins, seconds or M:SS)")
    try:
        at = parse_offset(entry.pop("at"))
    except ValueError as error:
        raise _error(where, keys.get("at", line), f"{label}: at: {error}") from None
    given = None
    if "for" in entry:
        if kind.lasting is Lasting.INSTANT:
            raise _error(
                where, keys.get("for", line), f"{label}: a {kind.name} does not last: no `for`"
            )
        try:
            given = parse_offset(entry.pop("for"))
        except ValueError as error:
            raise _error(where, keys.get("for", line), f"{label}: for: {error}") from None
        if given <= 0:
            raise _error(where, keys.get("for", line), f"{label}: for: expected more than 0 s")
    try:
        options = kind.options.model_validate(entry)
    except ValidationError as error:
        first = error.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else ""
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise _error(where, keys.get(key, line), f"{label}: {key}: {problem}") from None
    return PlannedFault(number, line, kind, at, kind.lasts_for(given), options, lines=keys)


def _random(
    table: object,
    fixed: list[PlannedFault],
    seed: int,
    length: float | None,
    where: str,
    places: _Places,
) -> list[PlannedFault]:
    """Faults drawn at random (seeded), each with its kind's random options, placed so
    that none clashes with another (or with the plan's own)."""
    line, keys = places.random or (0, {})
    if not isinstance(table, dict):
        raise _error(where, line, "random: expected a table")
    unknown = set(table) - {"count", "kinds", "between"}
    if unknown:
        key = min(unknown)
        raise _error(where, keys.get(key, line), f"random: unknown key {key!r}")
    count = table.get("count", 3)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_RANDOM:
        raise _error(where, keys.get("count", line), f"random: count: expected 1 to {MAX_RANDOM}")
    names = table.get("kinds", [name for name in KINDS if name != "crash"])
    if not isinstance(names, list) or not names:
        raise _error(where, keys.get("kinds", line), "random: kinds: expected a list of kinds")
    for name in names:
        if name not in KINDS:
            raise _error(
                where,
                keys.get("kinds", line),
                f"random: unknown kind {name!r} (kinds: {', '.join(KINDS)})",
            )
    between = table.get("between", [60, length if length is not None else 1800])
    try:
        start, end = (parse_offset(value) for value in between)
    except (TypeError, ValueError):
        raise _error(
            where, keys.get("between", line), "random: between: expected [start, end]"
        ) from None
    if end <= start:
        raise _error(
            where, keys.get("between", line), "random: between: the end is not after the start"
        )
    rng = random.Random(seed)
    drawn: list[PlannedFault] = []
    for number in range(len(fixed) + 1, len(fixed) + count + 1):
        for _attempt in range(200):
            kind = KINDS[rng.choice(names)]
            options = kind.options.model_validate(kind.draw(rng))
            at = round(rng.uniform(start, end), 1)
            fault = PlannedFault(number, line, kind, at, kind.random_for, options, lines=keys)
            if kind.lasting is Lasting.INSTANT:
                fault = PlannedFault(number, line, kind, at, None, options, lines=keys)
            if _clash(fault, [*fixed, *drawn]) is None:
                drawn.append(fault)
                break
        else:
            raise _error(
                where, line, f"random: cannot place {count} faults between "
                f"{offset_label(start)} and {offset_label(end)} without two clashing",
            )  # fmt: skip
    return drawn


def _holds(fault: PlannedFault) -> tuple[tuple[str, float, float], ...]:
    """What a fault holds, and from when to when (seconds; inf: on to the end)."""
    held = fault.kind.holds(fault.options, fault.bot, fault.span)
    return tuple(
        (what, fault.at, fault.at + span if span is not None else float("inf"))
        for what, span in held
    )


def _clash(fault: PlannedFault, others: list[PlannedFault]) -> tuple[PlannedFault, str] | None:
    for other in others:
        for what, begins, ends in _holds(fault):
            for held, other_begins, other_ends in _holds(other):
                if held == what and begins < other_ends and other_begins < ends:
                    return other, what
    return None


def _check_overlaps(where: str, faults: list[PlannedFault]) -> None:
    """Two faults holding the same thing at once: refused at the later one's line."""
    ordered = sorted(faults, key=lambda fault: (fault.at, fault.number))
    for index, fault in enumerate(ordered):
        found = _clash(fault, ordered[:index])
        if found is not None:
            other, what = found
            why = CLASHES[what.split(":")[0]]
            raise _error(
                where,
                fault.line,
                f"{fault.label()}: overlaps {other.label()} (line {other.line}): {why}",
            )
