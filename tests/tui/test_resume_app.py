"""The dashboard after a restart: it says how many mentions it took over."""

from __future__ import annotations

import io
import json

import pytest

from botdeck.engine import plan_resume
from botdeck.tui.widgets.status import Overview
from tests.harness.dashboard import BOTS, FROZEN, make_app, wait_until
from tests.harness.journals import events_of


def crashed(path, mentions: int) -> None:
    rows = []
    for n in range(1, mentions + 1):
        line = {"ts": FROZEN - 30, "event": "chat", "msg": f"old{n}", "user": f"v{n}"}
        rows.append({**line, "text": f"@{BOTS[0]} still there?"})
        job = {"job": n, "bot": BOTS[0], "priority": "high", "msg": f"old{n}"}
        rows.append({"ts": FROZEN - 30, "event": "enqueued", **job, "delay": 1.0})
    rows.append({"ts": FROZEN - 500, "event": "chat", "msg": "older", "user": "v0", "text": "hi"})
    job = {"job": mentions + 1, "bot": BOTS[1], "priority": "normal", "msg": "older"}
    rows.append({"ts": FROZEN - 500, "event": "enqueued", **job, "delay": 3.0})
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n{broken")


async def test_the_dashboard_says_how_many_mentions_it_resumed(tmp_path):
    previous = tmp_path / "previous.jsonl"
    crashed(previous, mentions=3)
    journal = io.StringIO()
    plan = plan_resume(previous, same_file=False, enabled=True, window=300.0)
    app = make_app([], journal=journal, resume=plan)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 3)
        app.refresh_numbers()
        assert "resumed 3" in app.query_one(Overview).plain
        said = f"resumed 3 mentions from {previous} (1 random or bot-to-bot: expired;"

        def toasted() -> bool:  # a toast is a message: it lands on the app's next turn
            return any(n.message.startswith(said) for n in app._notifications)

        await wait_until(pilot, toasted)
        assert any("1 unreadable lines skipped" in n.message for n in app._notifications)
    enqueued = [e for e in events_of(journal) if e["event"] == "enqueued"]
    assert sorted(e["resumes"] for e in enqueued) == [1, 2, 3]
    assert min(e["job"] for e in enqueued) == 5  # after the previous run's ids


@pytest.mark.parametrize("left", [0, 2], ids=["empty", "two-left-open"])
async def test_the_demo_never_mentions_resuming(tmp_path, left):
    """The demo closes what the previous demo left open but never resumes (its chat is
    made up), so it says nothing about resuming: once it greeted a newcomer with
    "nothing resumed: …/botdeck_demo-….jsonl: empty"."""
    previous = tmp_path / "botdeck_demo-20261119-000000.jsonl"
    if left:
        crashed(previous, mentions=left)
    else:
        previous.write_text("")
    plan = plan_resume(previous, same_file=False, enabled=False, window=300.0)  # as demo
    app = make_app([], resume=plan)
    said: list[str] = []
    to_screen = app.session.say
    app.session.say = lambda text, severity: (said.append(text), to_screen(text, severity))
    async with app.run_test(size=(120, 40)) as pilot:
        # The session says what it resumed right after connecting, in the same step.
        await wait_until(pilot, lambda: app.engine.resumed is not None)
        app.refresh_numbers()
        assert not [text for text in said if "resum" in text], said
        assert "resumed" not in app.query_one(Overview).plain
    assert app.engine.resumed is not None and app.engine.resumed.expired == (left and left + 1)
