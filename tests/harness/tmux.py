"""Driving a real terminal (tmux) for the dashboard's end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.harness.waiting import wait_for


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_for_screen(session: str, predicate: Callable[[str], bool], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if predicate(screen):
            return screen
        time.sleep(0.1)
    raise AssertionError(f"screen never matched within {timeout}s:\n{screen}")


def pane_flags(session: str) -> str:
    """Whether the pane is in the alternate screen and reports the mouse: "0 0" once a
    full-screen app has restored the terminal."""
    return tmux("display-message", "-p", "-t", session, "#{alternate_on} #{mouse_any_flag}").strip()


@dataclass(frozen=True)
class Pane:
    """A botdeck running in tmux: the session to drive, and the folder it runs in, where
    its pid (`pid`) and, once it has exited, its exit code (`exit-code`) appear."""

    session: str
    folder: Path

    def exit_code(self, timeout: float) -> str:
        exit_file = self.folder / "exit-code"

        def written() -> bool:  # the shell creates the file, then writes "N\n" into it
            return exit_file.exists() and exit_file.read_text().endswith("\n")

        wait_for(written, within=timeout, what="botdeck exited")
        return exit_file.read_text().strip()


@contextlib.contextmanager
def session_running(
    name: str,
    args: list[str],
    tmp_path: Path,
    *,
    module: str = "botdeck",
    size: tuple[int, int] = (120, 40),
    **env: str,
) -> Iterator[Pane]:
    """`python -m MODULE ARGS` (botdeck) in a tmux pane of `size` (120x40), run in
    `tmp_path`."""
    session = f"{name}-{os.getpid()}"
    width, height = (str(n) for n in size)
    # exec keeps the pid the shell wrote; a runner may export COLUMNS/LINES (80x24).
    # The tmux server keeps its own environment: pass what the run needs explicitly.
    env = {"XDG_DATA_HOME": os.environ["XDG_DATA_HOME"], **env}
    variables = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    botdeck = shlex.join([sys.executable, "-m", module, *args])
    inner = f"echo $$ > pid; exec env {variables} {botdeck}"
    command = (
        f"cd {shlex.quote(str(tmp_path))}; unset COLUMNS LINES; "
        f"sh -c {shlex.quote(inner)}; echo $? > exit-code; echo botdeck-exited"
    )
    tmux("new-session", "-d", "-s", session, "-x", width, "-y", height, "sh")
    try:
        # Without an attached client some tmux versions fall back to 80x24: pin the size.
        tmux("set-option", "-t", session, "window-size", "manual")
        tmux("resize-window", "-t", session, "-x", width, "-y", height)
        tmux("send-keys", "-t", session, command, "Enter")
        yield Pane(session, tmp_path)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        reap(tmp_path)


def reap(folder: Path, grace: float = 10.0) -> None:
    """End the botdeck a closed pane left running in `folder` (a failed test: one whose
    dashboard died carried on without a screen and spun on its dead terminal, slowing
    every test after it). Only that process: its pid from `folder`, its cwd `folder`."""
    try:
        pid = int((folder / "pid").read_text())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + grace
    while ours(pid, folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    if ours(pid, folder):
        os.kill(pid, signal.SIGKILL)


def ours(pid: int, folder: Path) -> bool:
    """The botdeck started in `folder` is still running (not a later process given its pid)."""
    try:
        return Path(f"/proc/{pid}/cwd").resolve() == folder.resolve()
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
