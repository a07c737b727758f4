"""The demo layout at two sizes, with a fixed seed, frozen clock and settled engine."""

from __future__ import annotations

import pytest

from botdeck.chat.simulated import ScriptedLine
from tests.tui.helpers import make_app, mentions, wait_until

CHATTER = [
    ScriptedLine(0.0, "mossy_otter", "that jump was clean"),
    ScriptedLine(0.0, "neon_panda", "@pixelsage @genejacqueman settle this: cats or dogs?"),
    ScriptedLine(0.0, "mallory", "[bold]not bold[/bold] \x1b[31mnot red"),
]


def settled(app, replies: int):
    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == replies)
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending == 0)
        app.flush_chat()
        app.refresh_numbers()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(100, 30), (160, 45)], ids=["100x30", "160x45"])
def test_demo_layout(snap_compare, size):
    app = make_app(mentions(6) + CHATTER, delays=0.0)
    assert snap_compare(app, terminal_size=size, run_before=settled(app, replies=8))
