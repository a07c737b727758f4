"""Where journals live when no `--journal PATH` is given: one file per run.

A run without `--journal` still keeps a journal, because a crash or a closed terminal is
exactly when one is needed (to resume, to see what happened). Files go to `[journal]
dir` (default: the user data directory, `~/.local/share/botdeck/journal` on Linux), named
`CHANNEL-YYYYmmdd-HHMMSS.jsonl` (local time), so the latest run of a channel is the last
name in order. Files older than `keep_days` are removed when a run starts.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from botdeck.config import Config, ConfigError
from botdeck.storage.files import FileRefused, ensure_folder, open_append
from botdeck.storage.paths import journal_dir as default_journal_dir

_NAME = re.compile(r"^(?P<channel>[A-Za-z0-9_]+)-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?\.jsonl$")
DAY = 86_400.0


@dataclass(frozen=True, order=True, slots=True)
class JournalFile:
    """A journal in the directory, ordered by when its run started."""

    stamp: str
    n: int
    channel: str
    path: Path

    @classmethod
    def parse(cls, path: Path) -> JournalFile | None:
        match = _NAME.match(path.name)
        if match is None:
            return None
        return cls(match["stamp"], int(match["n"] or 1), match["channel"].lower(), path)


def journal_dir(config: Config) -> Path:
    """`[journal] dir`, or the user data directory's `journal` folder."""
    if config.journal.dir:
        return Path(config.journal.dir).expanduser()
    return default_journal_dir()


def journals(directory: Path, channel: str | None = None) -> list[JournalFile]:
    """The run journals in `directory` (of one channel, if given), oldest first."""
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    found = (JournalFile.parse(path) for path in entries if path.is_file())
    wanted = channel.lower() if channel else None
    return sorted(f for f in found if f is not None and (wanted is None or f.channel == wanted))


def latest_journal(
    directory: Path, channel: str | None = None, *, besides: str | None = None
) -> Path | None:
    """The newest run journal (of one channel, if given; of any but `besides`, if given)."""
    skipped = besides.lower() if besides else None
    runs = [run for run in journals(directory, channel) if run.channel != skipped]
    return runs[-1].path if runs else None


def new_journal_path(directory: Path, channel: str, now: float | None = None) -> Path:
    """A name for this run's journal that no other run has taken; creates the directory.
    A directory that cannot be made is a ConfigError naming it."""
    try:
        ensure_folder(directory)  # made private; a folder that exists keeps its mode
    except OSError as error:
        raise ConfigError(f"journal.dir: {cannot_write(directory, error)}") from None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    path = directory / f"{channel.lower()}-{stamp}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{channel.lower()}-{stamp}-{n}.jsonl"
    return path


def prune(directory: Path, keep_days: float, *, keep: Path | None = None) -> list[Path]:
    """Remove run journals last written more than `keep_days` ago (0: keep all), except
    `keep` (the one a run resumes from). Returns what was removed."""
    if keep_days <= 0:
        return []
    cutoff = time.time() - keep_days * DAY
    removed = []
    for journal in journals(directory):
        if journal.path == keep:
            continue
        with contextlib.suppress(OSError):
            if journal.path.stat().st_mtime < cutoff:
                journal.path.unlink()
                removed.append(journal.path)
    return removed


def open_journal(path: Path, what: str, inputs: Iterable[Path] = ()) -> TextIO:
    """Open a journal to append to. A file a killed run left cut off mid-line gets its
    newline first, so the next event starts on a line of its own. Only a regular file is
    appended to, never one of `inputs` (what the run reads: its config, its replay); any
    other, or a file that cannot be written, is a ConfigError naming it (`what`: the
    option or key it came from)."""
    try:
        stream = open_append(path, inputs, what="journal")
    except FileRefused as error:
        raise ConfigError(f"{what}: {error}") from None
    try:
        ends_mid_line = _ends_mid_line(path)
    except OSError:
        ends_mid_line = False  # write-only: a cut line stays cut, the reader skips it
    if ends_mid_line:
        stream.write("\n")
    return stream


def cannot_write(path: Path, error: OSError) -> str:
    return f"cannot write {path}: {error.strerror or error}"


def _ends_mid_line(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            stream.seek(0, 2)
            if stream.tell() == 0:
                return False
            stream.seek(-1, 2)
            return stream.read(1) != b"\n"
    except FileNotFoundError:
        return False
