"""From a Config to a wired Engine: the one place the parts are put together.

The CLI, the headless runner, the dashboard and the tests all build their engine here, so
what a test exercises is what a user runs. Sources and responders come from their adapters
(`botdeck.engine.parts`, which knows no SDK); parts may also be passed in (tests,
benchmarks).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from botdeck import __version__
from botdeck.ai.base import Responder
from botdeck.ai.safety import SafetyGate
from botdeck.chat.adapter import SourceFailure, SourceParts, classify_failure
from botdeck.chat.base import ChatSink, ChatSource
from botdeck.chat.local import LocalSink
from botdeck.chat.simulated import SimulatedChat
from botdeck.config import Config
from botdeck.core.circuit import Circuit
from botdeck.core.clock import loop_time
from botdeck.core.gate import SendGate
from botdeck.core.ratelimit import RateLimiter, SendLimiter
from botdeck.core.scheduler import Scheduler
from botdeck.engine.admission import SendWindowAdmission
from botdeck.engine.ai_setup import build_safety
from botdeck.engine.automod import AutoModDesk
from botdeck.engine.chat_control import ChatControl
from botdeck.engine.conversation import Conversation, EchoDepth
from botdeck.engine.cooldowns import CooldownGate
from botdeck.engine.engine import Closer, Engine
from botdeck.engine.events import EventHub
from botdeck.engine.intake import ChatIntake
from botdeck.engine.journal import Journal, Streams
from botdeck.engine.live import LiveChannel, LiveSettings
from botdeck.engine.moderation import Moderation
from botdeck.engine.modes import ChatModes
from botdeck.engine.orchestrator import Orchestrator, OrchestratorSettings
from botdeck.engine.parts import build_ai, build_source, source_adapter
from botdeck.engine.pipeline import PipelineSettings, ReplyPipeline
from botdeck.engine.raid import RaidPlanner
from botdeck.engine.reactions import Reactions, ReactionSettings, TimerSettings
from botdeck.engine.redemptions import Redemptions
from botdeck.engine.resume import ResumePlan
from botdeck.engine.review import ReviewDesk, ReviewSettings
from botdeck.engine.room import BotAudience, Room, RoomSettings
from botdeck.engine.sending import SendWatch
from botdeck.engine.stream import StreamContext
from botdeck.engine.timers import Timers
from botdeck.engine.usage import UsageMeter
from botdeck.model.chat import Role
from botdeck.model.defaults import APP_SEND_BUCKET, Cooldowns, SendLimits
from botdeck.model.jobs import Priority, ReplyContext, RouterState
from botdeck.model.live import OfflineAction
from botdeck.model.room import Audience
from botdeck.model.stream import EventKind

__all__ = ["EngineSettings", "assemble", "build_engine", "build_limiter"]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Everything the engine's behaviour depends on besides its parts, all given: the
    config schema (`botdeck.config`) is where every default is stated, so tests and
    benchmarks start from `from_config` and change what they test."""

    global_limit: int
    per_bot_limit: int
    orchestrator: OrchestratorSettings
    seed: int
    job_timeout: float | None  # None: no timeout
    context_lines: int
    max_reply_chars: int
    per_user_cap: int | None  # waiting jobs per viewer and bot (None: no cap)
    ack_target: float | None  # answer mentions within this; merge replies if not (None: never)
    max_age: float | None  # a random or bot-to-bot reply that waited longer is stale
    review: ReviewSettings
    send_retries: int  # more attempts for a send the sink says is worth retrying
    cooldowns: Cooldowns  # for replies that are not mentions
    removed_user_quiet: float  # seconds a removed user goes unanswered
    chat_control: bool  # moderators' `!botdeck ...` from chat
    control_command: str
    outage_wait: float  # a started reply waits out an AI outage this long (0: fails)
    # Which lines random replies pass up, the bots' share of chat, each bot's audience.
    room: RoomSettings
    reactions: Mapping[EventKind, ReactionSettings]  # `[events.<kind>]`
    asks: Mapping[str, str]  # "Ask <bot>" rewards: title -> the bot it asks
    timers: tuple[TimerSettings, ...]  # `[[timers]]`
    # What the stream going offline and a shared chat session do (`[chat]`).
    live: LiveSettings
    # Both on in every run; off only to measure the behaviour before them (benchmarks):
    admission: bool = True  # refuse random replies the send window cannot deliver in time
    stale_before_delay: bool = True  # skip stale replies before sleeping their delay
    moderation: bool = True  # moderators' actions end replies and pause removed bots

    @classmethod
    def from_config(cls, config: Config) -> EngineSettings:
        router = config.router
        global_limit, per_bot_limit = config.limits()
        return cls(
            global_limit=global_limit,
            per_bot_limit=per_bot_limit,
            orchestrator=OrchestratorSettings(
                random_reply_chance=router.random_reply_chance,
                max_depth=router.max_depth,
                ignore_users=frozenset(user.lower() for user in router.ignore_users),
                delays=router.delays.as_mapping(),
                command_prefixes=tuple(router.command_prefixes),
                answer_commands=router.answer_commands,
            ),
            seed=config.chat.seed,
            job_timeout=router.job_timeout,
            context_lines=router.context_lines,
            max_reply_chars=config.ai.max_reply_chars,
            per_user_cap=router.per_user_cap or None,
            ack_target=router.ack_target,
            max_age=router.max_age or None,
            review=ReviewSettings(
                bots=frozenset(config.review.bots),
                timeout=config.review.timeout,
                send_on_timeout=config.review.on_timeout == "send",
            ),
            send_retries=config.twitch.send_retries,
            cooldowns=config.cooldowns.as_cooldowns(),
            removed_user_quiet=config.moderation.removed_user_quiet,
            chat_control=config.chat_control.enabled,
            control_command=config.chat_control.command,
            outage_wait=config.ai.outage_wait,
            room=room_settings(config),
            reactions=reaction_settings(config),
            asks=config.events.redeem.asks(config.bot_names),
            timers=timer_settings(config),
            live=LiveSettings(
                on_offline=OfflineAction(config.chat.on_offline),
                shared_chat_replies=config.chat.shared_chat_replies,
            ),
        )


