"""Where botdeck keeps what it reads and writes for the user: one answer for every folder.

Every user folder is asked of this module, so a command, the dashboard and the Twitch
logins never disagree about where a file lives (platformdirs; on Linux):

- config: `~/.config/botdeck` (the config file `botdeck init --user` writes, themes);
- data: `~/.local/share/botdeck` (the token file, run journals); `BOTDECK_DATA_DIR`
  moves all of it at once (a second profile, a test, a portable install);
- log: `~/.local/state/botdeck/log`; `BOTDECK_LOG_DIR` moves it.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "botdeck"


def config_dir() -> Path:
    """The user's config folder (the config file, themes)."""
    from platformdirs import user_config_path

    return user_config_path(APP)


def config_file() -> Path:
    """The config in the user's config folder (on Linux ~/.config/botdeck/config.toml)."""
    return config_dir() / "config.toml"


def themes_dir() -> Path:
    """The user's own dashboard themes (TOML), beside botdeck's."""
    return config_dir() / "themes"


def data_dir() -> Path:
    """The user's data folder: the token file, run journals."""
    override = os.environ.get("BOTDECK_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP)


def journal_dir() -> Path:
    """Where run journals go without `[journal] dir`."""
    return data_dir() / "journal"


def token_file() -> Path:
    """The token file `botdeck auth` writes."""
    return data_dir() / "tokens.json"


def log_dir() -> Path:
    """The folder of the app's log file."""
    override = os.environ.get("BOTDECK_LOG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_log_path

    return user_log_path(APP)
