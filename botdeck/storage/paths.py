"""Where botdeck keeps what it writes for the user: one answer for every writer.

The token store and the run journals both live in the user data directory
(platformdirs: on Linux `~/.local/share/botdeck`); `BOTDECK_DATA_DIR` moves all of it at
once (a second profile, a test, a portable install).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    override = os.environ.get("BOTDECK_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("botdeck")
