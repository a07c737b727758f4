"""Dashboard benchmarks, run in a real terminal (tmux) so rendering costs what it costs.

    python -m benchmarks.tui_bench lag [--richlog] OUT.json   (inside a terminal)
        The dashboard at its terminal size with 5 bots while simulated chat arrives at
        1,000 lines/s for 10 s. Measures how late a 10 ms periodic callback runs (p50, p99,
        max) and the process's CPU share. --richlog swaps the chat view for RichLog written
        once per line: the baseline the design avoids.
    python -m benchmarks.tui_bench hello                       (inside a terminal)
        A minimal Textual app: the baseline for time to first frame.

`run_all()` drives both through tmux and returns the figures.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer, RichLog, Static

from botdeck.chat.simulated import SimulatedChat, soak_lines
from botdeck.config import demo_config
from botdeck.engine import SourceParts
from botdeck.tui.app import BotdeckApp
from botdeck.tui.chatlines import ChatHighlighter
from botdeck.tui.factory import create_app
from botdeck.tui.widgets.chat_log import ChatView

SIZE = (120, 40)
RATE = 1000
SECONDS = 10.0
SETTLE = 0.5  # seconds after the first frame before measuring


class PerLineRichLog(RichLog):
    """The anti-pattern: every chat line written (and laid out) as it arrives."""

    def __init__(self) -> None:
        super().__init__(id="chat", max_lines=5000, markup=False)

    def add(self, line: str) -> None:
        self.write(line)

    def flush(self) -> None:
        pass


class RichLogDashboard(BotdeckApp):
    def chat_view(self, highlighter: ChatHighlighter) -> ChatView:
        return PerLineRichLog()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


async def measure_lag(stop_at: float) -> list[float]:
    loop = asyncio.get_running_loop()
    lateness = []
    while loop.time() < stop_at:
        start = loop.time()
        await asyncio.sleep(0.01)
        lateness.append((loop.time() - start - 0.01) * 1000)
    return lateness


def lag(out: Path, richlog: bool) -> None:
    config = demo_config(bots=5, scenario="soak", seed=7)
    lines = soak_lines(config.bot_names, random.Random(7), rate=RATE, mention_share=0.1)
    # Chat runs past the measured window on both sides: startup is not "while chat arrives".
    source = SimulatedChat(itertools.takewhile(lambda line: line.at < SETTLE + SECONDS + 1, lines))
    app_class = RichLogDashboard if richlog else BotdeckApp
    app = create_app(config, demo=True, source=SourceParts(source), app_class=app_class)

    async def measure(pilot: Pilot) -> None:
        await asyncio.sleep(SETTLE)
        loop = asyncio.get_running_loop()
        cpu0, wall0 = time.process_time(), loop.time()
        lateness = await measure_lag(wall0 + SECONDS)
        cpu = (time.process_time() - cpu0) / (loop.time() - wall0)
        result = {
            "p50_ms": percentile(lateness, 50),
            "p99_ms": percentile(lateness, 99),
            "max_ms": max(lateness),
            "cpu_share": cpu,
            "lines": app.engine.snapshot().chat.lines,
        }
        await asyncio.to_thread(_write_atomically, out, json.dumps(result))
        app.exit()

    app.run(auto_pilot=measure)


def _write_atomically(path: Path, text: str) -> None:
    """Write then rename, so the outer side never reads a half-written file."""
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    os.replace(partial, path)


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("router: running")
        yield Footer()


# --------------------------------------------------------------- the outer side
SOCKET = f"botdeck-bench-{os.getpid()}"  # our own tmux server, kept alive between runs


def _tmux(*args: str, check: bool = True) -> str:
    command = ["tmux", "-L", SOCKET, *args]
    return subprocess.run(command, check=check, capture_output=True, text=True).stdout


def _in_terminal(command: str, until: str, result: Path | None = None) -> float:
    """Run `command` in a 120x40 tmux pane; seconds until the screen shows `until`.

    With `result`, also wait for that file (the inner run's figures) before closing.
    """
    session = "bench"
    _tmux("new-session", "-d", "-s", session, "-x", str(SIZE[0]), "-y", str(SIZE[1]), "sh")
    try:
        _tmux("set-option", "-t", session, "window-size", "manual")
        _tmux("resize-window", "-t", session, "-x", str(SIZE[0]), "-y", str(SIZE[1]))
        start = time.perf_counter()
        _tmux("send-keys", "-t", session, f"unset COLUMNS LINES; {command}", "Enter")
        try:
            elapsed = _wait(lambda: until in _tmux("capture-pane", "-p", "-t", session), 20)
        except RuntimeError:
            raise RuntimeError(_tmux("capture-pane", "-p", "-t", session)) from None
        shown = elapsed - start
        if result is not None:
            _wait(result.exists, SECONDS + 30)
        return shown
    finally:
        _tmux("kill-session", "-t", session, check=False)


def _wait(condition, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(0.005)
    raise RuntimeError(f"benchmark condition not met within {timeout}s")


def _python(*args: str) -> str:
    return " ".join(shlex.quote(arg) for arg in (sys.executable, "-m", *args))


def run_all() -> dict[str, dict[str, float]] | None:
    if shutil.which("tmux") is None:
        return None
    figures: dict[str, dict[str, float]] = {}
    _tmux("new-session", "-d", "-s", "keepalive", "sh")
    with tempfile.TemporaryDirectory() as folder:
        env = f"BOTDECK_LOG_DIR={shlex.quote(folder)}"
        for name, extra in (("log", []), ("richlog", ["--richlog"])):
            out = Path(folder) / f"{name}.json"
            command = f"{env} {_python('benchmarks.tui_bench', 'lag', *extra, str(out))}"
            _in_terminal(command, until="q Quit", result=out)
            figures[name] = json.loads(out.read_text())
        demo = f"{env} {_python('botdeck', 'demo')}"
        hello = _python("benchmarks.tui_bench", "hello")
        figures["first_frame"] = {
            "botdeck_s": min(_in_terminal(demo, "q Quit") for _ in range(3)),
            "hello_s": min(_in_terminal(hello, "router: running") for _ in range(3)),
        }
    _tmux("kill-server", check=False)
    return figures


def main(argv: list[str]) -> None:
    if argv[0] == "lag":
        lag(Path(argv[-1]), richlog="--richlog" in argv)
    elif argv[0] == "hello":
        Hello().run()


if __name__ == "__main__":
    main(sys.argv[1:])
