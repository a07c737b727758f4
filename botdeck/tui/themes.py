"""Themes are TOML files: the ones shipped inside the package (`botdeck/themes/`, which the
checkout's top-level `themes/` links to), plus any in the user's config dir.

The shipped ones are read through `importlib.resources`, so an installed botdeck (a wheel,
pipx, uv tool) finds them from any folder, not only from a checkout.

A file that does not parse, or has an unknown key or a bad colour, is reported as one
line naming the file and the key, and skipped; the app still starts with the default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from botdeck.storage.files import MIB, FileRefused, read_text_capped

DEFAULT_THEME = "twitch"
SHIPPED_DIR: Traversable = files("botdeck") / "themes"
_COLOURS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
            "background", "surface", "panel", "boost")  # fmt: skip
_NUMBERS = ("luminosity_spread", "text_alpha")
MAX_THEME_BYTES = MIB  # a theme is a dozen lines


class ThemeError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ThemeSet:
    themes: tuple[Theme, ...]
    warnings: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(theme.name for theme in self.themes)


def load_theme(path: Traversable) -> Theme:
    """One theme file, or ThemeError("<file>: <key>: <problem>")."""
    try:
        data = tomllib.loads(_read(path))
    except FileRefused as error:
        raise ThemeError(str(error)) from None
    except tomllib.TOMLDecodeError as error:
        raise ThemeError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ThemeError(f"{path}: invalid TOML: nested too deeply") from None
    known = {"name", "dark", "variables", *_COLOURS, *_NUMBERS}
    for key in data:
        if key not in known:
            raise ThemeError(f"{path}: {key}: unknown key")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f"{path}: name: missing (required)")
    if "primary" not in data:
        raise ThemeError(f"{path}: primary: missing (required)")
    for key in _COLOURS:
        if key in data:
            _check_colour(path, key, data[key])
    for key in _NUMBERS:
        if key in data and not (isinstance(data[key], int | float) and 0 <= data[key] <= 1):
            raise ThemeError(f"{path}: {key}: expected a number within 0..1, got {data[key]!r}")
    if "dark" in data and not isinstance(data["dark"], bool):
        raise ThemeError(f"{path}: dark: expected true or false, got {data['dark']!r}")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(f"{path}: variables: expected a table of strings")
    return Theme(**{key: value for key, value in data.items() if key != "variables"},
                 variables=variables)  # fmt: skip


def _read(path: Traversable) -> str:
    """A theme's text: a file on disk within the caps (a user's folder may hold anything);
    one inside a zipped package (only shipped themes) as it is."""
    if isinstance(path, Path):
        return read_text_capped(path, "theme file", MAX_THEME_BYTES)
    return path.read_text(encoding="utf-8")


def _check_colour(path: Traversable, key: str, value: object) -> None:
    if not isinstance(value, str):
        raise ThemeError(f"{path}: {key}: expected a colour string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{path}: {key}: not a colour: {value!r}") from None


def discover_themes(*dirs: Traversable) -> ThemeSet:
    """Every valid theme in the given folders (later folders override by name)."""
    themes: dict[str, Theme] = {}
    warnings: list[str] = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        found = [path for path in folder.iterdir() if path.name.endswith(".toml")]
        for path in sorted(found, key=lambda path: path.name):
            try:
                theme = load_theme(path)
            except ThemeError as error:
                warnings.append(f"theme skipped: {error}")
                continue
            themes[theme.name] = theme
    return ThemeSet(tuple(themes.values()), tuple(warnings))
