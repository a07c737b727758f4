"""The dashboard app. It runs the engine in its own event loop and only observes and commands it.

The engine's chat feed runs as a Textual worker (`exit_on_error=False`: a failing chat
source is reported, not fatal). Numbers are polled from `Engine.snapshot()` five times a
second; chat lines are buffered by listeners and written ten times a second.
"""

from __future__ import annotations

import gc
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import ClassVar, cast

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from botdeck.config import ConfigError
from botdeck.engine import Engine
from botdeck.model.events import ChatSeen, EngineEvent, JobChanged, StateChanged
from botdeck.model.jobs import JobStage, Outcome, RouterState
from botdeck.model.journal import Reason
from botdeck.model.keys import KEY_ACTIONS, key_display
from botdeck.tui.chatlines import (
    ChatHighlighter,
    cancelled_line,
    chat_line,
    outcome_line,
    state_line,
)
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.themes import DEFAULT_THEME, ThemeSet
from botdeck.tui.widgets.bot_card import BotCard
from botdeck.tui.widgets.chat_log import ChatLog, ChatView
from botdeck.tui.widgets.status import Overview, StatusBar

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_STOPPED = 130
REFRESH_SECONDS = 0.2  # numbers: 5 times a second
FLUSH_SECONDS = 0.1  # chat: 10 times a second

# The key table (`botdeck.model.keys`) names each action; this maps it to the app's method.
_ACTION_METHODS = {
    "drain": "drain",
    "stop": "request_stop",
    "start": "start",
    "pause": "toggle_pause",
    "limit_up": "limit(1)",
    "limit_down": "limit(-1)",
    "theme": "next_theme",
    "raid": "raid",
    "quit": "quit_botdeck",
}


def _bindings() -> list[BindingType]:
    return [
        Binding(
            action.key,
            _ACTION_METHODS[action.id],
            action.label,
            id=action.id,
            key_display=key_display(action.key),
        )
        for action in KEY_ACTIONS
    ]


