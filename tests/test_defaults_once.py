"""Every default is stated once: in the config schema (`botdeck/config.py`), or in the shared
definition the schema itself points to (`model/defaults.py`: Twitch's limits, cooldowns,
delays). Everything else takes its settings from there.

The check walks the schema's defaults and reads every botdeck module with `ast`, looking
for the same name given a literal default somewhere else: a parameter or a dataclass
field (`job_timeout: float = 90.0`), an option (`add_argument("--ack-target",
default=60.0)`), a config line in a template (`"ack_target = 60  # ..."`), or a constant
named after the setting (`VIEWER_LIMIT = 20` for `send_limits.viewer`). A reference to a
shared definition (`TWITCH_SEND_LIMITS.viewer`) is not a restatement.

A literal equal to the setting's default is one. A different literal is one too when the
name is a setting's own (`per_user_cap = 5`: two sources that disagree), except one that
turns a mechanism off (None, 0, "", False, empty); a one-word name (`timeout`, `seed`,
`source`) is too common to say so and counts only with the default's value. Nothing is
ever "empty" twice: an empty list or string is no default to restate.
"""

from __future__ import annotations

import ast
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import botdeck
from botdeck.adapters import RESPONDERS, SOURCES, registry
from botdeck.config import Config

PACKAGE = Path(botdeck.__file__).parent
NEUTRAL: tuple[object, ...] = (None, 0, "", False, (), [], {}, frozenset())
COMMON_WORDS = {"default", "max", "min", "per", "the"}  # say nothing about which setting
# The classes a schema table derives from: the config's, and an adapter's options.
SCHEMA_BASES = ("_Model", "BaseModel", "_AdapterTable", "AdapterOptions", "ReactionConfig")


@dataclass(frozen=True)
class Setting:
    key: str  # dotted, for messages: "router.job_timeout"
    name: str  # as code spells it: "job_timeout"
    default: object
    home: str  # the module whose schema class states it, relative to the package
    sources: frozenset[str]  # where a shared definition it points to lives


@dataclass(frozen=True)
class Restated:
    where: str  # "botdeck/engine/build.py:66"
    name: str
    value: object

    def __str__(self) -> str:
        return f"{self.where}: {self.name} = {self.value!r}"


# ------------------------------------------------------------------ the schema's defaults
def _module_path(cls: type) -> str:
    return cls.__module__.removeprefix("botdeck.").replace(".", "/") + ".py"


def _imports(tree: ast.Module) -> dict[str, str]:
    """Names a module imports from botdeck modules, and where each comes from."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("botdeck."):
            path = node.module.removeprefix("botdeck.").replace(".", "/") + ".py"
            for alias in node.names:
                found[alias.asname or alias.name] = path
    return found


def _default_sources(expr: ast.expr | None, tree: ast.Module) -> frozenset[str]:
    """The botdeck modules a non-literal default points to (through one local name)."""
    if expr is None:
        return frozenset()
    imported = _imports(tree)
    local = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    sources = set()
    names = [n.id for n in ast.walk(expr) if isinstance(n, ast.Name)]
    for name in names:
        if name in imported:
            sources.add(imported[name])
        elif name in local:
            sources |= {imported[n.id] for n in ast.walk(local[name])
                        if isinstance(n, ast.Name) and n.id in imported}  # fmt: skip
    return frozenset(sources)


def _field_expr(tree: ast.Module, cls: str, name: str) -> ast.expr | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and getattr(item.target, "id", None) == name:
                    return item.value
    return None


def settings() -> list[Setting]:
    found: list[Setting] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        home = _module_path(model)
        tree = ast.parse((PACKAGE / home).read_text(encoding="utf-8"))
        for name, info in model.model_fields.items():
            items = [a for a in get_args(info.annotation) if isinstance(a, type)]
            if items and issubclass(items[0], BaseModel):  # [[bots]]: a table per item
                walk(items[0], f"{prefix}{name}[].")
                continue
            default = info.get_default(call_default_factory=True)
            if isinstance(default, BaseModel):
                walk(type(default), f"{prefix}{name}.")
                continue
            if default is PydanticUndefined or default is None:
                continue
            expr = _field_expr(tree, model.__name__, name)
            if isinstance(expr, ast.Call) and getattr(expr.func, "id", "") == "Field":
                expr = expr.args[0] if expr.args else None
            sources = frozenset() if _literal(expr) is not _NOT else _default_sources(expr, tree)
            for spelled in {name, info.alias or name}:
                found.append(Setting(prefix + name, spelled, default, home, sources))

    walk(Config, "")
    # The adapters' own keys in `[ai]` and `[chat]` are schema too: each states its own.
    for kind in (RESPONDERS, SOURCES):
        for name in registry().own(kind):
            walk(registry().get(kind, name).options, f"{kind.table}.")
    return found


# ------------------------------------------------------------------ reading the code
_NOT = object()


def _literal(node: ast.expr | None) -> object:
    if node is None:
        return _NOT
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT


def _same(value: object, default: object) -> bool:
    if value is None or (isinstance(value, str | list | tuple | dict) and not value):
        return False  # nothing is no default
    if isinstance(default, list | tuple) and isinstance(value, list | tuple):
        return list(value) == list(default)
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    return value == default


def _words(name: str) -> set[str]:
    return {word for word in name.lower().split("_") if word} - COMMON_WORDS


def _constants(tree: ast.Module) -> dict[str, object]:
    """A module's literal constants, so `timeout: float = DEFAULT_TIMEOUT` counts too."""
    consts = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            value = _literal(node.value)
            if isinstance(target, ast.Name) and value is not _NOT:
                consts[target.id] = value
    return consts


