"""From inside every dialog, stop and quit work, and when a dialog closes the focus goes
back where it was. (Before: a dialog's footer offered only `esc`, and after the edit
dialog the focus jumped to card 1 and opened its queue, so the next `v` toggled review for
that bot alone.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from botdeck.model.jobs import RouterState
from botdeck.tui.app import BotdeckApp
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.screens.edit_reply import EditReply
from botdeck.tui.screens.event_dialog import EventDialog
from botdeck.tui.screens.help import HelpScreen
from botdeck.tui.screens.mute import MuteDialog
from botdeck.tui.screens.say import SayScreen
from botdeck.tui.screens.text_view import TextView
from botdeck.tui.widgets.chat_log import ChatLog
from botdeck.tui.widgets.queue import QueueInspector
from botdeck.tui.widgets.review import ReviewPanel
from tests.harness.dashboard import BOTS, make_app, mentions, screen_text, wait_until

Opener = Callable[[BotdeckApp, Pilot], Awaitable[None]]


async def press(keys: str) -> Opener:
    async def open_it(app: BotdeckApp, pilot: Pilot) -> None:
        await pilot.press(*keys.split())

    return open_it


async def open_edit(app: BotdeckApp, pilot: Pilot) -> None:
    await wait_until(pilot, lambda: app.query_one(ReviewPanel).job is not None)
    await pilot.press("e")


async def open_mute(app: BotdeckApp, pilot: Pilot) -> None:
    await pilot.press("1")
    await wait_until(pilot, lambda: app.engine.queued_mentions(BOTS[0]) > 0)
    await pilot.press("m")


async def open_reply(app: BotdeckApp, pilot: Pilot) -> None:
    await pilot.press("1")
    await wait_until(pilot, lambda: app.query_one(QueueInspector).table.selected is not None)
    await pilot.press("enter")


async def open_help(app: BotdeckApp, pilot: Pilot) -> None:
    await pilot.press("question_mark")


async def open_say(app: BotdeckApp, pilot: Pilot) -> None:
    await pilot.press("i")


async def open_event(app: BotdeckApp, pilot: Pilot) -> None:
    await pilot.press("g")


# (dialog, how to open it, the stop key and the quit key inside it)
DIALOGS = [
    (HelpScreen, open_help, "x", "q"),
    (TextView, open_reply, "x", "q"),
    (MuteDialog, open_mute, "x", "q"),
    (EventDialog, open_event, "x", "q"),
    (SayScreen, open_say, "ctrl+x", "ctrl+q"),  # x and q type there
    (EditReply, open_edit, "ctrl+x", "ctrl+q"),
]
IDS = [dialog.__name__ for dialog, *_ in DIALOGS]


def dashboard(review: bool) -> BotdeckApp:
    # Replies held for review (the edit dialog needs one); long delays keep the other
    # bots' mentions queued.
    return make_app(
        mentions(9),
        delays=0.0 if review else 30.0,
        review={"bots": [BOTS[0]], "timeout": 3600} if review else None,
    )


@pytest.mark.parametrize(("dialog", "opener", "stop", "quit_key"), DIALOGS, ids=IDS)
async def test_stop_works_from_inside_every_dialog(dialog, opener, stop, quit_key):
    app = dashboard(review=dialog is EditReply)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines >= 9)
        await opener(app, pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, dialog))
        footer = screen_text(app).splitlines()[-1]
        assert f" {stop} Stop" in footer, footer
        await pilot.press(stop)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmStop))
        assert len(app.screen_stack) == 2  # the dialog closed, the stop asks alone
        assert app.engine.sends_held  # nothing goes out while it asks
        await pilot.press("y")
        assert app.engine.state is RouterState.STOPPED
        await wait_until(pilot, lambda: len(app.screen_stack) == 1)


@pytest.mark.parametrize(("dialog", "opener", "stop", "quit_key"), DIALOGS, ids=IDS)
async def test_quit_works_from_inside_every_dialog(dialog, opener, stop, quit_key):
    app = dashboard(review=dialog is EditReply)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines >= 9)
        await opener(app, pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, dialog))
        footer = screen_text(app).splitlines()[-1]
        assert f" {quit_key} Quit" in footer, footer
        await pilot.press(quit_key)
        await wait_until(pilot, lambda: len(app.screen_stack) == 1)
        assert app.engine.state in (RouterState.DRAINING, RouterState.DRAINED)


async def test_quit_from_the_stop_dialog_lets_the_held_sends_go_and_drains():
    app = dashboard(review=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines >= 9)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmStop))
        assert app.engine.sends_held
        await pilot.press("q")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1)
        assert not app.engine.sends_held and app.engine.state is RouterState.DRAINING


async def test_after_the_edit_dialog_the_focus_is_where_it_was_and_v_is_for_every_bot():
    app = make_app(mentions(3), delays=0.0, review={"bots": ["*"], "timeout": 3600})
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ReviewPanel)
        await wait_until(pilot, lambda: len(panel.jobs) == 3)  # shown: the keys act on it
        assert app.focused is None
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditReply))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app._dialogs)  # its answer handled: focus back
        assert app.focused is None
        assert not app.query_one(QueueInspector).display  # no card took the focus
        await pilot.press("v")  # no bot selected: review off for every bot
        assert app.engine.snapshot().reviewing == frozenset()


async def test_after_a_dialog_the_chat_keeps_the_focus_and_its_selection():
    app = make_app(mentions(6), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines == 6)
        chat = app.query_one(ChatLog)
        chat.focus()
        await pilot.press("up", "up")
        selected = chat.selected_line()
        assert selected is not None
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TextView))
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1 and app.focused is chat)
        assert chat.selected_line() == selected
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1 and app.focused is chat)


# (dialog, the key that opens it with a bot's queue focused, the key that closes it)
FROM_THE_QUEUE = [
    (HelpScreen, "question_mark", "escape"),
    (TextView, "enter", "escape"),
    (MuteDialog, "m", "escape"),
    (EventDialog, "g", "escape"),
    (SayScreen, "i", "escape"),
    (EditReply, "e", "escape"),
    (ConfirmStop, "x", "n"),
]


@pytest.mark.parametrize(
    ("dialog", "key", "close"), FROM_THE_QUEUE, ids=[d.__name__ for d, *_ in FROM_THE_QUEUE]
)
async def test_after_every_dialog_the_queue_keeps_the_focus_and_its_selection(dialog, key, close):
    app = dashboard(review=dialog is EditReply)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines >= 9)
        if dialog is EditReply:
            await wait_until(pilot, lambda: app.query_one(ReviewPanel).job is not None)
        await pilot.press("1")
        table = app.query_one(QueueInspector).table
        await wait_until(pilot, lambda: table.selected is not None and app.focused is table)
        selected = table.selected
        await pilot.press(key)
        await wait_until(pilot, lambda: isinstance(app.screen, dialog))
        await pilot.press(close)
        await wait_until(pilot, lambda: not app._dialogs and len(app.screen_stack) == 1)
        assert app.focused is table, app.focused
        assert app.query_one(QueueInspector).display and table.selected == selected
