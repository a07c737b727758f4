"""The fake Twitch on its own loop in a thread, for tests that run botdeck as a subprocess
and steer the fake from the test's thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from tests.fakes.twitch_server import FakeTwitch


class ThreadedFake:
    """The fake Twitch on its own loop in a thread, steered from the test's thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.fake: FakeTwitch | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeTwitch:
        self._thread.start()
        self.fake = self.call(self._make())
        return self.fake

    async def _make(self) -> FakeTwitch:
        fake = FakeTwitch()
        await fake.start()
        return fake

    def call(self, coroutine: Any, timeout: float = 15.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def __exit__(self, *exc: object) -> None:
        assert self.fake is not None
        self.call(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