class BotdeckApp(App[int]):
    CSS_PATH = Path(__file__).with_name("botdeck.tcss")  # absolute: subclasses live elsewhere
    TITLE = "botdeck"
    BINDINGS: ClassVar[list[BindingType]] = _bindings()

    def __init__(
        self,
        engine: Engine,
        *,
        demo: bool,
        themes: ThemeSet,
        theme: str | None = None,
        keymap: Mapping[str, str] | None = None,
        backlog_warning: int = 20,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.demo = demo
        self._themes = themes
        self._initial_theme = theme or DEFAULT_THEME
        self._keymap = dict(keymap or {})
        self._clock = clock
        self._started = clock()
        self._cancelled: Counter[str] = Counter()
        self._quitting = False
        self._closing = False
        self._bots = engine.bots
        self._backlog_warning = backlog_warning
        self._highlighter = ChatHighlighter(self._bots)
        self._chat: ChatView = self.chat_view(self._highlighter)

    # ------------------------------------------------------------- building
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Overview(id="overview")
        with Grid(id="cards"):
            for bot in self._bots:
                yield BotCard(bot, self._highlighter.colour_of(bot))
        yield cast(Widget, self._chat)  # a ChatView is a widget (the protocol cannot say so)
        yield Footer()

    def chat_view(self, highlighter: ChatHighlighter) -> ChatView:
        """The chat widget (a benchmark swaps in a per-line RichLog to compare)."""
        return ChatLog(highlighter)

    def on_mount(self) -> None:
        for theme in self._themes.themes:
            self.register_theme(theme)
        self.theme = (
            self._initial_theme if self._initial_theme in self._themes.names else "textual-dark"
        )
        if self._keymap:
            self.set_keymap(self._keymap)
        for warning in self._themes.warnings:
            log.warning(warning)
            self.notify(warning, severity="warning", timeout=8, markup=False)
        self.engine.subscribe(self._on_event)
        self.set_interval(REFRESH_SECONDS, self.refresh_numbers)
        self.set_interval(FLUSH_SECONDS, self.flush_chat)
        self.run_worker(self._feed(), name="chat-feed", group="engine", exit_on_error=False)
        self.refresh_numbers()
        self.call_after_refresh(gc.freeze)

    # Why gc.freeze: Textual, Rich and the engine create a few hundred thousand long-lived
    # objects at start. A full (generation 2) collection scans all of them and stalls the
    # loop for 40-100 ms at busy moments; frozen, they are skipped and it takes a few ms.

    async def _feed(self) -> None:
        try:
            await self.engine.connect()  # Twitch; a refusal is shown, not fatal
            await self.engine.run_chat()
        except ConfigError as error:
            log.error("cannot start: %s", error)
            self.notify(f"cannot start: {error}", severity="error", timeout=30, markup=False)
        except Exception as error:
            log.exception("chat source failed")
            self.notify(f"chat source failed: {error}", severity="error", markup=False)

    async def on_unmount(self) -> None:
        self._closing = True  # listeners stop touching widgets that are going away
        self.engine.stop(Reason.QUIT)
        await self.engine.close()  # Twitch's connections, the API client, the journal

    # -------------------------------------------------------------- listening
    def _on_event(self, event: EngineEvent) -> None:
        if self._closing:
            return
        if isinstance(event, ChatSeen):
            self._chat.add(chat_line(event.message))
        elif isinstance(event, JobChanged):
            self._on_job(event)
        elif isinstance(event, StateChanged):
            self._on_state(event.state)

    def _on_job(self, event: JobChanged) -> None:
        job = event.job
        if event.stage is not JobStage.FINISHED:
            return
        if job.outcome is Outcome.CANCELLED:
            self._cancelled[job.reason or "cancelled"] += 1  # summed: a stop may cancel 10,000
        elif (line := outcome_line(job, self._clock())) is not None:
            self._chat.add(line)

    def _on_state(self, state: RouterState) -> None:
        self.flush_chat()
        self._chat.add(state_line(state.value, self._clock()))
        if self._quitting and state in (RouterState.DRAINED, RouterState.STOPPED):
            self.exit(return_code=EXIT_STOPPED if state is RouterState.STOPPED else EXIT_OK)

    # ------------------------------------------------------------- refreshing
    def refresh_numbers(self) -> None:
        if not self.is_running:
            return  # shutting down: the widgets go before the timers do
        snap = self.engine.snapshot()
        now = self._clock()
        self.query_one(StatusBar).show(snap, now - self._started)
        self.query_one(Overview).show(snap, self._backlog_warning)
        second = int(now)
        for lane in snap.queues.bots:
            card = self.query_one(f"#card-{lane.bot}", BotCard)
            card.show(lane, snap.budgets.get(lane.bot), snap.passed.get(lane.bot, 0))
            card.sample(lane.size, second)

    def flush_chat(self) -> None:
        if not self.is_running:
            return  # shutting down: the widgets go before the timers do
        for reason, count in self._cancelled.items():
            self._chat.add(cancelled_line(count, reason, self._clock()))
        self._cancelled.clear()
        self._chat.flush()

    def on_resize(self, event: Resize) -> None:
        self._layout_cards(event.size.width, event.size.height)

    def _layout_cards(self, width: int, height: int) -> None:
        cards = self.query_one("#cards", Grid)
        columns = max(1, min(len(self._bots), width // 32))
        cards.styles.grid_size_columns = columns
        rows = math.ceil(len(self._bots) / columns)
        self.screen.set_class(height < 30 or rows * 7 > height // 2, "-compact")

    # ---------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "raid":
            return self.demo and self.engine.can_raid
        return True

    def action_drain(self) -> None:
        self.engine.drain()
        self.refresh_numbers()

    def action_request_stop(self) -> None:
        if self.engine.state is RouterState.STOPPED:
            self.notify("already stopped: press s to start again")
            return

        def answered(stop: bool | None) -> None:
            if stop:
                self.stop_now()

        queues = self.engine.snapshot().queues
        self.push_screen(ConfirmStop(queues.size + queues.pending), answered)

    def stop_now(self) -> None:
        """Emergency stop: every queued and running reply is cancelled before this returns."""
        self.engine.stop()
        self.flush_chat()
        self.refresh_numbers()

    def action_start(self) -> None:
        self.engine.start()
        self._quitting = False
        self.refresh_numbers()

    def action_toggle_pause(self) -> None:
        self.engine.toggle_pause()
        self.refresh_numbers()

    def action_limit(self, delta: int) -> None:
        self.engine.set_global_limit(max(1, self.engine.global_limit + delta))
        self.refresh_numbers()

    def action_next_theme(self) -> None:
        names = self._themes.names or ("textual-dark",)
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2, markup=False)

    def action_raid(self) -> None:
        if self.engine.bring_raid():
            self.notify("a raid arrives", timeout=2)

    def action_quit_botdeck(self) -> None:
        """First q drains and quits when drained; a second q stops at once."""
        state = self.engine.state
        if state.ended:
            self.exit(return_code=EXIT_STOPPED if state is RouterState.STOPPED else EXIT_OK)
        elif self._quitting:
            self.engine.stop()  # _on_state exits
        else:
            self._quitting = True
            self.engine.drain()  # when idle this is drained at once, and _on_state exits
            if self.engine.state is RouterState.DRAINING:
                self.notify("draining before quitting; press q again to stop at once")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action in KEY_ACTIONS:
            if self.check_action(action.id, ()):
                method = _ACTION_METHODS[action.id]
                yield SystemCommand(action.label, action.help, partial(self.run_action, method))
