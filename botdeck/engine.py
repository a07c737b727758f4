"""The engine factory: one place that turns a Config into running parts.

The CLI, the headless runner, the dashboard and the tests all build their engine here, so
what a test exercises is what a user runs.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from botdeck.ai.base import Responder
from botdeck.ai.offline import OfflineResponder
from botdeck.chat.base import ChatSink, ChatSource, Lifecycle, Noticing, SendLimiter
from botdeck.chat.local import LocalSink
from botdeck.chat.simulated import SimulatedChat, scenario_lines
from botdeck.config import Config, ConfigError, twitch_problem
from botdeck.core.journal import Journal
from botdeck.core.metrics import EngineSnapshot
from botdeck.core.orchestrator import Orchestrator, OrchestratorSettings
from botdeck.core.ratelimit import RateLimiter, Role, SendLimits
from botdeck.core.router import Router, RouterSettings
from botdeck.core.scheduler import Scheduler

if TYPE_CHECKING:
    from botdeck.chat.twitch import Credentials, TwitchChat


@dataclass
class Engine:
    config: Config
    router: Router
    source: ChatSource
    sink: ChatSink
    responder: Responder
    journal: Journal

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
            notices=tuple(
                line
                for part in self._parts()
                if isinstance(part, Noticing)
                for line in part.notices()
            ),
        )

    async def feed(self) -> None:
        """Read the chat source into the router until it ends."""
        await self.router.run(self.source)

    async def start(self) -> None:
        """Connect what needs connecting (Twitch) before the run, so a bad channel or a
        refused client stops the run at once with a clear error (ConfigError)."""
        for part in self._connected_parts():
            await part.start()

    async def close(self) -> None:
        for part in reversed(self._connected_parts()):
            await part.close()

    def _connected_parts(self) -> list[Lifecycle]:
        return [part for part in self._parts() if isinstance(part, Lifecycle)]

    def _parts(self) -> list[object]:
        """The source and the sink, once each (Twitch is both)."""
        return [self.source] if self.sink is self.source else [self.source, self.sink]


def build_source(config: Config, *, keep_open: bool = False) -> ChatSource:
    chat = config.chat
    if chat.source == "simulated":
        lines = scenario_lines(chat.scenario, config.bot_names, chat.seed)
        return SimulatedChat(lines, speed=chat.speed, keep_open=keep_open)
    if chat.source == "twitch":
        return build_twitch(config, None)
    raise ConfigError(f"chat.source: {chat.source!r} is not available in this build yet")


def build_twitch(config: Config, limiter: SendLimiter | None) -> TwitchChat:
    """The Twitch channel, as source and sink; the limiter learns the bots' roles from it."""
    from botdeck.chat.twitch import Endpoints, TwitchChat, TwitchSettings
    from botdeck.tokens import TokenStore, bot_credentials

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
            endpoints=Endpoints(twitch.api_url, twitch.auth_url, twitch.eventsub_url),
            send_as=twitch.send_as,
            threaded_replies=twitch.threaded_replies,
        ),
        on_role=getattr(limiter, "observe_role", None),
        on_tokens_refreshed=save_refreshed,
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


def build_responder(config: Config) -> Responder:
    if config.ai.provider == "offline":
        return OfflineResponder(seed=config.chat.seed, bots=config.bot_names)
    raise ConfigError(f"ai.provider: {config.ai.provider!r} is not available in this build yet")


def build_engine(
    config: Config,
    *,
    journal_stream: TextIO | None = None,
    source: ChatSource | None = None,
    sink: ChatSink | None = None,
    responder: Responder | None = None,
    limiter: SendLimiter | None = None,
    keep_open: bool = False,
) -> Engine:
    """Everything wired; parts may be passed in (tests, the dashboard's demo source)."""
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
    journal = Journal(journal_stream)
    responder = responder or build_responder(config)
    if limiter is None:
        limiter = build_limiter(config)
    if source is None and config.chat.source == "twitch":
        source = build_twitch(config, limiter)
        sink = sink or source  # the channel is both: Twitch echoes our own messages back
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
        ),
        limiter=limiter,
    )
    return Engine(
        config=config,
        router=router,
        source=source or build_source(config, keep_open=keep_open),
        sink=sink,
        responder=responder,
        journal=journal,
    )
