"""One `botdeck run` per channel and Twitch client id.

A forgotten second run answers every mention a second time, and the two together send
past each account's 20 messages per 30 s (Twitch locks an account out for 30 minutes).
So a run takes a lock file in the data directory (`locks/CLIENT-CHANNEL.lock`) for as
long as it runs, and a second one stops at once (exit 2) saying which process holds it:
its pid and when it started.

The lock is the operating system's, held on the open file: `fcntl.flock` on Linux and
macOS, `msvcrt.locking` on Windows (on a byte past the text, which stays readable). Either
is released when the process ends however it ends, so a crashed run's lock is simply
taken over; its text, left behind, says which run that was, and the new run says so on
the dashboard. Where neither exists, the file's text is the lock: a pid that is no longer
running is a stale lock, taken over too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botdeck.config import ConfigError

_LOCK_BYTE = 1 << 20  # Windows: the byte locked, far past the text others read


@dataclass(frozen=True, slots=True)
class Holder:
    """The run a lock file names."""

    pid: int
    started: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"pid {self.pid}, started {when}"


def lock_path(directory: Path, channel: str, client_id: str) -> Path:
    def safe(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:64] or "_"

    return directory / "locks" / f"{safe(client_id or 'no-client-id')}-{safe(channel.lower())}.lock"


@contextlib.contextmanager
def run_lock(directory: Path, channel: str, client_id: str) -> Iterator[str | None]:
    """Hold the channel's lock while the block runs; yields a note when a run that ended
    without closing left its lock behind (None otherwise). Another run holding it is a
    `ConfigError` naming it (exit 2)."""
    path = lock_path(directory, channel, client_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise ConfigError(f"cannot take the run lock {path}: {error.strerror or error}") from None
    try:
        previous = _holder(_read(fd))
        if not _lock(fd, previous):
            who = previous.describe() if previous else "a process that has not said which"
            raise ConfigError(
                f"another botdeck run is answering #{channel.lower()} with this client id"
                f" ({who}): stop it first (its lock: {path})"
            )
        note = None
        if previous is not None and previous.pid != os.getpid():
            note = (
                f"took over #{channel.lower()} from a run that ended without closing"
                f" ({previous.describe()})"
            )
        _write(fd, {"pid": os.getpid(), "started": time.time(), "channel": channel.lower()})
        try:
            yield note
        finally:
            _write(fd, None)  # closed cleanly: nothing to take over
            _unlock(fd)
    finally:
        os.close(fd)


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 4096).decode("utf-8", "replace")


def _write(fd: int, content: dict[str, Any] | None) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    if content is not None:
        os.write(fd, json.dumps(content).encode())
    with contextlib.suppress(OSError):
        os.fsync(fd)


def _holder(text: str) -> Holder | None:
    try:
        found = json.loads(text)
        pid, started = int(found["pid"]), float(found["started"])
    except (ValueError, KeyError, TypeError):
        return None
    return Holder(pid, started) if pid > 0 else None


def _lock(fd: int, previous: Holder | None) -> bool:
    """Take the lock without waiting; False when another run holds it."""
    try:
        import fcntl
    except ImportError:
        pass
    else:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True
    try:
        import msvcrt
    except ImportError:
        return previous is None or not _running(previous.pid)
    os.lseek(fd, _LOCK_BYTE, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        pass
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    try:
        import msvcrt
    except ImportError:
        return
    os.lseek(fd, _LOCK_BYTE, os.SEEK_SET)
    with contextlib.suppress(OSError):
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


def _running(pid: int) -> bool:
    """Whether `pid` is a running process (the text-only lock's test; POSIX signals)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, and is someone else's
    return True
