"""The operator's console driven by Pilot against the real engine on scripted chat: the
queue inspector and its actions, per-bot pause and mute, review, say, reading chat."""

from __future__ import annotations

import io
import re

from rich.text import Text
from textual import events as textual_events
from textual.widgets import Input, Select, Static

from botdeck.chat.simulated import ScriptedLine
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Phase, RouterState
from botdeck.tui.screens.edit_reply import EditReply
from botdeck.tui.screens.help import HelpScreen, help_table
from botdeck.tui.screens.mute import MuteDialog
from botdeck.tui.screens.say import SayScreen
from botdeck.tui.screens.text_view import TextView
from botdeck.tui.widgets.bot_card import BotCard
from botdeck.tui.widgets.chat_log import ChatLog
from botdeck.tui.widgets.queue import JobTable, QueueInspector
from botdeck.tui.widgets.review import ReviewPanel
from tests.harness.dashboard import BOTS, make_app, screen_text, wait_until
from tests.harness.journals import events_of

STICKY, GENE, PIXEL = BOTS
HOSTILE = "[bold red]PWNED[/] \x1b[31mred"


def to_sticky(count: int, start: int = 0) -> list[ScriptedLine]:
    return [ScriptedLine(0, f"viewer{i}", f"@{STICKY} question {i}") for i in range(start, count)]


def table(app) -> JobTable:
    return app.query_one(JobTable)


async def open_sticky(app, pilot, waiting: int = 3) -> JobTable:
    """Press 1 and wait until stickyman's queue shows `waiting` waiting rows."""
    await wait_until(pilot, lambda: len(app.engine.waiting_jobs(STICKY)) >= waiting)
    await pilot.press("1")
    jobs = table(app)
    await wait_until(pilot, lambda: sum(r.position.isdigit() for r in jobs.rows) >= waiting)
    return jobs


