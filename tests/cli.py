"""Running `botdeck` the way a user does: a subprocess, its output captured as text."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Any


def run_botdeck(
    *args: str, env: Mapping[str, str], timeout: float = 120, **options: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "botdeck", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=timeout,
        check=False,
        **options,
    )
