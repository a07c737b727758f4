"""One page showing the run: its output through a queue of its own, so a slow page never
makes the dashboard wait."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, web

MAX_BACKLOG = 4 * 1024 * 1024  # output a page may fall behind by before it is dropped

log = logging.getLogger(__name__)


class View:
    """One page showing the run. Output goes out through a queue and a task of its own, so
    a slow or dead connection never makes the dashboard wait on a full pipe; one that falls
    `MAX_BACKLOG` behind is dropped (its next page repaints everything anyway)."""

    def __init__(self, websocket: web.WebSocketResponse, request: web.Request) -> None:
        self.websocket = websocket
        self._transport = request.transport
        self._queue: asyncio.Queue[bytes | str | tuple[WSCloseCode, str]] = asyncio.Queue()
        self._backlog = 0
        self._closing = False
        self.answered = asyncio.Event()  # the page said something since it was last asked
        self.ended = asyncio.Event()  # its socket is done and the run no longer shows on it
        self._sender = asyncio.create_task(self._send())

    def send(self, data: bytes | str) -> None:
        if self._closing or self._sender.done():
            return
        self._backlog += len(data)
        if self._backlog > MAX_BACKLOG:
            self.drop("it fell more than 4 MiB behind")
            return
        self._queue.put_nowait(data)

    def close(self, code: WSCloseCode, reason: str) -> None:
        """Close after what is queued has gone out; the page shows `reason`."""
        if not self._closing:
            self._closing = True
            self._queue.put_nowait((code, reason))

    def drop(self, why: str) -> None:
        """End the connection at once, without a closing handshake (it is not answering)."""
        log.warning("botdeck serve: closed the page's connection: %s; the run goes on", why)
        self._closing = True
        if self._transport is not None:
            self._transport.abort()

    async def _send(self) -> None:
        websocket = self.websocket
        with contextlib.suppress(ConnectionError, RuntimeError):  # the connection went away
            while True:
                item = await self._queue.get()
                if isinstance(item, tuple):
                    await websocket.close(code=item[0], message=item[1].encode())
                    return
                self._backlog -= len(item)
                if isinstance(item, bytes):
                    await websocket.send_bytes(item)
                else:
                    await websocket.send_str(item)

    async def answers(self, within: float) -> bool:
        """Whether the page is still there: pinged, it answers within `within` seconds
        (False once it has closed, as a reloaded page's socket does)."""
        self.answered.clear()
        if not self.websocket.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.websocket.ping()
        waits = [asyncio.ensure_future(event.wait()) for event in (self.answered, self.ended)]
        try:
            await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return self.answered.is_set() and not self.ended.is_set()

    async def finish(self) -> None:
        """The page's socket is done: let a close under way finish, then stop sending."""
        if self._closing and not self._sender.done():
            await asyncio.wait([self._sender], timeout=2)
        self._sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender
