"""Fixtures for the Twitch tests: the loopback Twitch, and a private data directory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.twitch_server import FakeTwitch


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwitch]:
    server = FakeTwitch()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BOTDECK_DATA_DIR", str(tmp_path / "data"))
