"""The dashboard driven by Pilot, with the real engine on scripted chat."""

from __future__ import annotations

import io
import re

from botdeck.chat.simulated import ScriptedLine
from botdeck.engine import EXIT_OK, EXIT_STOPPED
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import RouterState
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.widgets.bot_card import BotCard
from botdeck.tui.widgets.chat_log import ChatLog
from botdeck.tui.widgets.status import AlertBar, Overview, StatusBar
from botdeck.tui.widgets.text_lines import TextLines
from tests.harness.dashboard import BOTS, make_app, mentions, wait_until
from tests.harness.journals import OUTCOMES, events_of


def text_of(widget: TextLines) -> str:
    return widget.plain


async def test_panels_show_the_numbers_after_a_burst():
    app = make_app(mentions(12), delays=0.0, router={"global_concurrency": 4})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 12)
        app.refresh_numbers()
        overview = text_of(app.query_one(Overview))
        assert "size 0" in overview and "pending 0/4" in overview
        assert "msgs 12" in overview and "answered 12/12" in overview
        assert "router: running" in text_of(app.query_one(StatusBar))
        for bot in BOTS:
            card = text_of(app.query_one(f"#card-{bot} #stats", TextLines))
            assert "msgs 4" in card and "ans 4" in card and "pending 0/2" in card


async def test_backlog_warning_stands_out_when_size_exceeds_the_threshold():
    app = make_app(mentions(30), delays=5.0, router={"backlog_warning": 10})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.size > 10)
        app.refresh_numbers()
        alerts = app.query_one(AlertBar)
        assert alerts.has_class("-backlog")
        assert "BACKLOG" in text_of(alerts) and "> 10" in text_of(alerts)


async def test_d_drains_until_every_queued_job_is_sent():
    journal = io.StringIO()
    # 3 s delays: the key lands while jobs wait, however slow a loaded machine is.
    app = make_app(mentions(9), delays=3.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.size > 0)
        await pilot.press("d")
        assert app.engine.state is RouterState.DRAINING
        app.refresh_numbers()
        assert "draining (" in text_of(app.query_one(StatusBar))
        await wait_until(pilot, lambda: app.engine.state is RouterState.DRAINED, within=30)
        app.refresh_numbers()
        assert "router: drained" in text_of(app.query_one(StatusBar))
    ends = [e["event"] for e in events_of(journal) if e["event"] in OUTCOMES]
    assert ends == ["sent"] * 9


async def test_x_then_y_cancels_everything_and_nothing_more_is_sent():
    journal = io.StringIO()
    app = make_app(mentions(20), delays=2.0, journal=journal)  # long: a slow machine's keys
    async with app.run_test(size=(120, 40)) as pilot:  # still land while jobs run
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending > 0)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmStop)
        await pilot.press("y")
        assert app.engine.state is RouterState.STOPPED
        assert app.engine.snapshot().queues.size == 0
        sent = app.engine.snapshot().queues.sent
        await pilot.pause(2.5)  # longer than any delay: a late send would show
        assert app.engine.snapshot().queues.sent == sent
        chat = app.query_one(ChatLog)
        app.flush_chat()
        assert any("cancelled: stopped" in line for line in chat.lines)
    per_job = {}
    for event in events_of(journal):
        if event["event"] in OUTCOMES:
            per_job[event["job"]] = per_job.get(event["job"], 0) + 1
    assert len(per_job) == 20 and set(per_job.values()) == {1}


async def test_x_then_n_or_escape_changes_nothing():
    app = make_app(mentions(6), delays=2.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending > 0)
        for answer in ("n", "escape"):
            await pilot.press("x")
            assert isinstance(app.screen, ConfirmStop)
            await pilot.press(answer)
            assert not isinstance(app.screen, ConfirmStop)
            assert app.engine.state is RouterState.RUNNING
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 6)


async def test_p_pauses_and_resumes_dispatch():
    app = make_app(mentions(12), delays=2.0)  # 6 run at once, 6 wait
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        assert app.engine.state is RouterState.PAUSED
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending == 0)
        sent = app.engine.snapshot().queues.sent
        await pilot.pause(0.5)  # paused: nothing new starts
        assert app.engine.snapshot().queues.pending == 0
        assert app.engine.snapshot().queues.sent == sent < 12
        await pilot.press("p")
        assert app.engine.state is RouterState.RUNNING
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 12)


async def test_s_starts_accepting_again_after_a_stop():
    app = make_app([], delays=0.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("x", "y")
        assert app.engine.state is RouterState.STOPPED
        await pilot.press("s")
        assert app.engine.state is RouterState.RUNNING
        for n, line in enumerate(mentions(3)):
            app.engine.handle(ChatMessage(f"again{n}", line.user, line.text, 0.0))
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 3)


async def test_plus_and_minus_change_the_global_limit_live():
    app = make_app([], router={"global_concurrency": 3})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("plus", "plus")
        assert app.engine.global_limit == 5
        await pilot.press("minus", "minus", "minus", "minus", "minus")
        assert app.engine.global_limit == 1  # never below one
        app.refresh_numbers()
        assert "pending 0/1" in text_of(app.query_one(Overview))


async def test_t_cycles_through_the_themes():
    app = make_app([])
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "twitch"
        seen = {app.theme}
        for _ in range(3):
            await pilot.press("t")
            seen.add(app.theme)
        assert seen == {"twitch", "low-glare", "high-contrast"}


