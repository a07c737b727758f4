"""Running the dashboard in the process's event loop, and what outlives it.

The engine lives in this loop, not in the app: when the terminal is closed mid-stream
(SIGHUP), the dashboard closes at once, since there is nothing left to draw on, and the
engine finishes its drain here, without a screen. A further SIGTERM, SIGINT or SIGHUP
then stops it at once. The journal is complete either way.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from botdeck.model.jobs import RouterState
from botdeck.tui.app import EXIT_OK, EXIT_STOPPED, BotdeckApp

log = logging.getLogger(__name__)

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


async def run_dashboard(app: BotdeckApp) -> int:
    """Run the app; finish a drain it left to run without a screen. The exit code."""
    await app.run_async()
    if not app.detached:
        return app.return_code or 0
    await _finish_without_screen(app)
    return EXIT_STOPPED if app.engine.state is RouterState.STOPPED else EXIT_OK


async def _finish_without_screen(app: BotdeckApp) -> None:
    engine = app.engine
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        result = app.quits.request(signal.Signals(sig).name)
        log.info("without a screen: %s", result.describe())
        app.exit_note = result.describe()

    for sig in _SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    log.info("the terminal went away: draining without a screen")
    try:
        await engine.wait_ended()
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
        await engine.close()
    log.info("drain finished without a screen: %s", engine.state)
