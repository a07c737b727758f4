"""The dashboard app. It runs the engine in its own event loop and only observes and commands it.

The run (the chat feed, how it ends, quit requests) is a `RunSession` that outlives the
app: the app only shows it and commands it, and if the app dies of an exception, the
runner (`tui/run.py`) carries the run on without a screen. Numbers are polled from
`Engine.snapshot()` five times a second; chat lines are buffered by listeners and written
ten times a second.

The operator's console: select a bot (1-9, click its card, tab to it) to open its queue
and act on one reply, one viewer or the bot; replies held for review show in full in the
review panel; `i` says a line as a bot. The layout keeps the router state, the warnings
and the stop and quit keys on screen at any size: cards shrink first (`layout.py`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar, assert_never, cast

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import Grid, Vertical
from textual.events import Resize
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from botdeck.engine import (
    Engine,
    QuitResult,
    QuitStep,
    RunSession,
    Severity,
    SignalRoute,
)
from botdeck.model.console import QueuedMentions
from botdeck.model.events import (
    AIAvailability,
    BotChanged,
    ChannelEventSeen,
    ChatModeChanged,
    ChatSeen,
    EngineEvent,
    FaultSeen,
    JobChanged,
    ModerationSeen,
    RedemptionSettled,
    StateChanged,
)
from botdeck.model.jobs import JobStage, Priority, RouterState
from botdeck.model.journal import Reason
from botdeck.model.keys import FIXED_QUIT_KEYS, KEY_ACTIONS, When, key_display, keys_of
from botdeck.model.snapshot import EngineSnapshot
from botdeck.model.stream import REACTION_KINDS, ChannelEvent, EventKind
from botdeck.tui.chatlines import (
    ChatHighlighter,
    OutcomeFolds,
    by_detail,
    chat_line,
    event_line,
    fault_line,
    is_cut,
    mode_line,
    moderation_line,
    notice_line,
    redemption_line,
    state_line,
)
from botdeck.tui.labels import ai_toast, event_kind_label, fault_label, muted_toast
from botdeck.tui.layout import MIN_HEIGHT, MIN_WIDTH, Layout, plan_layout
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.screens.edit_reply import EditReply
from botdeck.tui.screens.event_dialog import EventDialog
from botdeck.tui.screens.help import HelpScreen, plain_help
from botdeck.tui.screens.levers import add_levers
from botdeck.tui.screens.mute import MuteChoice, MuteDialog, Taker
from botdeck.tui.screens.say import SayScreen
from botdeck.tui.screens.text_view import TextView
from botdeck.tui.terminal import hung_up, no_resume_after_hangup, silence_output, terminal_fd
from botdeck.tui.themes import DEFAULT_THEME, ThemeSet
from botdeck.tui.widgets.bot_card import BotCard, bot_flags
from botdeck.tui.widgets.chat_log import ChatLog, ChatView
from botdeck.tui.widgets.queue import JobTable, QueueInspector
from botdeck.tui.widgets.review import ReviewPanel
from botdeck.tui.widgets.status import AlertBar, Overview, StatusBar

log = logging.getLogger(__name__)

__all__ = ["BotdeckApp"]

T = TypeVar("T")

REFRESH_SECONDS = 0.2  # numbers: 5 times a second
FLUSH_SECONDS = 0.1  # chat: 10 times a second

# The key table (`botdeck.model.keys`) names each action; this maps it to the app's method.
_ACTION_METHODS = {
    "drain": "drain",
    "stop": "request_stop",
    "start": "start",
    "pause": "toggle_pause",
    "approve": "approve",
    "approve_all": "approve_all",
    "edit": "edit_reply",
    "reject": "reject",
    "select": "select_bot",
    "cancel_job": "cancel_job",
    "to_front": "to_front",
    "cancel_viewer": "cancel_viewer",
    "bot_pause": "bot_pause",
    "mute": "mute",
    "review": "toggle_review",
    "say": "say",
    "event": "test_event",
    "open": "open",
    "close": "close",
    "limit_up": "limit(1)",
    "limit_down": "limit(-1)",
    "theme": "next_theme",
    "raid": "raid",
    "help": "help",
    "quit": "quit_botdeck",
}
_WHEN_BY_METHOD = {_ACTION_METHODS[action.id].split("(")[0]: action.when for action in KEY_ACTIONS}


def _bindings(keymap: Mapping[str, str] | None = None) -> list[Binding]:
    """The key table as bindings, in its order (the footer's), with `[keys]` applied."""
    bindings: list[Binding] = []
    for action in KEY_ACTIONS:
        method = _ACTION_METHODS[action.id]
        if action.id == "select":  # one binding per digit: the action needs the number
            bindings += [
                Binding(key, f"{method}({key})", action.label, show=False)
                for key in action.key.split(",")
            ]
            continue
        keys = keys_of(action.id, keymap)
        bindings += [
            Binding(
                key.strip(),
                method,
                action.label,
                id=action.id,
                show=action.footer and index == 0,
                key_display=key_display(key.strip()),
            )
            for index, key in enumerate(keys.split(","))
        ]
    # These replace Textual's own ctrl+q (quit at once) and ctrl+c (a toast about ctrl+q):
    # both drain first here, like q. ctrl+q has priority over any widget; ctrl+c does not,
    # so a text field still copies with it.
    bindings += [
        Binding(key, f"quit_botdeck({key!r})", show=False, priority=key == "ctrl+q", system=True)
        for key in FIXED_QUIT_KEYS
    ]
    return bindings


class Dashboard(Screen[object]):
    """The dashboard's own screen. Nothing takes the focus by itself: Textual would focus
    the first card when a dialog closed with nothing focused, which selected bot 1 and
    opened its queue (the next `v` then toggled review for that bot alone)."""

    AUTO_FOCUS = ""


class BotdeckApp(App[int]):
    CSS_PATH = Path(__file__).with_name("botdeck.tcss")  # absolute: subclasses live elsewhere
    TITLE = "botdeck"
    BINDINGS: ClassVar[list[BindingType]] = list(_bindings())

    def __init__(
        self,
        engine: Engine,
        *,
        demo: bool,
        themes: ThemeSet,
        theme: str | None = None,
        keymap: Mapping[str, str] | None = None,
        backlog_warning: int,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] | None = None,
        session: RunSession | None = None,
    ) -> None:
        super().__init__()
        # `[keys]` applied here rather than with Textual's keymap, which would move a
        # remapped action to the end of the footer (stop and quit must stay first).
        theirs = [
            binding
            for _, binding in self._bindings
            if binding.action.split("(")[0] not in _WHEN_BY_METHOD
            and binding.key not in FIXED_QUIT_KEYS  # Textual's quit and help_quit: replaced
        ]
        self._bindings = BindingsMap([*_bindings(keymap), *theirs])
        self.engine = engine
        self.demo = demo
        self._themes = themes
        self._initial_theme = theme or DEFAULT_THEME
        self._keys = dict(keymap or {})
        self._clock = clock
        self._monotonic = monotonic  # the loop's clock (job ages) unless a test fixes it
        self._started = clock()
        self._folds = OutcomeFolds()  # failures, skips, cancellations: folded per kind
        self._handing: tuple[str, str] | None = None  # (bot, to) while a mute hands over
        self._flush_due = False
        self._last_snap: tuple[object, ...] | None = None
        # The run this app shows; it goes on if the app does not (see tui/run.py).
        self.session = session or RunSession(engine, ends_with_source=False)
        self.session.say = self._say
        self._said: list[tuple[str, Severity]] = []  # what the run said before the screen was up
        self.quits = self.session.quits
        self.failure: BaseException | None = None  # what ended the app, if an exception did
        self._closing = False
        self._signals = SignalRoute(self._on_signal)
        self._terminal = terminal_fd()  # None when not drawing on a terminal (tests, web)
        self.detached = False  # the terminal went away: the engine drains without a screen
        self.exit_note: str | None = None  # what the terminal shows after the dashboard
        self._main: Screen[object] | None = None  # the screen the dashboard's widgets are on
        self._bots = engine.bots
        self._backlog_warning = backlog_warning
        self._highlighter = ChatHighlighter(self._bots)
        self._chat: ChatView = self.chat_view(self._highlighter)
        self._selected: str | None = None  # the bot whose queue is open
        self._layout: Layout | None = None
        self._layout_size: tuple[int, int] | None = None  # the screen size it was made for
        self._alert_rows = 0
        self._review_rows = 0
        # (a reply is selected, a reply waits for review): what the footer offers
        self._footer_context = (False, False)
        self._cards: dict[str, BotCard] = {}
        self._unsupported: set[str] = set()  # unsupported events already said once
        self._dialogs: dict[Screen[Any], object] = {}  # open dialogs: what escape answers
        self._focus_back: Widget | None = None  # what had the focus when the first opened

    # ------------------------------------------------------------- building
    def compose(self) -> ComposeResult:
        with Vertical(id="deck"):
            yield StatusBar(id="status")
            yield AlertBar(id="alerts")
            yield Overview(id="overview")
            with Grid(id="cards"):
                for number, bot in enumerate(self._bots, 1):
                    yield BotCard(bot, self._highlighter.colour_of(bot), number)
            yield QueueInspector()
            yield ReviewPanel()
            yield cast(Widget, self._chat)  # a ChatView is a widget (the protocol cannot)
        yield Static(id="too-small", markup=False)
        yield Footer(compact=True)

    def get_default_screen(self) -> Screen[object]:
        return Dashboard(id="_default")

    def chat_view(self, highlighter: ChatHighlighter) -> ChatView:
        """The chat widget (a benchmark swaps in a per-line RichLog to compare)."""
        return ChatLog(highlighter)

    def on_mount(self) -> None:
        for theme in self._themes.themes:
            self.register_theme(theme)
        self.theme = (
            self._initial_theme if self._initial_theme in self._themes.names else "textual-dark"
        )
        for warning in self._themes.warnings:
            log.warning(warning)
            self.notify(warning, severity="warning", timeout=8, markup=False)
        self._status = self.query_one(StatusBar)
        self._alerts = self.query_one(AlertBar)
        self._overview = self.query_one(Overview)
        self._inspector = self.query_one(QueueInspector)
        self._review = self.query_one(ReviewPanel)
        self._cards = {card.bot: card for card in self.query(BotCard)}
        self._inspector.display = False
        self._review.display = False
        self._subscription = self.engine.subscribe(self._on_event)
        self._signals.install()
        if self._terminal is not None:
            no_resume_after_hangup(self._terminal)
        # The timers belong to the screen that holds the widgets they update: Textual stops
        # a screen's timers before it removes the screen's widgets, but an app's only after
        # every screen is gone, so an app timer could tick on widgets that have left.
        self._main = self.screen
        self._main.set_interval(REFRESH_SECONDS, self.refresh_numbers)
        self.session.start()  # the chat feed runs in the loop, not in this app
        said, self._said = self._said, []
        for text, severity in said:
            self._say(text, severity)
        self.refresh_numbers()
        self.call_after_refresh(gc.freeze)

    def replace_session(self, session: RunSession) -> None:
        """A fire drill killed botdeck's run and started a new one from the journal (a crash
        fault): the new run under this same dashboard. The operator sees the restart as it
        would look (what it resumed, the queues refilling) without losing the screen, the
        selection or the chat they were reading; quitting now quits the new run."""
        self._subscription.cancel()
        self.session = session
        self.engine = session.engine
        self.quits = session.quits
        session.say = self._say
        session.supervised = True
        self._subscription = self.engine.subscribe(self._on_event)
        self._last_snap = None
        self._chat.add(notice_line("botdeck started again: a new run, resumed from the journal",
                                   self._clock()))  # fmt: skip
        self._flush_soon()
        session.start()  # connects (what it resumed is said as a toast) and reads chat
        self.refresh_numbers()

    # Why gc.freeze: Textual, Rich and the engine create a few hundred thousand long-lived
    # objects at start. A full (generation 2) collection scans all of them and stalls the
    # loop for 40-100 ms at busy moments; frozen, they are skipped and it takes a few ms.

    def _say(self, text: str, severity: Severity) -> None:
        """What the run has to say (it cannot start, its source failed, what it resumed):
        a toast; kept until the screen is up, since nothing may be written to the terminal
        Textual draws on."""
        if not self._cards:
            self._said.append((text, severity))
            return
        timeout = 30 if severity == "error" else 15
        self.notify(text, severity=severity, timeout=timeout, markup=False)

    def _handle_exception(self, error: Exception) -> None:
        """An exception escaped a widget or a handler, and Textual ends the app for it. The
        run must not end with it: the traceback goes to the log (never the screen, where
        its local variables could show a secret), and the runner carries the run on
        without a screen (`tui/run.py`)."""
        if self.failure is None:
            self.failure = error
            log.error("the dashboard failed; the run goes on without it", exc_info=error)
        super()._handle_exception(error)
        self._exit_renderables.clear()

    async def on_unmount(self) -> None:
        self._closing = True  # listeners stop touching widgets that are going away
        self._signals.remove()
        if self.session.supervised or self.detached:
            return  # the runner finishes the run without a screen, then closes it
        # Run on its own (a test's `run_test`): the run ends with the app.
        if not self.engine.state.ended:  # after a drain there is nothing to cancel
            self.engine.stop(Reason.QUIT)
        await self.session.close()  # Twitch's connections, the API client, the journal

    # ---------------------------------------------------------------- signals
    def _on_signal(self, sig: signal.Signals) -> None:
        name = signal.Signals(sig).name
        log.info("%s received", name)
        hangup = getattr(signal, "SIGHUP", None)
        if sig == hangup and self._terminal is not None and hung_up(self._terminal):
            self.hang_up()
        else:
            self.request_quit(name)

    def hang_up(self) -> None:
        """The terminal was closed: nothing can be shown any more. Quit as for any other
        request (a drain, or a stop if one was already asked for), but close the screen at
        once and let the runner finish the drain without it."""
        silence_output()
        result = self.session.request_quit("SIGHUP (terminal closed)")
        self.exit_note = result.describe()
        self.detached = result.step is QuitStep.DRAINING
        self.exit(return_code=self._exit_code())

    # -------------------------------------------------------------- listening
    def _on_event(self, event: EngineEvent) -> None:
        if self._closing:
            return
        if isinstance(event, ChatSeen):
            message = event.message
            full = chat_line(message, whole=True) if is_cut(message) else None
            self._chat.add(chat_line(message), full)
            self._flush_soon()
        elif isinstance(event, JobChanged):
            self._on_job(event)
        elif isinstance(event, StateChanged):
            self._on_state(event.state, by_detail(event.by, event.command))
        elif isinstance(event, ModerationSeen):
            self._chat.add(moderation_line(event, self._clock()))
            self._flush_soon()
        elif isinstance(event, ChatModeChanged):
            self._chat.add(mode_line(event, self._clock()))
            self._flush_soon()
            self.call_later(self.refresh_numbers)
        elif isinstance(event, BotChanged):
            self.call_later(self.refresh_numbers)
        elif isinstance(event, AIAvailability):
            self._on_ai(event)
        elif isinstance(event, ChannelEventSeen):
            self._on_channel_event(event.event)
        elif isinstance(event, RedemptionSettled):
            self._chat.add(redemption_line(event, self._clock()))
            self._flush_soon()

        elif isinstance(event, FaultSeen):
            self._on_fault(event)

    def _on_channel_event(self, event: ChannelEvent) -> None:
        """A raid, a sub, the game changing: a line of its own style in the chat; a
        notification botdeck cannot read is said once per kind, not at every resend."""
        if event.kind is EventKind.UNSUPPORTED:
            if event.detail in self._unsupported:
                return
            self._unsupported.add(event.detail)
        self._chat.add(event_line(event, self._clock()))
        self._flush_soon()
        if event.kind is EventKind.RAID:
            self.call_later(self.refresh_numbers)  # the header shows the raid at once

    def _on_fault(self, event: FaultSeen) -> None:
        """A drill's fault: a line in the chat and a toast as it begins; while it lasts,
        an alert line (`alert_lines`), so the operator sees what to practise on."""
        fault = event.fault
        self._chat.add(fault_line(fault))
        self._flush_soon()
        edge, severity = fault_label(fault.edge)
        self.notify(fault.describe(), title=f"drill: {edge}", severity=severity, timeout=8,
                    markup=False)  # fmt: skip
        self.call_later(self.refresh_numbers)

    def _on_ai(self, event: AIAvailability) -> None:
        """The AI server down, back or refusing: a line in the chat, and a toast; a refusal
        stays up long, since replies fail until someone fixes the setup."""
        text = event.describe()
        self._chat.add(notice_line(text, self._clock()))
        self._flush_soon()
        severity, timeout, more = ai_toast(event.state)
        self.notify(text + more, severity=severity, timeout=timeout, markup=False)

    def _on_job(self, event: JobChanged) -> None:
        job = event.job
        if event.stage is not JobStage.FINISHED:
            return
        handing = self._handing
        if handing is not None and job.bot == handing[0] and job.priority is Priority.HIGH:
            folded: tuple[tuple[str, int], str] | None = self._folds.handed(
                job, handing[1], self._clock()
            )
        else:
            folded = self._folds.add(job, self._clock())  # a stop may cancel 10,000: one line
        if folded is not None:
            key, line = folded
            self._chat.add(line, key=key)
            self._flush_soon()

    def _on_state(self, state: RouterState, detail: str = "") -> None:
        self.flush_chat()
        self._chat.add(state_line(state.value, self._clock(), detail))
        self._flush_soon()
        if self.quits.requested and state.ended and not self.detached:
            self.exit(return_code=self._exit_code())

    def _exit_code(self) -> int:
        return self.session.exit_code

    # ------------------------------------------------------------- refreshing
    def refresh_numbers(self) -> None:
        if self._closing or not self._cards or not self.is_running:
            return  # not built yet, or shutting down: the widgets go before the timers do
        snap = self.engine.snapshot()
        now = self._clock()
        seen = (snap, int(now), self._selected, self._layout, self.size)
        if seen == self._last_snap and not snap.reviews and not self._queue_shown(snap):
            return  # nothing changed (an idle dashboard): nothing to draw again
        self._last_snap = seen
        self._status.show(snap, now - self._started)
        alert_rows = self._alerts.show(snap, self._backlog_warning)
        self._overview.show(snap, self._backlog_warning)
        reviews = self.engine.reviews() if snap.reviews else []
        review_rows = self._review.show(reviews, self.size.width - 4)
        if review_rows != self._review_rows:
            self._review_rows = review_rows
            self._review.display = bool(review_rows)
            self._layout = None
        if self._selected is not None:
            lane = snap.queues.bot(self._selected)
            removal = snap.live.removed.get(self._selected)
            flags = bot_flags(lane, self._selected in snap.reviewing, removal=removal)
            jobs = self.engine.jobs_of(self._selected)
            self._inspector.show(self._selected, jobs, self._loop_time(), flags)
        if alert_rows != self._alert_rows:
            self._alert_rows = alert_rows
            self._layout = None
        if self._layout is None or self._layout_size != self.size:
            self._relayout()  # the app's size changes a moment after its Resize event
        layout = self._layout
        assert layout is not None
        second = int(now)
        for lane in snap.queues.bots:
            card = self._cards[lane.bot]
            card.show(
                lane,
                snap.budgets.get(lane.bot),
                size=layout.cards,
                width=layout.card_width,
                reviewing=lane.bot in snap.reviewing,
                selected=lane.bot == self._selected,
                passed=snap.passed.get(lane.bot, 0),
                cooldown_hits=snap.cooldown_hits.get(lane.bot, 0),
                room_passes=snap.room.passed(lane.bot) if snap.room is not None else None,
                removal=snap.live.removed.get(lane.bot),
            )
            card.sample(lane.size, second)
        self._refresh_context()

    def _queue_shown(self, snap: EngineSnapshot) -> bool:
        """A bot's queue is open with replies in it (their ages move on)."""
        if self._selected is None:
            return False
        lane = snap.queues.bot(self._selected)
        return bool(lane.size or lane.pending)

    def _loop_time(self) -> float:
        return self._monotonic() if self._monotonic else asyncio.get_running_loop().time()

    def _refresh_context(self) -> None:
        """The footer offers the reply and review keys only while they apply."""
        context = (self._selected_job() is not None, self._review.job is not None)
        if context != self._footer_context:
            self._footer_context = context
            self.refresh_bindings()

    def _flush_soon(self) -> None:
        """Chat is written in batches, at most FLUSH_SECONDS after a line arrives (and
        not at all while nothing arrives: an idle dashboard wakes up only to poll)."""
        if not self._flush_due:
            self._flush_due = True
            (self._main or self).set_timer(FLUSH_SECONDS, self.flush_chat)

    def flush_chat(self) -> None:
        self._flush_due = False
        if not self.is_running:
            return  # shutting down: the widgets go before the timers do
        self._chat.flush()

    def on_resize(self, event: Resize) -> None:
        self._layout = None
        if self._cards:
            self.refresh_numbers()

    def _relayout(self) -> None:
        """Decide the cards' size and the queue's height for this screen (see layout.py)."""
        width, height = self._layout_size = self.size
        layout = plan_layout(
            width,
            height,
            bots=len(self._bots),
            alert_rows=self._alert_rows,
            review_rows=self._review_rows,
            queue=self._selected is not None,
        )
        self._layout = layout
        self._show_too_small(layout.too_small)
        if layout.too_small:
            return
        cards = self.query_one("#cards", Grid)
        cards.styles.grid_size_columns = layout.columns
        self._inspector.styles.height = layout.queue_height
        self._review.styles.height = layout.review_height
        self._inspector.display = self._selected is not None

    def _show_too_small(self, small: bool) -> None:
        """Below 80x24 the layout cannot keep what matters whole: one line says so instead
        (the bots carry on, and every key still works: q quits, x stops)."""
        width, height = self.size
        line = self.query_one("#too-small", Static)
        if small:
            line.update(
                f"make the window at least {MIN_WIDTH}x{MIN_HEIGHT} (it is {width}x{height});"
                " the bots carry on"
            )
        line.display = small
        self.query_one("#deck").display = not small
        self.query_one(Footer).display = not small

    # ---------------------------------------------------------------- dialogs
    def open_dialog(
        self,
        screen: ModalScreen[T],
        done: Callable[[T | None], None] | None = None,
        *,
        cancel: T | None = None,
        typing: bool = False,
        stop: bool = True,
    ) -> None:
        """Every dialog opens here. It gets the stop and quit keys (`screens/levers.py`;
        `stop=False` for the stop dialog itself, which has `y`), `cancel` is what it
        answers when stop or quit closes it, and when the last dialog closes, the focus
        goes back where it was before the first opened."""
        if self.screen is self._main or self._main is None:
            self._focus_back = self.focused
        add_levers(screen, self._keys, typing=typing, stop=stop)
        self._dialogs[screen] = cancel

        def closed(result: T | None) -> None:
            self._dialogs.pop(screen, None)
            if self.screen is self._main:
                self._restore_focus()
            if done is not None:
                done(result)

        self.push_screen(screen, closed)

    def close_dialogs(self) -> None:
        """Close the open dialogs, each as its escape would (stop and quit from inside)."""
        while self.screen in self._dialogs:
            screen = self.screen
            cancel = self._dialogs.pop(screen)
            screen.dismiss(cancel)
            if self.screen is screen:
                break  # it would not go (already answered): nothing more to do

    def _restore_focus(self) -> None:
        back, self._focus_back = self._focus_back, None
        main = self._main
        if main is None:
            return
        if back is not None and back.is_attached and back.screen is main and back.focusable:
            main.set_focus(back)
        else:
            main.set_focus(None)

    # ---------------------------------------------------------------- selecting
    def on_bot_card_selected(self, message: BotCard.Selected) -> None:
        self.select(message.bot, focus_queue=message.open)

    def select(self, bot: str | None, focus_queue: bool = True) -> None:
        """Open this bot's queue (None: close it)."""
        if bot == self._selected:
            if bot is not None and focus_queue:
                self._inspector.table.focus()
            return
        self._selected = bot
        self._layout = None
        self._inspector.display = bot is not None
        if bot is not None:
            self._inspector.table.update([])
        self.refresh_numbers()
        if bot is not None and focus_queue:
            self._inspector.table.focus()
        self.refresh_bindings()

    def on_job_table_moved(self, message: JobTable.Moved) -> None:
        self._refresh_context()

    def _selected_job(self) -> int | None:
        return self._inspector.table.selected if self._selected is not None else None

    # ---------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        when = _WHEN_BY_METHOD.get(action)
        match when:
            case None | When.ALWAYS:
                return True
            case When.DEMO:
                return self.demo and self.engine.can_raid
            case When.BOT:
                return self._selected is not None
            case When.JOB:
                return self._selected_job() is not None
            case When.REVIEW:
                return self._review.job is not None
            case _:
                assert_never(when)

    def action_drain(self) -> None:
        self.engine.drain()
        self.refresh_numbers()

    def action_request_stop(self) -> None:
        self.close_dialogs()  # from inside a dialog: it closes as escape would, then asks
        if self.engine.state is RouterState.STOPPED:
            start = key_display(keys_of("start", self._keys))
            self.notify(f"already stopped: press {start} to start again")
            return

        # From the key on nothing is sent, whatever the answer: `y` stops, `n` lets go.
        self.engine.hold_sends()

        def answered(stop: bool | None) -> None:
            if stop:
                self.stop_now()
            else:
                self.engine.release_sends()
                self.refresh_numbers()

        def count() -> int:
            queues = self.engine.snapshot().queues
            return queues.size + queues.pending

        self.open_dialog(ConfirmStop(count), answered, cancel=False, stop=False)
        self.refresh_numbers()

    def stop_now(self) -> None:
        """Emergency stop: every queued and running reply is cancelled before this returns."""
        self.engine.stop()
        self.flush_chat()
        self.refresh_numbers()

    def action_start(self) -> None:
        self.engine.start()
        self.quits.reset()
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

    def action_quit_botdeck(self, how: str | None = None) -> None:
        """First request drains and quits when drained; a second one stops at once. From
        inside a dialog, the dialog closes first (as escape would)."""
        self.close_dialogs()
        self.request_quit(how or key_display(keys_of("quit", self._keys).split(",")[0]), key=True)

    def request_quit(self, how: str, *, key: bool = False) -> QuitResult:
        """Any way of quitting (a key, a signal): see `botdeck.engine.quitting`."""
        result = self.session.request_quit(how, key=key)
        if result.step is QuitStep.DRAINING:
            self.notify(result.describe(), timeout=10, markup=False)
        else:  # stopped or already ended; a state change may already have exited
            if result.step is QuitStep.STOPPED:
                self.exit_note = result.describe()
            self.exit(return_code=self._exit_code())
        return result

    # The operator's console ---------------------------------------------------
    def action_select_bot(self, number: int) -> None:
        if 1 <= number <= len(self._bots):
            self.select(self._bots[number - 1])

    def action_close(self) -> None:
        chat = self._chat
        if isinstance(chat, ChatLog) and chat.has_focus and chat.clear_selection():
            return
        if self._selected is not None:
            self.select(None)
            self.set_focus(None)

    def action_cancel_job(self) -> None:
        job_id = self._selected_job()
        if job_id is None:
            return
        if self.engine.cancel_job(job_id):
            self.notify(f"reply #{job_id} cancelled", timeout=3)
        else:
            self.notify(f"reply #{job_id} is already being sent or has ended", timeout=3)
        self.refresh_numbers()

    def action_to_front(self) -> None:
        job_id = self._selected_job()
        if job_id is None:
            return
        if self.engine.job_to_front(job_id):
            self.notify(f"reply #{job_id} is next", timeout=3)
        else:
            self.notify(f"reply #{job_id} is not waiting: it has started or ended", timeout=3)
        self.refresh_numbers()

    def action_cancel_viewer(self) -> None:
        job_id = self._selected_job()
        job = self.engine.find_job(job_id) if job_id is not None else None
        if job is None:
            return
        if job.viewer is None:
            self.notify("this reply answers a bot, not a viewer", timeout=3)
            return
        ended = self.engine.cancel_viewer(job.viewer)
        noun = "reply" if ended == 1 else "replies"
        self.notify(f"{ended} {noun} to {job.viewer} cancelled", timeout=3, markup=False)
        self.refresh_numbers()

    def action_bot_pause(self) -> None:
        if self._selected is None:
            return
        paused = self.engine.toggle_bot_pause(self._selected)
        self.notify(f"{self._selected} {'paused' if paused else 'resumed'}", timeout=3)
        self.refresh_numbers()

    def action_mute(self) -> None:
        """Unmute a muted bot; mute one, asking first what becomes of its mentions when
        it has any queued (nothing ends before the answer)."""
        bot = self._selected
        if bot is None:
            return
        if self.engine.muted(bot):
            self.engine.unmute_bot(bot)
            self.notify(f"{bot} unmuted", timeout=3, markup=False)
            self.refresh_numbers()
            return
        if not self.engine.queued_mentions(bot):
            self._mute(bot, (QueuedMentions.DROP, None))
            return
        lanes = {lane.bot: lane for lane in self.engine.snapshot().queues.bots}
        takers = sorted(
            (
                Taker(number, other, lanes[other].size + lanes[other].pending)
                for number, other in enumerate(self._bots, 1)
                if other != bot and not lanes[other].muted and number <= 9
            ),
            key=lambda taker: (taker.waiting, taker.number),
        )

        def chosen(choice: MuteChoice | None) -> None:
            if choice is not None:
                self._mute(bot, choice)

        self.open_dialog(MuteDialog(bot, lambda: self.engine.queued_mentions(bot), takers), chosen)

    def _mute(self, bot: str, choice: MuteChoice) -> None:
        what, to = choice
        count = self.engine.queued_mentions(bot)
        if what is QueuedMentions.HAND_OVER and (to is None or self.engine.muted(to)):
            self.notify(f"{to} is muted now: {bot} stays unmuted", timeout=5, markup=False)
            return
        # The mentions handed over end here as they are resubmitted there: their chat line
        # says where they went, not that they were skipped.
        self._handing = (bot, to) if what is QueuedMentions.HAND_OVER and to else None
        try:
            self.engine.mute_bot(bot, what, to)
        finally:
            self._handing = None
        self.notify(muted_toast(what, bot, count, to), timeout=5, markup=False)
        self.refresh_numbers()

    def action_toggle_review(self) -> None:
        bot = self._selected
        if bot is not None:
            on = not self.engine.reviewing(bot)
            self.engine.set_review(bot, on)
            who = bot
        else:
            on = not all(self.engine.reviewing(name) for name in self._bots)
            self.engine.set_review(None, on)
            who = "every bot"
        self.notify(f"review {'on' if on else 'off'} for {who}", timeout=3)
        self.refresh_numbers()

    def action_approve(self) -> None:
        job = self._review.job
        if job is not None and self.engine.approve(job):
            self.notify(f"reply #{job} approved", timeout=2)
        self.refresh_numbers()

    def action_approve_all(self) -> None:
        """Send every reply the review panel lists (a raid's worth at once)."""
        approved = self.engine.approve_all(self._review.jobs)
        if approved:
            noun = "reply" if approved == 1 else "replies"
            self.notify(f"{approved} held {noun} approved", timeout=3)
        self.refresh_numbers()

    def action_reject(self) -> None:
        job = self._review.job
        if job is not None and self.engine.reject(job):
            self.notify(f"reply #{job} rejected", timeout=2)
        self.refresh_numbers()

    def action_edit_reply(self) -> None:
        job = self._review.job
        review = next((r for r in self.engine.reviews() if r.job == job), None)
        if review is None:
            return

        def edited(text: str | None) -> None:
            if text is not None and not self.engine.edit(review.job, text):
                self.notify(f"reply #{review.job} is no longer held", timeout=3)
            self.refresh_numbers()

        self.open_dialog(EditReply(review), edited, typing=True)

    def action_say(self) -> None:
        bot = self._selected or self._bots[0]

        def typed(said: tuple[str, str] | None) -> None:
            if said is not None:
                job = self.engine.say(*said)
                self.notify(f"sending as {said[0]} (#{job.id})", timeout=2)

        self.open_dialog(SayScreen(self._bots, bot), typed, typing=True)

    def action_test_event(self) -> None:
        """A test event of the kind the operator picks (see `fire_event`)."""

        def picked(kind: EventKind | None) -> None:
            if kind is not None:
                self.fire_event(kind)

        self.open_dialog(EventDialog(), picked)

    def fire_event(self, kind: EventKind) -> None:
        jobs = self.engine.fire_event(kind)
        name = event_kind_label(kind)
        if jobs:
            bots = ", ".join(dict.fromkeys(job.bot for job in jobs))
            self.notify(f"test {name}: {bots} reacts", timeout=3, markup=False)
        else:
            self.notify(
                f"test {name}: no reaction ([events.{kind.value}] is off, or under its threshold"
                " or in its cooldown)",
                timeout=5,
                markup=False,
            )
        self.refresh_numbers()

    def action_open(self) -> None:
        focused = self.focused
        chat = self._chat
        if isinstance(chat, ChatLog) and focused is chat and (line := chat.selected_line()):
            self.open_dialog(TextView("chat line", line))
            return
        job_id = self._selected_job()
        job = self.engine.find_job(job_id) if job_id is not None else None
        if job is not None and focused is self._inspector.table:
            message = job.context.message
            body = Text.assemble(
                (f"reply #{job.id}", "bold"),
                f" · {job.bot} · {job.priority.label} · {job.phase.value}\n",
                (f"{message.author}: ", "bold"),
                message.text,
            )
            self.open_dialog(TextView(f"reply #{job.id}", body))
            return
        review = next((r for r in self.engine.reviews() if r.job == self._review.job), None)
        if review is not None:
            self.open_dialog(TextView(f"review #{review.job}", review.text))

    def action_help(self) -> None:
        self.open_dialog(HelpScreen(self._keys))

    # ---------------------------------------------------------------- palette
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        ours = {action.label for action in KEY_ACTIONS}
        for command in super().get_system_commands(screen):
            if command.title not in ours:  # Textual's own "Quit" would not drain first
                yield command
        for action in KEY_ACTIONS:
            method = _ACTION_METHODS[action.id]
            if action.id == "select":
                for number, bot in enumerate(self._bots, 1):
                    run = self._runner(f"{method}({number})")
                    yield SystemCommand(f"Queue: {bot}", f"open {bot}'s queue", run)
                continue
            name = method.split("(")[0]
            if self.check_action(name, ()) is not False:
                yield SystemCommand(action.label, plain_help(action.help), self._runner(method))
        for kind in REACTION_KINDS:
            label = event_kind_label(kind)
            yield SystemCommand(
                f"Test event: {label}",
                f"fire a test {label}: the bots react as to a real one",
                self._firing(kind),
            )

    def _firing(self, kind: EventKind) -> Callable[[], None]:
        def fire() -> None:
            self.fire_event(kind)

        return fire

    def _runner(self, action: str) -> Callable[[], Awaitable[None]]:
        """A palette callback that runs the action to its end (`run_action` is async)."""

        async def run() -> None:
            await self.run_action(action)

        return run
