"""Reading files botdeck did not write itself, the same way wherever it reads one.

Every reader (config, themes, blocklist, token file, replay logs, journals) goes through
here, so every one of them:

- reads regular files only: a device (`/dev/zero`), a FIFO or a socket could block or
  never end, so it is refused before it is opened, with one line saying what it is;
- has a size cap, checked before anything is parsed: a small file is read whole up to its
  cap (`read_capped`); a log is streamed (`open_stream`, `read_lines`), gzip-compressed or
  not, and its uncompressed size is capped as it is read, so a small gzip that inflates to
  gigabytes is refused after the cap, never held in memory;
- words a failure as one line naming the file (`FileRefused`, `unreadable`).

JSON that an outsider wrote is parsed by `load_json`, which refuses nesting deeper than
`MAX_JSON_DEPTH` before the parser sees it (the parser is recursive).

Every file botdeck writes goes through here too (config, tokens, report pages through
`write_atomic`; journals through `open_append`), so no writer can harm what is not its
own (botdeck often runs as root, in a shared folder):

- only a regular file, or a path where nothing is yet, is written (`check_writable_target`):
  a device (`/dev/null`), a FIFO, a socket or a directory is refused with one line, and so
  is a file the same command reads (the same inode: through symlinks and hard links too);
  a symlink is followed, so the file it points to is the one checked and written;
- a file is replaced atomically: a temporary file in the same folder, written whole and
  fsynced, then renamed over it (`write_atomic`), or linked into place when it must not
  exist yet; on any failure (a full disk included) the temporary file is removed and what
  was there before is untouched;
- folders botdeck has to create are private (0700); folders that exist keep their mode.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import re
import secrets
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
CHUNK = MIB  # streamed reads take this much at a time
MAX_BLANK_RUN = 16 * MIB  # no log botdeck reads has this much blank space in a row
MAX_JSON_DEPTH = 64  # a chat line or journal event nests 3 deep, a TwitchDownloader file 7
_GZIP_MAGIC = b"\x1f\x8b"
_BLANKS = re.compile(rb"[ \t\r\n\x0b\x0c]*")


class Readable(Protocol):
    """What the streamed readers read from: a file, or `open_stream`'s capped stream."""

    def read(self, size: int = -1, /) -> bytes: ...


class FileRefused(Exception):
    """A file that cannot or may not be read or written; the message is one line naming it."""


class WriteRefused(FileRefused):
    """A file botdeck will not or could not write; nothing that was there is changed."""


class AlreadyExists(WriteRefused):
    """`write_atomic(..., replace=False)` found a file in the way (it is left as it was)."""


def unreadable(path: Path, error: OSError, what: str = "file") -> str:
    """`<path>: file not found`, `<path>: is a directory, not a <what>`, or the OS reason."""
    if isinstance(error, FileNotFoundError):
        return f"{path}: file not found"
    if isinstance(error, IsADirectoryError):
        return f"{path}: is a directory, not a {what}"
    return f"{path}: cannot read: {error.strerror or error}"


def size_text(size: int) -> str:
    """1048576 → "1 MiB"; what a cap is called in messages and the README."""
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if size >= unit:
            return f"{size / unit:g} {name}"
    return f"{size} bytes"


def too_big(path: Path, what: str, limit: int, packed: bool = False) -> str:
    size = size_text(limit) + (" uncompressed" if packed else "")
    return f"{path}: larger than {size}, the most botdeck reads as a {what}"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _open_regular(path: Path, what: str) -> tuple[BinaryIO, int]:
    """The file opened for reading, and its size; anything but a regular file is refused
    before it is opened (opening a FIFO would wait for a writer)."""
    try:
        info = path.stat()
    except OSError as error:
        raise FileRefused(unreadable(path, error, what)) from None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise FileRefused(f"{path}: is {kind}, not a {what} (only regular files are read)")
    try:
        # O_NONBLOCK: should the path have been swapped for a FIFO since, do not wait on it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise FileRefused(unreadable(path, error, what)) from None
    stream = os.fdopen(fd, "rb")
    if _kind(os.fstat(fd).st_mode) is not None:
        stream.close()
        raise FileRefused(f"{path}: is not a regular file, not a {what}")
    return stream, info.st_size


