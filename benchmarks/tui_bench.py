"""Dashboard benchmarks, run in a real terminal (tmux) so rendering costs what it costs.

    python -m benchmarks.tui_bench lag [--app dashboard|plain|richlog] OUT.json
        At 120x40 with 5 bots while simulated chat arrives at 1,000 lines/s for 10 s:
        how late a 10 ms periodic callback runs (p50, p99, max) and the process's CPU
        share. The dashboard has the queue inspector open on the busiest bot. `plain` is a
        plain Textual app (a header, a Log fed the same lines in batches, a footer) under
        the same measurement: the floor this machine gives a Textual app at that moment.
        `richlog` is the dashboard with a RichLog written once per line: the anti-pattern.
    python -m benchmarks.tui_bench idle [--app dashboard|plain] OUT.json
        The same, with no chat at all: the CPU an idle dashboard costs.
    python -m benchmarks.tui_bench hello                       (inside a terminal)
        A minimal Textual app: the baseline for time to first frame.

Each figure is the median of RUNS runs, the dashboard and its baselines interleaved so
they see the same machine; the spread (min-max) is reported with it. Each run also
records what else the machine was doing: the 1-minute load average, and how often the
process was preempted (involuntary context switches), the main source of run-to-run
variation on a shared 2-core machine.

`run_all()` drives them through tmux and returns the figures.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer, Log, RichLog, Static

from botdeck.chat.simulated import ScriptedLine, SimulatedChat, soak_lines
from botdeck.config import demo_config
from botdeck.engine import RunOptions, SourceParts, new_session
from botdeck.tui.app import BotdeckApp
from botdeck.tui.chatlines import ChatHighlighter
from botdeck.tui.factory import create_app
from botdeck.tui.widgets.chat_log import ChatView

SIZE = (120, 40)
RATE = 1000
SECONDS = 10.0
SETTLE = 1.0  # seconds after the first frame before measuring
RUNS = 5


class PerLineRichLog(RichLog):
    """The anti-pattern: every chat line written (and laid out) as it arrives."""

    def __init__(self) -> None:
        super().__init__(id="chat", max_lines=5000, markup=False)

    def add(self, line: str, full: str | None = None, key: Hashable | None = None) -> None:
        self.write(line)  # a folded line is written again: the anti-pattern has no keys

    def flush(self) -> None:
        pass


class RichLogDashboard(BotdeckApp):
    def chat_view(self, highlighter: ChatHighlighter) -> ChatView:
        return PerLineRichLog()


class PlainApp(App[None]):
    """A plain Textual app: a header line, a Log fed in batches at 10 Hz, a footer."""

    def __init__(self, lines: Iterable[ScriptedLine]) -> None:
        super().__init__()
        self._lines = iter(lines)
        self._pending: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("router: running")
        yield Log(max_lines=5000, id="chat")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(0.1, self._flush)
        self.run_worker(self._feed())

    async def _feed(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for line in self._lines:
            wait = start + line.at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._pending.append(f"{line.user}: {line.text}")

    def _flush(self) -> None:
        if self._pending:
            lines, self._pending = self._pending, []
            self.query_one(Log).write_lines(lines)


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


def _chat(idle: bool) -> list[ScriptedLine]:
    if idle:
        return []
    config = demo_config(bots=5, scenario="soak", seed=7)
    lines = soak_lines(config.bot_names, random.Random(7), rate=RATE, mention_share=0.1)
    # Chat runs past the measured window: startup is not "while chat arrives".
    return list(itertools.takewhile(lambda line: line.at < SETTLE + SECONDS + 1, lines))


def measure(out: Path, kind: str, app_name: str) -> None:
    idle = kind == "idle"
    lines = _chat(idle)
    app: App[Any]
    if app_name == "plain":
        app = PlainApp(lines)
    else:
        config = demo_config(bots=5, scenario="soak", seed=7)
        source = SimulatedChat(lines, keep_open=True, speed=1.0)
        app_class = RichLogDashboard if app_name == "richlog" else BotdeckApp
        options = RunOptions(demo=True, watched=True)
        session = new_session(config, options, source=SourceParts(source))
        app = create_app(session, config, demo=True, app_class=app_class)

    async def run(pilot: Pilot[Any]) -> None:
        await asyncio.sleep(SETTLE)
        if isinstance(app, BotdeckApp):
            busiest = max(app.engine.bots, key=lambda bot: len(app.engine.jobs_of(bot)))
            app.select(busiest)  # the queue inspector open on the busiest bot
            await asyncio.sleep(0.5)  # its opening (a layout, the footer's new keys) is not idle
        loop = asyncio.get_running_loop()
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        load = os.getloadavg()[0]
        cpu0, wall0 = time.process_time(), loop.time()
        if idle:  # no 10 ms timer: its own wake-ups would be most of an idle app's CPU
            await asyncio.sleep(SECONDS)
            lateness = [0.0]
        else:
            lateness = await measure_lag(wall0 + SECONDS)
        cpu = (time.process_time() - cpu0) / (loop.time() - wall0)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result = {
            "p50_ms": percentile(lateness, 50),
            "p99_ms": percentile(lateness, 99),
            "max_ms": max(lateness),
            "cpu_share": cpu,
            "load_1min": load,
            "preempted": usage.ru_nivcsw - usage0.ru_nivcsw,
            "lines": app.engine.snapshot().chat.lines if isinstance(app, BotdeckApp) else 0,
        }
        await asyncio.to_thread(_write_atomically, out, json.dumps(result))
        app.exit()

    app.run(auto_pilot=run, size=SIZE, headless=os.environ.get("BENCH_HEADLESS") == "1")


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


def _in_terminal(command: str, until: str | None, result: Path | None = None) -> float:
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
        shown = 0.0
        if until is not None:
            try:
                seen = _wait(lambda: until in _tmux("capture-pane", "-p", "-t", session), 20)
            except RuntimeError:
                raise RuntimeError(_tmux("capture-pane", "-p", "-t", session)) from None
            shown = seen - start
        if result is not None:
            _wait(result.exists, SETTLE + SECONDS + 40)
        return shown
    finally:
        _tmux("kill-session", "-t", session, check=False)


def _wait(condition, timeout: float, every: float = 0.005) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(every)
    raise RuntimeError(f"benchmark condition not met within {timeout}s")


def _python(*args: str) -> str:
    return " ".join(shlex.quote(arg) for arg in (sys.executable, "-m", *args))


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Medians of each figure, their spread (min, max) and every run."""
    keys = ("p50_ms", "p99_ms", "max_ms", "cpu_share", "load_1min", "preempted")
    return {
        **{key: statistics.median(run[key] for run in runs) for key in keys},
        "spread": {key: (min(r[key] for r in runs), max(r[key] for r in runs)) for key in keys},
        "runs": runs,
    }


