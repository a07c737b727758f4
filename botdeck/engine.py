"""The engine factory: one place that turns a Config into running parts.

The CLI, the headless runner, the dashboard and the tests all build their engine here, so
what a test exercises is what a user runs. An engine is started before a run (Twitch
connects, so a bad channel stops the run at once) and closed after it (connections,
pending moderation checks, the API client).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from botdeck.ai import factory
from botdeck.ai.base import Responder
from botdeck.ai.budget import BudgetedResponder
from botdeck.ai.offline import OfflineResponder
from botdeck.chat.base import ChatSink, ChatSource, Lifecycle, SendLimiter, SetupError
from botdeck.chat.local import LocalSink
from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import ReplayError, ReplayLog, load_replay
from botdeck.chat.simulated import SimulatedChat, scenario_lines
from botdeck.config import Config, ConfigError, twitch_problem
from botdeck.core.journal import Journal
from botdeck.core.metrics import EngineSnapshot, NoticeSource
from botdeck.core.orchestrator import Orchestrator, OrchestratorSettings
from botdeck.core.ratelimit import RateLimiter, Role, SendLimits
from botdeck.core.router import Router, RouterSettings
from botdeck.core.scheduler import Scheduler

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from botdeck.chat.twitch import Credentials, TwitchChat

logger = logging.getLogger(__name__)


@dataclass
class Engine:
    config: Config
    router: Router
    source: ChatSource
    sink: ChatSink
    responder: Responder
    journal: Journal
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def scheduler(self) -> Scheduler:
        return self.router.scheduler

    def snapshot(self) -> EngineSnapshot:
        """Every number the dashboard shows; cheap enough to poll at 10 Hz."""
        limiter = self.router.limiter
        return EngineSnapshot(
            queues=self.scheduler.snapshot(),
            connection=self.source.connection,
            responder=self.responder.label,
            channel=self.config.chat.channel,
            usage=dict(self.router.usage),
            budgets={bot: limiter.budget(bot) for bot in self.config.bot_names} if limiter else {},
            notices=tuple(notice for part in self._noticing() for notice in part.notices),
        )

    async def feed(self) -> None:
        """Read the chat source into the router until it ends."""
        await self.router.run(self.source)

    async def start(self) -> None:
        """Connect what needs connecting (Twitch) before the run, so a bad channel or a
        refused client stops the run at once with a clear error (ConfigError)."""
        for part in self._connected_parts():
            try:
                await part.start()
            except SetupError as error:  # e.g. Twitch: no such channel, a refused client
                raise ConfigError(str(error)) from None

    async def close(self) -> None:
        """Release everything the parts hold open; safe to call more than once."""
        for part in reversed(self._connected_parts()):
            await part.close()
        self.router.safety.close()
        closers, self.closers = self.closers, []
        for close in closers:
            await close()

    def _parts(self) -> list[object]:
        """Everything wired in, each once (Twitch is both source and sink)."""
        parts: list[object] = [self.source, self.responder, self.router.safety]
        if self.sink is not self.source:
            parts.append(self.sink)
        return parts

    def _connected_parts(self) -> list[Lifecycle]:
        return [part for part in self._parts() if isinstance(part, Lifecycle)]

    def _noticing(self) -> list[NoticeSource]:
        return [part for part in self._parts() if isinstance(part, NoticeSource)]


def build_source(
    config: Config, *, keep_open: bool = False, clock: Callable[[], float] = time.time
) -> ChatSource:
    chat = config.chat
    if chat.source == "simulated":
        lines = scenario_lines(chat.scenario_spec, config.bot_names, chat.seed)
        return SimulatedChat(lines, speed=chat.speed, keep_open=keep_open, clock=clock)
    if chat.source == "replay":
        log = load_replay_log(config)
        return ReplayChat(log, bots=config.bot_names, speed=chat.speed, clock=clock)
    if chat.source == "twitch":
        return build_twitch(config, None)
    raise ConfigError(f"chat.source: {chat.source!r} is not available in this build yet")


def load_replay_log(config: Config) -> ReplayLog:
    """The replay file read and checked in full before anything runs (bad file: exit 2)."""
    assert config.chat.replay_file is not None  # the config requires it for source "replay"
    try:
        log = load_replay(Path(config.chat.replay_file), start=config.chat.replay_start)
    except ReplayError as error:
        raise ConfigError(str(error)) from None
    for warning in log.warnings:
        logger.warning("%s", warning)
    return log


def build_twitch(config: Config, limiter: SendLimiter | None) -> TwitchChat:
    """The Twitch channel, as source and sink; the limiter learns the bots' roles from it."""
    from botdeck.chat.twitch import Endpoints, TwitchChat, TwitchSettings
    from botdeck.tokens import TokenStore, bot_credentials, broadcaster_credentials, credentials_of

    twitch = config.twitch
    problem = twitch_problem(config)
    if problem:
        raise ConfigError(problem)
    secret = os.environ.get(twitch.client_secret_env, "").strip()
    if not secret:
        raise ConfigError(
            f"twitch.client_secret_env: the environment variable {twitch.client_secret_env}"
            " is not set (it holds your Twitch application's client secret)"
        )
    store = TokenStore()
    client_id = twitch.client_id

    def save_refreshed(bot: str, credentials: Credentials) -> None:
        if credentials.origin == "store":
            store.update_tokens(client_id, bot, credentials)

    return TwitchChat(
        TwitchSettings(
            client_id=client_id,
            client_secret=secret,
            channel=config.chat.channel,
            bots=bot_credentials(config, store),
            broadcaster=broadcaster_credentials(config, store),
            endpoints=Endpoints(twitch.api_url, twitch.auth_url, twitch.eventsub_url),
            send_as=twitch.send_as,
            threaded_replies=twitch.threaded_replies,
            shared_chat=config.chat.shared_chat,
            retry_wait=twitch.retry_wait,
            reconnect_wait=twitch.reconnect_wait,
        ),
        on_role=getattr(limiter, "observe_role", None),
        on_tokens_refreshed=save_refreshed,
        reload_credentials=lambda login: credentials_of(config, store, login),
    )