async def test_1_opens_the_bots_queue_with_every_job_and_the_line_as_literal_text():
    lines = [*to_sticky(4), ScriptedLine(0, "mallory", f"@{STICKY} {HOSTILE}")]
    app = make_app(lines, delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await open_sticky(app, pilot, waiting=3)
        inspector = app.query_one(QueueInspector)
        assert inspector.display and app.focused is jobs
        assert [row.position for row in jobs.rows] == ["▶", "▶", "1", "2", "3"]
        assert [row.phase for row in jobs.rows[:2]] == [Phase.DELAYING] * 2
        assert jobs.rows[-1].viewer == "mallory"
        assert jobs.rows[-1].line == f"@{STICKY} [bold red]PWNED[/] red"  # cleaned, not styled
        await pilot.press("end")
        await pilot.pause()
        shown = screen_text(app)
        assert "[bold red]PWNED[/] red" in shown
        assert f"queue: {STICKY} · 3 waiting · 2 running" in shown
        await pilot.press("escape")
        assert not inspector.display and app.focused is None


async def test_c_cancels_the_selected_reply_and_the_selection_stays_in_place():
    journal = io.StringIO()
    app = make_app(to_sticky(5), delays=30.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await open_sticky(app, pilot, waiting=3)
        await pilot.press("down", "down")  # the first waiting reply
        chosen = jobs.selected
        next_one = jobs.rows[3].id
        await pilot.press("c")
        assert app.engine.find_job(chosen) is None
        await wait_until(pilot, lambda: chosen not in [row.id for row in jobs.rows])
        assert jobs.selected == next_one  # the row now in its place
    skipped = [e for e in events_of(journal) if e["event"] == "skipped"]
    assert [(e["job"], e["reason"]) for e in skipped] == [(chosen, "operator")]


async def test_f_sends_the_selected_reply_to_the_front_and_keeps_it_selected():
    app = make_app(to_sticky(6), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await open_sticky(app, pilot, waiting=4)
        await pilot.press("end")
        last = jobs.selected
        assert jobs.rows[-1].id == last
        await pilot.press("f")
        assert app.engine.waiting_jobs(STICKY)[0].id == last
        await wait_until(pilot, lambda: jobs.rows[2].id == last)
        assert jobs.selected == last and jobs.rows[2].position == "1"


async def test_u_cancels_every_reply_to_that_viewer_for_every_bot():
    journal = io.StringIO()
    lines = [
        *to_sticky(3),
        ScriptedLine(0, "spammer", f"@{STICKY} @{GENE} @{PIXEL} look at me"),
        ScriptedLine(0, "spammer", f"@{STICKY} again"),
    ]
    app = make_app(lines, delays=30.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await open_sticky(app, pilot, waiting=3)
        spam = next(row.id for row in jobs.rows if row.viewer == "spammer")
        jobs.select(spam)
        await pilot.press("u")
        assert all(job.viewer != "spammer" for job in app.engine.waiting_jobs())
    skipped = [e for e in events_of(journal) if e["event"] == "skipped"]
    assert len(skipped) == 4 and {e["reason"] for e in skipped} == {"operator"}
    assert {e["bot"] for e in skipped} == set(BOTS)


async def test_b_pauses_just_this_bot_and_its_card_says_so():
    app = make_app([], delays=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1", "b")
        card = app.query_one(f"#card-{STICKY}", BotCard)
        assert "paused" in str(card.border_title) and card.has_class("-held")
        # The chat comes once the bot is paused, however long the keys took to arrive.
        for line in [*to_sticky(3), ScriptedLine(0, "viewer9", f"@{GENE} hi")]:
            app.engine.handle(ChatMessage(f"m-{line.user}", line.user, line.text, 0.0))
        await wait_until(pilot, lambda: app.engine.snapshot().queues.bot(GENE).messages == 1)
        lane = app.engine.snapshot().queues.bot(STICKY)
        assert lane.paused and lane.messages == 0 and app.engine.state is RouterState.RUNNING
        await pilot.press("b")
        await wait_until(pilot, lambda: app.engine.snapshot().queues.bot(STICKY).messages == 3)
        assert "paused" not in str(card.border_title)


def chat_lines(app) -> list[str]:
    app.flush_chat()
    return app.query_one(ChatLog).lines


async def ask_to_mute(app, pilot, mentions: int) -> MuteDialog:
    await open_sticky(app, pilot, waiting=mentions - 2)  # two run (in their delay)
    await pilot.press("m")
    await wait_until(pilot, lambda: isinstance(app.screen, MuteDialog))
    dialog = app.screen
    assert isinstance(dialog, MuteDialog)
    shown = screen_text(app)
    assert f"{STICKY} has {mentions} mentions to answer" in shown
    assert f"hand the {mentions} to {GENE} (0 waiting)" in shown  # the least busy first
    assert f"hand the {mentions} to {PIXEL} (0 waiting)" in shown
    assert f"let it answer the {mentions} first, then fall silent" in shown
    assert f"drop the {mentions} (skipped: muted)" in shown
    assert not app.engine.muted(STICKY) and len(app.engine.jobs_of(STICKY)) == mentions
    footer = shown.splitlines()[-1]
    assert "h Hand over" in footer and "x Stop" in footer and "q Quit" in footer
    return dialog


async def test_m_with_mentions_queued_asks_and_dropping_folds_into_one_named_line():
    journal = io.StringIO()
    app = make_app(to_sticky(18), delays=30.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask_to_mute(app, pilot, 18)
        await pilot.press("d")
        await wait_until(pilot, lambda: not isinstance(app.screen, MuteDialog))
        card = app.query_one(f"#card-{STICKY}", BotCard)
        assert "muted" in f"{card.border_title} {card.border_subtitle}"
        assert app.engine.jobs_of(STICKY) == []
        skipped = [line for line in chat_lines(app) if "skipped" in line]
        assert len(skipped) == 1  # not 18 identical lines pushing the chat away
        folded = re.search(
            rf"⊘ {STICKY} → (viewer\d+), (viewer\d+), (viewer\d+) and 15 more: ", skipped[0]
        )
        assert folded and len(set(folded.groups())) == 3, skipped[0]  # names, not a count only
        assert skipped[0].endswith(" and 15 more: 18 replies skipped: muted")
        assert any("18 mentions dropped" in n.message for n in app._notifications)
        # A mention the muted bot gets later counts on the same line, not a new one.
        app.engine.handle(ChatMessage("late", "late_viewer", f"@{STICKY} hi", 0.0))
        skipped = [line for line in chat_lines(app) if "skipped" in line]
        assert len(skipped) == 1 and "and 16 more: 19 replies skipped: muted" in skipped[0]
        assert app.focused is table(app)  # the focus is back where it was
        await pilot.press("m")  # muted: m unmutes at once
        assert not app.engine.muted(STICKY)
    reasons = [e["reason"] for e in events_of(journal) if e["event"] == "skipped"]
    assert reasons == ["muted"] * 19


async def test_m_hands_the_mentions_to_another_bot_when_asked():
    journal = io.StringIO()
    app = make_app(to_sticky(8), delays=30.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask_to_mute(app, pilot, 8)
        await pilot.press("h")  # the least busy: genejacqueman
        await wait_until(pilot, lambda: app.engine.muted(STICKY))
        handed = app.engine.jobs_of(GENE)
        assert sorted(job.context.message.user for job in handed) == [
            f"viewer{i}" for i in range(8)
        ]
        assert app.engine.jobs_of(STICKY) == []
        assert any(f"8 mentions handed to {GENE}" in n.message for n in app._notifications)
        lines = chat_lines(app)
        assert not [line for line in lines if "skipped" in line]  # none was dropped
        handed = [line for line in lines if "handed to" in line]
        assert len(handed) == 1 and handed[0].endswith(f"8 replies handed to {GENE}")
    enqueued = [
        e["msg"] for e in events_of(journal) if e["event"] == "enqueued" and e["bot"] == GENE
    ]
    assert len(enqueued) == 8


async def test_m_lets_the_mentions_finish_or_escape_mutes_nothing():
    app = make_app(to_sticky(5), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask_to_mute(app, pilot, 5)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, MuteDialog))
        assert not app.engine.muted(STICKY) and len(app.engine.jobs_of(STICKY)) == 5
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MuteDialog))
        await pilot.press("f")
        await wait_until(pilot, lambda: app.engine.muted(STICKY))
        assert len(app.engine.jobs_of(STICKY)) == 5  # still to be answered, by it
        assert not [line for line in chat_lines(app) if "skipped" in line]


async def test_tab_and_a_click_select_a_bot():
    app = make_app(to_sticky(3), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab")
        assert app.query_one(QueueInspector).border_title.startswith(f"queue: {STICKY}")
        await pilot.press("tab")
        assert app.query_one(QueueInspector).border_title.startswith(f"queue: {GENE}")
        await pilot.click(f"#card-{PIXEL}")
        assert app.query_one(QueueInspector).border_title.startswith(f"queue: {PIXEL}")
        assert app.focused is table(app)


async def test_the_selection_survives_live_updates():
    app = make_app(to_sticky(4), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = await open_sticky(app, pilot, waiting=2)
        await pilot.press("end")
        chosen = jobs.selected
        for n in range(10):  # more chat arrives; the rows before it change
            app.engine.handle(ChatMessage(f"new{n}", f"new{n}", f"@{STICKY} more", 0.0))
        await wait_until(pilot, lambda: len(jobs.rows) == 14)
        app.engine.cancel_job(jobs.rows[2].id)
        await wait_until(pilot, lambda: len(jobs.rows) == 13)
        assert jobs.selected == chosen


async def test_enter_opens_the_selected_reply_and_the_selected_chat_line_in_full():
    long_line = "word " * 120  # 600 characters: more than the chat shows
    lines = [*to_sticky(3), ScriptedLine(0, "talker", f"@{STICKY} {long_line}")]
    app = make_app(lines, delays=30.0)
    async with app.run_test(size=(100, 30)) as pilot:
        jobs = await open_sticky(app, pilot, waiting=2)
        await pilot.press("end", "enter")
        assert isinstance(app.screen, TextView)
        body = str(app.screen.query_one(Static).render())
        assert long_line.strip() in " ".join(body.split())
        await pilot.press("escape")
        chat = app.query_one(ChatLog)
        chat.focus()
        await wait_until(pilot, lambda: any("talker" in line for line in chat.lines))
        await pilot.press("up")
        assert chat.selected_line() is not None and "talker" in chat.selected_line()
        assert chat.lines[-1].endswith("…")  # cut in the chat ...
        await pilot.press("enter")
        body = str(app.screen.query_one(Static).render())
        assert long_line.strip() in " ".join(body.split())  # ... whole when opened
        await pilot.press("escape", "escape")
        assert chat.selected_line() is None
        assert jobs.rows  # the queue is still open


async def test_chat_lines_wrap_to_the_pane_width():
    reply = "a reply that is long enough to need several rows " * 8
    app = make_app([ScriptedLine(0, "talker", reply.strip())], delays=0.0)
    async with app.run_test(size=(80, 24)) as pilot:

        def rows() -> list[str]:
            return [line for line in screen_text(app).splitlines() if "several rows" in line]

        await wait_until(pilot, lambda: len(rows()) >= 4)  # one chat line, several rows
        shown = rows()
        assert shown[-1].strip("│ ").endswith("need several rows")  # to its last word
        assert not any("…" in row for row in shown)
        assert len(app.query_one(ChatLog).lines) == 1


async def test_review_holds_a_reply_shows_it_whole_and_a_approves_it():
    journal = io.StringIO()
    app = make_app(to_sticky(1), delays=0.0, review={"bots": [STICKY]}, journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(ReviewPanel)
        await wait_until(pilot, lambda: panel.job is not None and panel.display)
        [pending] = app.engine.reviews()
        assert pending.text in panel.shown
        assert re.search(r"rejected in 1[12]\ds if nobody decides", panel.shown)
        await wait_until(pilot, lambda: "z Reject" in screen_text(app))  # the footer follows
        assert "a Approve" in screen_text(app)
        await pilot.press("a")
        await wait_until(pilot, lambda: app.engine.snapshot().queues.messages == 1)
        await wait_until(pilot, lambda: not panel.display)
    reviewed = [e for e in events_of(journal) if e["event"] == "reviewed"]
    assert [(e["verdict"], e["by"]) for e in reviewed] == [("approved", "operator")]


async def test_z_rejects_and_e_edits_a_held_reply():
    journal = io.StringIO()
    app = make_app(to_sticky(2), delays=0.0, review={"bots": ["*"]}, journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(ReviewPanel)
        await wait_until(pilot, lambda: len(app.engine.reviews()) == 2 and panel.job is not None)
        await pilot.press("z")
        await wait_until(pilot, lambda: len(app.engine.reviews()) == 1)
        await wait_until(pilot, lambda: panel.job == app.engine.reviews()[0].job)
        await pilot.press("e")
        assert isinstance(app.screen, EditReply)
        edit = app.screen.query_one(Input)
        edit.value = "[b]thanks[/b] for asking!"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.engine.snapshot().queues.messages == 1)
    reviewed = [e for e in events_of(journal) if e["event"] == "reviewed"]
    assert [(e["verdict"], e.get("text")) for e in reviewed] == [
        ("rejected", None),
        ("edited", "@viewer1 thanks for asking!"),
    ]
    sent = [e["text"] for e in events_of(journal) if e["event"] == "sent"]
    assert sent == ["@viewer1 thanks for asking!"]


async def test_v_switches_review_for_the_selected_bot_or_every_bot():
    app = make_app([])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("v")
        assert app.engine.snapshot().reviewing == frozenset(BOTS)
        await pilot.press("2", "v")
        assert app.engine.snapshot().reviewing == {STICKY, PIXEL}
        await pilot.press("escape", "v")
        assert app.engine.snapshot().reviewing == frozenset(BOTS)
        await pilot.press("v")
        assert app.engine.snapshot().reviewing == frozenset()


async def test_i_says_a_line_as_the_chosen_bot_and_it_shows_in_the_chat():
    journal = io.StringIO()
    app = make_app([], journal=journal, send_limits={"window": 30.0})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, SayScreen)
        app.screen.query_one(Select).value = GENE
        await pilot.press(*"hello chat")
        await pilot.press("enter")
        chat = app.query_one(ChatLog)
        await wait_until(pilot, lambda: any(f"➤ {GENE}: hello chat" in line for line in chat.lines))
        await pilot.press("i", "escape")  # escape changes nothing
        assert not isinstance(app.screen, SayScreen)
    sent = [e for e in events_of(journal) if e["event"] == "sent"]
    assert [(e["bot"], e["text"], e["manual"]) for e in sent] == [(GENE, "hello chat", True)]


async def test_a_multi_line_paste_into_say_is_sent_whole_on_one_line():
    """Textual's Input keeps only a paste's first line; say-as-bot joins them (and says so)."""
    journal = io.StringIO()
    app = make_app([], journal=journal, send_limits={"window": 30.0})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i")
        box = app.screen.query_one(Input)
        box.post_message(textual_events.Paste("x" * 300 + "\n" + "y" * 300))  # over 500
        box.post_message(textual_events.Paste("first line\n\n  second line  \r\nthird"))
        await pilot.pause()
        assert box.value == "first line second line third"
        assert [n.message for n in app._notifications] == [
            "not pasted: 601 characters, room for 500",
            "pasted 3 lines as one, joined with spaces",
        ]
        await pilot.press("enter")
        chat = app.query_one(ChatLog)
        await wait_until(pilot, lambda: any("third" in line for line in chat.lines))
    sent = [e["text"] for e in events_of(journal) if e["event"] == "sent"]
    assert sent == ["first line second line third"]


async def test_question_mark_shows_every_key_as_remapped():
    app = make_app([], keys={"stop": "f12", "quit": "ctrl+x"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        assert "f12" in shown and "emergency stop" in shown and "ctrl+x" in shown
        # The help strings are the README's Markdown: its backticks are not shown, the
        # keys they mark are bold.
        assert "`" not in shown and "after confirming with y (n or escape cancels)" in shown
        table = help_table({})
        cells = [cell for column in table.columns for cell in column.cells]
        stop_help = next(c for c in cells if isinstance(c, Text) and "emergency" in c.plain)
        bold = [stop_help.plain[s.start : s.end] for s in stop_help.spans if s.style == "bold"]
        assert bold == ["y", "n", "y"]
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
