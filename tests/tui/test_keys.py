"""Keys that cannot betray the operator: every palette entry does what its key does, the
stop dialog's count is live with y/n in its footer, a remapped quit is named right, and a
clean quit is journaled as drained."""

from __future__ import annotations

import io

import pytest

from botdeck.engine import EXIT_OK
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import RouterState
from botdeck.model.keys import KEY_ACTIONS
from botdeck.report import build_report
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.screens.help import HelpScreen
from botdeck.tui.screens.mute import MuteDialog
from botdeck.tui.screens.say import SayScreen
from botdeck.tui.screens.text_view import TextView
from botdeck.tui.widgets.queue import QueueInspector
from botdeck.tui.widgets.review import ReviewPanel
from tests.harness.dashboard import (
    BOTS,
    from_palette,
    make_app,
    mentions,
    screen_text,
    titles,
    wait_until,
)
from tests.harness.journals import events_of

STICKY = BOTS[0]


async def test_every_palette_entry_changes_what_it_should():
    journal = io.StringIO()
    app = make_app(mentions(12), delays=30.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        engine = app.engine
        await wait_until(pilot, lambda: engine.snapshot().queues.size > 3)
        seen = set(titles(app))
        assert titles(app).count("Quit") == 1 and titles(app).count("Theme") == 1

        await from_palette(app, pilot, "Pause")
        assert engine.state is RouterState.PAUSED
        await from_palette(app, pilot, "Pause")
        assert engine.state is RouterState.RUNNING
        limit = engine.global_limit
        await from_palette(app, pilot, "Limit +")
        assert engine.global_limit == limit + 1
        await from_palette(app, pilot, "Limit -")
        assert engine.global_limit == limit
        theme = app.theme
        await from_palette(app, pilot, "Theme")
        assert app.theme != theme
        await from_palette(app, pilot, "Review")
        assert engine.snapshot().reviewing == frozenset(BOTS)
        await from_palette(app, pilot, "Review")
        assert engine.snapshot().reviewing == frozenset()
        lines = engine.snapshot().chat.lines
        await from_palette(app, pilot, "Raid")
        await wait_until(pilot, lambda: engine.snapshot().chat.lines > lines + 20)
        await from_palette(app, pilot, "Help")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await from_palette(app, pilot, "Say")
        assert isinstance(app.screen, SayScreen)
        await pilot.press("escape")

        await from_palette(app, pilot, f"Queue: {STICKY}")
        assert app.query_one(QueueInspector).display
        seen |= set(titles(app))  # the reply and bot entries appear with a selection
        await from_palette(app, pilot, "Open")
        assert isinstance(app.screen, TextView)
        await pilot.press("escape")
        first = app.query_one(QueueInspector).table.selected
        await from_palette(app, pilot, "Cancel")
        assert engine.find_job(first) is None
        jobs = app.query_one(QueueInspector).table
        last = jobs.rows[-1].id
        jobs.select(last)
        await from_palette(app, pilot, "Front")
        assert engine.waiting_jobs(STICKY)[0].id == last
        viewer = engine.find_job(app.query_one(QueueInspector).table.selected).viewer
        await from_palette(app, pilot, "Viewer")
        assert all(job.viewer != viewer for job in engine.waiting_jobs())
        await from_palette(app, pilot, "Hold bot")
        assert engine.snapshot().queues.bot(STICKY).paused
        await from_palette(app, pilot, "Mute")
        assert isinstance(app.screen, MuteDialog)  # its mentions are queued: it asks
        await pilot.press("d")
        await wait_until(pilot, lambda: engine.snapshot().queues.bot(STICKY).muted)
        await from_palette(app, pilot, "Close")
        assert not app.query_one(QueueInspector).display

        await from_palette(app, pilot, "Drain")
        assert engine.state in (RouterState.DRAINING, RouterState.DRAINED)
        await from_palette(app, pilot, "Stop")
        assert isinstance(app.screen, ConfirmStop)
        await pilot.press("y")
        assert engine.state is RouterState.STOPPED
        await from_palette(app, pilot, "Start")
        assert engine.state is RouterState.RUNNING

        await from_palette(app, pilot, "Quit")
        assert engine.state in (RouterState.DRAINING, RouterState.DRAINED)
    assert app.return_code in (EXIT_OK, None)
    labels = {action.label for action in KEY_ACTIONS if action.id != "select"}
    review_keys = {"Approve", "Approve all", "Edit", "Reject"}  # only while replies wait
    assert labels - review_keys <= seen


async def test_the_review_entries_act_on_the_reply_shown():
    journal = io.StringIO()
    app = make_app(mentions(3), delays=0.0, review={"bots": ["*"]}, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ReviewPanel)
        await wait_until(pilot, lambda: len(app.engine.reviews()) == 3 and panel.job is not None)
        assert {"Approve", "Edit", "Reject"} <= set(titles(app))
        await from_palette(app, pilot, "Approve")
        await wait_until(pilot, lambda: len(app.engine.reviews()) == 2)
        await wait_until(pilot, lambda: panel.job == app.engine.reviews()[0].job)
        await from_palette(app, pilot, "Reject")
        await wait_until(pilot, lambda: len(app.engine.reviews()) == 1)
        await from_palette(app, pilot, "Approve all")
        await wait_until(pilot, lambda: not app.engine.reviews())
    verdicts = [e["verdict"] for e in events_of(journal) if e["event"] == "reviewed"]
    assert verdicts == ["approved", "rejected", "approved"]


async def test_the_stop_dialog_counts_live_and_its_footer_shows_y_and_n():
    app = make_app(mentions(6), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines == 6)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmStop)
        await wait_until(pilot, lambda: "y Stop now" in screen_text(app))
        shown = screen_text(app)
        assert "Cancel all 6 queued and running replies now?" in shown
        footer = shown.splitlines()[-1]
        assert "y Stop now" in footer and "n Cancel" in footer
        assert "Drain" not in footer and "q Quit" in footer  # quitting works from any dialog
        for n, line in enumerate(mentions(4)):
            app.engine.handle(ChatMessage(f"more{n}", f"more{n}", line.text, 0.0))
        await wait_until(pilot, lambda: "Cancel all 10 queued" in screen_text(app))
        await pilot.press("y")
        assert app.engine.state is RouterState.STOPPED


