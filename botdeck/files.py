"""One line for a file that cannot be read, the same wherever botdeck reads one."""

from __future__ import annotations

from pathlib import Path


def unreadable(path: Path, error: OSError, what: str = "file") -> str:
    """`<path>: file not found`, `<path>: is a directory, not a <what>`, or the OS reason."""
    if isinstance(error, FileNotFoundError):
        return f"{path}: file not found"
    if isinstance(error, IsADirectoryError):
        return f"{path}: is a directory, not a {what}"
    return f"{path}: cannot read: {error.strerror or error}"
