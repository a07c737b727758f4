"""The registry of responders and chat sources: botdeck's own and third parties', found
by entry point.

Every adapter is one entry (`botdeck.ai.adapter.ResponderAdapter`,
`botdeck.chat.adapter.SourceAdapter`) registered by name in an entry-point group:
`botdeck.responders` (`[ai] provider`) or `botdeck.sources` (`[chat] source`). botdeck's
own are registered the same way, in its `pyproject.toml`, so a new provider is its
module, one line there (beside the SDK it needs) and its tests. A package that declares
entry points in those groups adds adapters without touching botdeck.

Names are listed without importing anything (cheap); an adapter is imported only when a
config names it, or, for botdeck's own, to check the keys of theirs a config holds. A
third party's adapter that cannot be imported, is not an entry of the right kind or
declares a bad config table is refused with one line naming it (`AdapterError`) when a
config names it; it never stops botdeck's own adapters. A third party cannot take the
name of one of botdeck's own: that entry point is ignored, with a warning.

Config tables: the adapter's keys sit in `[ai]` or `[chat]` beside botdeck's own. The
named adapter's options model validates its keys (with its defaults). Keys of botdeck's
other adapters are accepted and validated too (a config that switches `provider` to
"offline" keeps its `base_url`); any other key is unknown, as anywhere in the config.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from botdeck.ai.adapter import ResponderAdapter
from botdeck.chat.adapter import SourceAdapter
from botdeck.core.options import AdapterOptions

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

log = logging.getLogger(__name__)

OWN_DISTRIBUTION = "botdeck"
A = TypeVar("A", ResponderAdapter[Any], SourceAdapter[Any])


class AdapterError(Exception):
    """An adapter that cannot be used, or a key of its table that is wrong: one line.

    `key` is the table key at fault (`provider`, `base_url`, `scenario_params.viewers`);
    `detail`, when a key's value failed validation, pydantic's own error for it, so the
    config words it as it words every other key."""

    def __init__(self, key: str, message: str, detail: ErrorDetails | None = None) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Kind(Generic[A]):
    """Responders or sources: where they are registered and which key names them."""

    group: str
    table: str  # the config table their keys share
    key: str  # the key that names one
    noun: str
    entry: type[A]


RESPONDERS: Kind[ResponderAdapter[Any]] = Kind(
    "botdeck.responders", "ai", "provider", "provider", ResponderAdapter
)
SOURCES: Kind[SourceAdapter[Any]] = Kind(
    "botdeck.sources", "chat", "source", "source", SourceAdapter
)


def _origin(point: EntryPoint) -> str:
    dist = point.dist.name if point.dist is not None else "no distribution"
    return f"{point.value} from {dist}"


def _own(point: EntryPoint) -> bool:
    return point.dist is not None and point.dist.name == OWN_DISTRIBUTION


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def option_keys(options: type[BaseModel]) -> frozenset[str]:
    """The keys an options model reads (an alias is the key written in the file)."""
    return frozenset(field.alias or name for name, field in options.model_fields.items())


class Registry:
    """The adapters one interpreter can see (one `sys.path`)."""

    def __init__(self, points: Iterable[EntryPoint]) -> None:
        self._points: dict[str, dict[str, EntryPoint]] = {}
        self._own: dict[str, set[str]] = {}
        self._loaded: dict[tuple[str, str], Any] = {}
        ordered = sorted(points, key=lambda point: not _own(point))  # botdeck's own first
        for point in ordered:
            group = self._points.setdefault(point.group, {})
            known = group.get(point.name)
            if known is not None:
                if _own(known) and not _own(point):
                    log.warning(
                        "%s: %r (%s) is ignored: the name is botdeck's own",
                        point.group, point.name, _origin(point),
                    )  # fmt: skip
                continue  # one distribution seen twice (an editable install): the first
            group[point.name] = point
            if _own(point):
                self._own.setdefault(point.group, set()).add(point.name)

    def names(self, kind: Kind[A]) -> list[str]:
        """Every registered name, without importing any adapter."""
        return sorted(self._points.get(kind.group, {}))

    def own(self, kind: Kind[A]) -> list[str]:
        return sorted(self._own.get(kind.group, ()))

    def get(self, kind: Kind[A], name: str) -> A:
        """The adapter registered as `name`, imported and checked once; `AdapterError`
        (naming it) if there is none or it cannot be used."""
        loaded = self._loaded.get((kind.group, name))
        if loaded is None:
            loaded = self._loaded[(kind.group, name)] = self._load(kind, name)
        if isinstance(loaded, AdapterError):
            raise loaded
        assert isinstance(loaded, kind.entry)
        return loaded

    def _load(self, kind: Kind[A], name: str) -> A | AdapterError:
        point = self._points.get(kind.group, {}).get(name)
        if point is None:
            return self._unknown(kind, name)
        what = f"the {kind.noun} {name!r} ({_origin(point)})"
        try:
            entry = point.load()
        except Exception as error:
            return AdapterError(kind.key, f"{what} cannot be loaded: {_first_line(error)}")
        if not isinstance(entry, kind.entry):
            return AdapterError(
                kind.key, f"{what} is not a {kind.entry.__name__}: {type(entry).__name__}"
            )
        options = entry.options
        if not (isinstance(options, type) and issubclass(options, BaseModel)):
            return AdapterError(
                kind.key, f"{what} declares a bad config table: not a pydantic model"
            )
        if options.model_config.get("extra") != "forbid":
            return AdapterError(
                kind.key,
                f"{what} declares a bad config table: it must refuse unknown keys"
                " (subclass botdeck.core.options.AdapterOptions)",
            )
        return entry

    def _unknown(self, kind: Kind[A], name: str) -> AdapterError:
        if kind is RESPONDERS:
            for own in self.own(RESPONDERS):
                hint = self._hints(own).get(name.lower())
                if hint is not None:
                    return AdapterError(kind.key, f"{name!r} is not a {kind.noun}: {hint}")
        available = ", ".join(self.names(kind)) or "none"
        if not self.own(kind):
            available += "; botdeck's own adapters are not installed: reinstall botdeck"
        abouts = [about for own in self.own(kind) if (about := self._about(kind, own))]
        notes = "".join(f"; {about}" for about in abouts)
        return AdapterError(
            kind.key, f"unknown {kind.noun} {name!r} (available: {available}{notes})"
        )

    def _hints(self, name: str) -> Mapping[str, str]:
        try:
            return self.get(RESPONDERS, name).hints
        except AdapterError:
            return {}

    def _about(self, kind: Kind[A], name: str) -> str:
        if kind is not RESPONDERS:
            return ""
        try:
            return self.get(RESPONDERS, name).about
        except AdapterError:
            return ""

    # ------------------------------------------------------------ config tables
    def options(
        self, kind: Kind[A], name: str, given: Mapping[str, Any], *, reserved: frozenset[str]
    ) -> AdapterOptions:
        """The options of adapter `name` from the keys of its table the config gives
        (botdeck's own keys already taken out; `reserved` names them). Keys of botdeck's
        other adapters are validated by theirs; any other key is unknown."""
        adapter = self.get(kind, name)
        mine = option_keys(adapter.options)
        if clash := sorted(mine & reserved):
            point = self._points[kind.group][name]
            raise AdapterError(
                kind.key,
                f"the {kind.noun} {name!r} ({_origin(point)}) declares a bad config table:"
                f" {clash[0]!r} is botdeck's own [{kind.table}] key",
            )
        rest = {key: value for key, value in given.items() if key not in mine}
        for other in self.own(kind):
            if other == name or not rest:
                continue
            options = self.get(kind, other).options
            theirs = {key: value for key, value in rest.items() if key in option_keys(options)}
            if theirs:
                _validate(options, theirs, partial=True)
                rest = {key: value for key, value in rest.items() if key not in theirs}
        if rest:
            raise AdapterError(next(iter(rest)), "unknown key", _unknown_key(next(iter(rest))))
        validated = _validate(adapter.options, {k: v for k, v in given.items() if k in mine})
        assert validated is not None
        return validated


def _unknown_key(key: str) -> ErrorDetails:
    return {"type": "extra_forbidden", "loc": (key,), "msg": "unknown key", "input": None}


def _validate(
    options: type[AdapterOptions], given: Mapping[str, Any], *, partial: bool = False
) -> AdapterOptions | None:
    """Validated options; with `partial`, only the keys given are checked (another
    adapter's keys, whose required ones this config need not have)."""
    try:
        return options.model_validate(dict(given))
    except ValidationError as error:
        errors = [e for e in error.errors() if not (partial and e["type"] == "missing")]
        if not errors:
            return None
        first = next((e for e in errors if e["type"] == "finite_number"), errors[0])
        key = ".".join(str(part) for part in first["loc"] if isinstance(part, str))
        raise AdapterError(key, first["msg"], first) from None


_registry: tuple[tuple[str, ...], Registry] | None = None


def registry() -> Registry:
    """The adapters installed for this interpreter's `sys.path` (found once per path)."""
    global _registry
    path = tuple(sys.path)
    if _registry is None or _registry[0] != path:
        from importlib.metadata import entry_points  # 60 ms: only once a config is read

        groups = (RESPONDERS.group, SOURCES.group)
        points = [point for group in groups for point in entry_points(group=group)]
        _registry = (path, Registry(points))
    return _registry[1]
