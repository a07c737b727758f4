"""The dashboard on replayed chat: the log plays, the header says so, `r` has no raid."""

from __future__ import annotations

import json

from botdeck.config import parse_config
from botdeck.tui.widgets.status import StatusBar
from tests.harness.dashboard import app_for, wait_until


async def test_the_dashboard_plays_a_replay_and_shows_it(tmp_path):
    replay = tmp_path / "chat.jsonl"
    rows = [{"t": i * 0.01, "user": f"viewer{i}", "text": f"@pixelsage hi {i}"} for i in range(5)]
    replay.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = parse_config(
        {
            "router": {"delays": {p: [0.0, 0.0] for p in ("high", "normal", "low")}},
            "chat": {"source": "replay", "replay_file": str(replay)},
            "send_limits": {"enabled": False},
            "bots": [{"name": "pixelsage"}],
        }
    )
    app = app_for(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 5)
        assert app.check_action("raid", ()) is False
        app.refresh_numbers()
        assert "chat: ended" in app.query_one(StatusBar).plain


async def test_a_mention_past_the_display_cut_is_answered_in_the_dashboard(tmp_path):
    replay = tmp_path / "chat.jsonl"
    emotes = " ".join(["Kappa"] * 400)
    replay.write_text(json.dumps({"t": 0, "user": "emote_fan", "text": f"{emotes} @pixelsage"}))
    config = parse_config(
        {
            "router": {"delays": {p: [0.0, 0.0] for p in ("high", "normal", "low")}},
            "chat": {"source": "replay", "replay_file": str(replay)},
            "send_limits": {"enabled": False},
            "bots": [{"name": "pixelsage"}],
        }
    )
    app = app_for(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 1)
        assert app.engine.snapshot().chat.mentions == 1
