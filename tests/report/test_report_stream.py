"""`botdeck report` as a streamer reads it after the stream (issue 24.6): times as offsets
into the run beside the clock, the bots' share of chat, what each bot said under the
line it answered (a section per bot on the page, bounded), who mentioned it most, every
reply not sent grouped by reason, lines a rehearsal made up told apart, and `report`
alone picks the latest run that was not a demo."""

from __future__ import annotations

import io
import json
import os
import time
from itertools import pairwise
from pathlib import Path

from rich.console import Console

from botdeck.report import build_report, render_report, report_json
from botdeck.report.html import report_html
from botdeck.report.model import ChatShare, Said, Synthetic, Talker
from tests.harness.cli import run_botdeck
from tests.harness.journals import T0, chat, job, write

RUN = {"ts": T0, "event": "run", "channel": "testchan", "source": "replay"}


def made_up(t: float, msg: str, user: str, text: str) -> dict:
    return {**chat(t, msg, user, text), "synthetic": True}


STREAM = [
    RUN,
    chat(10.0, "c1", "ann", "@a what game is this?"),
    job(10.0, "enqueued", 1, "a", "high", "c1"),
    job(11.0, "started", 1, "a", "high", "c1"),
    job(183.0, "sent", 1, "a", "high", "c1", text="@ann it is Celeste"),  # 3:03 in
    chat(183.0, "r1", "a", "@ann it is Celeste", bot=True),
    chat(190.0, "c2", "bob", "nice <b>run</b>"),
    job(190.0, "enqueued", 2, "b", "normal", "c2"),
    job(191.0, "started", 2, "b", "normal", "c2"),
    job(192.0, "skipped", 2, "b", "normal", "c2", reason="blocked"),
    chat(200.0, "c3", "ann", "@a @b and now?"),
    job(200.0, "enqueued", 3, "a", "high", "c3"),
    job(200.0, "enqueued", 4, "b", "high", "c3"),
    job(202.0, "sent", 3, "a", "high", "c3", text="@ann a boss fight"),
    chat(202.0, "r3", "a", "@ann a boss fight", bot=True),
    job(203.0, "failed", 4, "b", "high", "c3", reason="AI server error (HTTP 500)"),
    made_up(210.0, "c4", "cat", "@a hi from cat"),
    job(210.0, "enqueued", 5, "a", "high", "c4"),
    job(212.0, "sent", 5, "a", "high", "c4", text="@cat hello"),
    chat(212.0, "r5", "a", "@cat hello", bot=True),
    chat(220.0, "c5", "dan", "hello all"),
    chat(221.0, "c6", "eve", "lol"),
]


def clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(T0 + t))


def rendered(report) -> str:
    out = io.StringIO()
    render_report(report, Console(file=out, width=200, highlight=False))
    return out.getvalue()


def test_each_reply_with_the_line_it_answered_and_when_into_the_run(tmp_path):
    report = build_report(write(tmp_path, STREAM))
    a = report.bots["a"]
    assert a.said == [
        Said(183.0, T0 + 183, "@ann it is Celeste", "high", "ann", "@a what game is this?",
             False, 173.0),
        Said(202.0, T0 + 202, "@ann a boss fight", "high", "ann", "@a @b and now?", False, 2.0),
        Said(212.0, T0 + 212, "@cat hello", "high", "cat", "@a hi from cat", True, 2.0),
    ]  # fmt: skip
    text = rendered(report)
    assert f"3:03 ({clock(183)})  ann: @a what game is this? → @ann it is Celeste" in text
    assert f"3:32 ({clock(212)})  cat (made up): @a hi from cat → @cat hello" in text


def test_the_bots_share_of_chat_leaves_made_up_lines_aside(tmp_path):
    report = build_report(write(tmp_path, STREAM))
    # Viewers wrote c1, c2, c3, c5, c6 (c4 was made up); the bots sent 3 messages.
    assert report.share == ChatShare(lines=8, messages=3, share=0.375, random_share=0.0)
    assert (report.chat_lines, report.viewer_lines, report.bot_lines) == (9, 5, 3)
    assert report.synthetic == Synthetic(lines=1, mentions=1, answered=1)
    assert (report.bots["a"].messages, report.bots["a"].share) == (3, 0.375)
    text = rendered(report)
    assert "9 chat lines (5 from viewers, 3 from bots, 1 made up by the rehearsal)" in text
    assert "the bots wrote 37.5% of chat (random and bot-to-bot replies 0.0%): 3 of 8" in text
    assert "1 of them on lines the rehearsal made up (1 answered)" in text
    assert report_json(report)["share"] == {
        "lines": 8, "messages": 3, "share": 0.375, "random_share": 0.0,
    }  # fmt: skip


