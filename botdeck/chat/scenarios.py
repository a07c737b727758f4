"""Scenario names and their parameters: one spec, parsed from the command line or config.

`botdeck demo --scenario raid:viewers=300,within=2` and `[chat] scenario = "raid"` with
`[chat.scenario_params] viewers = 300` both end up as the same `Scenario`, validated here
so that a bad value fails at start with one line naming the parameter. The scripts
themselves live in `botdeck.chat.simulated`; the defaults below are theirs, so a scenario
without parameters plays exactly what it always played for a seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any


class ScenarioError(ValueError):
    """A scenario name or parameter that cannot be used; the message is one line."""


def _range(low: float, high: float, *, open_low: bool = False) -> dict[str, Any]:
    return {"range": (low, high, open_low)}


@dataclass(frozen=True, slots=True)
class RaidParams:
    """N viewers arriving within S seconds; a share of them mention a bot."""

    viewers: int = field(default=60, metadata=_range(1, 100_000))
    within: float = field(default=2.0, metadata=_range(0, 86_400))
    mention_share: float = field(default=0.9, metadata=_range(0, 1))


@dataclass(frozen=True, slots=True)
class QuestionsParams:
    """Rapid questions to the first bot: `count` of them, evenly within S seconds."""

    count: int = field(default=12, metadata=_range(1, 100_000))
    within: float = field(default=4.0, metadata=_range(0, 86_400))


@dataclass(frozen=True, slots=True)
class MixedParams:
    """Ordinary chat for `duration` seconds, a line every `every` seconds on average."""

    duration: float = field(default=60.0, metadata=_range(0, 7 * 86_400, open_low=True))
    every: float = field(default=1.5, metadata=_range(0.01, 3_600))


@dataclass(frozen=True, slots=True)
class FiveBotsParams:
    """One line mentioning (up to) five bots: nothing to tune."""


@dataclass(frozen=True, slots=True)
class SoakParams:
    """Steady chat at `rate` lines per second, for `duration` seconds (unset: endless)."""

    rate: float = field(default=5.0, metadata=_range(0, 10_000, open_low=True))
    duration: float | None = field(default=None, metadata=_range(0, 30 * 86_400, open_low=True))
    mention_share: float = field(default=0.1, metadata=_range(0, 1))


ScenarioParams = RaidParams | QuestionsParams | MixedParams | FiveBotsParams | SoakParams

PARAMS: dict[str, type[Any]] = {
    "raid": RaidParams,
    "questions": QuestionsParams,
    "mixed": MixedParams,
    "five-bots": FiveBotsParams,
    "soak": SoakParams,
}
SCENARIOS = tuple(PARAMS)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A scenario by name with its parameters (`given` keeps what was set explicitly)."""

    name: str
    params: ScenarioParams
    given: Mapping[str, int | float] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, values: Mapping[str, object] | None = None) -> Scenario:
        """From typed values (TOML numbers): ints for counts, ints or floats for seconds."""
        kind = _kind(name)
        given: dict[str, int | float] = {}
        known = {f.name: f for f in fields(kind)}
        for key, value in (values or {}).items():
            spec = known.get(key)
            if spec is None:
                raise ScenarioError(f"{key}: {_unknown(name, known)}")
            given[key] = _check(key, value, spec)
        return cls(name, kind(**given), given)

    @classmethod
    def parse(cls, text: str) -> Scenario:
        """From the command line: `NAME` or `NAME:key=value,key=value`."""
        name, _, rest = text.partition(":")
        kind = _kind(name.strip())
        known = {f.name: f for f in fields(kind)}
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in rest.split(","))):
            key, equals, raw = (part.strip() for part in item.partition("="))
            if not equals or not raw:
                raise ScenarioError(f"{item!r}: expected key=value")
            spec = known.get(key)
            if spec is None:
                raise ScenarioError(f"{key}: {_unknown(name.strip(), known)}")
            if key in values:
                raise ScenarioError(f"{key}: given twice")
            values[key] = _from_text(key, raw, integer=_is_int(spec))
        return cls.build(name.strip(), values)

    def describe(self) -> str:
        """The command-line spelling, e.g. `raid:viewers=300,within=2`."""
        if not self.given:
            return self.name
        return self.name + ":" + ",".join(f"{key}={value:g}" for key, value in self.given.items())


def _kind(name: str) -> type[Any]:
    try:
        return PARAMS[name]
    except KeyError:
        raise ScenarioError(
            f"unknown scenario {name!r} (expected {', '.join(SCENARIOS)})"
        ) from None


def _unknown(name: str, known: Mapping[str, object]) -> str:
    if not known:
        return f"unknown parameter: {name} takes none"
    return f"unknown parameter for {name} (expected {', '.join(known)})"


def _is_int(spec: Field[Any]) -> bool:
    return spec.type in ("int", int)  # a string: this module has postponed annotations


def _from_text(key: str, raw: str, *, integer: bool) -> int | float:
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        what = "an integer" if integer else "a number"
        raise ScenarioError(f"{key}: expected {what}, got {raw!r}") from None


def _check(key: str, value: object, spec: Field[Any]) -> int | float:
    integer = _is_int(spec)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        what = "an integer" if integer else "a number"
        raise ScenarioError(f"{key}: expected {what}, got {value!r}")
    low, high, open_low = spec.metadata["range"]
    too_low = value <= low if open_low else value < low
    if not math.isfinite(value) or too_low or value > high:
        bound = f"> {low:g}" if open_low else f">= {low:g}"
        raise ScenarioError(f"{key}: expected {bound} and <= {high:g}, got {value!r}")
    return value if integer else float(value)
