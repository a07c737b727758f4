"""Every way of quitting the dashboard drains first; a second one stops at once.

Keys are pressed through Pilot; signals are delivered to the app's handler as the event
loop would (the real signals, and a closed terminal, are in test_terminal_quit.py).
"""

from __future__ import annotations

import io
import signal

import pytest

from botdeck.engine import EXIT_OK, EXIT_STOPPED
from botdeck.model.jobs import RouterState
from tests.harness.dashboard import make_app, mentions, wait_until
from tests.harness.journals import OUTCOMES, events_of


def outcomes(journal: io.StringIO) -> dict[int, str]:
    return {e["job"]: e["event"] for e in events_of(journal) if e["event"] in OUTCOMES}


@pytest.mark.parametrize("key", ["q", "ctrl+q", "ctrl+c"])
async def test_a_quit_key_drains_every_queued_reply_then_quits(key: str):
    journal = io.StringIO()
    app = make_app(mentions(9), delays=0.3, journal=journal, router={"global_concurrency": 2})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.size > 0)
        await pilot.press(key)
        assert app.engine.state is RouterState.DRAINING

        def said() -> bool:  # a toast is a message: it lands on the app's next turn
            notes = [n.message for n in app._notifications]
            return any(f"{key}: draining before quitting" in note for note in notes)

        await wait_until(pilot, said)
        await wait_until(pilot, lambda: app.return_code is not None, within=20)
    assert app.return_code == EXIT_OK
    assert set(outcomes(journal).values()) == {"sent"}  # nothing cancelled: 9 sent
    assert len(outcomes(journal)) == 9
    states = [e["state"] for e in events_of(journal) if e["event"] == "state"]
    assert states == ["draining", "drained"]  # and not "stopped" after the drain


@pytest.mark.parametrize(("first", "second"), [("ctrl+q", "ctrl+q"), ("q", "ctrl+c")])
async def test_a_second_quit_of_any_kind_stops_at_once_and_says_so(first: str, second: str):
    journal = io.StringIO()
    app = make_app(mentions(9), delays=30.0, journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending > 0)
        await pilot.press(first)
        await pilot.press(second)
        assert app.engine.state is RouterState.STOPPED
    assert app.return_code == EXIT_STOPPED
    assert app.exit_note is not None
    assert app.exit_note.startswith(f"{second} again: stopped at once, 9 unsent replies cancelled")
    assert set(outcomes(journal).values()) == {"cancelled"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
async def test_sigterm_and_sighup_drain_and_a_second_signal_stops(sig: signal.Signals):
    app = make_app(mentions(6), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending > 0)
        app._on_signal(sig)  # the terminal is still there: an ordinary quit request
        assert app.engine.state is RouterState.DRAINING
        assert app.return_code is None  # still drawing, still draining
        app._on_signal(sig)
        assert app.engine.state is RouterState.STOPPED
    assert app.return_code == EXIT_STOPPED
    assert app.exit_note is not None and app.exit_note.startswith(f"{sig.name} again: stopped")


async def test_starting_again_after_a_quit_drain_makes_the_next_quit_a_drain_again():
    app = make_app(mentions(6), delays=30.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.pending > 0)
        await pilot.press("q")
        await pilot.press("s")
        assert app.engine.state is RouterState.RUNNING
        await pilot.press("ctrl+q")
        assert app.engine.state is RouterState.DRAINING
        await pilot.press("ctrl+q")
    assert app.return_code == EXIT_STOPPED