def test_who_mentioned_each_bot_most(tmp_path):
    report = build_report(write(tmp_path, STREAM))
    assert report.bots["a"].talkers == [Talker("ann", 2), Talker("cat", 1)]
    assert report.bots["b"].talkers == [Talker("ann", 1)]  # its reply failed: still asked
    assert "a: 3 messages (37.5% of chat); mentioned most by ann 2, cat 1" in rendered(report)


def test_every_reply_not_sent_grouped_by_reason_with_its_line(tmp_path):
    report = build_report(write(tmp_path, STREAM))
    groups = {group.reason: group for group in report.unsent}
    assert set(groups) == {"skipped: blocked", "failed: AI server error (HTTP 500)"}
    [blocked] = groups["skipped: blocked"].shown
    assert (blocked.at, blocked.bot, blocked.user, blocked.line) == (
        192.0, "b", "bob", "nice <b>run</b>",
    )  # fmt: skip
    text = rendered(report)
    assert f"skipped: blocked: 1\n    3:12 ({clock(192)})  b to bob: nice <b>run</b>" in text


def test_the_page_has_a_section_per_bot_and_no_script(tmp_path):
    page = report_html(build_report(write(tmp_path, STREAM)), ack_target=60.0)
    assert "<script" not in page and "<b>run</b>" not in page
    sections = page.split("<details>")[1:]
    a = next(s for s in sections if "<b>a</b> 3 messages" in s)
    replies = a.split("<li>")[1:]
    assert len(replies) == 3
    assert f"3:03 ({clock(183)})" in replies[0]
    assert replies[0].index("@a what game is this?") < replies[0].index("@ann it is Celeste")
    assert "made up" in replies[2]
    blocked = next(s for s in sections if "skipped: blocked" in s)
    assert "nice &lt;b&gt;run&lt;/b&gt;" in blocked


def test_offsets_count_from_each_runs_start(tmp_path):
    later = 3_600.0
    second = [
        {**RUN, "ts": T0 + later},
        chat(later + 5, "d1", "fay", "@a again"),
        job(later + 5, "enqueued", 9, "a", "high", "d1"),
        job(later + 65, "sent", 9, "a", "high", "d1", text="@fay hello again"),
    ]
    report = build_report(write(tmp_path, [*STREAM, *second]))
    assert report.runs == 2
    assert report.bots["a"].said[-1].at == 65.0
    page = report_html(report, ack_target=60.0)
    assert f"<time>1:05 ({clock(later + 65)})</time>" in page


def test_what_a_bot_said_is_bounded_and_spread_over_the_run(tmp_path):
    events = [RUN]
    for n in range(1, 201):
        events += [
            chat(n * 10.0, f"c{n}", f"viewer{n % 7}", f"@a question {n}"),
            job(n * 10.0, "enqueued", n, "a", "high", f"c{n}"),
            job(n * 10.0 + 2, "sent", n, "a", "high", f"c{n}", text=f"answer {n}"),
        ]
    for n in range(201, 301):
        events.append(job(n * 10.0, "skipped", n, "a", "normal", "c1", reason="stale"))
    report = build_report(write(tmp_path, events))
    said = report.bots["a"].said
    assert 25 <= len(said) <= 50 and report.bots["a"].messages == 200
    assert said[0].text == "answer 1" and said[-1].at > 1_900  # from first to last
    gaps = {later.at - earlier.at for earlier, later in pairwise(said)}
    assert len(gaps) == 1  # evenly spread
    [stale] = report.unsent
    assert stale.count == 100 and 10 <= len(stale.shown) <= 20
    assert stale.shown[-1].at > 2_800
    page = report_html(report, ack_target=60.0)
    assert f"and {200 - len(said)} more, not shown" in page
    assert f"and {100 - len(stale.shown)} more, not shown" in page
    assert "and 197 more (--html shows them)" in rendered(report)


# ---------------------------------------------------------------- the command
def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # fmt: skip


def test_report_alone_reads_the_latest_run_that_was_not_a_demo(tmp_path, user_data_dir):
    folder = user_data_dir / "botdeck" / "journal"
    folder.mkdir(parents=True)
    stream = write(folder, STREAM, name="testchan-20261201-200000.jsonl")
    demo_run = [{**RUN, "channel": "botdeck_demo"}]
    demo = write(folder, demo_run, name="botdeck_demo-20261201-230000.jsonl")  # newer
    result = run_botdeck("report", "--json", env=_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["journal"] == str(stream)
    assert f"the latest run: {stream}" in result.stderr
    stream.unlink()  # only the demo's is left: that one, said so
    result = run_botdeck("report", env=_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"the latest run: {demo} (a demo: no other run there yet)" in result.stderr
