"""The harness every Twitch test uses: botdeck's engine built from a config, as `botdeck
run` builds it, on the real twitchio client, pointed at the loopback fake through
`[twitch] api_url/auth_url/eventsub_url`; tokens come from `token_env` variables (or the
token store where that is the point). Waiting is on the fake's state changes or by
polling with a deadline, never by sleeping and hoping.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from botdeck.ai.base import Reply, ReplyRequest, Responder
from botdeck.config import parse_config
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import Engine, build_engine, build_limiter, build_source
from botdeck.model.chat import ChatMessage
from botdeck.model.events import ChatSeen, EngineEvent
from botdeck.twitch.client import TwitchChat
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.fakes.twitch_server import BOT_SCOPES, FakeTwitch
from tests.harness.journals import OUTCOMES
from tests.harness.waiting import until

BOTS = ("alpha_bot", "beta_bot")


class Echo(Responder):
    """Replies "<bot> says hi to <author>", at once (the tests are about Twitch, not models)."""

    label = "echo"

    def __init__(self, script: Callable[[ReplyRequest], str] | None = None) -> None:
        self.script = script

    async def reply(self, request: ReplyRequest) -> Reply:
        if self.script is not None:
            return Reply(self.script(request))
        return Reply(f"{request.bot} says hi, {request.message.id[:8]}")


class Run:
    """One botdeck engine on the fake: start, feed, look at the journal, close."""

    def __init__(
        self,
        engine: Engine,
        journal: io.StringIO,
        chat: TwitchChat,
        limiter: RateLimiter | None,
    ) -> None:
        self.engine = engine
        self.journal = journal
        self.chat = chat  # the adapter under test
        self.limiter = limiter
        self.lines: list[ChatMessage] = []
        engine.subscribe(self._heard)
        self.feeder: asyncio.Task[None] | None = None

    def _heard(self, event: EngineEvent) -> None:
        if isinstance(event, ChatSeen):
            self.lines.append(event.message)

    async def __aenter__(self) -> Run:
        await self.engine.connect()
        self.feeder = asyncio.create_task(self.engine.run_chat())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.engine.stop()
        await self.engine.wait_idle()
        await self.engine.close()
        assert self.feeder is not None
        await asyncio.wait_for(self.feeder, 5)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        rows = [json.loads(row) for row in self.journal.getvalue().splitlines()]
        return [e for e in rows if kind is None or e["event"] == kind]

    def outcome(self, msg: str) -> tuple[str, str | None] | None:
        for e in self.events():
            if e["event"] in OUTCOMES and e.get("msg") == msg:
                return e["event"], e.get("reason")
        return None

    async def outcome_of(self, msg: str, within: float = 10.0) -> tuple[str, str | None]:
        return await until(lambda: self.outcome(msg), within, f"an outcome for {msg}", every=0.01)


def make_config(fake: FakeTwitch, bots: tuple[str, ...] = BOTS, **twitch: Any) -> dict[str, Any]:
    return {
        "router": {
            "random_reply_chance": 0.0,
            "delays": {"high": [0.0, 0.0], "normal": [0.0, 0.0], "low": [0.0, 0.0]},
            "chat_share": 1.0,  # these tests are about Twitch, not the room's rules
        },
        "chat": {"source": "twitch", "channel": fake.channel.login},
        "twitch": {
            "client_id": fake.client_id,
            "api_url": fake.api_url,
            "auth_url": fake.auth_url,
            "eventsub_url": fake.eventsub_url,
            **twitch,
        },
        "bots": [
            {
                "name": bot,
                "token_env": f"TOKEN_{bot.upper()}",
                "refresh_token_env": f"RT_{bot.upper()}",
            }
            for bot in bots
        ],
    }


def engine_for(
    fake: FakeTwitch,
    monkeypatch: pytest.MonkeyPatch,
    *,
    config: dict[str, Any] | None = None,
    with_tokens: tuple[str, ...] = BOTS,
    limiter: RateLimiter | None = None,
    responder: Responder | None = None,
    ai_from_config: bool = False,
    clock: Callable[[], float] | None = None,
) -> Run:
    """`ai_from_config`: the responder the config names (the real openai SDK), not Echo.
    `clock`: the wall clock the engine dates things by (the fake's, to move time)."""
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    for bot in BOTS:
        if bot not in fake.users:
            fake.add_user(bot, scopes=BOT_SCOPES)
    for bot in with_tokens:
        token = fake.token_of(bot)
        monkeypatch.setenv(f"TOKEN_{bot.upper()}", token.value)
        monkeypatch.setenv(f"RT_{bot.upper()}", token.refresh)
    journal = io.StringIO()
    parsed = parse_config(config or make_config(fake))
    if limiter is None:
        limiter = build_limiter(parsed)  # type: ignore[assignment]
    parts = build_source(parsed, limiter=limiter)
    assert isinstance(parts.source, TwitchChat)
    engine = build_engine(
        parsed,
        journal_stream=journal,
        source=parts,
        responder=None if ai_from_config else responder or Echo(),
        limiter=limiter,
        clock=clock or time.time,
    )
    return Run(engine, journal, parts.source, limiter)


def faster(chat: TwitchChat) -> Any:
    return replace(chat.settings, retry_wait=0.05, reconnect_wait=0.2, token_check_interval=0.1)


def record_states(chat: TwitchChat) -> list[tuple[str, int, str | None]]:
    """Every connection state the chat shows from now on, as (status, attempt, reason)."""
    seen: list[tuple[str, int, str | None]] = []
    chat.add_state_listener(
        lambda state: seen.append((state.status.value, state.attempt, state.reason))
    )
    return seen


def shown(states: list[tuple[str, int, str | None]], status: str, attempt: int) -> bool:
    return any(entry[:2] == (status, attempt) for entry in states)


def store_tokens(fake: FakeTwitch, *logins: str, scopes: tuple[str, ...] = BOT_SCOPES) -> None:
    """What `botdeck auth` leaves in the token file for these accounts."""
    for login in logins:
        user = fake.users[login]
        token = fake._token(user.id, scopes)
        TokenStore().save(
            fake.client_id, StoredToken(login, user.id, token.value, token.refresh, scopes)
        )


# ------------------------------------------------------------------ `botdeck run` in a subprocess
def write_config(path: Path, fake: FakeTwitch, channel: str) -> Path:
    path.write_text(
        f"""
[router]
random_reply_chance = 0.0
[router.delays]
high = [0.0, 0.1]

[chat]
source = "twitch"
channel = "{channel}"

[twitch]
client_id = "{fake.client_id}"
api_url = "{fake.api_url}"
auth_url = "{fake.auth_url}"
eventsub_url = "{fake.eventsub_url}"

[[bots]]
name = "alpha_bot"
token_env = "ALPHA_TOKEN"
"""
    )
    return path


def environment(tmp_path: Path, fake: FakeTwitch) -> dict[str, str]:
    fake.add_user("alpha_bot", scopes=BOT_SCOPES)
    return {
        **os.environ,
        "BOTDECK_LOG_DIR": str(tmp_path / "logs"),
        "BOTDECK_DATA_DIR": str(tmp_path / "data"),
        "TWITCH_CLIENT_SECRET": fake.client_secret,
        "ALPHA_TOKEN": fake.token_of("alpha_bot").value,
        "PYTHONUNBUFFERED": "1",
    }
