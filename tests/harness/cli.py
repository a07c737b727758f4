"""Running `botdeck` the way a user does: a subprocess, its output captured as text."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
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


def copy_checkout(root: Path, dest: Path) -> Path:
    """The checkout as a fresh clone has it: no venv, no build leftovers (setuptools would
    put a stale build/ into the wheel), no caches."""
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                    "__pycache__", ".*_cache", ".hypothesis")  # fmt: skip
    shutil.copytree(root, dest, symlinks=True, ignore=ignore)
    return dest