async def test_markup_and_escapes_in_chat_are_shown_literally():
    hostile = [
        ScriptedLine(0, "mallory", "[bold red]PWNED[/] [link=http://x]click[/link]"),
        ScriptedLine(0, "mallory", "\x1b[31mred\x1b[0m \x1b]0;title\x07 bell\x07 done"),
        ScriptedLine(0, "mallory", "x" * 10_000),
    ]
    app = make_app(hostile)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.query_one(ChatLog)
        await wait_until(pilot, lambda: len(chat.lines) >= 3)
        assert chat.lines[0].endswith("mallory: [bold red]PWNED[/] [link=http://x]click[/link]")
        assert chat.lines[1].endswith("mallory: red bell done")
        assert "\x1b" not in "".join(chat.lines)
        assert len(chat.lines[2]) < 600  # cut for display (opened, it shows whole)
        rendered = "".join(segment.text for segment in chat.render_line(0))
        assert "[bold red]PWNED[/]" in rendered


async def test_q_drains_then_quits_and_a_second_q_stops_at_once():
    app = make_app(mentions(3), delays=0.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 3)
        await pilot.press("q")
    assert app.return_code == EXIT_OK

    app = make_app(mentions(9), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending > 0)
        await pilot.press("q")
        assert app.engine.state is RouterState.DRAINING
        await pilot.press("q")
    assert app.return_code == EXIT_STOPPED


async def test_keys_can_be_remapped_in_config():
    app = make_app(mentions(3), delays=0.5, keys={"drain": "ctrl+e", "pause": "f6"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        assert app.engine.state is RouterState.RUNNING
        await pilot.press("f6")
        assert app.engine.state is RouterState.PAUSED
        await pilot.press("ctrl+e")
        assert app.engine.state in (RouterState.DRAINING, RouterState.DRAINED)


async def test_raid_key_only_in_the_demo_and_it_brings_a_raid():
    app = make_app([], delays=0.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await wait_until(pilot, lambda: app.engine.snapshot().chat.lines >= 50)
        await wait_until(pilot, lambda: app.engine.snapshot().chat.mentions >= 40)
    app = make_app([], demo=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await pilot.pause(0.5)
        assert app.engine.snapshot().chat.lines == 0
        assert app.check_action("raid", ()) is False  # hidden from the footer and palette


async def test_the_raid_key_brings_the_configured_raid():
    app = make_app([], chat={"scenario_params": {"viewers": 7, "mention_share": 1.0}})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await wait_until(pilot, lambda: app.engine.snapshot().chat.mentions >= 7)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.engine.snapshot().chat.mentions >= 14)
        await pilot.pause(0.3)  # nothing beyond the two raids arrives
        viewer_lines = app.engine.snapshot().chat.lines - app.engine.snapshot().queues.sent
        assert viewer_lines == 14
        assert app.engine.snapshot().chat.mentions == 14


async def test_every_action_is_in_the_command_palette():
    app = make_app([])
    async with app.run_test(size=(120, 40)):
        titles = {command.title for command in app.get_system_commands(app.screen)}
    assert {"Drain", "Stop", "Start", "Pause", "Limit +", "Limit -", "Theme", "Quit"} <= titles


async def test_a_small_terminal_degrades_without_crashing():
    app = make_app(mentions(6), delays=0.0)
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 6)
        app.refresh_numbers()
        await pilot.pause()
        assert app.is_running and not app.query_one("#deck").display  # one line instead
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: app.query_one("#deck").display)
        app.refresh_numbers()
        await pilot.pause()
        assert all(card.has_class("-full") for card in app.query(BotCard))
        assert app.query_one(ChatLog).size.height >= 3  # lines of chat


async def test_cards_show_each_bots_send_budget_and_the_wait():
    app = make_app(mentions(9), delays=0.0, send_limits={"window": 30.0, "viewer": 2})
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 6)
        await pilot.pause(0.3)
        app.refresh_numbers()
        card = text_of(app.query_one(f"#card-{BOTS[0]} #stats", TextLines))
        assert "budget 0/2" in card  # both of the window's sends are used
        wait = re.search(r"wait (\d+)s", card)
        assert wait and 25 <= int(wait.group(1)) <= 30, card  # the third waits for the window
        assert "send 1" in card  # it holds its slot while it waits, shown as sending


async def test_a_bot_merging_replies_in_a_raid_says_so_on_its_card():
    app = make_app(mentions(30), delays=0.0, send_limits={"window": 30.0, "viewer": 2})
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.bots[0].merging)
        app.refresh_numbers()
        lane = app.engine.snapshot().queues.bots[0]
        card = app.query_one(f"#card-{lane.bot}", BotCard)  # on the box's edge: never cut
        assert card.border_subtitle == f"merging ×{lane.last_batch}" and lane.last_batch > 1


async def test_the_timers_callbacks_do_nothing_once_the_app_stops_running():
    """Textual stops the app (`is_running` false), then removes the widgets, then the
    app's timers: a refresh firing in between must not query widgets that are gone."""
    app = make_app(mentions(3), delays=0.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 3)
    assert not app.is_running
    app.refresh_numbers()  # raised NoMatches: no StatusBar on a screen being torn down
    app.flush_chat()
