"""Playing a fault plan against botdeck: the world, the faults on the loop's clock, and
botdeck's runs, one per life.

A drill opens botdeck's run as any command does (`engine.open_run`), with the chat
source, sink and responder behind the drill's wrappers (`chaos.edges`), and plays the
plan from the moment it begins: each fault, at its time, is told to the engine (journaled
`fault` and shown) and then done to the world (`chaos.kinds`); a fault that lasts is
undone at its end. A crash fault kills the run as `kill -9` would (`Engine.crash`: the
journal keeps what it had written, the open jobs get no outcome), and after the fault's
`down` seconds a new run is opened from the journal, resuming what the killed one left,
as a restart does (`open_run` with resume). The channel plays on meanwhile, unread.

Headless (`play`: `rehearse --chaos`, `demo --chaos --headless`) nobody is at the
console, so the drill plays the operator's one part the engine leaves to a person: a bot
moderators removed is resumed (`b`) once it may talk again. In the dashboard (`beside`)
the operator practises that key, and a restart brings the new run under the same
dashboard (`on_life`).

`Handling` turns botdeck's fault handling off for a benchmark's baseline: the circuit
(`[ai] outage_wait = 0`), failover to another reader, resume after a restart, and the
moderation handling (actions journaled, nothing done).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from botdeck.ai.base import Responder
from botdeck.chaos.edges import FaultyResponder, FaultySink, FaultySource
from botdeck.chaos.kinds import Begun
from botdeck.chaos.plan import FaultPlan, PlannedFault
from botdeck.chaos.world import World
from botdeck.chat.adapter import SourceParts
from botdeck.chat.replay import ReplayChat
from botdeck.config import Config
from botdeck.engine import (
    AppendTo,
    Edges,
    EngineSettings,
    Resume,
    RunOptions,
    RunSession,
    Temporary,
    build_source,
    open_run,
)
from botdeck.model.chat import Role
from botdeck.model.defaults import TWITCH_SEND_LIMITS
from botdeck.model.faults import Fault

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Handling:
    """botdeck's fault handling; all on, except to measure what it buys."""

    circuit: bool = True  # replies wait out an AI outage (`[ai] outage_wait`)
    failover: bool = True  # another account reads when the reader is banned
    resume: bool = True  # a restart answers again the young mentions a killed run left
    moderation: bool = True  # moderators' actions end replies, a removed bot is paused

    @classmethod
    def off(cls) -> Handling:
        return cls(circuit=False, failover=False, resume=False, moderation=False)