def reaction_settings(config: Config) -> dict[EventKind, ReactionSettings]:
    """`[events.<kind>]` for the engine; thresholds are per kind (viewers, bits)."""
    found = {}
    events = config.events
    for table in events.reactions():
        template, fixed = table.template()
        threshold = 0
        if table is events.raid:
            threshold = events.raid.min_viewers
        elif table is events.cheer:
            threshold = events.cheer.min_bits
        found[table.KIND] = ReactionSettings(
            kind=table.KIND,
            enabled=table.enabled,
            bot=table.bot,
            template=template,
            fixed=fixed,
            priority=Priority.parse(table.priority),
            cooldown=table.cooldown,
            threshold=threshold,
        )
    return found


def timer_settings(config: Config) -> tuple[TimerSettings, ...]:
    return tuple(
        TimerSettings(
            bot=timer.bot,
            template=timer.text if timer.text is not None else timer.prompt or "",
            fixed=timer.text is not None,
            interval=timer.interval,
            min_lines=timer.min_lines,
        )
        for timer in config.timers
    )


def room_settings(config: Config) -> RoomSettings:
    """`[filters]`, `[router] chat_share` and each bot's audience."""
    filters, share = config.filters, config.router.chat_share
    return RoomSettings(
        emote_only=filters.emote_only,
        min_words=filters.min_words,
        copypasta=filters.copypasta,
        copypasta_viewers=filters.copypasta_viewers,
        copypasta_window=filters.copypasta_window,
        repeats=filters.repeats,
        emotes=filters.emote_names(),
        chat_share=None if share >= 1 else share,
        audiences={
            bot.name: BotAudience(Audience(bot.audience), bot.audience_mentions)
            for bot in config.bots
            if bot.audience != Audience.EVERYONE.value or bot.audience_mentions
        },
    )


def build_limiter(config: Config) -> SendLimiter | None:
    """Send limits for every sink, so a rehearsal behaves as it would on Twitch. Replies
    sent with the app token (`send_as = "app"`) also share the app's Helix bucket."""
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
        shared=APP_SEND_BUCKET if config.twitch.send_as == "app" else None,
    )


