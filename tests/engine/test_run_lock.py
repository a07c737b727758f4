"""One run per channel and client id (issue 22, item 7): the lock in the data directory,
taken, refused with the holder's pid, released, and taken over from a crashed run; the
operating system's lock (fcntl here) and the text-only fallback where there is none."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys

import pytest

from botdeck.config import ConfigError
from botdeck.engine.run_lock import lock_path, run_lock


def test_a_second_run_on_the_channel_is_refused_naming_the_first(tmp_path):
    with run_lock(tmp_path, "Streamer", "client1") as note:
        assert note is None
        with pytest.raises(ConfigError) as refused, run_lock(tmp_path, "streamer", "client1"):
            pass
        assert f"pid {os.getpid()}, started " in str(refused.value)
        assert "another botdeck run is answering #streamer" in str(refused.value)
        with run_lock(tmp_path, "streamer", "client2"):  # another client id: its own lock
            pass
        with run_lock(tmp_path, "other_channel", "client1"):
            pass
    with run_lock(tmp_path, "streamer", "client1") as note:  # released: taken again
        assert note is None


def test_a_crashed_runs_lock_is_taken_over_and_said(tmp_path):
    """A run killed with SIGKILL leaves its text behind; the OS released its lock."""
    script = (
        "import os, sys, pathlib\n"
        "from botdeck.engine.run_lock import run_lock\n"
        "with run_lock(pathlib.Path(sys.argv[1]), 'streamer', 'c1'):\n"
        "    print('held', flush=True)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    crashed = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert crashed.stdout == "held\n" and crashed.returncode != 0
    left = json.loads(lock_path(tmp_path, "streamer", "c1").read_text())
    with run_lock(tmp_path, "streamer", "c1") as note:
        assert note is not None and f"(pid {left['pid']}, started " in note
        assert note.startswith("took over #streamer from a run that ended without closing")


def test_without_an_os_lock_the_text_is_the_lock(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_os_locks(name, *args, **kwargs):
        if name in ("fcntl", "msvcrt"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_os_locks)
    with (
        run_lock(tmp_path, "streamer", "c1"),
        pytest.raises(ConfigError, match=f"pid {os.getpid()}"),
        run_lock(tmp_path, "streamer", "c1"),
    ):
        pass
    stale = {"pid": 2**22 + 12345, "started": 1_700_000_000.0}  # no such process
    lock_path(tmp_path, "streamer", "c1").write_text(json.dumps(stale))
    with run_lock(tmp_path, "streamer", "c1") as note:
        assert note is not None and f"pid {stale['pid']}" in note