class Drill:
    """See the module docstring. `options`: the first run's (a temporary journal becomes a
    file the drill removes at the end, so every run of the night appends to it);
    `source`: chat the caller built (a rehearsal's changed replay), else the config's."""

    def __init__(
        self,
        config: Config,
        plan: FaultPlan,
        options: RunOptions,
        *,
        source: SourceParts | None = None,
        handling: Handling = Handling(),
        operator: bool = True,
    ) -> None:
        if not handling.circuit:
            config = config.model_copy(
                update={"ai": config.ai.model_copy(update={"outage_wait": 0.0})}
            )
        self.config = config
        self.plan = plan.for_bots(config.bot_names)
        self.handling = handling
        self._operator = operator
        self._options = options
        self._source = source
        self._temporary: Path | None = None
        self._stack = contextlib.ExitStack()
        self._life: contextlib.ExitStack | None = None
        self.session: RunSession | None = None  # the run now (None while botdeck is down)
        self.lives = 0
        self.world: World | None = None
        self._t0 = 0.0
        self._timers: list[asyncio.TimerHandle] = []
        self._pending: list[Fault] = []  # faults that began while botdeck was down
        self._restart: asyncio.Task[None] | None = None
        self._on_life: Callable[[RunSession], None] = lambda session: None

    # ------------------------------------------------------------ opening
    @contextlib.contextmanager
    def opened(self) -> Iterator[RunSession]:
        """The world and the first run; on leaving, every run's journal is closed (and a
        temporary one removed). A plan that does not fit the log is refused here."""
        options = self._options
        with self._stack:
            if isinstance(options.journal, Temporary):
                handle, name = tempfile.mkstemp(prefix="botdeck-drill-", suffix=".jsonl")
                os.close(handle)
                self._temporary = Path(name)
                self._stack.callback(self._remove_temporary)
                options = replace(options, journal=AppendTo(self._temporary))
            self._options = options
            inner = self._source or build_source(
                self.config, clock=options.clock, keep_open=options.demo, endless=options.demo
            )
            self._check_length(inner)
            self.world = self._world(inner)
            self._open_life(first=True)
            assert self.session is not None
            yield self.session

    def _check_length(self, inner: SourceParts) -> None:
        """A fault past the end of the log cannot happen: refused (exit 2)."""
        chat = inner.source
        if isinstance(chat, ReplayChat) and chat.log.lines:
            speed = self.config.chat.adapter_options().model_dump().get("speed", 1.0)
            length = (chat.log.lines[-1].at - chat.log.start) / speed
            self.plan.within(length, f"the log ({chat.log.path.name} at speed {speed:g})")

    def _world(self, inner: SourceParts) -> World:
        config = self.config
        roles = {bot.name: Role(bot.role) for bot in config.bots}
        world = World(
            inner,
            bots=config.bot_names,
            roles=roles,
            limits=TWITCH_SEND_LIMITS,  # the platform counts by its own limits
            seed=self.plan.seed,
            ai_timeout=config.ai.timeout,
            clock=self._options.clock,
            failover=self.handling.failover,
        )
        world.on_crash = self._crash
        world.on_bot_free = self._bot_free
        return world

    def _open_life(self, *, first: bool) -> RunSession:
        world = self.world
        assert world is not None
        options = self._options
        if not first:
            # As a restart with `--journal` would: the night stays in one file.
            assert self.journal is not None
            resume = Resume.ANSWER if self.handling.resume else Resume.CLOSE
            left = None
            if options.duration is not None:
                left = max(0.0, options.duration - (asyncio.get_running_loop().time() - self._t0))
            options = replace(options, resume=resume, duration=left)
        parts = SourceParts(
            FaultySource(world),
            sink=FaultySink(world),
            bring_raid=world.inner.bring_raid,
            warnings=world.inner.warnings if first else (),
        )
        edges = Edges(responder=self._faulty, tune=self._tune)
        life = contextlib.ExitStack()
        self.session = life.enter_context(open_run(self.config, options, source=parts, edges=edges))
        self._life = life
        if first and self.session.journal is not None:  # later runs append to this file
            self._options = replace(options, journal=AppendTo(self.session.journal.path))
        self._stack.callback(life.close)
        self.lives += 1
        for fault in self._pending:  # told to the new run: its journal has them
            self.session.engine.fault(fault)
        self._pending.clear()
        return self.session

    def _faulty(self, responder: Responder) -> Responder:
        assert self.world is not None
        return FaultyResponder(responder, self.world)

    def _tune(self, settings: EngineSettings) -> EngineSettings:
        return replace(settings, moderation=self.handling.moderation)

    def _remove_temporary(self) -> None:
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                self._temporary.unlink()

    @property
    def journal(self) -> Path | None:
        """The file every run of the night appends to (None before the first is open)."""
        journal = self._options.journal
        return journal.path if isinstance(journal, AppendTo) else None

    # ------------------------------------------------------------ playing
    async def play(self) -> int:
        """Headless: every run of the night, each to its end; the last one's exit code."""
        self.begin()
        try:
            while True:
                assert self.session is not None
                code = await _unattended(self.session)
                restart, self._restart = self._restart, None
                if restart is None:
                    return code
                await restart  # the next life opens after the crash's `down`
        finally:
            await self.end()

    async def beside(
        self,
        main: Awaitable[int],
        on_life: Callable[[RunSession], None],
        start: Callable[[Callable[[], None]], object] | None = None,
    ) -> int:
        """The dashboard (`main`, which runs the current session) with the plan played
        beside it; each restart's run is handed to `on_life`. `start` begins the night
        where the dashboard runs (`App.call_later`): the faults' timers and the restart
        then carry the app's context, as its own run's feed does, so what they make the
        engine publish may start the app's timers (Textual needs its active app)."""
        self._operator = False  # someone is at the console: the keys are theirs
        self._on_life = on_life
        if start is None:
            self.begin()
        else:
            start(self.begin)
        try:
            return await main
        finally:
            await self.end()

    def begin(self) -> None:
        """The night starts now: the channel plays, the faults are scheduled."""
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        assert self.world is not None
        self.world.start()
        for planned in self.plan.faults:
            self._timers.append(loop.call_at(self._t0 + planned.at, self._begin_fault, planned))

    async def end(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._restart is not None and not self._restart.done():
            self._restart.cancel()
            await asyncio.gather(self._restart, return_exceptions=True)
        if self.world is not None:
            await self.world.close()

    def _begin_fault(self, planned: PlannedFault) -> None:
        world = self.world
        assert world is not None
        since = self._options.clock()
        span = planned.span
        fault = Fault(
            planned.kind.name,
            since,
            None if span is None else since + span,
            planned.kind.edge,
            planned.words(),
        )
        log.warning("%s", fault.describe())
        self._tell(fault)  # before it happens: a crash's line is written before the kill
        begun = Begun(world, planned.options, planned.duration, planned.bot, planned)
        planned.kind.begin(begun)
        if planned.duration is not None and planned.kind.end is not None:
            end = planned.kind.end
            loop = asyncio.get_running_loop()
            self._timers.append(loop.call_later(planned.duration, end, begun))

    def _tell(self, fault: Fault) -> None:
        if self.session is not None:
            self.session.engine.fault(fault)
        else:
            self._pending.append(fault)

    def _bot_free(self, bot: str) -> None:
        """A bot may talk again: resumed, where nobody at the console would (see above)."""
        if self._operator and self.session is not None and self.handling.moderation:
            self.session.engine.resume_bot(bot)

    # ------------------------------------------------------------ crash and restart
    def _crash(self, down: float) -> None:
        session, self.session = self.session, None
        if session is None:
            return  # already down
        log.warning("drill: botdeck killed; started again in %g s", down)
        session.engine.crash()
        self._restart = asyncio.get_running_loop().create_task(self._start_again(session, down))

    async def _start_again(self, killed: RunSession, down: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await killed.close()  # headless, run_headless has closed it already
        if self._life is not None:
            self._life.close()  # the killed run's journal file
        await asyncio.sleep(max(0.0, down - (loop.time() - started)))
        session = self._open_life(first=False)
        log.warning("drill: botdeck started again (run %d of the night)", self.lives)
        self._on_life(session)


async def _unattended(session: RunSession) -> int:
    """One run with nobody at the console, to its end (as `commands.headless` runs one;
    the commands sit above the drill, so it does the same three steps itself)."""
    try:
        await session.connect()
        return await session.run_unattended()
    finally:
        await session.close()