def read_capped(path: Path, what: str, limit: int) -> bytes:
    """A small file whole (config, theme, blocklist), refused past `limit` bytes."""
    stream, size = _open_regular(path, what)
    with stream:
        if size > limit:
            raise FileRefused(too_big(path, what, limit))
        try:
            data = stream.read(limit + 1)  # the file may have grown since the stat
        except OSError as error:
            raise FileRefused(unreadable(path, error, what)) from None
    if len(data) > limit:
        raise FileRefused(too_big(path, what, limit))
    return data


def read_text_capped(path: Path, what: str, limit: int) -> str:
    """`read_capped` as UTF-8 text (a byte order mark is dropped)."""
    try:
        return read_capped(path, what, limit).decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise FileRefused(f"{path}: not UTF-8 text") from None


class _Capped:
    """Reads `inner` (a file, or gzip's decompressed output), refusing past `limit` bytes:
    what lies past the cap is never read. No buffer of its own: one copy per read."""

    def __init__(self, inner: BinaryIO, path: Path, what: str, limit: int, packed: bool) -> None:
        self._inner = inner
        self._path = path
        self._what = what
        self._limit = limit
        self._packed = packed
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        if size < 0:  # all of it, which the cap bounds
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        try:
            data = self._inner.read(min(size, self._limit + 1 - self.consumed))
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise FileRefused(f"{self._path}: a damaged gzip file: {error}") from None
        except OSError as error:
            raise FileRefused(unreadable(self._path, error, self._what)) from None
        self.consumed += len(data)
        if self.consumed > self._limit:
            raise FileRefused(too_big(self._path, self._what, self._limit, self._packed))
        return data


@contextlib.contextmanager
def open_stream(path: Path, what: str, limit: int) -> Iterator[Readable]:
    """A log to stream (replay, journal), gzip-compressed or not, whose uncompressed size
    is capped at `limit`: reading past it raises `FileRefused` naming the cap."""
    raw, size = _open_regular(path, what)
    try:
        try:
            packed = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
        except OSError as error:
            raise FileRefused(unreadable(path, error, what)) from None
        if not packed and size > limit:
            raise FileRefused(too_big(path, what, limit))
        inner: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if packed else raw  # type: ignore[assignment]
        try:
            yield _Capped(inner, path, what, limit, packed)
        finally:
            inner.close()  # a GzipFile does not close the file it reads
    finally:
        raw.close()


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank line of a streamed file."""

    number: int  # from 1 (or from where the reading began)
    data: bytes  # without its newline; empty when the line is longer than the cap
    size: int  # its length in bytes (a line too long to keep: as far as it was read)
    ended: bool  # False for a last line without its newline: a write cut short
    too_long: bool = False


class BlankRun(ValueError):
    """More blank bytes in a row than a log of this kind ever holds (a file of newlines)."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"more than {size_text(limit)} of blank lines")
        self.line = line


def read_lines(
    stream: Readable, max_bytes: int, *, first: int = 1, max_blank: int = MAX_BLANK_RUN
) -> Iterator[Line]:
    """The non-blank lines of `stream`, numbered from `first`. A line longer than
    `max_bytes` is yielded with `too_long` and no data as soon as it passes the cap (so a
    gigabyte without a newline is known at its first megabyte), and the rest of it is
    skipped unheld. Blank lines are skipped at C speed; more than `max_blank` bytes of
    them in a row raise `BlankRun` (the line number where the run reached the limit)."""
    number = first
    parts: list[bytes] = []  # the current line so far, while it is within the cap
    size = 0  # bytes in the current line
    blank = 0  # blank bytes since the last line
    while block := stream.read(CHUNK):
        at, end = 0, len(block)
        while at < end:
            if size == 0:  # a line starts: skip blank lines and leading blanks
                skip = end if at == 0 and block.isspace() else _BLANKS.match(block, at).end()  # type: ignore[union-attr]
                number += block.count(b"\n", at, skip)
                blank += skip - at
                if blank > max_blank:
                    raise BlankRun(number, max_blank)
                at = skip
                if at == end:
                    break
                blank = 0
            newline = block.find(b"\n", at)
            stop = end if newline < 0 else newline
            within = size <= max_bytes
            size += stop - at
            if size <= max_bytes:
                parts.append(block[at:stop])
            elif within:  # it just passed the cap: say so now, keep none of it
                parts = []
                yield Line(number, b"", size, ended=newline >= 0, too_long=True)
            if newline < 0:
                break
            if size <= max_bytes:
                yield from _line(number, parts, size, ended=True)
            number += 1
            parts, size = [], 0
            at = newline + 1
    if 0 < size <= max_bytes:
        yield from _line(number, parts, size, ended=False)


