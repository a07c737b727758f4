"""`botdeck report --html`: the charts' numbers on the hand-made journal (worked out by hand),
a page that needs no network and shows untrusted text as text, and the page as a browser
draws it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from botdeck.report import build_report
from botdeck.report.grid import Grid
from botdeck.report.html import PALETTE, report_html
from botdeck.report.model import LatencyPoint
from botdeck.report.window import SendWindow
from tests.harness.browser import screenshot
from tests.harness.cli import run_botdeck
from tests.harness.journals import JOURNAL, job, write
from tests.harness.png import colour_counts, hex_rgb


@pytest.fixture
def report(tmp_path):
    return build_report(write(tmp_path, JOURNAL))


def test_backlog_per_bot_per_second(report):
    # a: enqueued at 0 and 0.5, started 1 and 3, another enqueued at 4, cancelled at 10.5;
    # b: enqueued 0.5, started 1, enqueued 2, started 7.
    assert report.timeline.backlog_by_bot == {
        "a": [2, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1],
        "b": [1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0],
    }


def test_mention_latency_points_are_when_each_reply_was_sent(report):
    assert report.mention_latency == [LatencyPoint(2.0, 2.0, "a"), LatencyPoint(3.5, 3.0, "b")]


def test_each_bots_messages_in_the_window(report):
    # a sent at 2.0; b at 3.5 and 10.0: the most in the window during each second.
    a, b = report.send_windows["a"], report.send_windows["b"]
    assert (a.peak, a.peak_at, a.most) == (1, 2.0, [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    assert (b.peak, b.peak_at, b.most) == (2, 10.0, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2])


def test_the_limit_lines_are_twitchs_limits_as_the_data_layer_states_them(report, monkeypatch):
    """The page draws the limits `model.defaults` holds (here replaced, to see that the
    page follows), never figures of its own."""
    import botdeck.report.html
    from botdeck.model.defaults import SendLimits

    monkeypatch.setattr(
        botdeck.report.html, "TWITCH_SEND_LIMITS", SendLimits(viewer=1, privileged=2)
    )
    page = report_html(report, ack_target=60.0)
    assert "viewer limit 1" in page and "VIP / moderator limit 2" in page
    assert "allows a viewer account 1 messages" in page and "broadcaster 2;" in page


def send_window(sends: list[float], window: float) -> SendWindow:
    counter = SendWindow(window, Grid(3_600, 60))
    for t in sends:
        counter.send(t)
    return counter


def test_the_window_counts_exactly_at_its_edges():
    # A send at t counts during [t, t + 30): one at 0 has left when one at 30 arrives.
    assert send_window([0.0, 30.0], 30.0).peak == 1
    assert send_window([0.0, 29.999], 30.0).peak == 2
    steady = send_window([float(t) for t in range(60)], 30.0)  # one a second for a minute
    assert (steady.peak, steady.peak_at) == (30, 29.0)
    burst = send_window([0.0] * 21, 30.0)
    assert (burst.peak, burst.count) == (21, 21)
    burst.leave_until(29.999)
    assert burst.count == 21
    burst.leave_until(30.0)
    assert burst.count == 0


def test_merged_replies_are_one_message_in_the_window(tmp_path):
    events = [
        job(0.0, "enqueued", 1, "a", "high", "m1"),
        job(0.0, "enqueued", 2, "a", "high", "m2"),
        job(1.0, "started", 1, "a", "high", "m1"),
        job(2.0, "sent", 1, "a", "high", "m1", text="@v1 @v2 hi", latency=2.0),
        job(2.0, "sent", 2, "a", "high", "m2", text="@v1 @v2 hi", latency=2.0, coalesced_into=1),
    ]
    report = build_report(write(tmp_path, events))
    assert report.send_windows["a"].peak == 1
    assert len(report.mention_latency) == 2  # both mentions were answered


NETWORK = re.compile(r"""(?:src|href|action)\s*=|url\(|@import|<script|<link|<iframe""", re.I)


def test_the_page_is_self_contained_and_has_the_figures(report):
    page = report_html(report, ack_target=2.5)
    assert not NETWORK.findall(page)
    assert page.count("<svg") == 5  # backlog, latency, window, replies per minute, share
    for figure in ("50.0%", "of 4 mentions answered", "ack_target 2.5 s", "viewer limit 20",
                   "not answered: 1 failed: timeout", "1 of 2 after ack_target",
                   "<td>priority high</td><td>2</td><td>2.00s</td><td>3.00s</td>"):  # fmt: skip
        assert figure in page, figure
    assert "VIP / moderator limit" not in page  # no bot went above a viewer's 20


def test_untrusted_names_are_text_not_markup(tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    events = [
        job(0.0, "enqueued", 1, evil, "high", "m1"),
        job(1.0, "sent", 1, evil, "high", "m1", text="hi", latency=1.0),
        job(1.5, "skipped", 2, "b", "high", "m2", reason="</p><script>alert(2)</script>"),
    ]
    page = report_html(build_report(write(tmp_path, events)), ack_target=60)
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_an_empty_run_still_makes_a_page(tmp_path):
    events = [{"ts": 1.0, "event": "state", "state": "running"}]
    page = report_html(build_report(write(tmp_path, events)), ack_target=60)
    assert "no reply ever waited" in page and "no mention was answered" in page


# ---------------------------------------------------------------- the command
def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # fmt: skip


def test_report_html_writes_one_page_and_says_where(tmp_path):
    journal = write(tmp_path, JOURNAL)
    result = run_botdeck("report", str(journal), "--html", "out.html", "--ack-target", "2.5",
                         env=_env(tmp_path), cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr.startswith("wrote out.html")
    assert "ack_target 2.5 s" in (tmp_path / "out.html").read_text()


@pytest.mark.parametrize(
    ("journal", "message"),
    [("missing.jsonl", "missing.jsonl: file not found"),
     (".", ".: is a directory, not a journal"),
     ("garbage.jsonl", "garbage.jsonl: no journal events")],
)  # fmt: skip
def test_a_journal_that_cannot_be_read_is_one_line_and_no_page(tmp_path, journal, message):
    (tmp_path / "garbage.jsonl").write_text("not json\n")
    result = run_botdeck("report", journal, "--html", "out.html", env=_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"botdeck: {message}")
    assert "Traceback" not in result.stderr and not (tmp_path / "out.html").exists()


def test_a_page_that_cannot_be_written_is_one_line(tmp_path):
    journal = write(tmp_path, JOURNAL)
    result = run_botdeck("report", str(journal), "--html", "nodir/out.html",
                         env=_env(tmp_path), cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "botdeck: --html: nodir/out.html: cannot write: the folder nodir does not exist"
    )


# ---------------------------------------------------------------- in a browser
@pytest.mark.slow
def test_the_page_in_headless_chromium_is_not_blank_and_draws_every_chart(tmp_path, report):
    page = tmp_path / "report.html"
    page.write_text(report_html(report, ack_target=2.5), encoding="utf-8")
    png = tmp_path / "report.png"
    screenshot(page.as_uri(), png, tmp_path / "profile", width=900, height=2000)
    colours = colour_counts(png)
    total = sum(colours.values())
    assert total == 900 * 2000
    white = colours[(255, 255, 255)]
    assert total - white > total * 0.05, "the page is (almost) blank"
    # Each bot's series, the bars (first colour) and the ack_target line are drawn.
    for colour in (PALETTE[0], PALETTE[1], "#dc2626"):
        assert colours[hex_rgb(colour)] >= 20, f"{colour} is not on the page"