def build_limiter(config: Config) -> SendLimiter | None:
    """Send limits for every sink, so a rehearsal behaves as it would on Twitch."""
    limits = config.send_limits
    if not limits.enabled:
        return None
    return RateLimiter(
        {bot.name: Role(bot.role) for bot in config.bots},
        SendLimits(
            window=limits.window,
            viewer=limits.viewer,
            privileged=limits.privileged,
            spacing=limits.spacing,
            duplicate_window=limits.duplicate_window,
        ),
    )


def build_responder(config: Config, client: AsyncOpenAI | None = None) -> Responder:
    """The offline responder, or the OpenAI-compatible one (within `token_budget`, if set)."""
    offline = OfflineResponder(seed=config.chat.seed, bots=config.bot_names)
    if config.ai.provider == "offline":
        return offline
    if config.ai.provider != "openai":
        raise ConfigError(f"ai.provider: {config.ai.provider!r} is not available in this build")
    client = client or factory.build_client(config)
    assert client is not None  # provider "openai" always needs one
    responder: Responder = factory.build_openai_responder(config, client)
    if config.ai.token_budget:
        fallback = offline if config.ai.on_budget == "offline" else None
        responder = BudgetedResponder(responder, config.ai.token_budget, fallback)
    return responder


def build_engine(
    config: Config,
    *,
    journal_stream: TextIO | None = None,
    source: ChatSource | None = None,
    sink: ChatSink | None = None,
    responder: Responder | None = None,
    limiter: SendLimiter | None = None,
    keep_open: bool = False,
    clock: Callable[[], float] = time.time,
) -> Engine:
    """Everything wired; parts may be passed in (tests, the dashboard's demo source)."""
    if source is None and config.chat.source != "twitch":  # Twitch needs the limiter, below
        source = build_source(config, keep_open=keep_open, clock=clock)  # a bad replay stops here
    router_config = config.router
    global_limit, per_bot_limit = config.limits()
    orchestrator = Orchestrator(
        config.bot_names,
        OrchestratorSettings(
            random_reply_chance=router_config.random_reply_chance,
            max_depth=router_config.max_depth,
            ignore_users=frozenset(user.lower() for user in router_config.ignore_users),
            delays=router_config.delays.as_mapping(),
        ),
        random.Random(config.chat.seed),
    )
    journal = Journal(journal_stream, clock=clock)
    client = factory.build_client(config)  # reads the API key once; None when offline
    responder = responder or build_responder(config, client)
    safety = factory.build_safety(config, client)
    if limiter is None:
        limiter = build_limiter(config)
    if source is None and config.chat.source == "twitch":
        source = build_twitch(config, limiter)
        sink = sink or source  # the channel is both: Twitch echoes our own messages back
    assert source is not None
    sink = sink or LocalSink()
    router = Router(
        personas={bot.name: bot.persona for bot in config.bots},
        orchestrator=orchestrator,
        responder=responder,
        sink=sink,
        journal=journal,
        settings=RouterSettings(
            global_limit=global_limit,
            per_bot_limit=per_bot_limit,
            job_timeout=router_config.job_timeout,
            context_lines=router_config.context_lines,
            max_reply_chars=config.ai.max_reply_chars,
            per_user_cap=router_config.per_user_cap,
            ack_target=router_config.ack_target,
            max_age=router_config.max_age or None,
            send_retries=config.twitch.send_retries,
        ),
        limiter=limiter,
        safety=safety,
        clock=clock,
    )
    return Engine(
        config=config,
        router=router,
        source=source,
        sink=sink,
        responder=responder,
        journal=journal,
        closers=[client.close] if client is not None else [],
    )