def _line(number: int, parts: list[bytes], size: int, *, ended: bool) -> Iterator[Line]:
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if data.strip():
        yield Line(number, data, size, ended)


# ------------------------------------------------------------------ JSON
class JSONTooDeep(ValueError):
    """JSON nested deeper than the limit; `line` counts from 1 within the text parsed."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.line = line


# A string (escapes included; an unterminated one runs to the end), or a bracket.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)|[\[\]{}]', re.DOTALL)


def json_too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The byte offset where `data` first nests deeper than `limit`, or None. Brackets
    inside strings do not count. Cheap when there are few brackets (a chat line)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return None
    depth = 0
    for token in _TOKENS.finditer(data):
        char = data[token.start()]
        if char in b"[{":
            depth += 1
            if depth > limit:
                return token.start()
        elif char in b"]}":
            depth -= 1
    return None


def load_json(data: bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, after refusing nesting deeper than `limit` (`JSONTooDeep`). Also
    raises `UnicodeDecodeError` and `json.JSONDecodeError` as `json.loads` does."""
    offset = json_too_deep(data, limit)
    if offset is not None:
        raise JSONTooDeep(data.count(b"\n", 0, offset) + 1, limit)
    return json.loads(data.decode("utf-8"))


# ------------------------------------------------------------------ writing
PRIVATE_FOLDER = 0o700
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def ensure_folder(path: Path) -> None:
    """Create `path` and every missing folder above it, each private (0700): a folder
    botdeck makes holds its tokens or journals. Folders that exist keep their mode (a
    shared 1777 folder keeps its sticky bit). Raises OSError as `os.mkdir` does."""
    missing: list[Path] = []
    folder = path
    while not folder.is_dir():
        if os.path.lexists(folder):  # a file (or a dangling link) where a folder must be
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_FOLDER)
        except FileExistsError:
            if not folder.is_dir():  # made by someone else meanwhile, and not a folder
                raise


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of `path` when it is not a folder (`a-file/x.toml`)."""
    for parent in path.parents:
        if os.path.lexists(parent):
            return None if parent.is_dir() else parent
    return None


def check_writable_target(path: Path, inputs: Iterable[Path] = (), what: str = "file") -> Path:
    """The real path botdeck would write for `path` (symlinks followed), or WriteRefused
    (one line naming `path`) when writing there could harm: something that is not a
    regular file (a device, FIFO, socket, directory), a file in the way of its folder, or
    one of `inputs`, the files this command reads (compared by device and inode)."""
    real = Path(os.path.realpath(path))
    try:
        info = os.stat(real)
    except (FileNotFoundError, NotADirectoryError):
        blocker = _file_in_the_way(Path(path)) or _file_in_the_way(real)
        if blocker is not None:
            raise WriteRefused(f"{path}: {blocker} is a file, not a folder") from None
        return real  # a new file
    except OSError as error:
        raise WriteRefused(f"{path}: cannot write: {error.strerror or error}") from None
    kind = _kind(info.st_mode)
    if kind is not None:
        linked = os.path.islink(path) or real != Path(os.path.abspath(path))
        shown = f"{path} (a link to {real})" if linked else str(path)
        raise WriteRefused(_not_regular(shown, kind, what))
    for source in inputs:
        try:
            if _same_file(info, os.stat(source)):
                raise WriteRefused(_is_input(path, source, what))
        except OSError:
            continue  # an input that cannot be read is not this file
    return real


def _not_regular(path: Path | str, kind: str, what: str) -> str:
    return f"{path}: is {kind}: botdeck writes a {what} only to a regular file"


def _is_input(path: Path, source: Path, what: str) -> str:
    which = "" if Path(source) == Path(path) else f" (the same file as {source})"
    return f"{path}: is a file this command reads{which}: write the {what} to another file"


def _temporary_beside(target: Path, mode: int) -> tuple[int, Path]:
    """A new, empty file next to `target` (so the rename is atomic), created with `mode`
    (minus the umask), never through a link planted under its name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY | _O_NOFOLLOW | _O_CLOEXEC
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, mode), temporary
        except FileExistsError:
            continue


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows cannot open a folder)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# link(2) errors that mean "no hard links on this file system" (FAT, some network shares)
_NO_HARD_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOSYS, errno.EOPNOTSUPP}


