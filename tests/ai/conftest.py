"""Fixtures for the tests of the AI side against the fake OpenAI server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from botdeck.config import Config
from tests.harness.ai import KEY, KEY_ENV, Run


@pytest.fixture
def openai_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The API key the configs of `tests.harness.ai.make_config` name, set."""
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


@pytest.fixture
async def runs(openai_key: str) -> AsyncIterator[Callable[[Config], Run]]:
    """Makes engines on the real SDK (`Run`); each is stopped and closed after the test."""
    made: list[Run] = []

    def make(config: Config) -> Run:
        run = Run(config)
        made.append(run)
        return run

    yield make
    for run in made:
        run.engine.stop()
        await run.close()
