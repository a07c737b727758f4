"""Fixtures shared across the suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    """A scripted OpenAI-compatible server on 127.0.0.1, closed after the test."""
    server = FakeOpenAI()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