def _link_into_place(temporary: Path, target: Path, path: Path) -> None:
    """Put the finished file at `target` only if nothing is there: a hard link fails on
    an existing name, so a file that appeared meanwhile is never replaced."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise AlreadyExists(f"{path}: already exists") from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(target):
            raise AlreadyExists(f"{path}: already exists") from None
        os.replace(temporary, target)
        return
    with contextlib.suppress(OSError):  # the file is in place: a stray name is no failure
        os.unlink(temporary)


def write_atomic(
    path: Path,
    data: bytes | str,
    *,
    mode: int | None = None,
    replace: bool = True,
    inputs: Iterable[Path] = (),
    what: str = "file",
    folders: bool = True,
) -> None:
    """Write `data` (str: as UTF-8) to `path` whole, or not at all.

    The target is checked first (`check_writable_target`: never a device, FIFO, folder
    or one of `inputs`); missing folders are made private; the data goes to a temporary
    file beside the target, is fsynced, and is then renamed over it (`replace`) or linked
    to it only if nothing is there yet (else `AlreadyExists`: `replace=False` never
    replaces, even a file that appears meanwhile). `mode`: the file's permission bits,
    set before a byte is written (tokens: 0600); None keeps an existing file's mode, else
    the umask's default. `folders=False`: a missing folder is refused, not made (a page
    goes where the user has a folder). Any failure (a full disk included) removes the
    temporary file, leaves the target as it was, and raises WriteRefused naming `path`.
    """
    inputs = list(inputs)
    target = check_writable_target(path, inputs, what)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        existing: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        existing = None
    if existing is not None and not replace:
        raise AlreadyExists(f"{path}: already exists")
    bits = mode if mode is not None else existing
    if not folders and not target.parent.is_dir():
        folder = target.parent if os.path.islink(path) else Path(path).parent
        raise WriteRefused(f"{path}: cannot write: the folder {folder} does not exist")
    try:
        ensure_folder(target.parent)
    except OSError as error:
        folder = error.filename or target.parent
        raise WriteRefused(
            f"{path}: cannot create the folder {folder}: {error.strerror or error}"
        ) from None
    temporary: Path | None = None
    fd = -1
    try:
        # Private until complete when the bits are known; else the umask decides, as open().
        fd, temporary = _temporary_beside(target, 0o600 if bits is not None else 0o666)
        if bits is not None and hasattr(os, "fchmod"):  # POSIX
            os.fchmod(fd, bits)
        _write_all(fd, payload)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        if replace:
            check_writable_target(path, inputs, what)  # still something it may replace
            os.replace(temporary, target)
        else:
            _link_into_place(temporary, target, path)
        temporary = None
        _sync_folder(target.parent)
    except OSError as error:
        where = f" in {target.parent}" if temporary is None else ""
        raise WriteRefused(f"{path}: cannot write{where}: {error.strerror or error}") from None
    finally:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def open_append(path: Path, inputs: Iterable[Path] = (), what: str = "file") -> TextIO:
    """`path` opened to append UTF-8 text (created if missing), after the same checks as
    `write_atomic`: a journal is added to, never replaced, but never over a device, a FIFO
    or a file the command reads either. The opened file is checked again, so a path
    swapped for a FIFO meanwhile is refused rather than waited on."""
    inputs = list(inputs)
    check_writable_target(path, inputs, what)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_BINARY | _O_CLOEXEC | _O_NONBLOCK
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as error:
        raise WriteRefused(f"{path}: cannot write: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        kind = _kind(info.st_mode)
        if kind is not None:
            raise WriteRefused(_not_regular(path, kind, what))
        for source in inputs:
            with contextlib.suppress(OSError):
                if _same_file(info, os.stat(source)):
                    raise WriteRefused(_is_input(path, source, what))
        if _O_NONBLOCK and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise
