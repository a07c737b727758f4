"""`botdeck report` on what the operator did at the console: review verdicts (`reviewed`)
and lines typed as a bot (`sent` with `manual: true`)."""

from __future__ import annotations

import io

from rich.console import Console as RichConsole

from botdeck.report import build_report, render_report, report_json
from tests.harness.journals import T0, chat, job, state, write


def reviewed(t: float, job_id: int, verdict: str, by: str = "operator", **extra) -> dict:
    return {"ts": T0 + t, "event": "reviewed", "job": job_id, "verdict": verdict, "by": by, **extra}


JOURNAL = [
    chat(0.0, "m1", "v1", "@a hi"),
    job(0.0, "enqueued", 1, "a", "high", "m1", delay=1.0),
    job(0.0, "enqueued", 2, "a", "high", "m1", delay=1.0),
    job(0.0, "enqueued", 3, "a", "high", "m1", delay=1.0),
    job(1.0, "started", 1, "a", "high", "m1"),
    reviewed(2.0, 1, "approved"),
    job(2.0, "sent", 1, "a", "high", "m1", text="@v1 hey", latency=2.0),
    job(2.0, "started", 2, "a", "high", "m1"),
    reviewed(3.0, 2, "edited", text="@v1 better"),
    job(3.0, "sent", 2, "a", "high", "m1", text="@v1 better", latency=3.0),
    job(3.0, "started", 3, "a", "high", "m1"),
    reviewed(125.0, 3, "rejected", by="timeout"),
    job(125.0, "skipped", 3, "a", "high", "m1", reason="rejected"),
    job(126.0, "enqueued", 4, "a", "normal", None, delay=0.0),
    job(126.0, "started", 4, "a", "normal", None),
    job(127.0, "sent", 4, "a", "normal", None, text="hello chat", latency=1.0, manual=True),
    state(128.0, "draining"),
    state(128.0, "drained"),
]


def test_the_report_counts_verdicts_and_typed_lines(tmp_path):
    report = build_report(write(tmp_path, JOURNAL))
    console = report.console
    assert console.verdicts == {"approved": 1, "edited": 1, "rejected": 1}
    assert (console.reviewed, console.by_timeout, console.typed) == (3, 1, 1)
    assert report.final_state == "drained"
    assert report.reasons["skipped"] == {"rejected": 1}
    assert report_json(report)["console"]["typed"] == 1
    out = io.StringIO()
    render_report(report, RichConsole(file=out, width=100))
    text = out.getvalue()
    assert "ended drained" in text
    assert "reviewed 3 (approved 1, edited 1, rejected 1; 1 decided by the timeout)" in text
    assert "1 typed as a bot" in text


def test_verdicts_made_on_quitting_are_told_apart(tmp_path):
    quit_verdicts = [reviewed(129.0, 9, "rejected", by="quit")] * 2
    report = build_report(write(tmp_path, [*JOURNAL, *quit_verdicts]))
    assert (report.console.by_timeout, report.console.on_quit) == (1, 2)
    out = io.StringIO()
    render_report(report, RichConsole(file=out, width=120))
    assert "1 decided by the timeout; 2 decided on quitting)" in out.getvalue()


def test_a_journal_without_console_events_says_nothing_about_it(tmp_path):
    report = build_report(write(tmp_path, JOURNAL[:7]))
    out = io.StringIO()
    render_report(report, RichConsole(file=out, width=100))
    assert report.console.reviewed == 1 and "typed" not in out.getvalue()