def _value(node: ast.expr, consts: dict[str, object]) -> object:
    value = _literal(node)
    if value is _NOT and isinstance(node, ast.Name):
        return consts.get(node.id, _NOT)
    return value


def _schema_fields(tree: ast.Module, path: str, homes: set[str]) -> set[int]:
    """The schema's own field lines (the one place its defaults are stated)."""
    if path not in homes:
        return set()
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            getattr(base, "id", "") in SCHEMA_BASES for base in node.bases
        ):
            lines |= {item.lineno for item in node.body if isinstance(item, ast.AnnAssign)}
    return lines


_TOML_LINE = re.compile(r"^\s*([A-Za-z_]+)\s*=\s*(\S[^#\n]*?)\s*(?:#.*)?$", re.M)


def restatements(setting_list: list[Setting], package: Path = PACKAGE) -> list[Restated]:
    by_name: dict[str, list[Setting]] = {}
    for setting in setting_list:
        by_name.setdefault(setting.name, []).append(setting)
    homes = {setting.home for setting in setting_list}
    found: list[Restated] = []
    for file in sorted(package.rglob("*.py")):
        path = str(file.relative_to(package))
        tree = ast.parse(file.read_text(encoding="utf-8"))
        found += _restated_in(tree, path, setting_list, by_name, homes)
    return found


def _restated_in(
    tree: ast.Module,
    path: str,
    setting_list: list[Setting],
    by_name: dict[str, list[Setting]],
    homes: set[str],
) -> list[Restated]:
    found: list[Restated] = []
    consts = _constants(tree)
    schema_lines = _schema_fields(tree, path, homes)
    where = f"botdeck/{path}"

    def check(name: str, node: ast.expr, line: int) -> None:
        value = _value(node, consts)
        if value is _NOT or line in schema_lines:
            return
        own_name = "_" in name.strip("_")
        for setting in by_name.get(name, ()):
            if path in setting.sources:
                continue  # the shared definition the schema points to
            if _same(value, setting.default) or (own_name and value not in NEUTRAL):
                found.append(Restated(f"{where}:{line}", name, value))
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            positional = args.posonlyargs + args.args
            for arg, default in zip(positional[::-1], args.defaults[::-1], strict=False):
                check(arg.arg, default, node.lineno)
            for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                if default is not None:
                    check(arg.arg, default, node.lineno)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.value is not None:
                value = node.value
                if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "field":
                    value = next((k.value for k in value.keywords if k.arg == "default"), None)
                if value is not None:
                    check(node.target.id, value, node.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            flags = [a.value for a in node.args if isinstance(a, ast.Constant)]
            for keyword in node.keywords:
                if keyword.arg == "default":
                    for flag in flags:
                        if isinstance(flag, str) and flag.startswith("--"):
                            check(flag[2:].replace("-", "_"), keyword.value, node.lineno)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                value = _literal(node.value)
                for setting in setting_list:
                    if (
                        value is not _NOT
                        and path not in setting.sources
                        and _words(target.id) & _words(setting.name)
                        and _same(value, setting.default)
                        and not isinstance(value, bool)
                    ):
                        found.append(Restated(f"{where}:{node.lineno}", target.id, value))
                        break
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in _TOML_LINE.finditer(node.value):
                try:
                    value = tomllib.loads(f"v = {match.group(2)}")["v"]
                except tomllib.TOMLDecodeError:
                    continue
                for setting in by_name.get(match.group(1), ()):
                    if _same(value, setting.default):
                        found.append(Restated(f"{where}:{node.lineno}", match.group(1), value))
                        break
    return found


# ------------------------------------------------------------------ the tests
def test_no_default_is_stated_twice():
    found = restatements(settings())
    assert not found, "defaults stated outside the config schema:\n" + "\n".join(map(str, found))


def test_the_check_finds_each_way_of_restating_a_default(tmp_path):
    """The check itself, on a copy of the package with one restatement of each kind."""
    copy = tmp_path / "botdeck"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "themes"))
    (copy / "restated.py").write_text(
        "import argparse\n"
        "from dataclasses import dataclass\n"
        "WAIT = 90.0\n"
        "VIEWER_LIMIT = 20\n"
        "TEMPLATE = 'ack_target = 60   # seconds'\n"
        "def run(job_timeout: float = WAIT) -> None: ...\n"
        "@dataclass\n"
        "class Settings:\n"
        "    max_age: float = 120.0\n"
        "    per_user_cap: int = 5  # another value: still a second source\n"
        "    outage_wait: float = 0.0  # off: not a default\n"
        "argparse.ArgumentParser().add_argument('--resume-window', default=300.0)\n",
        encoding="utf-8",
    )
    found = {
        f"{r.name} = {r.value!r}" for r in restatements(settings(), copy) if "restated" in r.where
    }
    assert found == {
        "job_timeout = 90.0",
        "VIEWER_LIMIT = 20",
        "ack_target = 60",
        "max_age = 120.0",
        "per_user_cap = 5",
        "resume_window = 300.0",
    }
