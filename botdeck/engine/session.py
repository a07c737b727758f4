"""One run of the engine, from connecting to its exit code, whoever watches it.

A run outlives its views. The dashboard, a browser page or nothing at all (headless)
watches and commands it; when a view goes away (the terminal closed, an exception in a
widget, the page's process told to quit), the run carries on without one until it drains
or stops, and no queued mention gets an outcome because a view failed. So what a run is
lives here, once, for every front end:

- the chat feed (connect, read, and a chat source that fails is reported, not fatal);
- how a run ends: a finite source played out and every reply settled (headless, or once
  nobody watches), `--duration` (a drain), or a quit request;
- quit requests from keys and signals (`QuitRequests`: the first drains, a second stops)
  and the routing of signals onto the loop, with a fallback where the loop cannot take
  them (Windows);
- the exit code: 0 after a drain or a finished source, 130 after an emergency stop.

What a run has to say (it cannot start, the chat source failed, what it resumed, the AI
server went down) goes through `say`: a toast while the dashboard shows, one line on
stderr otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal

from botdeck.config import ConfigError
from botdeck.engine.engine import Engine
from botdeck.engine.quitting import QuitRequests, QuitResult
from botdeck.model.events import AIAvailability, EngineEvent
from botdeck.model.jobs import RouterState
from botdeck.model.review import HEADLESS

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_STOPPED = 130
# The signals that mean "quit" (Windows has no SIGHUP; its Ctrl+Break is SIGBREAK).
QUIT_SIGNAL_NAMES = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")


def quit_signals() -> tuple[signal.Signals, ...]:
    """Every quit signal this platform has, looked up when a route is made."""
    return tuple(getattr(signal, name) for name in QUIT_SIGNAL_NAMES if hasattr(signal, name))


Severity = Literal["information", "warning", "error"]
Say = Callable[[str, Severity], None]


@dataclass(frozen=True, slots=True)
class RunJournal:
    """Where a run's journal is, and where this run's part of it starts (a journal
    appended to holds earlier runs; a report on this run starts at `offset`)."""

    path: Path
    offset: int = 0


def say_on_stderr(text: str, severity: Severity = "information") -> None:
    """What a run says when no screen shows it: one line on stderr."""
    prefix = "warning: " if severity == "warning" else "error: " if severity == "error" else ""
    with contextlib.suppress(OSError, ValueError):  # a closed terminal: the log has it
        print(f"botdeck: {prefix}{text}", file=sys.stderr, flush=True)


class SignalRoute:
    """Quit signals delivered to `handler` on the event loop while installed.

    On POSIX the loop takes them (`add_signal_handler`); where it cannot (Windows, or a
    loop that does not support it) `signal.signal` catches them in the main thread and
    hands them to the loop. Off the main thread nothing is installed: keys still quit.
    """

    def __init__(
        self,
        handler: Callable[[signal.Signals], None],
        signals: tuple[signal.Signals, ...] | None = None,
    ) -> None:
        self._handler = handler
        self._signals = quit_signals() if signals is None else signals
        self._on_loop: list[signal.Signals] = []
        self._previous: dict[signal.Signals, object] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        for sig in self._signals:
            try:
                loop.add_signal_handler(sig, self._handler, sig)
            except (NotImplementedError, RuntimeError, ValueError, AttributeError):
                self._fallback(loop, sig)
            else:
                self._on_loop.append(sig)

    def _fallback(self, loop: asyncio.AbstractEventLoop, sig: signal.Signals) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def caught(number: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(self._handler, signal.Signals(number))

        try:
            self._previous[sig] = signal.signal(sig, caught)
        except (OSError, ValueError, RuntimeError):
            return

    def remove(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            for sig in self._on_loop:
                loop.remove_signal_handler(sig)
        self._on_loop.clear()
        for sig, previous in self._previous.items():
            with contextlib.suppress(OSError, ValueError, RuntimeError, TypeError):
                signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous.clear()


class RunSession:
    """See the module docstring. `ends_with_source`: the run drains once a finite chat
    source has played out and every reply has settled (headless); the dashboard instead
    stays open until the operator quits, unless it goes away first."""

    def __init__(
        self,
        engine: Engine,
        *,
        duration: float | None = None,
        ends_with_source: bool = True,
        say: Say = say_on_stderr,
        journal: RunJournal | None = None,
    ) -> None:
        self.engine = engine
        self.journal = journal  # where the run's journal is (`open_run` says), if a file
        self.quits = QuitRequests(engine)
        self.say = say
        self.supervised = False  # someone (the dashboard's runner) finishes the run
        self._duration = duration
        self._ends_with_source = ends_with_source
        self._connected = False
        self._feed: asyncio.Task[None] | None = None
        self._finisher: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._source_done = False

    @property
    def exit_code(self) -> int:
        return EXIT_STOPPED if self.engine.state is RouterState.STOPPED else EXIT_OK

    # ------------------------------------------------------------------ starting
    async def connect(self) -> None:
        """Connect the chat source now (a headless run: a refused setup is a ConfigError,
        exit 2, before anything runs), then say what the previous run left."""
        await self.engine.connect()
        self._connected = True
        self._say_resumed()

    def start(self) -> None:
        """Read chat (connecting first unless `connect` did) and start `--duration`'s
        clock. Idempotent: the dashboard and its runner may both ask."""
        if self._feed is not None:
            return
        loop = asyncio.get_running_loop()
        self._feed = loop.create_task(self._read_chat(), name="botdeck chat feed")
        if self._duration is not None:
            self._timer = loop.call_later(self._duration, self.engine.drain)

    async def _read_chat(self) -> None:
        try:
            if not self._connected:
                await self.connect()
            await self.engine.run_chat()
        except ConfigError as error:
            log.error("cannot start: %s", error)
            self.say(f"cannot start: {error}", "error")
        except Exception as error:
            log.exception("chat source failed")
            failure = self.engine.source_failure(error)
            self.say(f"chat source failed: {failure.reason}", "error")
        self._source_done = True
        if self._ends_with_source:
            self._finish_when_settled()

    def _finish_when_settled(self) -> None:
        if self._finisher is None:
            self._finisher = asyncio.get_running_loop().create_task(self._drain_when_settled())

    async def _drain_when_settled(self) -> None:
        await self.engine.wait_idle()  # replies to replies may still come: wait for them all
        self.engine.drain()

    def _say_resumed(self) -> None:
        resumed = self.engine.resumed
        if resumed is None or not resumed.worth_saying:
            return
        severity: Severity = "warning" if resumed.troubled else "information"
        self.say(resumed.describe(), severity)

    # ------------------------------------------------------------------ quitting
    def request_quit(self, how: str, *, key: bool = False) -> QuitResult:
        """Any way of quitting (a key, a signal): the first drains, a second stops."""
        result = self.quits.request(how, key=key)
        log.info(result.describe())
        return result

    def on_signal(self, sig: signal.Signals) -> None:
        """A quit signal with nobody watching: drain, or stop on the second one."""
        self.request_quit(signal.Signals(sig).name)

    async def run_unattended(self) -> int:
        """Run on with nobody at the console until the router has drained or stopped;
        the exit code. Held replies get `[review] on_timeout`'s verdict at once (nobody can
        approve them), the AI server's ups and downs are said on stderr, a finite source
        ends the run, and quit signals drain, then stop."""
        engine = self.engine
        if engine.snapshot().reviewing:
            engine.settle_reviews(HEADLESS)
        engine.release_sends()  # nobody is left to answer a stop dialog

        def on_event(event: EngineEvent) -> None:
            if isinstance(event, AIAvailability):
                self.say(event.describe(), "information")

        subscription = engine.subscribe(on_event)
        route = SignalRoute(self.on_signal)
        route.install()
        self._ends_with_source = True
        if self._source_done:
            self._finish_when_settled()
        self.start()
        try:
            await engine.wait_ended()  # a stop's cancelled workers unwind too
        finally:
            route.remove()
            subscription.cancel()
        return self.exit_code

    async def close(self) -> None:
        """Stop reading and release everything (connections, the API client, the journal's
        last flush); safe to call twice."""
        if self._timer is not None:
            self._timer.cancel()
        for task in (self._feed, self._finisher):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.engine.close()
