"""`python -m tests.fakes.failing_dashboard ARGS`: `botdeck ARGS` with a widget that raises
once a raid is queued, for the end-to-end test that a failing dashboard takes no mention
with it. The fault lives here, in the tests, not in the product."""

from __future__ import annotations

import sys

from botdeck.commands.cli import main
from botdeck.model.snapshot import EngineSnapshot
from botdeck.tui.widgets import status

_show = status.Overview.show


def _fails_once_busy(self: status.Overview, snap: EngineSnapshot, backlog_warning: int) -> None:
    if snap.queues.size > 0:
        raise RuntimeError("a widget bug, injected by the test")
    _show(self, snap, backlog_warning)


status.Overview.show = _fails_once_busy  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
