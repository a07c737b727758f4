"""The dashboard's `r` raid follows the configured raid's parameters."""

from __future__ import annotations

from tests.harness.dashboard import make_app, wait_until


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
