"""A loopback OpenAI-compatible server for tests: real HTTP, scripted answers, every request kept.

`FakeOpenAI` serves `/v1/chat/completions` and `/v1/moderations` on 127.0.0.1 (port 0).
Each endpoint answers from its script (a queue of behaviours, one per request) and then
from its default. It records every request (headers and JSON body) and counts requests
in flight, overall and per bot (the bot is found by name in the system prompt), so tests
can assert on what the real SDK sent and on how many requests overlapped.

`in_memory()` serves the same answers without a socket, through the SDK's HTTP client
(its transport): the server then runs on whatever loop the client does, the virtual
clock included, so a 15 s outage takes no 15 s. Going down refuses new requests as a
closed port does (`httpx2.ConnectError` from `ConnectionRefusedError`) and ends those in
flight as a dropped connection does (`RemoteProtocolError`), the errors httpx2 raises
against the real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
from aiohttp import web


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    bot: str | None = None
    # When it arrived, on the server's loop clock (on the virtual clock, virtual time).
    received_at: float = field(default_factory=lambda: asyncio.get_running_loop().time())

    @property
    def system(self) -> str:
        return str(next(m["content"] for m in self.body["messages"] if m["role"] == "system"))

    @property
    def user(self) -> str:
        return str(next(m["content"] for m in self.body["messages"] if m["role"] == "user"))


Behaviour = Callable[[Recorded, "FakeOpenAI"], Awaitable[web.StreamResponse]]


def completion(
    text: str | None, *, finish_reason: str = "stop", usage: tuple[int, int] = (20, 5)
) -> web.Response:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": text},
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }
    return web.json_response(body)


def reply(
    text: str | None, *, finish_reason: str = "stop", usage: tuple[int, int] = (20, 5)
) -> Behaviour:
    async def behave(request: Recorded, server: FakeOpenAI) -> web.StreamResponse:
        return completion(text, finish_reason=finish_reason, usage=usage)

    return behave


def echo_system_prompt() -> Behaviour:
    """What a model fooled by a prompt injection does: recite its instructions."""

    async def behave(request: Recorded, server: FakeOpenAI) -> web.StreamResponse:
        return completion(f"Sure! My instructions: {request.system}")

    return behave


def status(
    code: int, error: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Behaviour:
    async def behave(request: Recorded, server: FakeOpenAI) -> web.StreamResponse:
        body = {"error": error or {"message": f"fake error {code}", "type": "server_error"}}
        return web.json_response(body, status=code, headers=headers)

    return behave


def hang() -> Behaviour:
    """Never answer (until the server shuts down)."""

    async def behave(request: Recorded, server: FakeOpenAI) -> web.StreamResponse:
        await server.closing.wait()
        return web.Response(status=503)

    return behave


def moderation(flagged: bool = False, *categories: str) -> Behaviour:
    async def behave(request: Recorded, server: FakeOpenAI) -> web.StreamResponse:
        names = ("harassment", "hate", "sexual", "violence", "self-harm", *categories)
        return web.json_response(
            {
                "id": "modr-fake",
                "model": request.body.get("model", "omni-moderation-latest"),
                "results": [
                    {
                        "flagged": flagged,
                        "categories": {name: name in categories for name in names},
                        "category_scores": {
                            name: 0.9 if name in categories else 0.0 for name in names
                        },
                        "category_applied_input_types": {name: ["text"] for name in names},
                    }
                ],
            }
        )

    return behave


class FakeOpenAI:
    def __init__(self, bots: Iterable[str] = ()) -> None:
        self.bots = tuple(bots)
        self.requests: list[Recorded] = []
        self.chat_script: deque[Behaviour] = deque()
        self.moderation_script: deque[Behaviour] = deque()
        self.chat_default: Behaviour = reply("hello from the fake model")
        self.moderation_default: Behaviour = moderation(False)
        self.latency = 0.0  # seconds every chat reply takes, to make requests overlap
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_by_bot: Counter[str] = Counter()
        self.max_in_flight_by_bot: Counter[str] = Counter()
        self.closing = asyncio.Event()
        self.changed = asyncio.Event()  # set whenever a request arrives
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port = 0
        self.base_url = ""
        self._in_memory = False
        self._down = False
        self._answering: set[asyncio.Task[web.StreamResponse]] = set()

    # ------------------------------------------------------------- scripting
    def script_chat(self, *behaviours: Behaviour) -> None:
        self.chat_script.extend(behaviours)

    def script_moderation(self, *behaviours: Behaviour) -> None:
        self.moderation_script.extend(behaviours)

    @property
    def chats(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def moderations(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/moderations")]

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/moderations", self._moderation)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        host, self._port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{self._port}/v1"
        return self.base_url

    def in_memory(self, port: int = 8400) -> httpx2.AsyncBaseTransport:
        """Serve through the returned transport (give the SDK `httpx2.AsyncClient(transport=
        ...)`) instead of a socket; `base_url` names 127.0.0.1:`port`, where nothing
        listens."""
        self._in_memory = True
        self._port = port
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return _Transport(self)

    async def go_down(self) -> None:
        """Stop listening: new connections are refused, as with a crashed server."""
        if self._in_memory:
            assert not self._down
            self._down = True
            for answering in list(self._answering):
                answering.cancel()  # kept-alive connections die with the server
            return
        assert self._site is not None and self._runner is not None
        await self._site.stop()
        self._site = None
        server = self._runner.server
        for connection in list(server.connections if server is not None else ()):
            if connection.transport is not None:
                connection.transport.close()  # kept-alive connections die with the server

    async def come_back(self) -> None:
        """Listen again on the same port."""
        if self._in_memory:
            assert self._down
            self._down = False
            return
        assert self._runner is not None and self._site is None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._port, reuse_address=True)
        await self._site.start()

    async def close(self) -> None:
        self.closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -------------------------------------------------------------- handlers
    async def _record(self, request: web.Request) -> Recorded:
        return self._keep(request.path, dict(request.headers), await request.json())

    def _keep(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Recorded:
        recorded = Recorded(path, headers, body)
        messages = body.get("messages") or []
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        recorded.bot = next((bot for bot in self.bots if f"You are {bot}," in system), None)
        self.requests.append(recorded)
        self.changed.set()
        return recorded

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._answer_chat(await self._record(request))

    async def _answer_chat(self, recorded: Recorded) -> web.StreamResponse:
        bot = recorded.bot or "?"
        self.in_flight += 1
        self.in_flight_by_bot[bot] += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.max_in_flight_by_bot[bot] = max(
            self.max_in_flight_by_bot[bot], self.in_flight_by_bot[bot]
        )
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            behave = self.chat_script.popleft() if self.chat_script else self.chat_default
            return await behave(recorded, self)
        finally:
            self.in_flight -= 1
            self.in_flight_by_bot[bot] -= 1

    async def _moderation(self, request: web.Request) -> web.StreamResponse:
        return await self._answer_moderation(await self._record(request))

    async def _answer_moderation(self, recorded: Recorded) -> web.StreamResponse:
        script = self.moderation_script
        behave = script.popleft() if script else self.moderation_default
        return await behave(recorded, self)


class _Transport(httpx2.AsyncBaseTransport):
    """The SDK's HTTP client talking to a `FakeOpenAI` without a socket."""

    def __init__(self, server: FakeOpenAI) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        server = self.server
        if server._down:
            refused = ConnectionRefusedError(
                111, f"Connect call failed ('127.0.0.1', {server._port})"
            )
            try:
                raise OSError("All connection attempts failed") from refused
            except OSError as error:
                raise httpx2.ConnectError("All connection attempts failed") from error
        path = request.url.path
        answers = {
            "/v1/chat/completions": server._answer_chat,
            "/v1/moderations": server._answer_moderation,
        }
        if path not in answers:
            return httpx2.Response(404, json={"error": {"message": f"no route {path}"}})
        body = json.loads(await request.aread())
        recorded = server._keep(path, dict(request.headers), body)
        answering = asyncio.ensure_future(answers[path](recorded))
        server._answering.add(answering)
        try:
            response = await answering
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if answering.cancelled() and not (task is not None and task.cancelling()):
                # The server went down while answering: the connection dropped.
                raise httpx2.RemoteProtocolError(
                    "Server disconnected without sending a response."
                ) from None
            raise
        finally:
            server._answering.discard(answering)
        assert isinstance(response, web.Response)
        content = response.body if isinstance(response.body, bytes) else b""
        return httpx2.Response(
            response.status, headers=list(response.headers.items()), content=content
        )


@contextlib.contextmanager
def serving_in_thread(server: FakeOpenAI) -> Iterator[str]:
    """Run the server on its own loop in a thread (for subprocess tests); yields its URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
