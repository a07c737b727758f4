"""The app's own log goes to a file, never to the terminal: Textual draws on it."""

from __future__ import annotations

import logging
import os
from pathlib import Path


def log_path() -> Path:
    override = os.environ.get("BOTDECK_LOG_DIR")
    if override:
        return Path(override) / "botdeck.log"
    from platformdirs import user_log_path

    return user_log_path("botdeck") / "botdeck.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to the user log directory; if it cannot be created, log nowhere (never stderr)."""
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(level)
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    logging.captureWarnings(True)
    return path
