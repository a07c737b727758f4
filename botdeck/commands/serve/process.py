"""The dashboard process (the run) that outlives its pages: textual-serve's app service,
shown on at most one page at a time, its output read (and discarded) while no page shows
it, parked at a size no page has, and asked to quit as SIGTERM does in a terminal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
from asyncio.subprocess import Process

from aiohttp import WSCloseCode
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from botdeck.commands.serve.view import View

PARKED = (1, 1)  # the run's size with no page: never a page's, so the next page repaints all
EXIT_WAIT = 15.0  # seconds a dashboard that closed its screen may take to exit
# What the page shows when its socket is closed (a close reason: at most 123 bytes).
SCREEN_CLOSED = "The dashboard has closed. Reconnect to open it again."
# DEC private modes a page's terminal needs to show the run as the first page did (alternate
# screen, cursor, mouse, bracketed paste, focus): set once at start, so given to every page.
TERMINAL_MODES = re.compile(rb"\x1b\[\?(1049|25|1000|1002|1003|1004|1006|1015|2004)([hl])")


class Run(AppService):
    """The dashboard process: textual-serve's app service, shown on at most one page at a
    time. Its output is read all the time (discarded while no page shows it), in a process
    group of its own, so a Ctrl+C in the terminal reaches `botdeck serve` alone, which then
    asks the dashboard to quit in order."""

    def __init__(self, command: str, downloads: DownloadManager) -> None:
        super().__init__(
            command,
            write_bytes=self._to_view,
            write_str=self._to_view,
            close=self._close_view,
            download_manager=downloads,
        )
        self.view: View | None = None
        self.modes: dict[bytes, bytes] = {}  # terminal mode -> b"h" | b"l", as last set
        self.started = asyncio.Event()  # the process was started (or failed to start)
        self.ended = asyncio.Event()  # the process has exited and been reaped
        # The dashboard closed its screen (textual-serve's exit packet): it quit, and the
        # process exits once the run is closed; or it failed, and the process carries the
        # run on without a screen until it drains (botdeck.tui.run).
        self.screen_gone = False
        self._quits = 0

    # ------------------------------------------------------------ the process
    async def start(self, width: int, height: int) -> None:
        try:
            await super().start(width, height)
        except BaseException:
            self.ended.set()
            raise
        finally:
            self.started.set()

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_shell(
            self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """textual-serve's output loop, which ends with the output; then the process is
        reaped (one left to the garbage collector is a traceback, and possibly an orphan)
        and the page, if any, is told the session ended."""
        try:
            await super().run()
        finally:
            await self._reap()
            self.ended.set()
            await self._close_view()

    async def _reap(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        try:
            await asyncio.wait_for(process.wait(), EXIT_WAIT)  # its output closed: exiting
        except TimeoutError:
            process.kill()
            await process.wait()

    @property
    def showable(self) -> bool:
        """A page can show it: running, with its screen."""
        return self.started.is_set() and not self.ended.is_set() and not self.screen_gone

    def request_quit(self) -> None:
        """As SIGTERM does in a terminal: the first drains, then the dashboard quits; the
        second stops it at once; a third kills a dashboard that does not end."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        self._quits += 1
        with contextlib.suppress(ProcessLookupError):
            if self._quits < 3:
                process.send_signal(signal.SIGTERM)
            else:
                process.kill()  # SIGKILL; Windows has no such signal, kill() is its way

    async def finish(self) -> None:
        """Ask the dashboard to quit (it drains first) and wait until it has exited. One
        that closed its screen is given `EXIT_WAIT` to exit by itself first: while it
        closes its run it has no handler for SIGTERM, which would cut its journal short."""
        await self.started.wait()
        if self.screen_gone:
            await self.exited_within(EXIT_WAIT)
        self.request_quit()
        await self.ended.wait()

    async def exited_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ended.wait(), seconds)
        return self.ended.is_set()

    # ------------------------------------------------------------ its pages
    async def attach(self, view: View, width: int, height: int) -> None:
        """Show the run on a page: the terminal modes the first page was given, then a
        resize from the parked size, which makes Textual repaint the whole screen."""
        self.view = view
        if self.modes:
            replay = b"".join(b"\x1b[?%s%s" % item for item in self.modes.items())
            view.send(replay)
        await self.set_terminal_size(width, height)

    async def detach(self, view: View) -> None:
        """No page shows the run: park it at a size no page has, so that the next page's
        own size is a change (Textual ignores a resize to its current size)."""
        if self.view is not view:
            return
        self.view = None
        if self.showable:
            await self.set_terminal_size(*PARKED)

    async def on_data(self, payload: bytes) -> None:
        if b"\x1b[?" in payload:
            for mode, state in TERMINAL_MODES.findall(payload):
                self.modes[mode] = state
        await self._to_view(payload)

    async def on_meta(self, data: bytes) -> None:
        if json.loads(data).get("type") == "exit":
            self.screen_gone = True
        await super().on_meta(data)

    async def _to_view(self, data: bytes | str) -> None:
        if self.view is not None:
            self.view.send(data)

    async def _close_view(self) -> None:
        if self.view is not None:
            self.view.close(WSCloseCode.OK, SCREEN_CLOSED)
