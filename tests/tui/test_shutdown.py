"""The dashboard's timers never outlive the widgets they update.

The app used to own its refresh timer, and Textual stops an app's timers only after it
has removed every screen: a tick in between queried a `StatusBar` that was gone
(`NoMatches`) and failed the run. Here one widget takes its time to unmount, so the
other widgets are gone for a while before the screen is, and the refresh runs every
millisecond: a timer that could fire in that window would.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import ComposeResult
from textual.widgets import Static

from botdeck.tui import app as app_module
from botdeck.tui.app import BotdeckApp
from tests.harness.dashboard import make_app, mentions, wait_until

SLOW_UNMOUNT = 0.1  # seconds the last widget takes to go


class SlowToUnmount(Static):
    async def on_unmount(self) -> None:
        await asyncio.sleep(SLOW_UNMOUNT)


class AppWithASlowWidget(BotdeckApp):
    refreshes_after_widgets_left = 0

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield SlowToUnmount("bye")

    def refresh_numbers(self) -> None:
        if not self.query("StatusBar"):
            type(self).refreshes_after_widgets_left += 1
        super().refresh_numbers()


@pytest.fixture
def fast_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "REFRESH_SECONDS", 0.001)
    monkeypatch.setattr(app_module, "FLUSH_SECONDS", 0.001)


@pytest.mark.usefixtures("fast_timers")
@pytest.mark.parametrize("how", ["test ends", "app exits"])
async def test_no_refresh_runs_once_the_widgets_start_to_go(how: str):
    app = make_app(mentions(3), app_class=AppWithASlowWidget)
    AppWithASlowWidget.refreshes_after_widgets_left = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 3)
        if how == "app exits":
            app.exit()
    # Before the fix: NoMatches from refresh_numbers, raised by run_test, and counted here.
    assert AppWithASlowWidget.refreshes_after_widgets_left == 0
