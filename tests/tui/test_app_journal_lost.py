"""The dashboard when its journal cannot be written (a full disk): a notice, the run goes
on, and quitting ends it normally (issue 16)."""

from __future__ import annotations

import io
import re

from botdeck.engine import EXIT_OK
from botdeck.engine.journal import close_file
from botdeck.tui.widgets.status import AlertBar
from tests.harness.dashboard import make_app, mentions, wait_until


class FullDisk(io.StringIO):
    """A journal file on a full disk: writes are buffered, flushing fails, as is closing."""

    def flush(self) -> None:
        raise OSError(28, "No space left on device")

    def close(self) -> None:
        self.flush()


async def test_a_journal_on_a_full_disk_is_a_notice_and_the_run_goes_on():
    journal = FullDisk()
    app = make_app(mentions(3), delays=0.0, journal=journal)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 3)
        notice = "journal stopped after"
        await wait_until(pilot, lambda: any(notice in n for n in app.engine.snapshot().notices))
        app.refresh_numbers()
        assert "No space left on device" in app.query_one(AlertBar).plain  # a line of its own
        await pilot.press("q")
    assert app.return_code == EXIT_OK
    (lost,) = [n for n in app.engine.snapshot().notices if notice in n]  # said once
    assert re.fullmatch(r"journal stopped after \d+ lines: No space left on device", lost)
    close_file(journal)  # what the CLI does after the app: never raises again