def build_engine(
    config: Config,
    *,
    journal_stream: Streams = None,
    source: ChatSource | SourceParts | None = None,
    sink: ChatSink | None = None,
    responder: Responder | None = None,
    limiter: SendLimiter | None = None,
    keep_open: bool = False,
    endless: bool = False,
    clock: Callable[[], float] = time.time,
    resume: ResumePlan | None = None,
    wrap_responder: Callable[[Responder], Responder] | None = None,
    tune: Callable[[EngineSettings], EngineSettings] | None = None,
) -> Engine:
    """Everything wired; parts may be passed in (tests, the dashboard's demo source).
    `wrap_responder`: what a drill puts around the provider's responder (its AI faults);
    `tune`: settings changed from the config's (a benchmark's engine without the fault
    handling it measures).

    A bad config part (an unreadable replay, a missing key) raises ConfigError here,
    before anything runs.
    """
    if limiter is None:
        limiter = build_limiter(config)
    journal = Journal(journal_stream, clock=clock)
    ai = build_ai(config, replies=responder is None)  # reads the API key once
    if source is None:
        parts = build_source(
            config, clock=clock, keep_open=keep_open, endless=endless, limiter=limiter
        )
    elif isinstance(source, SourceParts):
        parts = source
    else:
        parts = SourceParts(source)
    responder = responder or ai.responder
    assert responder is not None  # build_ai brings one unless the caller did
    if wrap_responder is not None:
        responder = wrap_responder(responder)
    classify = source_adapter(config).classify if source is None else classify_failure
    settings = EngineSettings.from_config(config)
    engine = assemble(
        tune(settings) if tune is not None else settings,
        channel=config.chat.channel,
        source=parts,
        sink=sink,
        responder=responder,
        safety=build_safety(config, ai.moderator, ai.secrets),
        limiter=limiter,
        journal=journal,
        personas={bot.name: bot.persona for bot in config.bots},
        roles={bot.name: Role(bot.role) for bot in config.bots},
        clock=clock,
        closers=list(ai.closers),
        classify_source=classify,
        resume=resume,
    )
    # The run's first line says whose chat it answers (resume reads it).
    journal.run_started(
        config.chat.channel,
        client_id=config.twitch.client_id,
        source=config.chat.source,
        version=__version__,
    )
    return engine


