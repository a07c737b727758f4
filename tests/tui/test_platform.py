"""Windows and macOS: nothing botdeck runs needs a POSIX-only call without a fallback.

The checks run in a fresh interpreter (`tests/harness/without_posix.py`) with `termios` and
the other POSIX-only modules gone, no SIGHUP and an event loop that cannot take signal
handlers, as on Windows: every module imports, the dashboard starts and quits by `q`, by
the ctrl+c key and by SIGINT (caught with `signal.signal`), and a headless run quits by
SIGINT. macOS has every POSIX call, so the rest of the suite covers it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_start_and_quit_without_posix_only_calls():
    done = subprocess.run(
        [sys.executable, "-m", "tests.harness.without_posix"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cases = {}
    for line in done.stdout.splitlines():
        if line.startswith('{"case"'):
            case = json.loads(line)
            cases[case.pop("case")] = case
    assert cases["import"]["modules"] > 50
    for key in ("q", "ctrl+c"):
        assert cases[key] == {"code": 0, "state": "drained", "sigint_caught_by_botdeck": True}
    assert cases["sigint"] == {"code": 0, "state": "drained"}
    assert cases["headless"]["code"] == 0
    assert cases["headless"]["states"][-2:] == ["draining", "drained"]
