"""Dialogs under keys typed faster than the app handles them (issue 20): enter twice,
escape then enter, y twice, keys right after opening. Each dialog answers once and the
dashboard keeps running. `mash` queues the keys all at once, as a terminal hands over
keys that arrive in one read (`Pilot.press` settles between keys, so it never races)."""

from __future__ import annotations

import io

from textual.widgets import Input, Select
from textual.widgets._select import SelectOverlay

from botdeck.chat.simulated import ScriptedLine
from botdeck.model.jobs import RouterState
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.screens.edit_reply import EditReply
from botdeck.tui.screens.help import HelpScreen
from botdeck.tui.screens.say import SayScreen
from botdeck.tui.screens.text_view import TextView
from tests.harness.dashboard import BOTS, gone, make_app, mash, wait_until
from tests.harness.journals import events_of

STICKY, GENE, _ = BOTS


def journal_events(journal: io.StringIO, kind: str) -> list[dict]:
    return [e for e in events_of(journal) if e["event"] == kind]


async def open_say(app, pilot) -> SayScreen:
    await pilot.press("i")
    screen = app.screen
    assert isinstance(screen, SayScreen)
    return screen


async def test_enter_twice_in_the_say_dialog_sends_the_line_once():
    journal = io.StringIO()
    app = make_app([], journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        say = await open_say(app, pilot)
        await pilot.press(*"hello chat")
        await mash(pilot, "enter", "enter")
        await gone(pilot, say)
        await wait_until(pilot, lambda: len(journal_events(journal, "sent")) == 1)
        await pilot.press("question_mark")  # keys still answer
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
    assert [e["text"] for e in journal_events(journal, "sent")] == ["hello chat"]


async def test_enter_then_escape_in_the_say_dialog_sends_the_line():
    """The first answer typed is the one taken, whatever follows it."""
    journal = io.StringIO()
    app = make_app([], journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        say = await open_say(app, pilot)
        await pilot.press(*"first wins")
        await mash(pilot, "enter", "escape")
        await gone(pilot, say)
        await wait_until(pilot, lambda: len(journal_events(journal, "sent")) == 1)
    assert [e["text"] for e in journal_events(journal, "sent")] == ["first wins"]


async def test_escape_then_enter_in_the_say_dialog_sends_nothing():
    journal = io.StringIO()
    app = make_app([], journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        say = await open_say(app, pilot)
        await pilot.press(*"never sent")
        await mash(pilot, "escape", "enter")
        await gone(pilot, say)
    assert journal_events(journal, "enqueued") == []


async def test_keys_right_after_i_never_open_the_bot_list():
    """Keys typed with `i` reach the dialog before or just after it is built: the line's
    field has the focus from the start (down used to open the bot list, which had it
    until the dialog mounted), and a line that arrives in time is sent once."""
    journal = io.StringIO()
    app = make_app([], journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await mash(pilot, "i", "down", *"hi", "enter", "enter")
        await pilot.pause()
        say = app.screen
        if isinstance(say, SayScreen):  # built after the keys: they found nothing focused
            choose = say.query_one("#say-bot", Select)
            assert not choose.expanded
            assert app.focused is say.query_one("#say-text", Input)
            await pilot.press("escape")
            await gone(pilot, say)
        assert app.is_running
    assert [e["text"] for e in journal_events(journal, "sent")] in ([], ["hi"])


async def test_page_keys_in_the_bot_list_before_it_is_drawn_do_not_crash():
    """The bot list's line map is built at its first layout; page keys handled before it
    (a key within ~30 ms of opening, or a busy loop) raised KeyError in Textual's option
    list. `batch_update` holds the layout back, so the keys always come first here."""
    journal = io.StringIO()
    app = make_app([], journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        say = await open_say(app, pilot)
        await pilot.press("shift+tab")  # to the bot list
        choose = say.query_one("#say-bot", Select)
        assert app.focused is choose
        overlay = choose.query_one(SelectOverlay)
        with app.batch_update():
            await pilot.press("enter", "pagedown")  # opens the list, then a page down
            assert not overlay.scrollable_content_region  # not laid out yet
            assert app.focused is overlay and overlay.highlighted == len(BOTS) - 1
            await pilot.press("pageup")
            assert overlay.highlighted == 0
        await pilot.press("pagedown", "enter")  # laid out now: the ordinary page move
        assert choose.value == BOTS[-1]
        await pilot.press("tab", *"as the last bot", "enter")
        await gone(pilot, say)
        await wait_until(pilot, lambda: len(journal_events(journal, "sent")) == 1)
    assert journal_events(journal, "sent")[0]["bot"] == BOTS[-1]


async def test_mashing_the_bot_list_open_and_paging_does_not_crash():
    app = make_app([])
    async with app.run_test(size=(80, 24)) as pilot:
        say = await open_say(app, pilot)
        await pilot.press("shift+tab")
        await mash(pilot, "enter", "pageup", "pagedown", "pageup", "escape", "escape", "enter")
        await gone(pilot, say)


def reviewed_app(journal: io.StringIO):
    lines = [ScriptedLine(0, "viewer1", f"@{STICKY} question")]
    return make_app(lines, journal=journal, review={"bots": ["*"], "timeout": 3600})


async def open_edit(app, pilot) -> EditReply:
    await wait_until(pilot, lambda: len(app.engine.reviews()) == 1)
    await wait_until(pilot, lambda: app.check_action("edit_reply", ()) is True)
    await pilot.press("e")
    screen = app.screen
    assert isinstance(screen, EditReply)
    assert app.focused is screen.query_one("#edit-text", Input)
    return screen


async def test_enter_twice_in_the_edit_dialog_edits_once():
    journal = io.StringIO()
    app = reviewed_app(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        edit = await open_edit(app, pilot)
        edit.query_one(Input).value = "edited once"
        await mash(pilot, "enter", "enter")
        await gone(pilot, edit)
        await wait_until(pilot, lambda: len(journal_events(journal, "sent")) == 1)
    reviewed = journal_events(journal, "reviewed")
    assert [(e["verdict"], e["text"]) for e in reviewed] == [("edited", "@viewer1 edited once")]


async def test_enter_then_escape_in_the_edit_dialog_edits():
    journal = io.StringIO()
    app = reviewed_app(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        edit = await open_edit(app, pilot)
        edit.query_one(Input).value = "edited first"
        await mash(pilot, "enter", "escape")
        await gone(pilot, edit)
        await wait_until(pilot, lambda: len(journal_events(journal, "sent")) == 1)
    reviewed = journal_events(journal, "reviewed")
    assert [(e["verdict"], e["text"]) for e in reviewed] == [("edited", "@viewer1 edited first")]


async def test_escape_then_enter_in_the_edit_dialog_keeps_the_reply_held():
    journal = io.StringIO()
    app = reviewed_app(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        edit = await open_edit(app, pilot)
        edit.query_one(Input).value = "not this"
        await mash(pilot, "escape", "enter")
        await gone(pilot, edit)
        assert len(app.engine.reviews()) == 1
        assert journal_events(journal, "reviewed") == []


async def test_y_twice_stops_once():
    journal = io.StringIO()
    app = make_app([ScriptedLine(0, "viewer1", f"@{GENE} hi")], delays=30.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending == 1)
        await pilot.press("x")
        confirm = app.screen
        assert isinstance(confirm, ConfirmStop)
        await mash(pilot, "y", "y")
        await gone(pilot, confirm)
        assert app.engine.state is RouterState.STOPPED
    stops = [e["state"] for e in journal_events(journal, "state")]
    assert stops == ["stopped"]


async def test_stop_dialog_keys_right_after_x_are_its_answers():
    """x, n, x, escape typed at once: two dialogs, each answered no; nothing stopped."""
    app = make_app([])
    async with app.run_test(size=(80, 24)) as pilot:
        await mash(pilot, "x", "n", "x", "escape", "x", "n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmStop))
        await pilot.press("question_mark")  # keys still answer
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.engine.state is RouterState.RUNNING


async def test_help_and_a_line_in_full_close_once_under_repeated_keys():
    lines = [ScriptedLine(0, "viewer1", f"@{STICKY} a long line " + "word " * 50)]
    app = make_app(lines, delays=30.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        await mash(pilot, "escape", "question_mark")  # the second opens help again
        await gone(pilot, help_screen)
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.engine.jobs_of(STICKY)) == 1)
        await pilot.press("1", "enter")  # the selected reply, in full
        view = app.screen
        assert isinstance(view, TextView)
        await mash(pilot, "enter", "escape", "enter")
        await gone(pilot, view)
        while isinstance(app.screen, TextView):  # the last enter may have opened it again
            again = app.screen
            await pilot.press("escape")
            await gone(pilot, again)
