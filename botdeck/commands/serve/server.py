"""The server of `botdeck serve`: textual-serve's, with the access rules in front, one
page at a time, and a run that outlives its pages (see `botdeck.commands.serve`).

A new page waits up to `HANDOVER` for the shown one to close (a reload) and is refused
(409) if that one answers a ping (another browser); one that does not answer is dropped
for the new page. A page's checked frames drive the run; stopping serving closes the page
and asks the run to quit (it drains first), and waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TextIO

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.web_runner import GracefulExit
from textual_serve.server import Server

from botdeck.commands.serve.access import Access, answer_first, url_host
from botdeck.commands.serve.frames import (
    Frame,
    Ignored,
    Keys,
    Ping,
    Resize,
    WarnOnce,
    page_size,
    read_frame,
)
from botdeck.commands.serve.page import render_index
from botdeck.commands.serve.process import EXIT_WAIT, Run
from botdeck.commands.serve.view import View
from botdeck.engine import SignalRoute

HANDOVER = 5.0  # seconds a new page waits for the shown one to close (a reload) or answer
HEARTBEAT = 15.0  # seconds of silence before a page is pinged; it must answer in half that
MAX_FRAME = 16 * 1024 * 1024  # a bigger frame closes that page's socket (1009): aiohttp's rule
SCREENLESS = (
    "The dashboard failed; its bots carry on without it. Stopping botdeck serve drains them."
)
SERVING_ENDED = "botdeck serve has stopped."

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DashboardServer(Server):
    """textual-serve's server with botdeck's access rules, one page at a time, and a run
    that outlives its pages (see `botdeck.commands.serve`)."""

    def __init__(self, command: str, access: Access, port: int, out: TextIO) -> None:
        super().__init__(command, host=access.host, port=port, title="botdeck")
        self.access = access
        self.out = out
        self._run: Run | None = None  # the dashboard process, with or without a page
        self._view: View | None = None  # the page showing it
        self._turn = asyncio.Lock()  # one new page at a time decides whether it may show
        self._stopping = False
        self._ignored = WarnOnce()
        self._signals: SignalRoute | None = None

    # ------------------------------------------------------------ guarding requests
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        app.on_cleanup.append(self._stop_routing_signals)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The access rules (`access`) before any handler."""
        answer = answer_first(self.access, self.port, request)
        return answer if answer is not None else await handler(request)

    # ------------------------------------------------------------ pages and the run
    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A page: shows the run (started for it if none is running) until its socket
        ends; the run goes on without it."""
        async with self._turn:
            if not self._stopping and not await self._free_for_a_page():
                raise web.HTTPConflict(
                    text="botdeck: the dashboard is already open in another browser;"
                    " close it first\n"
                )
            if self._stopping:
                raise web.HTTPServiceUnavailable(text="botdeck: serving is stopping\n")
            websocket = web.WebSocketResponse(
                heartbeat=HEARTBEAT, autoping=False, max_msg_size=MAX_FRAME, decode_text=False
            )
            await websocket.prepare(request)
            view = self._view = View(websocket, request)
        run: Run | None = None
        try:
            run = await self._show(view, *page_size(request))
            if run is not None:
                await self._relay(view, run)
        finally:
            if self._view is view:
                self._view = None
            try:
                if run is not None:
                    await run.detach(view)
                await view.finish()
            finally:
                view.ended.set()
        return websocket

    async def _free_for_a_page(self) -> bool:
        """No page shows the run, or the one that did is gone: it closed (a reload closes
        the old page's socket as the new one opens), or it did not answer a ping within
        `HANDOVER` (a dropped connection). A page that answers is another browser."""
        view = self._view
        if view is None:
            return True
        if await view.answers(HANDOVER):
            return False
        if not view.ended.is_set():
            view.drop("a new page opened and this one did not answer")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(view.ended.wait(), HANDOVER)
        return True

    async def _show(self, view: View, width: int, height: int) -> Run | None:
        """The running dashboard shown on this page, or a new run for it once the last
        one has exited (never two at once: both would answer chat). None, and the page
        closed with the reason, while serving stops or a run goes on without a screen."""
        run = self._run
        if run is not None:
            await run.started.wait()
            if run.screen_gone:  # quit: it exits soon; failed: it carries on without one
                await run.exited_within(EXIT_WAIT)
        if self._stopping:
            view.close(WSCloseCode.GOING_AWAY, SERVING_ENDED)
            return None
        if run is not None and run.showable:
            await run.attach(view, width, height)
            return run
        if run is not None and not run.ended.is_set():
            view.close(WSCloseCode.TRY_AGAIN_LATER, SCREENLESS)
            return None
        run = self._run = Run(self.command, self.download_manager)
        run.view = view  # its first screen goes to this page
        await run.start(width, height)
        return run

    async def _relay(self, view: View, run: Run) -> None:
        """The page's frames, checked, to the dashboard; ends when the socket does."""
        websocket = view.websocket
        with contextlib.suppress(ConnectionError):  # a pong to a page that has just gone
            async for message in websocket:
                view.answered.set()
                if message.type is WSMsgType.PING:
                    await websocket.pong(message.data)
                elif message.type is not WSMsgType.PONG:
                    await self._carry_out(read_frame(message), view, run)

    async def _carry_out(self, frame: Frame, view: View, run: Run) -> None:
        if isinstance(frame, Ignored):
            self._ignored(frame.kind)
        elif isinstance(frame, Ping):
            view.send(json.dumps(["pong", frame.data]))
        elif not run.showable:
            return  # the dashboard has closed its screen: nothing more to tell it
        elif isinstance(frame, Keys):
            await run.send_bytes(frame.data)
        elif isinstance(frame, Resize):
            await run.set_terminal_size(frame.width, frame.height)
        elif frame.focused:
            await run.focus()
        else:
            await run.blur()

    # ------------------------------------------------------------ stopping
    def request_exit(self) -> None:
        """Ctrl+C or SIGTERM: the first ends serving (the dashboard drains first), a
        further one is passed on to the dashboard (a stop at once)."""
        if not self._stopping:
            self._stopping = True
            raise GracefulExit()
        if self._run is not None and not self._run.ended.is_set():
            print("botdeck serve: stopping the bots at once", file=self.out, flush=True)
            self._run.request_quit()

    async def on_shutdown(self, app: web.Application) -> None:
        """Serving stops: close the page (before aiohttp cancels its handler), then ask
        the dashboard to quit as SIGTERM does in a terminal, and wait for it."""
        self._stopping = True
        if self._view is not None:
            self._view.close(WSCloseCode.GOING_AWAY, SERVING_ENDED)
        run = self._run
        if run is None or run.ended.is_set():
            return
        print("botdeck serve: stopping; the bots finish their queued replies first"
              " (Ctrl+C again stops them at once)", file=self.out, flush=True)  # fmt: skip
        await run.finish()

    # ------------------------------------------------------------ the page
    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's page, adapted to a run that outlives it (`page`)."""
        return render_index(request)

    # ------------------------------------------------------------ running
    async def on_startup(self, app: web.Application) -> None:
        """Quit signals reach `request_exit` on the loop through the route every botdeck
        command uses (`SignalRoute`, with its fallback where the loop cannot take them),
        until serving has ended: a second Ctrl+C during the drain must still arrive. What
        to open was said before (textual-serve's banner would name the command)."""
        self._signals = SignalRoute(lambda _signal: self.request_exit())
        self._signals.install()

    async def _stop_routing_signals(self, app: web.Application) -> None:
        if self._signals is not None:
            self._signals.remove()

    def announce(self, port: int) -> None:
        where = f"http://{url_host(self.access.host)}:{port}/"
        if self.access.token is None:
            print(f"botdeck serve: open {where} in a browser on this machine", file=self.out)
        else:
            print(f"botdeck serve: open {where}?token={self.access.token}", file=self.out)
            print(
                "  the access token is shown only now; anyone with the link can drain and"
                " stop your bots (set $BOTDECK_SERVE_TOKEN to keep one across restarts)",
                file=self.out,
            )
        print(
            "  one browser at a time; closing the page leaves the bots running (open it"
            " again to return); Ctrl+C here drains them and ends serving",
            file=self.out,
            flush=True,
        )

    def serve_on(self, listener: socket.socket) -> None:
        """Serve until a quit signal on an already bound socket (bind errors come first)."""
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        self.port = listener.getsockname()[1]
        self.announce(self.port)
        loop = asyncio.new_event_loop()
        web.run_app(
            self._make_app(),
            sock=listener,
            handle_signals=False,
            loop=loop,
            print=None,
            access_log=None,  # URLs may carry the token
        )
