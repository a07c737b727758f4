"""An engine from hand-picked parts, for tests that script the responder and the sink:
`make_engine`, and the parts most of them use (`ScriptedResponder`, `RecordingSink`,
`SlowSink`, `line`), the console's engine (`console_engine`, `mention`); `journal_of_run`,
a config's chat played to its end."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.ai.offline import OfflineResponder
from botdeck.ai.safety import SafetyGate
from botdeck.chat.base import ChatSink, SendError
from botdeck.config import Config, parse_config
from botdeck.core.ratelimit import SendLimiter
from botdeck.engine import Engine, EngineSettings, SourceParts, assemble, build_engine
from botdeck.engine.journal import Journal
from botdeck.engine.orchestrator import OrchestratorSettings
from botdeck.engine.reactions import ReactionSettings
from botdeck.engine.room import RoomSettings
from botdeck.model.chat import ChatMessage
from botdeck.model.defaults import Cooldowns
from botdeck.model.jobs import Priority
from botdeck.model.stream import EventKind
from tests.harness.journals import Event, events_of
from tests.harness.virtual_time import run_virtual

# The engine takes every setting; its defaults are the config schema's, stated there once.
DEFAULTS = EngineSettings.from_config(parse_config({"bots": [{"name": "harness"}]}))


def orchestrator_settings(**changes: object) -> OrchestratorSettings:
    """`[router]`'s decisions as the config's defaults make them, with `changes`."""
    return replace(DEFAULTS.orchestrator, **changes)  # type: ignore[arg-type]


def make_engine(
    bots: Sequence[str],
    *,
    responder: Responder | None = None,
    sink: ChatSink | None = None,
    limiter: SendLimiter | None = None,
    safety: SafetyGate | None = None,
    personas: Mapping[str, str] | None = None,
    chance: float = 0.0,
    max_depth: int = 2,
    answer_commands: bool = False,
    delays: float | Mapping[Priority, tuple[float, float]] | None = None,
    seed: int = 7,
    g: int = 5,
    b: int = 2,
    journal_clock: Callable[[], float] = time.time,
    source: SourceParts | None = None,
    clock: Callable[[], float] = time.time,
    **settings: object,
) -> tuple[Engine, io.StringIO]:
    """`settings` are `EngineSettings` fields (context_lines, ack_target, max_age, ...).
    Cooldowns and the room's rules (`[filters]`, `chat_share`) are off unless a test is
    about them (they would hide random replies)."""
    settings.setdefault("cooldowns", Cooldowns(per_user=0, per_bot=0, global_=0))
    settings.setdefault("room", RoomSettings.off())
    stream = io.StringIO()
    if isinstance(delays, int | float):
        delays = {priority: (float(delays), float(delays)) for priority in Priority}
    engine_settings = replace(
        DEFAULTS,
        global_limit=g,
        per_bot_limit=b,
        orchestrator=orchestrator_settings(
            random_reply_chance=chance,
            max_depth=max_depth,
            delays=delays or DEFAULTS.orchestrator.delays,
            answer_commands=answer_commands,
        ),
        seed=seed,
        **settings,  # type: ignore[arg-type]
    )
    engine = assemble(
        engine_settings,
        channel="test_channel",
        source=source,
        sink=sink,
        responder=responder or OfflineResponder(seed=seed, bots=tuple(bots)),
        safety=safety,
        limiter=limiter,
        journal=Journal(stream, clock=journal_clock),
        personas=personas or {bot: f"persona of {bot}" for bot in bots},
        clock=clock,
    )
    return engine, stream


# ------------------------------------------------------------------ scripted parts
BOTS = ("alpha_bot", "beta_bot", "gamma_bot")


class ScriptedResponder(Responder):
    """Replies with `script(request)` after `delay` s ("!error" fails the reply); records
    every request it saw."""

    label = "scripted"

    def __init__(
        self, script: Callable[[ReplyRequest], str] | None = None, delay: float = 0.5
    ) -> None:
        self.script = script or (lambda request: f"hello from {request.bot}")
        self.delay = delay
        self.requests: list[ReplyRequest] = []

    async def reply(self, request: ReplyRequest) -> Reply:
        self.requests.append(request)
        await asyncio.sleep(self.delay)
        text = self.script(request)
        if text == "!error":
            raise ResponderError("model unavailable")
        return Reply(text)


class RecordingSink:
    """Sends take 0.1 s; keeps (bot, text, reply_to) of each, and refuses a text holding
    `refuse` as Twitch refuses a duplicate."""

    def __init__(self, echoes: bool = False, refuse: str | None = None) -> None:
        self.echoes = echoes
        self.refuse = refuse
        self.sent: list[tuple[str, str, str | None]] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        await asyncio.sleep(0.1)
        if self.refuse and self.refuse in text:
            raise SendError("msg_duplicate: Your message is identical to the previous one")
        self.sent.append((bot, text, reply_to))
        return f"out-{len(self.sent)}"


class SlowSink(RecordingSink):
    """A `RecordingSink` that also notes when (loop time) each send began."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        self.times.append(asyncio.get_running_loop().time())
        return await super().send(bot, text, reply_to)


def line(n: int, user: str, text: str, **fields: Any) -> ChatMessage:
    """Chat line `m{n}` from `user`, stamped 1000 + n."""
    return ChatMessage(id=f"m{n}", user=user, text=text, timestamp=1000.0 + n, **fields)


def console_engine(
    sink: ChatSink | None = None, chance: float = 0.0, b: int = 1, **settings: Any
) -> tuple[Engine, io.StringIO]:
    """The operator's console's engine: the three `BOTS`, replies written in 0.5 s, sent
    after 1 s, five at once and `b` per bot."""
    return make_engine(
        BOTS,
        responder=ScriptedResponder(delay=0.5),
        sink=sink or RecordingSink(),
        chance=chance,
        max_depth=0,
        delays=1.0,
        g=5,
        b=b,
        **settings,
    )


def mention(n: int, viewer: str, bot: str = BOTS[0]) -> ChatMessage:
    """Chat line `m{n}` from `viewer` mentioning `bot`."""
    return line(n, viewer, f"@{bot} question {n}")


def journal_of_run(config: Config) -> list[Event]:
    """The journal of `config`'s chat played to its end through the engine `build_engine`
    makes of it (as `botdeck run` does), on the virtual clock."""

    async def main() -> list[Event]:
        stream = io.StringIO()
        engine = build_engine(config, journal_stream=stream)
        await engine.run_chat()
        await engine.wait_idle()
        await engine.close()
        return events_of(stream)

    return run_virtual(main())


class Recording(Responder):
    """Writes "reply N" and keeps every request (what the AI was asked)."""

    label = "recording"

    def __init__(self) -> None:
        self.requests: list[ReplyRequest] = []

    async def reply(self, request: ReplyRequest) -> Reply:
        self.requests.append(request)
        return Reply(f"reply {len(self.requests)}")


class Sink:
    """Every message sent, with the loop time and the bot (a send takes 0.2 s)."""

    echoes = False

    def __init__(self) -> None:
        self.sent: list[tuple[float, str, str]] = []  # (loop time, bot, text)

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        await asyncio.sleep(0.2)
        self.sent.append((asyncio.get_running_loop().time(), bot, text))
        return f"out-{len(self.sent)}"


def reactions(**changes: dict[str, object]) -> dict[EventKind, ReactionSettings]:
    """The default reactions, with some tables changed (by kind name)."""
    found = dict(DEFAULTS.reactions)
    for kind, fields in changes.items():
        found[EventKind(kind)] = replace(found[EventKind(kind)], **fields)  # type: ignore[arg-type]
    return found
