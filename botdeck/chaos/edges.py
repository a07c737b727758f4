"""The wrappers a drill puts at botdeck's edges, around the real responder, source and sink.

Each is named for what it is: a fault injector in front of the real part, never a fake
posing as Twitch or the AI. While the world (`chaos.world`) says nothing is wrong they
pass everything through; while a fault lasts they fail the way the outside fails:

- `FaultyResponder`: the AI server refusing connections, hanging until the request's
  deadline, answering 429 with Retry-After or 503 (`ResponderError`, transient, as the
  providers' classifiers report them), or answering slowly;
- `FaultySource`: the channel's events as the world lets botdeck read them (nothing
  while reading is lost or the process is down), and the connection state saying so;
- `FaultySink`: sends refused or dropped as the platform would (a 429 with its reset, a
  drop, a bot timed out or banned, a message a chat mode does not allow).

A new one is made for each life of botdeck (a crash fault ends one); the world goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.chaos.world import AIOutage, World
from botdeck.chat.base import ChatSink, ChatSource
from botdeck.model.channel import ChatEvent
from botdeck.model.chat import ConnectionState, ConnectionStatus


class FaultyResponder(Responder):
    """The real responder, behind the AI faults the world has now."""

    def __init__(self, inner: Responder, world: World) -> None:
        self._inner = inner
        self._world = world

    @property
    def label(self) -> str:
        return self._inner.label

    @property
    def notices(self) -> tuple[str, ...]:
        return self._inner.notices

    async def reply(self, request: ReplyRequest) -> Reply:
        world = self._world
        outage = world.ai_outage
        if outage is not None:
            world.ledger.ai_failed += 1
            await self._fail(outage)
        if world.ai_latency > 0:
            if world.ai_latency >= world.ai_timeout:  # slower than the request's deadline
                world.ledger.ai_failed += 1
                await asyncio.sleep(world.ai_timeout)
                raise ResponderError(
                    f"AI server: no answer within {world.ai_timeout:g} s", transient=True
                )
            await asyncio.sleep(world.ai_latency)
        return await self._inner.reply(request)

    async def _fail(self, outage: AIOutage) -> None:
        world = self._world
        match outage:
            case AIOutage.REFUSED:
                raise ResponderError("AI server: connection refused", transient=True)
            case AIOutage.TIMEOUT:
                await asyncio.sleep(world.ai_timeout)
                raise ResponderError(
                    f"AI server: no answer within {world.ai_timeout:g} s", transient=True
                )
            case AIOutage.RATE_LIMITED:
                raise ResponderError(
                    "AI server: 429 Too Many Requests",
                    transient=True,
                    retry_after=world.ai_retry_after,
                )
            case AIOutage.SERVER_ERROR:
                raise ResponderError("AI server: 503 Service Unavailable", transient=True)


class FaultySource(ChatSource):
    """What one botdeck process reads of the channel: the world's events as it lets them
    through. Ends when the channel's chat ends."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._queue: asyncio.Queue[ChatEvent | None] = asyncio.Queue()
        self._started = False

    @property
    def connection(self) -> ConnectionState:
        lost = self._world.reading_lost
        if lost is not None:
            return ConnectionState(ConnectionStatus.RECONNECTING, 1, f"drill: {lost}")
        return self._world.inner.source.connection

    @property
    def notices(self) -> tuple[str, ...]:
        return self._world.inner.source.notices

    async def start(self) -> None:
        if not self._started:
            self._started = True
            self._world.attach(self)

    async def close(self) -> None:
        self._world.detach(self)
        self._queue.put_nowait(None)

    def stop_playing(self) -> None:
        self._world.stop_playing()

    def deliver(self, event: ChatEvent | None) -> None:
        self._queue.put_nowait(event)

    async def __aiter__(self) -> AsyncIterator[ChatEvent]:
        while (event := await self._queue.get()) is not None:
            yield event


class FaultySink(ChatSink):
    """The real sink, behind what the platform refuses while the world's faults last."""

    def __init__(self, world: World) -> None:
        self._world = world
        self.echoes = world.sink.echoes

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        return await self._world.send(bot, text, reply_to)
