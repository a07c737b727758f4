"""Fixtures for the chat tests: a private data directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BOTDECK_DATA_DIR", str(tmp_path / "data"))
