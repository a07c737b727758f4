"""Issue 27, item 1: what botdeck writes cannot harm what is not its own.

`files.write_atomic` and `files.open_append` are the writers of every file botdeck makes
(config, tokens, report page; journals): only a regular file or a new one, never a file
the command reads, atomically where it replaces, a full disk leaving nothing behind. The
FIFO stands in for any special file: a symlink to it stands in for `/dev/null` (the real
one is never touched). A full disk is `os.write` or `os.fsync` failing with ENOSPC."""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from botdeck.commands import cli
from botdeck.storage.files import (
    AlreadyExists,
    WriteRefused,
    check_writable_target,
    ensure_folder,
    open_append,
    write_atomic,
)
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.harness.cli import run_botdeck

posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and modes are POSIX")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.fixture
def dev_null(tmp_path: Path, fifo: Path) -> Path:
    """`p.toml -> FIFO`: what `--config /dev/null` is, without touching /dev/null."""
    link = tmp_path / "p.toml"
    link.symlink_to(fifo)
    return link


def still_a_fifo(path: Path) -> bool:
    return stat.S_ISFIFO(os.stat(path).st_mode)


def leftovers(folder: Path, *keep: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name not in keep)


def fail_with_enospc(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, name, full)


# ------------------------------------------------------------------ the helpers
def test_a_fifo_a_link_to_one_and_a_folder_are_refused_and_left_as_they_were(
    tmp_path: Path, fifo: Path, dev_null: Path
):
    for target, kind in ((fifo, "a FIFO (named pipe)"), (tmp_path, "a directory")):
        with pytest.raises(WriteRefused) as refused:
            write_atomic(target, "x", what="config file")
        assert str(refused.value) == (
            f"{target}: is {kind}: botdeck writes a config file only to a regular file"
        )
    with pytest.raises(WriteRefused, match=rf"^{dev_null} \(a link to {fifo}\): is a FIFO"):
        write_atomic(dev_null, "x")
    with pytest.raises(WriteRefused, match=r"is a FIFO \(named pipe\): botdeck writes a journal"):
        open_append(dev_null, what="journal")  # refused before it is opened: no hang
    assert still_a_fifo(fifo) and dev_null.is_symlink()
    assert leftovers(tmp_path) == ["p.toml", "pipe"]


def test_an_input_is_refused_through_a_symlink_and_a_hard_link(tmp_path: Path):
    journal = tmp_path / "j.jsonl"
    journal.write_text('{"ts": 1, "event": "chat"}\n')
    (tmp_path / "link.jsonl").symlink_to(journal)
    os.link(journal, tmp_path / "hard.jsonl")
    for name in ("j.jsonl", "link.jsonl", "hard.jsonl"):
        with pytest.raises(WriteRefused, match="is a file this command reads"):
            write_atomic(tmp_path / name, "<html>", inputs=[journal], what="report page")
        with pytest.raises(WriteRefused, match="is a file this command reads"):
            open_append(tmp_path / name, inputs=[journal])
    assert journal.read_text() == '{"ts": 1, "event": "chat"}\n'
    assert check_writable_target(tmp_path / "other.html", [journal]) == tmp_path / "other.html"


def test_a_file_where_a_folder_must_be_is_named_as_such(tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(WriteRefused) as refused:
        write_atomic(tmp_path / "afile" / "botdeck.toml", "x", replace=False)
    blocker = tmp_path / "afile"
    assert str(refused.value) == f"{blocker}/botdeck.toml: {blocker} is a file, not a folder"


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
):
    old = tmp_path / "botdeck.toml"
    old.write_text("# mine\n")
    fail_with_enospc(monkeypatch, failing)
    with pytest.raises(WriteRefused, match=r"botdeck.toml: cannot write: No space left on device$"):
        write_atomic(old, "# new\n" * 1000)
    with pytest.raises(WriteRefused, match="No space left on device"):
        write_atomic(tmp_path / "new.toml", "# new\n", replace=False)
    monkeypatch.undo()
    assert old.read_text() == "# mine\n"
    assert leftovers(tmp_path) == ["botdeck.toml"]  # no new.toml, empty or half; no temp


def test_without_replace_an_existing_file_is_kept(tmp_path: Path):
    path = tmp_path / "botdeck.toml"
    write_atomic(path, "# first\n", replace=False)
    with pytest.raises(AlreadyExists, match="already exists"):
        write_atomic(path, "# second\n", replace=False)
    assert path.read_text() == "# first\n" and leftovers(tmp_path) == ["botdeck.toml"]


@posix
def test_modes_folders_made_private_folders_found_kept(tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # a shared folder: the sticky bit keeps others' files theirs
    write_atomic(shared / "a" / "b" / "tokens.json", "{}", mode=0o600)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    for folder in (shared / "a", shared / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((shared / "a" / "b" / "tokens.json").stat().st_mode) == 0o600
    page = tmp_path / "page.html"
    page.write_text("old")
    page.chmod(0o640)
    write_atomic(page, "new")  # a replaced file keeps its mode
    assert stat.S_IMODE(page.stat().st_mode) == 0o640 and page.read_text() == "new"
    ensure_folder(shared)  # exists: left alone
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


@posix
def test_saving_a_token_leaves_a_shared_data_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("BOTDECK_DATA_DIR", str(shared))
    TokenStore().save("cid", StoredToken("abot", "1", "access-token-1", "refresh-token-1"))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "tokens.json").stat().st_mode) == 0o600
    assert TokenStore().load("cid")["abot"].access_token == "access-token-1"
    assert leftovers(shared) == ["tokens.json"]


