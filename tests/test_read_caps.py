"""The shared reader of untrusted files (`botdeck.storage.files`): caps, streamed lines, only
regular files, bounded JSON nesting; and the small files that go through it (issue 16)."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest

import botdeck.storage.files as files
from botdeck.ai.safety import BlocklistError, read_blocklist_file
from botdeck.storage.files import (
    MIB,
    BlankRun,
    FileRefused,
    JSONTooDeep,
    load_json,
    open_stream,
    read_capped,
    read_lines,
)
from botdeck.tui.themes import discover_themes


def lines_of(data: bytes, max_bytes: int = 10) -> list[tuple[int, bytes, int, bool, bool]]:
    return [
        (line.number, line.data, line.size, line.ended, line.too_long)
        for line in read_lines(io.BytesIO(data), max_bytes)
    ]


def test_lines_are_numbered_blank_ones_skipped_long_ones_not_kept():
    assert lines_of(b"a\n\n  b \n" + b"c" * 17 + b"\nd") == [
        (1, b"a", 1, True, False),
        (3, b"b ", 2, True, False),
        (4, b"", 17, True, True),
        (5, b"d", 1, False, False),
    ]


@pytest.mark.parametrize("chunk", [1, 3, 4, 7, 1 << 20])
def test_lines_are_the_same_whatever_the_chunk(monkeypatch, chunk):
    monkeypatch.setattr(files, "CHUNK", chunk)
    data = b"abc\ndefgh\n\n \nij\nklmnopqrstu\n\n\nz"
    assert [(n, d, t) for n, d, _, _, t in lines_of(data, 6)] == [
        (1, b"abc", False),
        (2, b"defgh", False),
        (5, b"ij", False),
        (6, b"", True),
        (9, b"z", False),
    ]


def test_a_run_of_blank_lines_past_the_limit_stops_reading():
    with pytest.raises(BlankRun) as info:
        list(read_lines(io.BytesIO(b"x\n" + b"\n" * 100 + b"y\n"), 10, max_blank=50))
    assert info.value.line > 2


def read_all(path: Path, limit: int) -> None:
    with open_stream(path, "chat log", limit) as stream:
        while stream.read(MIB):
            pass


def test_a_gzip_bomb_is_refused_at_the_cap_without_holding_it(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(8):
            out.write(b"x" * MIB)
    with pytest.raises(FileRefused) as info:
        read_all(path, 4 * MIB)
    assert str(info.value) == (
        f"{path}: larger than 4 MiB uncompressed, the most botdeck reads as a chat log"
    )


def test_a_damaged_gzip_is_one_line(tmp_path):
    path = tmp_path / "cut.json.gz"
    path.write_bytes(gzip.compress(os.urandom(10_000))[:5_000])
    with pytest.raises(FileRefused) as info:
        read_all(path, MIB)
    assert "damaged gzip" in str(info.value) and "\n" not in str(info.value)


def test_a_plain_file_over_the_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("wb") as out:
        out.truncate(2 * MIB)  # sparse: nothing to read if it were read
    with pytest.raises(FileRefused, match="larger than 1 MiB"):
        read_all(path, MIB)


@pytest.mark.parametrize("reader", [read_capped, read_all])
def test_devices_and_fifos_are_refused(tmp_path, reader):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, kind in (
        (Path("/dev/zero"), "a device"),
        (fifo, "a FIFO"),
        (tmp_path, "a directory"),
    ):
        with pytest.raises(FileRefused) as info:
            reader(path, MIB) if reader is read_all else reader(path, "log", MIB)
        assert str(info.value).startswith(f"{path}: is {kind}")


def test_json_nested_too_deeply_is_refused_before_parsing_with_its_line():
    with pytest.raises(JSONTooDeep) as info:
        load_json(b'{\n"a":\n' + b"[" * 100_000)
    assert info.value.line == 3 and "nested deeper than 64 levels" in str(info.value)


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"text": "[" * 500 + '\\"{{{'}).encode()
    assert load_json(text) == {"text": "[" * 500 + '\\"{{{'}


def test_nesting_up_to_the_limit_parses():
    assert load_json(b"[" * 64 + b"]" * 64) is not None


def test_a_theme_that_is_a_fifo_is_skipped_with_a_warning(tmp_path):
    os.mkfifo(tmp_path / "evil.toml")
    (tmp_path / "big.toml").write_text('name = "big"\nprimary = "#ffffff"\n' + "#" * MIB)
    themes = discover_themes(tmp_path)
    assert themes.names == ()
    assert len(themes.warnings) == 2
    assert any("FIFO" in warning for warning in themes.warnings)
    assert any("larger than 1 MiB" in warning for warning in themes.warnings)


def test_a_blocklist_file_that_is_a_device_is_refused():
    with pytest.raises(BlocklistError, match="is a device"):
        read_blocklist_file(Path("/dev/zero"))
