"""The real engine (`build_engine`) pointed at the fake OpenAI server, with tiny delays:
over a socket, or with `in_memory` on the SDK's transport (for the virtual clock)."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2

from botdeck.ai.base import Responder
from botdeck.ai.openai_adapter import resolve_api_key, responder_with
from botdeck.ai.openai_responder import make_client
from botdeck.config import Config, parse_config
from botdeck.engine import Engine, build_engine
from botdeck.engine.parts import responder_context
from botdeck.model.chat import ChatMessage
from tests.fakes.openai_server import FakeOpenAI
from tests.harness.journals import OUTCOMES

KEY_ENV = "BOTDECK_TEST_OPENAI_KEY"
KEY = "sk-test-9f3c1a77e0b24d5c8e61SECRET"
BOTS = ("alpha_bot", "beta_bot", "gamma_bot")
PERSONAS = {
    "alpha_bot": "a cheerful pirate captain who treats every stream like a treasure voyage",
    "beta_bot": "a dry film critic who reviews every play like a movie premiere",
    "gamma_bot": "a calm old sage who answers in short gentle proverbs",
}
FAST = [0.01, 0.02]


def make_config(
    server: FakeOpenAI,
    *,
    ai: dict[str, Any] | None = None,
    safety: dict[str, Any] | None = None,
    router: dict[str, Any] | None = None,
    bots: dict[str, dict[str, Any]] | None = None,
) -> Config:
    server.bots = BOTS
    return parse_config(
        {
            "router": {
                "global_concurrency": 4,
                "per_bot_concurrency": 2,
                "random_reply_chance": 0.0,
                "delays": {"high": FAST, "normal": FAST, "low": FAST},
                "chat_share": 1.0,  # the room's share is off: these tests are about the AI
                **(router or {}),
            },
            "ai": {
                "provider": "openai",
                "base_url": server.base_url,
                "api_key_env": KEY_ENV,
                "timeout": 0.5,
                "max_retries": 2,
                **(ai or {}),
            },
            **({"safety": safety} if safety else {}),
            # These tests are about the AI side; send limits would serialise every reply.
            "send_limits": {"enabled": False},
            "bots": [
                {"name": bot, "persona": PERSONAS[bot], **(bots or {}).get(bot, {})} for bot in BOTS
            ],
        },
        source="test.toml",
    )


def in_memory(
    config: Config, transport: httpx2.AsyncBaseTransport
) -> tuple[Responder, Callable[[], Awaitable[None]]]:
    """The OpenAI responder as `build_engine` makes it (the same client settings, retry
    policy and error classification) on a client whose HTTP goes through `transport`
    (`FakeOpenAI.in_memory()`), and how to close that client. Replies only: moderation,
    where a config asks for it, would still take a socket."""
    assert config.ai.provider == "openai" and config.safety.moderation == "off"
    context = responder_context(config, "openai")
    options = context.options
    client = make_client(options.base_url, resolve_api_key(context), context.retry.timeout)
    client = client.with_options(http_client=httpx2.AsyncClient(transport=transport))
    return responder_with(context, client), client.close


class Run:
    """An engine, its journal, and helpers to feed lines and wait for every outcome.

    `transport`: the SDK's HTTP goes through it (`FakeOpenAI.in_memory()`), not a socket;
    `clock`: the journal's and the chat lines' (on the virtual clock, its wall clock).
    """

    def __init__(
        self,
        config: Config,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stream = io.StringIO()
        self.clock = clock
        responder = None
        self._closers: list[Callable[[], Awaitable[None]]] = []
        if transport is not None:
            responder, close = in_memory(config, transport)
            self._closers.append(close)
        self.engine: Engine = build_engine(
            config, journal_stream=self.stream, responder=responder, clock=clock
        )
        self._n = 0

    def say(self, user: str, text: str, **fields: Any) -> ChatMessage:
        self._n += 1
        message = ChatMessage(
            id=f"m{self._n}", user=user, text=text, timestamp=self.clock(), **fields
        )
        self.engine.handle(message)
        return message

    async def settle(self, deadline: float = 10.0) -> list[dict[str, Any]]:
        """Wait (at most `deadline` s) until nothing waits and nothing runs; the journal so far."""
        async with asyncio.timeout(deadline):
            await self.engine.wait_idle()
        return self.events

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(row) for row in self.stream.getvalue().splitlines()]

    def outcomes(self) -> dict[int, tuple[str, str | None]]:
        return {
            e["job"]: (e["event"], e.get("reason") or e.get("text"))
            for e in self.events
            if e["event"] in OUTCOMES
        }

    def assert_one_outcome_per_job(self) -> None:
        events = self.events
        ends = Counter(e["job"] for e in events if e["event"] in OUTCOMES)
        enqueued = {e["job"] for e in events if e["event"] == "enqueued"}
        assert enqueued == set(ends), (enqueued, ends)
        assert set(ends.values()) == {1}, ends

    async def close(self) -> None:
        await self.engine.close()
        for close in self._closers:
            await close()
