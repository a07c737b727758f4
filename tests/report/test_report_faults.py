"""A drill's report: what each fault cost, worked out by hand from a small journal, in the
terminal (a table, the lost mentions, the last line "lost: N mentions"), JSON and HTML."""

from __future__ import annotations

import io
import json

from rich.console import Console

from botdeck.report import build_report, render_report, report_json
from botdeck.report.html import report_html
from tests.harness.journals import T0, chat, job, write


def fault(t: float, kind: str, until: float | None, detail: str) -> dict[str, object]:
    line: dict[str, object] = {"ts": T0 + t, "event": "fault", "kind": kind, "detail": detail}
    return line if until is None else {**line, "until": T0 + until}


# Fault 1: the AI down from 10 to 70 s; fault 2: sends failing from 100 to 120 s.
NIGHT = [
    {"ts": T0, "event": "run", "channel": "somechannel"},
    chat(1.0, "m1", "v1", "@a early"),  # before any fault: answered in 2 s
    job(1.0, "enqueued", 1, "a", "high", "m1", delay=1.0),
    job(3.0, "sent", 1, "a", "high", "m1", text="@v1 hi", latency=2.0),
    fault(10.0, "ai_down", 70.0, "AI down (refused)"),
    chat(20.0, "m2", "v2", "@a during"),  # waited the outage out: 62 s, delayed
    job(20.0, "enqueued", 2, "a", "high", "m2", delay=1.0),
    job(82.0, "sent", 2, "a", "high", "m2", text="@v2 back", latency=62.0, ai_wasted=3),
    chat(30.0, "m3", "v3", "@b <b>also</b>"),  # gave up on the AI: lost
    job(30.0, "enqueued", 3, "b", "high", "m3", delay=1.0),
    job(60.0, "failed", 3, "b", "high", "m3", reason="ai_unavailable", ai_wasted=2),
    chat(40.0, "m4", "v4", "@b deleted"),  # moderators deleted the line: not lost
    job(40.0, "enqueued", 4, "b", "high", "m4", delay=1.0),
    job(41.0, "skipped", 4, "b", "high", "m4", reason="deleted_by_moderator"),
    fault(100.0, "sends_failing", 120.0, "sends failing: drops"),
    chat(101.0, "m5", "v5", "@a dropped"),  # the platform dropped it twice: lost
    job(101.0, "enqueued", 5, "a", "high", "m5", delay=1.0),
    job(105.0, "failed", 5, "a", "high", "m5", reason="msg_dropped", dropped=2),
    chat(102.0, "m6", "v6", "just chatting"),  # a random reply: not a mention
    job(102.0, "enqueued", 6, "b", "low", "m6", delay=1.0),
    job(106.0, "failed", 6, "b", "low", "m6", reason="msg_dropped", dropped=1),
]


def test_each_fault_costs_what_its_jobs_met(tmp_path):
    faults = build_report(write(tmp_path, NIGHT), delayed_after=60.0).faults
    assert faults is not None
    down, sends = faults.faults
    assert (down.kind, down.at, down.until) == ("ai_down", 10.0, T0 + 70.0)
    # m2, m3 and m4 met the outage; m2 was answered after 62 s (> 60: delayed)
    assert (down.mentions, down.delayed, down.worst) == (3, 1, 62.0)
    assert down.lost == {"failed: ai_unavailable": 1} and down.wasted == 5
    assert (sends.mentions, sends.delayed, sends.dropped) == (1, 0, 3)  # m6 is no mention
    assert sends.lost == {"failed: msg_dropped": 1}
    assert faults.lost == 2
    assert [(lost.user, lost.faults) for lost in faults.listed] == [("v3", [0]), ("v5", [1])]


def test_the_terminal_report_ends_with_the_lost_mentions(tmp_path):
    report = build_report(write(tmp_path, NIGHT), delayed_after=60.0)
    out = io.StringIO()
    render_report(report, Console(file=out, width=200, highlight=False))
    text = out.getvalue()
    assert "faults, and what each cost" in text
    lines = text.rstrip().splitlines()
    assert lines[-1] == "lost: 2 mentions"
    assert "v3: @b <b>also</b> (failed: ai_unavailable; met ai_down at 0:10)" in text
    assert "v5: @a dropped (failed: msg_dropped; met sends_failing at 1:40)" in text


def test_a_night_without_faults_has_no_fault_section(tmp_path):
    report = build_report(write(tmp_path, [e for e in NIGHT if e["event"] != "fault"]))
    assert report.faults is None
    out = io.StringIO()
    render_report(report, Console(file=out, width=200))
    assert "lost:" not in out.getvalue()


def test_json_and_html_carry_the_faults(tmp_path):
    report = build_report(write(tmp_path, NIGHT), delayed_after=60.0)
    data = json.loads(json.dumps(report_json(report)))
    assert data["faults"]["lost"] == 2
    assert [f["kind"] for f in data["faults"]["faults"]] == ["ai_down", "sends_failing"]
    page = report_html(report, ack_target=60.0)
    assert "ai_down" in page and "lost: 2 mentions" in page
    assert "&lt;b&gt;also&lt;/b&gt;" in page and "<b>also</b>" not in page  # chat is text
