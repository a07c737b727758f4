"""The app's own log goes to a file, never to the terminal: Textual draws on it.

Secrets (tokens, the client secret) must never reach the log, whoever logs them: code
that holds one registers it with `redact`, and the log handler's filter replaces it in
every record, exception text included (twitchio's InvalidTokenException, for one,
carries the token in its message).
"""

from __future__ import annotations

import logging
from pathlib import Path

from botdeck.storage.paths import log_dir

_SECRETS: set[str] = set()
_MASK = "[redacted]"
_MIN_SECRET = 8  # shorter values would mask ordinary words


def redact(*secrets: str | None) -> None:
    """Never let these values appear in the log."""
    _SECRETS.update(s for s in secrets if s and len(s) >= _MIN_SECRET)


def scrub(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


class RedactSecrets(logging.Filter):
    """Masks registered secrets in a record's message and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _SECRETS:
            return True
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def log_path() -> Path:
    return log_dir() / "botdeck.log"


def current_log_file() -> Path | None:
    """The file the log goes to now, if any (named when a traceback went there)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


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
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    logging.captureWarnings(True)
    return path
