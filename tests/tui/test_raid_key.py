"""The dashboard's `r` raid follows the configured raid's parameters."""

from __future__ import annotations

from tests.tui.helpers import make_app, wait_until


async def test_the_raid_key_brings_the_configured_raid():
    app = make_app([], chat={"scenario_params": {"viewers": 7, "mention_share": 1.0}})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await wait_until(pilot, lambda: app.engine.router.counts.mentions >= 7)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.engine.router.counts.mentions >= 14)
        await pilot.pause(0.3)  # nothing beyond the two raids arrives
        viewer_lines = app.engine.router.counts.lines - app.engine.scheduler.snapshot().sent
        assert viewer_lines == 14
        assert app.engine.router.counts.mentions == 14
