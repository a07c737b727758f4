"""Fixtures for the Twitch tests: the loopback Twitch, and a private data directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.twitch_server import FakeTwitch
from tests.fakes.twitch_thread import ThreadedFake


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwitch]:
    server = FakeTwitch()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BOTDECK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def threaded() -> Iterator[ThreadedFake]:
    """The fake in a thread of its own, for `botdeck run` in a subprocess."""
    holder = ThreadedFake()
    with holder:
        yield holder