async def test_after_remapping_quit_the_toast_names_the_right_key():
    app = make_app(mentions(3), delays=30.0, keys={"quit": "ctrl+x"})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending > 0)
        await pilot.press("q")
        assert app.engine.state is RouterState.RUNNING  # q is not quit any more
        await pilot.press("ctrl+x")
        assert app.engine.state is RouterState.DRAINING
        messages = [n.message for n in app._notifications]
        assert any("press ctrl+x again to stop at once" in m for m in messages)
        await wait_until(pilot, lambda: "ctrl+x Quit" in screen_text(app))
        assert screen_text(app).splitlines()[-1].startswith("x Stop ctrl+x Quit")


@pytest.mark.parametrize("busy", [False, True])
async def test_a_clean_q_is_reported_as_ended_drained(tmp_path, busy):
    path = tmp_path / "journal.jsonl"
    with path.open("w") as journal:
        app = make_app(mentions(3), delays=0.5 if busy else 0.0, journal=journal)
        async with app.run_test(size=(120, 40)) as pilot:
            if not busy:
                await wait_until(pilot, lambda: app.engine.snapshot().queues.messages == 3)
            await wait_until(pilot, lambda: app.engine.snapshot().chat.mentions == 3)
            await pilot.press("q")
            await wait_until(pilot, lambda: app.engine.state is RouterState.DRAINED)
    assert app.return_code == EXIT_OK
    report = build_report(path)
    assert report.final_state == "drained"
