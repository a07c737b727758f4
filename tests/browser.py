"""Headless Chromium for tests: a screenshot of a page, or a page driven over the DevTools
protocol. Debian's `chromium` (make test installs it); tests skip, saying why, without it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--disable-dev-shm-usage",
)  # fmt: skip


def chromium() -> str:
    """The browser's path, or the test is skipped with the reason."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed (make test installs it with apt-get where it can)")


def screenshot(url: str, png: Path, profile: Path, width: int = 900, height: int = 2400) -> None:
    result = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
         f"--screenshot={png}", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert png.exists(), f"no screenshot: {result.stderr[-1500:]}"