# ------------------------------------------------------------------ the commands
def env_for(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "BOTDECK_LOG_DIR": str(tmp_path / "log"),
        "BOTDECK_DATA_DIR": str(tmp_path / "data"),
    }


INIT = ("init", "--channel", "mychannel", "--bot", "botone", "--client-id", "abc")


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_init_force_over_a_fifo_or_a_link_to_one_exits_2_and_leaves_it(
    tmp_path: Path, fifo: Path, dev_null: Path
):
    for target in ("pipe", "p.toml"):
        result = run_botdeck(*INIT, "--config", target, "--force", env=env_for(tmp_path),
                             cwd=tmp_path, timeout=30)  # fmt: skip
        assert result.returncode == 2
        assert one_line(result.stderr).startswith(f"botdeck: {target}")
        assert "is a FIFO (named pipe): botdeck writes a config file only to a regular file" in (
            result.stderr
        )
    assert still_a_fifo(fifo) and dev_null.is_symlink()
    assert leftovers(tmp_path, "log") == ["p.toml", "pipe"]


def test_init_under_a_file_says_the_file_is_not_a_folder(tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    result = run_botdeck(*INIT, "--config", "afile/botdeck.toml", env=env_for(tmp_path),
                         cwd=tmp_path, timeout=30)  # fmt: skip
    assert result.returncode == 2
    assert one_line(result.stderr) == "botdeck: afile/botdeck.toml: afile is a file, not a folder"


def run_main(*args: str) -> int:
    return cli.main(list(args))


@pytest.mark.parametrize("force", [False, True])
def test_init_on_a_full_disk_leaves_no_file_and_no_temporary_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    force: bool,
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "botdeck.toml"
    if force:
        config.write_text("# mine\n")
    with monkeypatch.context() as disk:
        fail_with_enospc(disk, "write")
        code = run_main(*INIT, *(["--force"] if force else []))
    assert code == 2
    assert one_line(capsys.readouterr().err) == (
        "botdeck: botdeck.toml: cannot write: No space left on device"
    )
    assert leftovers(tmp_path) == (["botdeck.toml"] if force else [])
    if force:
        assert config.read_text() == "# mine\n"


def journal_of(path: Path) -> str:
    events = [{"ts": 1.0, "event": "chat", "msg": "m1", "user": "v", "text": "hi"}]
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    return path.read_text()


def test_report_html_over_its_journal_is_refused_and_the_journal_kept(tmp_path: Path):
    journal = tmp_path / "j.jsonl"
    before = journal_of(journal)
    (tmp_path / "link.jsonl").symlink_to(journal)
    for page in ("j.jsonl", "link.jsonl"):
        result = run_botdeck("report", "j.jsonl", "--html", page, env=env_for(tmp_path),
                             cwd=tmp_path, timeout=30)  # fmt: skip
        assert result.returncode == 2
        line = one_line(result.stderr)
        assert line.startswith(f"botdeck: --html: {page}: is a file this command reads")
    assert journal.read_text() == before


def test_rehearse_with_its_replay_as_journal_is_refused_and_the_log_kept(tmp_path: Path):
    replay = tmp_path / "log.jsonl"
    replay.write_text('{"t": 0, "user": "viewer", "text": "@botone hi"}\n')
    (tmp_path / "again.jsonl").symlink_to(replay)
    config = tmp_path / "botdeck.toml"
    config.write_text('[[bots]]\nname = "botone"\n')
    for journal in ("log.jsonl", "again.jsonl", "botdeck.toml"):
        result = run_botdeck("rehearse", "--replay", "log.jsonl", "--journal", journal,
                             env=env_for(tmp_path), cwd=tmp_path, timeout=30)  # fmt: skip
        assert result.returncode == 2
        line = one_line(result.stderr)
        assert line.startswith(f"botdeck: --journal: {journal}: is a file this command reads")
    assert replay.read_text() == '{"t": 0, "user": "viewer", "text": "@botone hi"}\n'
    assert config.read_text() == '[[bots]]\nname = "botone"\n'


@pytest.mark.parametrize("journal", ["pipe", "p.toml", "."])
def test_a_journal_that_is_a_fifo_or_a_folder_is_refused_at_once(
    tmp_path: Path, fifo: Path, dev_null: Path, journal: str
):
    result = run_botdeck("demo", "--headless", "--journal", journal, env=env_for(tmp_path),
                         cwd=tmp_path, timeout=30)  # fmt: skip
    assert result.returncode == 2
    kind = "a directory" if journal == "." else "a FIFO (named pipe)"
    assert f"is {kind}: botdeck writes a journal only to a regular file" in one_line(result.stderr)
    assert still_a_fifo(fifo)


def test_serve_refuses_a_journal_it_could_not_append_to_before_serving(tmp_path: Path, fifo: Path):
    result = run_botdeck("serve", "--demo", "--port", "0", "--journal", str(fifo),
                         env=env_for(tmp_path), timeout=30)  # fmt: skip
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"botdeck: --journal: {fifo}: is a FIFO")


WRITERS: dict[str, Callable[[Path], object]] = {
    "write_atomic": lambda path: write_atomic(path, "x"),
    "open_append": lambda path: open_append(path).close(),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_regular_file_and_a_new_one_are_written(tmp_path: Path, writer: str):
    existing = tmp_path / "old.txt"
    existing.write_text("")
    for path in (existing, tmp_path / "new.txt"):
        WRITERS[writer](path)
        assert path.read_text() == ("x" if writer == "write_atomic" else "")
    assert leftovers(tmp_path) == ["new.txt", "old.txt"]
