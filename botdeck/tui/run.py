"""Running the dashboard in the process's event loop, and the run that outlives it.

The run (`RunSession`: the chat feed, the engine, quit requests) lives in this loop, not
in the app. When the app ends before the run has (the terminal closed mid-stream, an
exception in a widget, the app told to quit from outside, as `botdeck serve` does), the
run carries on here without a screen, exactly as a headless run would: it finishes what
is queued, a finite chat source ends it, and quit signals drain and then stop
(`RunSession.run_unattended`).
No queued mention gets an outcome because the dashboard went away.
"""

from __future__ import annotations

import logging

from botdeck.engine import say_on_stderr
from botdeck.storage.logs import current_log_file
from botdeck.tui.app import BotdeckApp

log = logging.getLogger(__name__)


async def run_dashboard(app: BotdeckApp, *, headless: bool = False) -> int:
    """Run the app, then whatever of the run it left; the run's exit code.
    `headless`: Textual's headless driver (tests run the real path this way)."""
    session = app.session
    session.supervised = True  # the app leaves the run to us when it closes
    # The app starts the run when it mounts, so the feed's task carries the app's context
    # (Textual's timers, started by listeners on it, need it); if the app never mounts,
    # `run_unattended` starts it below.
    try:
        await app.run_async(headless=headless)
    finally:
        session.say = say_on_stderr  # the screen is gone: one line on stderr each
        if not session.engine.state.ended:
            await _carry_on_without_screen(app)
        await session.close()
    return session.exit_code


async def _carry_on_without_screen(app: BotdeckApp) -> None:
    session = app.session
    if app.failure is not None:
        where = current_log_file()
        log_note = f" (traceback in {where})" if where else ""
        session.say(
            f"the dashboard failed ({type(app.failure).__name__}){log_note}; the bots carry on"
            " without it: Ctrl+C drains and quits, a second Ctrl+C stops",
            "error",
        )
    elif app.detached:
        log.info("the terminal went away: draining without a screen")
    elif not session.quits.requested:
        # Closed from outside (a browser page's process told to quit): quit as asked.
        app.exit_note = session.request_quit("the dashboard closed").describe()
        log.info("the dashboard was closed: draining without a screen")
    log.info("carrying the run on without a screen")
    await session.run_unattended()
    log.info("the run ended without a screen: %s", session.engine.state)
