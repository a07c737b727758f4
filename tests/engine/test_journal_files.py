"""Run journals in `[journal] dir`: one file per run, the latest per channel, retention."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from botdeck.config import ConfigError, parse_config
from botdeck.engine.journal_files import (
    DAY,
    journal_dir,
    latest_journal,
    new_journal_path,
    open_journal,
    prune,
)

NOON = time.mktime((2026, 11, 19, 12, 0, 0, 0, 0, -1))


def test_each_run_gets_its_own_file_named_by_channel_and_local_time(tmp_path: Path):
    first = new_journal_path(tmp_path / "journal", "Some_Channel", NOON)
    assert first.parent.is_dir()
    assert first.name == "some_channel-20261119-120000.jsonl"
    first.touch()
    second = new_journal_path(tmp_path / "journal", "some_channel", NOON)
    assert second.name == "some_channel-20261119-120000-2.jsonl"  # same second: not the same file


def test_the_latest_journal_is_the_last_run_of_that_channel(tmp_path: Path):
    for name in (
        "alpha-20261119-120000.jsonl",
        "alpha-20261119-130000.jsonl",
        "alpha-20261119-130000-2.jsonl",
        "beta-20261119-140000.jsonl",
        "notes.txt",
        "alpha-latest.jsonl",
    ):
        (tmp_path / name).touch()
    assert latest_journal(tmp_path, "alpha") == tmp_path / "alpha-20261119-130000-2.jsonl"
    assert latest_journal(tmp_path, "ALPHA") == tmp_path / "alpha-20261119-130000-2.jsonl"
    assert latest_journal(tmp_path) == tmp_path / "beta-20261119-140000.jsonl"
    assert latest_journal(tmp_path, "gamma") is None
    assert latest_journal(tmp_path / "missing") is None


def test_old_run_journals_are_removed_but_not_the_one_being_resumed(tmp_path: Path):
    old, resumed, fresh = (
        tmp_path / f"alpha-202611{day}-120000.jsonl" for day in ("01", "02", "19")
    )
    for path in (old, resumed, fresh, tmp_path / "keep-me.txt"):
        path.write_text("{}\n")
    month_ago = time.time() - 31 * DAY
    for path in (old, resumed, tmp_path / "keep-me.txt"):
        os.utime(path, (month_ago, month_ago))
    assert prune(tmp_path, 30, keep=resumed) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [resumed.name, fresh.name, "keep-me.txt"]  # not a run journal: never touched
    )
    assert prune(tmp_path, 0) == []  # 0: keep everything


def test_appending_to_a_journal_cut_off_mid_line_starts_on_a_new_line(tmp_path: Path):
    path = tmp_path / "journal.jsonl"
    path.write_text('{"ts":1,"event":"state","state":"running"}\n{"ts":2,"ev')
    with open_journal(path, "--journal") as stream:
        stream.write('{"ts":3}\n')
    assert path.read_text().splitlines()[-2:] == ['{"ts":2,"ev', '{"ts":3}']
    with open_journal(path, "--journal") as stream:  # ends with a newline: none added
        stream.write('{"ts":4}\n')
    assert path.read_text().endswith('{"ts":3}\n{"ts":4}\n')


def test_a_journal_that_cannot_be_written_is_one_line_naming_it(tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file")
    with pytest.raises(ConfigError, match=rf"^journal.dir: cannot write {blocker}/journal: "):
        new_journal_path(blocker / "journal", "alpha")
    with pytest.raises(ConfigError, match=rf"^--journal: {tmp_path}: is a directory: "):
        open_journal(tmp_path, "--journal")


def test_the_journal_dir_defaults_to_the_user_data_directory(user_data_dir: Path):
    config = parse_config({"bots": [{"name": "alpha"}]})
    assert journal_dir(config) == user_data_dir / "botdeck" / "journal"
    config = parse_config({"journal": {"dir": "~/streams"}, "bots": [{"name": "alpha"}]})
    assert journal_dir(config) == Path.home() / "streams"


def test_botdeck_data_dir_moves_the_journals_with_the_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """One variable moves everything botdeck keeps (a second profile, a portable install)."""
    from botdeck.twitch.tokens import TokenStore

    monkeypatch.setenv("BOTDECK_DATA_DIR", str(tmp_path / "profile"))
    config = parse_config({"bots": [{"name": "alpha"}]})
    assert journal_dir(config) == tmp_path / "profile" / "journal"
    assert TokenStore().path == tmp_path / "profile" / "tokens.json"