def assemble(
    settings: EngineSettings,
    *,
    personas: Mapping[str, str],
    responder: Responder,
    roles: Mapping[str, Role] | None = None,
    source: SourceParts | None = None,
    sink: ChatSink | None = None,
    safety: SafetyGate | None = None,
    limiter: SendLimiter | None = None,
    journal: Journal | None = None,
    channel: str = "",
    clock: Callable[[], float] = time.time,
    closers: list[Closer] | None = None,
    resume: ResumePlan | None = None,
    classify_source: Callable[[BaseException], SourceFailure] = classify_failure,
) -> Engine:
    """The engine from its parts: scheduler, pipeline, intake and event stream wired.

    Parts left out get the quiet defaults: no chat source (lines come in through
    `Engine.handle`), a local sink, the default safety gate, no journal. A bot's role
    (for chat modes) is the send limiter's when there is one, else `roles` (viewer).
    """
    bots = tuple(personas)
    source = source or SourceParts(SimulatedChat((), speed=1.0))  # nothing to play
    sends = SendWatch(sink or source.sink or LocalSink())  # every send of every path
    safety = safety or SafetyGate()
    journal = journal or Journal(None, clock=clock)
    events = EventHub()
    events.subscribe(journal.listen)  # first: a reply is journaled before anything reacts
    conversation = Conversation(settings.context_lines)
    echoes = EchoDepth()
    usage = UsageMeter(bots)
    pipeline: ReplyPipeline
    scheduler: Scheduler[ReplyContext] = Scheduler(
        bots,
        global_limit=settings.global_limit,
        per_bot_limit=settings.per_bot_limit,
        execute=lambda job: pipeline.run(job),
        precheck=lambda job: pipeline.precheck(job),
        job_timeout=settings.job_timeout,
        viewer_cap=settings.per_user_cap,
    )
    review = ReviewDesk(bots, settings.review, events)
    raid = RaidPlanner(
        scheduler, limiter, ack_target=settings.ack_target, max_reply_chars=settings.max_reply_chars
    )
    circuit = Circuit()
    gate = SendGate()
    stream = StreamContext(clock)
    automod = AutoModDesk(scheduler, events)
    pipeline = ReplyPipeline(
        personas=personas,
        settings=PipelineSettings(
            settings.max_reply_chars,
            settings.max_age,
            stale_after_delay=not settings.stale_before_delay,
            send_retries=settings.send_retries,
            outage_wait=settings.outage_wait,
        ),
        conversation=conversation,
        raid=raid,
        responder=responder,
        safety=safety,
        usage=usage,
        limiter=limiter,
        sink=sends,
        echoes=echoes,
        review=review,
        circuit=circuit,
        gate=gate,
        stream=stream,
        automod=automod,
        bot_refused=lambda bot: moderation.bot_refused(bot),
    )
    playing = source.source

    def on_router(state: RouterState) -> None:
        """A drain ends what only a running router needs: waiting out an AI outage, and
        a finite source's lines to come (each would be refused: `skipped: draining`)."""
        pipeline.router_changed(state)
        if state is RouterState.DRAINING:
            playing.stop_playing()

    scheduler.add_state_listener(on_router)  # before the engine's: the journal then hears
    configured = dict(roles or {})

    def role_of(bot: str) -> Role:
        return limiter.role(bot) if limiter is not None else configured.get(bot, Role.VIEWER)

    modes = ChatModes(
        bots=bots, role_of=role_of, scheduler=scheduler, limiter=limiter, events=events,
        now=clock,
    )  # fmt: skip
    moderation = Moderation(
        scheduler=scheduler,
        conversation=conversation,
        events=events,
        quiet_for=settings.removed_user_quiet,
        now=loop_time,
        bots=bots,
        wall=clock,
        acting=settings.moderation,
    )
    live = LiveChannel(
        settings.live,
        scheduler=scheduler,
        events=events,
        modes=modes,
        moderation=moderation,
        automod=automod,
    )
    cooldowns = CooldownGate(settings.cooldowns, loop_time)
    room = Room(
        settings.room,
        loop_time,
        reviewed=review.wants,
        followers_only=lambda: modes.settings.followers_only,
    )
    admission = SendWindowAdmission(
        scheduler, limiter if settings.admission else None, settings.max_age
    )
    orchestrator = Orchestrator(bots, settings.orchestrator, random.Random(settings.seed))
    intake = ChatIntake(
        orchestrator=orchestrator,
        scheduler=scheduler,
        conversation=conversation,
        echoes=echoes,
        safety=safety,
        events=events,
        moderation=moderation,
        modes=modes,
        cooldowns=cooldowns,
        control=ChatControl(settings.control_command, enabled=settings.chat_control),
        admission=admission,
        room=room,
        raid=raid,
        now=loop_time,
        shared_hold=lambda: live.holds_chance_replies,
    )
    redemptions = Redemptions(source.rewards, events)
    reactions = Reactions(
        settings=settings.reactions,
        asks=settings.asks,
        scheduler=scheduler,
        orchestrator=orchestrator,
        modes=modes,
        raid=raid,
        stream=stream,
        redemptions=redemptions,
        events=events,
        now=loop_time,
        clock=clock,
    )

    def may_talk(choice: str) -> bool:
        """The timer's bot (any bot, for "any" and "rotate") may talk now."""
        speakers = set(modes.speakers())
        candidates = bots if choice in ("any", "rotate") else (choice,)
        return any(
            bot in speakers and not scheduler.muted_bot(bot) and not scheduler.paused_bot(bot)
            for bot in candidates
        )

    timers = Timers(
        settings.timers,
        fire=reactions.timer_job,
        may_talk=may_talk,
        live=lambda: stream.live,
        lines=lambda: intake.viewer_lines,
        running=lambda: scheduler.state is RouterState.RUNNING,
    )
    return Engine(
        channel=channel,
        scheduler=scheduler,
        pipeline=pipeline,
        review=review,
        intake=intake,
        events=events,
        modes=modes,
        moderation=moderation,
        cooldowns=cooldowns,
        source=source,
        sends=sends,
        responder=responder,
        safety=safety,
        limiter=limiter,
        usage=usage,
        admission=admission,
        room=room,
        journal=journal,
        clock=clock,
        closers=closers or [],
        resume=resume,
        circuit=circuit,
        outage_wait=settings.outage_wait,
        gate=gate,
        classify_source=classify_source,
        reactions=reactions,
        redemptions=redemptions,
        stream=stream,
        raid=raid,
        timers=timers,
        asks=settings.asks,
        live=live,
        automod=automod,
    )
