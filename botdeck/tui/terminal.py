"""The terminal the dashboard draws on, and what to do when it goes away.

Closing the terminal window hangs the terminal up: the kernel sends SIGHUP, and from then
on every write to it fails. Textual writes from a thread that dies at the first failed
write, after which the app would block on a full write queue. So when SIGHUP finds the
terminal gone, the dashboard points its output at /dev/null before anything else is
drawn, and the engine finishes its drain without a screen.

Windows has no `termios` and no SIGHUP (closing its console window ends the process), so
nothing here may need them: without `termios`, a terminal whose size cannot be read any
more counts as gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

try:
    import termios
except ImportError:  # Windows
    termios = None  # type: ignore[assignment]
from types import FrameType


def terminal_fd() -> int | None:
    """The descriptor Textual draws on (its standard error), when it is a terminal."""
    stream = sys.__stderr__
    if stream is None:
        return None
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


def hung_up(fd: int) -> bool:
    """True once the terminal on `fd` has been hung up (every ioctl then fails)."""
    if termios is None:
        try:
            os.get_terminal_size(fd)
        except OSError:
            return True
        return False
    try:
        termios.tcgetattr(fd)
    except termios.error:
        return True
    return False


def silence_output() -> None:
    """Send standard output and error to /dev/null: the terminal is gone, and a write to
    it would fail (or block Textual's writer)."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            for fd in (1, 2):
                os.dup2(null, fd)
        finally:
            os.close(null)


def no_resume_after_hangup(fd: int) -> None:
    """A hung-up terminal gets SIGCONT right after SIGHUP (the kernel sends both to the
    foreground group), and Textual's SIGCONT handler starts application mode again: a new
    writer thread on the dead terminal, whose first write fails and kills it, after which
    the app blocks for ever on its full queue when it closes (seen once in ten runs under
    load). So a SIGCONT that finds the terminal hung up resumes nothing; any other goes to
    Textual's handler as before (returning from Ctrl+Z)."""
    cont = getattr(signal, "SIGCONT", None)
    if cont is None:
        return
    textual = signal.getsignal(cont)
    if not callable(textual):
        return

    def on_cont(number: int, frame: FrameType | None) -> None:
        if hung_up(fd):
            return
        textual(number, frame)

    with contextlib.suppress(ValueError):  # not the main thread: leave it as it is
        signal.signal(cont, on_cont)
