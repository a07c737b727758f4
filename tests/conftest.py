"""Fixtures shared across the suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture(autouse=True)
def user_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Runs without --journal keep one in the user data directory: never the real one.
    (platformdirs follows XDG_DATA_HOME; subprocesses inherit it.)"""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(path))
    monkeypatch.delenv("BOTDECK_DATA_DIR", raising=False)
    return path


@pytest.fixture
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on 127.0.0.1, closed after the test."""
    server = FakeOpenAI()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
