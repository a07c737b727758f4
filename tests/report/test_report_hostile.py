"""`botdeck report` on hostile journals: nesting, absurd times, huge lines, devices,
gzip bombs and floods of garbage (issue 16). A note or one line, never a traceback."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

import botdeck.report.reader as reader
import botdeck.storage.files as files
from botdeck.report import ReportError, build_report, render_report, report_json
from botdeck.report.render import _when
from tests.harness.journals import JOURNAL, write


def rendered(path: Path) -> str:
    out = io.StringIO()
    report = build_report(path)
    render_report(report, Console(file=out, width=100, highlight=False))
    json.dumps(report_json(report))
    return out.getvalue()


def refusal(path: Path) -> str:
    with pytest.raises(ReportError) as caught:
        build_report(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message


def test_a_deeply_nested_line_is_skipped_with_a_note(tmp_path):
    deep = '{"ts": 1, "event": "chat", "msg": ' + "[" * 5_000 + "]" * 5_000 + "}\n"
    report = build_report(write(tmp_path, [JOURNAL[0], deep, *JOURNAL[1:]]))
    assert report.notes == ["line 2: JSON nested deeper than 64 levels: skipped"]
    assert report.mentions.answered == 2


@pytest.mark.parametrize("ts", [1e20, 1e300, -5, 1e10 + 1])
def test_an_absurd_ts_is_skipped_and_the_report_still_renders(tmp_path, ts):
    absurd = {**JOURNAL[1], "ts": ts}
    path = write(tmp_path, [*JOURNAL, absurd])
    text = rendered(path)
    assert f'"ts" is not a Unix time in seconds ({ts:g})' in text
    assert build_report(path).mentions.answered == 2


def test_a_date_no_platform_can_show_is_shown_as_a_number():
    assert _when(1e20) == "t=1e+20"


def test_a_line_over_1_mib_is_skipped_without_being_held(tmp_path):
    huge = '{"ts": 1, "event": "chat", "msg": "m", "text": "' + "x" * (2 << 20) + '"}\n'
    report = build_report(write(tmp_path, [JOURNAL[0], huge, *JOURNAL[1:]]))
    assert report.notes == ["line 2: longer than 1 MiB: skipped"]


def test_a_gzipped_journal_reports_the_same(tmp_path):
    plain = write(tmp_path, JOURNAL)
    packed = tmp_path / "journal.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert report_json(build_report(packed)) == {
        **report_json(build_report(plain)),
        "journal": str(packed),
    }


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_devices_and_fifos_are_one_line(tmp_path, target):
    path = Path(target)
    if target == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    assert "only regular files are read" in refusal(path)


def test_a_gzip_of_newlines_is_refused_early(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(64):
            out.write(b"\n" * (1 << 20))
    assert "more than 16 MiB of blank lines" in refusal(path)


def test_a_thousand_lines_without_an_event_is_no_journal(tmp_path):
    path = tmp_path / "junk.jsonl"
    path.write_text("junk\n" * 1_000 + json.dumps(JOURNAL[0]) + "\n")
    assert "no journal event in its first 1,000 lines" in refusal(path)


def test_a_flood_of_garbage_after_events_stops_the_reading_with_a_note(tmp_path):
    path = write(tmp_path, JOURNAL, tail="junk\n" * 20_000)
    report = build_report(path)
    assert report.notes[-1].startswith(
        f"reading stopped after line {len(JOURNAL) + 10_000}: 10,000 lines are not"
    )
    assert report.mentions.answered == 2


def test_past_the_cap_the_events_before_it_are_reported(tmp_path, monkeypatch):
    path = write(tmp_path, JOURNAL * 50)
    monkeypatch.setattr(reader, "MAX_JOURNAL_BYTES", path.stat().st_size // 2)
    monkeypatch.setattr(files, "CHUNK", 4096)
    packed = tmp_path / "journal.jsonl.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    report = build_report(packed)
    assert "larger than" in report.notes[-1] and "reading stopped" in report.notes[-1]
    assert 0 < report.chat_lines < 5 * 50


def test_a_first_line_over_1_mib_is_no_journal_and_the_rest_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "zeros.jsonl"
    with path.open("wb") as out:
        out.truncate(64 << 20)  # sparse, and no newline
    reads = []
    monkeypatch.setattr(files, "CHUNK", 1 << 20)
    original = files._Capped.read

    def counting(self, size=-1):
        reads.append(size)
        return original(self, size)

    monkeypatch.setattr(files._Capped, "read", counting)
    assert refusal(path) == f"{path}: line 1: longer than 1 MiB, not a botdeck journal"
    assert len(reads) <= 3  # a megabyte or two of 64, not all of it
