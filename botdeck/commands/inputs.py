"""What a command reads before anything runs, checked the same way by every command: its
config file (found, loaded, preflighted), the files a journal may never be written over,
and the `--theme` flag.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from botdeck.config import Config, ConfigError, find_config, load_config

if TYPE_CHECKING:
    from botdeck.tui.themes import ThemeSet

EXIT_BAD_INPUT = 2


def load_checked(path: Path | None, adjust: Callable[[Config], Config] | None = None) -> Config:
    """The config file (`adjust`ed, for a rehearsal), checked as far as it can be before
    anything runs."""
    from botdeck.engine import preflight

    path = find_config(path)
    # A rehearsal replaces the chat source: a Twitch config need not be complete for it.
    config = load_config(path, twitch_ready=adjust is None)
    if adjust is not None:
        config = adjust(config)
    try:
        preflight(config)  # the API key is set, the blocklist file reads
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    return config


def files_read(args: argparse.Namespace) -> tuple[Path, ...]:
    """The config file this command reads: a journal is never appended to it (the run
    adds the files its config names: a replay, a blocklist)."""
    if getattr(args, "config", None) is not None or args.command in ("run", "rehearse"):
        with contextlib.suppress(ConfigError):  # the demo, `serve --demo`: no config
            return (find_config(args.config),)
    return ()


def checked_themes(name: str | None) -> ThemeSet | None:
    """`--theme` means the same in every mode: an unknown theme is refused before anything
    runs, also headless (where it does not show), so a script that works headless does
    not fail the day it runs with the dashboard."""
    if name is None:
        return None  # the dashboard finds its themes itself; nothing to import headless
    from botdeck.tui.factory import available_themes, check_theme

    themes = available_themes()
    check_theme(name, themes)
    return themes
