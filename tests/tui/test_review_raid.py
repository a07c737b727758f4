"""Review that keeps up with a raid: every held reply is listed with its countdown, `A`
sends every one of them, and turning review off sends what it held."""

from __future__ import annotations

import io
import re

from botdeck.chat.simulated import ScriptedLine
from botdeck.tui.widgets.review import ReviewPanel
from tests.harness.dashboard import BOTS, make_app, screen_text, wait_until
from tests.harness.journals import events_of

RAID = [
    ScriptedLine(0.0, f"raider{i:02d}", f"@{BOTS[i % 3]} hi from the raid {i}") for i in range(20)
]
ROOMY = {"global_concurrency": 30, "per_bot_concurrency": 10}  # all 20 written and held


async def test_twenty_replies_held_in_a_raid_are_listed_and_shift_a_sends_them_all():
    journal = io.StringIO()
    app = make_app(
        RAID, delays=0.0, router=ROOMY, review={"bots": ["*"], "timeout": 90}, journal=journal
    )
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ReviewPanel)
        await wait_until(pilot, lambda: len(panel.jobs) == 20)
        held = {review.job: review for review in app.engine.reviews()}
        assert set(panel.jobs) == set(held)
        rows = panel.list.rows
        assert [job for job, _ in rows] == list(panel.jobs)  # every one, oldest first
        for job, row in rows:
            assert row.startswith(f"#{job} {held[job].bot} → @raider")
            assert re.search(r" \d+s  ", row), row  # its own countdown
        await wait_until(pilot, lambda: "review · 20 held" in screen_text(app))
        shown = screen_text(app)
        assert sum(1 for line in shown.splitlines() if re.search(r"#\d+ \w+ → @raider", line)) >= 6
        await wait_until(pilot, lambda: "A Approve all" in screen_text(app).splitlines()[-1])
        await pilot.press("A")
        await wait_until(pilot, lambda: app.engine.snapshot().queues.messages == 20)
        await wait_until(pilot, lambda: not panel.display)
    reviewed = [(e["verdict"], e["by"]) for e in events_of(journal) if e["event"] == "reviewed"]
    assert reviewed == [("approved", "operator")] * 20
    assert sorted(
        e["msg"] for e in events_of(journal) if e["event"] == "sent" and e["msg"]
    ) == sorted(e["msg"] for e in events_of(journal) if e["event"] == "enqueued")


async def test_the_selected_reply_is_the_one_a_sends():
    journal = io.StringIO()
    app = make_app(RAID[:4], delays=0.0, router=ROOMY, review={"bots": ["*"]}, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ReviewPanel)
        await wait_until(pilot, lambda: len(panel.jobs) == 4)
        assert panel.job == panel.jobs[0]  # the oldest first
        panel.list.focus()
        await pilot.press("down", "down")
        chosen = panel.jobs[2]
        assert panel.job == chosen
        await wait_until(pilot, lambda: f"#{chosen} " in panel.shown)  # shown whole
        await pilot.press("a")
        await wait_until(pilot, lambda: len(panel.jobs) == 3)
        assert chosen not in panel.jobs
        assert panel.job == panel.jobs[2]  # the one now at its place
    sent = [e["job"] for e in events_of(journal) if e["event"] == "sent"]
    assert sent == [chosen]


async def test_v_turns_review_off_and_what_it_held_is_sent():
    journal = io.StringIO()
    app = make_app(RAID[:6], delays=0.0, router=ROOMY, review={"bots": ["*"]}, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ReviewPanel)
        await wait_until(pilot, lambda: len(panel.jobs) == 6)
        await pilot.press("v")  # no bot selected: every bot
        await wait_until(pilot, lambda: app.engine.snapshot().queues.messages == 6)
        assert not app.engine.reviews()
    reviewed = [(e["verdict"], e["by"]) for e in events_of(journal) if e["event"] == "reviewed"]
    assert reviewed == [("approved", "review_off")] * 6