def run_all(runs: int = RUNS) -> dict[str, dict[str, Any]] | None:
    if shutil.which("tmux") is None:
        return None
    measured: dict[str, list[dict[str, float]]] = {}
    plan = [
        ("lag", "dashboard"),
        ("lag", "plain"),
        ("lag", "richlog"),
        ("idle", "dashboard"),
        ("idle", "plain"),
    ]
    _tmux("new-session", "-d", "-s", "keepalive", "sh")
    with tempfile.TemporaryDirectory() as folder:
        env = f"BOTDECK_LOG_DIR={shlex.quote(folder)}"
        for index in range(runs):  # interleaved: each side sees the same machine
            for kind, app_name in plan:
                if app_name == "richlog" and index >= 2:
                    continue  # the anti-pattern's figure is stable enough from two runs
                out = Path(folder) / f"{kind}-{app_name}-{index}.json"
                module = _python("benchmarks.tui_bench", kind, "--app", app_name, str(out))
                _in_terminal(f"{env} {module}", until=None, result=out)
                measured.setdefault(f"{kind}_{app_name}", []).append(json.loads(out.read_text()))
        figures = {name: summary(results) for name, results in measured.items()}
        demo = f"{env} {_python('botdeck', 'demo')}"
        hello = _python("benchmarks.tui_bench", "hello")
        figures["first_frame"] = {
            "botdeck_s": min(_in_terminal(demo, "q Quit") for _ in range(3)),
            "hello_s": min(_in_terminal(hello, "router: running") for _ in range(3)),
        }
    _tmux("kill-server", check=False)
    return figures


def main(argv: list[str]) -> None:
    if argv[0] in ("lag", "idle"):
        app_name = argv[argv.index("--app") + 1] if "--app" in argv else "dashboard"
        measure(Path(argv[-1]), argv[0], app_name)
    elif argv[0] == "hello":
        Hello().run()
    elif argv[0] == "all":
        print(json.dumps(run_all(int(argv[1]) if len(argv) > 1 else RUNS), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
