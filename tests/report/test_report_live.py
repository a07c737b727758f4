"""The report of a 4-hour stream's blind spots and AutoMod holds (issue 22): reading gaps
counted, said (mentions in them may have been missed), marked under the terminal's
sparklines and as bands on every chart of the page; holds counted by their reason."""

from __future__ import annotations

import io

from rich.console import Console

from botdeck.report import build_report, render_report, report_json
from botdeck.report.html import report_html
from tests.harness.journals import T0, chat, job, write

STREAM = [
    chat(0.0, "m1", "v1", "@a hi"),
    job(0.0, "enqueued", 1, "a", "high", "m1", delay=1.0),
    job(1.0, "started", 1, "a", "high", "m1"),
    {"ts": T0 + 2.0, "event": "held", "job": 1, "bot": "a", "text": "@v1 hey", "reason": "automod"},
    # written when reading came back at +600, dated from when it was lost
    {"ts": T0 + 500.0, "event": "reading_gap", "until": T0 + 560.0},
    chat(600.0, "m2", "v2", "@a anyone?"),
    job(600.0, "enqueued", 2, "a", "high", "m2", delay=1.0),
    job(601.0, "started", 2, "a", "high", "m2"),
    job(602.0, "sent", 2, "a", "high", "m2", text="@v2 yes", latency=2.0),
    job(700.0, "sent", 1, "a", "high", "m1", text="@v1 hey", latency=700.0),  # approved
    {"ts": T0 + 900.0, "event": "reading_gap", "until": T0 + 930.0},
    job(1000.0, "sent", 3, "a", "high", "m9", text="late", latency=1.0),
]


def test_reading_gaps_are_counted_said_and_drawn(tmp_path):
    report = build_report(write(tmp_path, STREAM))
    assert report.gaps.count == 2 and report.gaps.seconds == 90.0
    assert report.gaps.spans == [(500.0, 560.0), (900.0, 930.0)]
    note = next(n for n in report.notes if "not read" in n)
    assert note == (
        "chat was not read 2 times, 90 s in all (reading_gap): mentions in those gaps may"
        " have been missed"
    )
    assert report.counts["held"] == {"automod": 1}

    out = io.StringIO()
    render_report(report, Console(file=out, width=120))
    text = out.getvalue()
    assert "not read" in text and "▀" in text and "mentions may be missed" in text

    page = report_html(report, ack_target=60.0)
    assert page.count("class=gap") >= 2 * 3  # both gaps on every chart over time
    assert "chat not read for 60 s: mentions may be missed" in page

    data = report_json(report)
    assert data["gaps"] == {"count": 2, "seconds": 90.0, "spans": [[500.0, 560.0], [900.0, 930.0]]}


def test_a_run_without_gaps_says_nothing_of_them(tmp_path):
    report = build_report(write(tmp_path, STREAM[:3]))
    assert report.gaps.count == 0
    assert not [n for n in report.notes if "not read" in n]
    assert "class=gap" not in report_html(report, ack_target=60.0)
