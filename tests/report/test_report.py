"""`botdeck report` on hand-made journals whose answers are known exactly."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from botdeck.model.journal import JOB_EVENTS, JournalEvent
from botdeck.report import ReportError, build_report, render_report, report_json
from botdeck.report.model import Latency, TokenCount
from botdeck.report.render import sparkline
from tests.harness.journals import JOURNAL, T0, chat, job, write


@pytest.fixture
def report(tmp_path):
    return build_report(write(tmp_path, JOURNAL))


def test_counts(report):
    assert (report.start, report.end, report.duration) == (T0, T0 + 10.5, 10.5)
    assert (report.runs, report.final_state) == (1, "stopped")
    assert (report.chat_lines, report.viewer_lines, report.bot_lines) == (5, 4, 1)
    assert report.jobs == 6
    assert report.outcomes == {"sent": 3, "failed": 1, "cancelled": 1, "skipped": 1, "open": 0}
    assert report.notes == []


def test_mentions_seen_and_answered(report):
    mentions = report.mentions
    assert (mentions.jobs, mentions.lines, mentions.answered, mentions.share) == (4, 3, 2, 0.5)
    assert mentions.unanswered == {"failed: timeout": 1, "skipped: draining": 1}


def test_latency_from_the_chat_line_per_priority_and_per_bot(report):
    assert report.latency_by_priority == {
        "high": Latency(2, 2.0, 3.0, 3.0),  # nearest rank: p50 of [2, 3] is 2, p95 is 3
        "low": Latency(1, 8.0, 8.0, 8.0),
    }
    assert report.latency_by_bot == {"a": Latency(1, 2.0, 2.0, 2.0), "b": Latency(2, 3.0, 8.0, 8.0)}


def test_peak_backlog_and_when(report):
    peak = report.backlog_peak
    assert (peak.size, peak.ts, peak.offset) == (3, T0 + 0.5, 0.5)


def test_send_wait_failures_and_tokens(report):
    wait = report.send_wait
    assert (wait.recorded, wait.total, wait.replies, wait.max) == (True, 2.5, 2, 2.0)
    assert wait.by_bot == {"a": 0.5, "b": 2.0}
    assert report.reasons == {
        "failed": {"timeout": 1},
        "cancelled": {"stopped": 1},
        "skipped": {"draining": 1},
    }
    assert report.tokens.recorded
    assert report.tokens.total == TokenCount(37, 12)
    assert report.tokens.by_bot == {"a": TokenCount(17, 5), "b": TokenCount(20, 7)}


def test_timeline_per_second(report):
    timeline = report.timeline
    assert timeline is not None
    assert (timeline.start, timeline.bucket) == (T0, 1.0)
    assert timeline.backlog == [3, 1, 2, 1, 2, 2, 2, 1, 1, 1, 1]
    assert timeline.replies == [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1]
    assert timeline.replies_per_minute[2] == 60.0


def test_json_has_every_figure(tmp_path, report):
    data = report_json(report)
    assert json.loads(json.dumps(data)) == data  # plain JSON
    assert data["mentions"] == {
        "jobs": 4,
        "lines": 3,
        "answered": 2,
        "share": 0.5,
        "merged": 0,
        "unanswered": {"failed: timeout": 1, "skipped: draining": 1},
    }
    assert data["latency_by_priority"]["high"] == {"count": 2, "p50": 2.0, "p95": 3.0, "max": 3.0}
    assert data["backlog_peak"] == {"size": 3, "ts": T0 + 0.5, "offset": 0.5}
    assert data["send_wait"]["total"] == 2.5
    assert data["tokens"]["total"] == {"tokens_in": 37, "tokens_out": 12}
    assert data["duration"] == 10.5
    assert data["timeline"]["replies_per_minute"][-1] == 60.0


def test_the_rendered_report_shows_the_figures(report):
    out = io.StringIO()
    render_report(report, Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert "mentions 4 (in 3 lines), answered 2 (50.0%)" in text
    assert "not answered: 1 failed: timeout" in text
    assert "peak backlog 3 waiting, at 0.50s" in text
    assert "2 replies waited 2.50s in all, the longest 2.00s" in text
    assert "tokens in 37, out 12" in text
    assert "one column = 1 s" in text


def test_a_journal_cut_off_mid_line_reports_everything_before_the_cut(tmp_path):
    cut = json.dumps(job(11.0, "sent", 5, "a", "normal", "m4", text="late"))[:37]
    path = write(tmp_path, JOURNAL, tail=cut)
    report = build_report(path)
    assert report.notes == [
        f"line {len(JOURNAL) + 1}: cut off mid-line (the run was killed?): skipped"
    ]
    assert report.outcomes["sent"] == 3 and report.mentions.answered == 2
    assert report.end == T0 + 10.5


def test_mentions_answered_by_a_merged_reply_count_as_answered(tmp_path):
    events = [
        chat(0.0, "m1", "v1", "@a hi"),
        chat(0.0, "m2", "v2", "@a hey"),
        job(0.0, "enqueued", 1, "a", "high", "m1"),
        job(0.0, "enqueued", 2, "a", "high", "m2"),
        job(1.0, "started", 1, "a", "high", "m1"),
        job(1.0, "started", 2, "a", "high", "m2"),  # carried into job 1's reply
        job(3.0, "sent", 1, "a", "high", "m1", text="@v1 @v2 hi both", latency=3.0),
        job(3.0, "sent", 2, "a", "high", "m2", text="@v1 @v2 hi both", coalesced_into=1),
    ]
    report = build_report(write(tmp_path, events))
    assert (report.mentions.answered, report.mentions.merged, report.mentions.share) == (2, 1, 1.0)
    assert report.timeline is not None and sum(report.timeline.replies) == 1  # one message
    assert report.latency_by_priority["high"] == Latency(2, 3.0, 3.0, 3.0)
    out = io.StringIO()
    render_report(report, Console(file=out, width=100, color_system=None))
    assert "1 of them by a merged reply" in out.getvalue()


def test_a_killed_run_leaves_open_jobs(tmp_path):
    path = write(tmp_path, JOURNAL[:8])  # killed right after the first reply was sent
    report = build_report(path)
    assert report.outcomes == {"sent": 1, "failed": 0, "cancelled": 0, "skipped": 0, "open": 2}
    assert report.mentions.unanswered == {"no outcome in the journal": 2}
    assert report.final_state is None


def test_latency_falls_back_to_the_field_when_the_chat_line_is_not_in_the_journal(tmp_path):
    path = write(tmp_path, [job(5.0, "sent", 1, "a", "high", "gone", text="x", latency=1.25)])
    assert build_report(path).latency_by_priority["high"] == Latency(1, 1.25, 1.25, 1.25)


def test_runs_appended_to_one_journal_are_told_apart(tmp_path):
    second = [{**event, "ts": event["ts"] + 3600} for event in JOURNAL]
    report = build_report(write(tmp_path, JOURNAL + second))
    assert report.runs == 2
    assert report.jobs == 12
    assert report.mentions.answered == 4
    assert report.backlog_peak.size == 3
    assert report.latency_by_bot["b"] == Latency(4, 3.0, 8.0, 8.0)


def test_a_run_killed_with_a_queue_does_not_leave_its_backlog_to_the_next(tmp_path):
    killed = JOURNAL[:5]  # three jobs waiting when it died
    report = build_report(write(tmp_path, killed + [{**e, "ts": e["ts"] + 60} for e in killed]))
    assert report.runs == 2
    assert report.backlog_peak.size == 3  # not 6


def test_a_restart_that_resumes_a_killed_run_counts_each_mention_once(tmp_path):
    killed = JOURNAL[:5]  # jobs 2 and 3 waiting when it died, job 1 started
    restart = [  # the next run gives them their outcome, ids going on after 3
        chat(60.0, "m9", "v9", "hello again"),  # a line seen twice would start a new run
        job(60.0, "enqueued", 4, "a", "high", "m2", resumes=2),
        job(60.0, "skipped", 2, "a", "high", "m2", reason="resumed", resumed_as=4),
        job(60.0, "skipped", 1, "a", "high", "m1", reason="expired"),
        job(60.0, "skipped", 3, "b", "high", "m2", reason="expired"),
        job(62.0, "started", 4, "a", "high", "m2"),
        job(63.0, "sent", 4, "a", "high", "m2", text="@v2 sorry, back now"),
    ]
    report = build_report(write(tmp_path, killed + restart))
    assert report.outcomes["open"] == 0
    assert report.mentions.jobs == 3  # m1 for a, m2 for a (taken over by job 4), m2 for b
    assert report.mentions.answered == 1
    assert report.mentions.unanswered == {"skipped: expired": 2}
    assert report.reasons["skipped"] == {"expired": 2, "resumed": 1}
    assert report.latency_by_priority["high"] == Latency(1, 62.5, 62.5, 62.5)  # from the line


def test_lines_that_are_not_events_are_skipped_with_a_note(tmp_path):
    events = [
        JOURNAL[0],
        "garbage\n",
        '["a list"]\n',
        '{"ts": 1, "event": "party"}\n',
        '{"event": "chat", "msg": "x"}\n',
        '{"ts": 1, "event": "sent", "bot": "a", "priority": "high"}\n',
        '{"ts": 1, "event": "sent", "job": 9, "bot": "a", "priority": "urgent"}\n',
        "\n",
        *JOURNAL[1:],
    ]
    report = build_report(write(tmp_path, events))
    assert report.notes == [
        "line 2: not JSON: skipped",
        "line 3: not a journal event (not an object): skipped",
        "line 4: unknown event 'party': skipped",
        'line 5: "ts" is missing or not a number: skipped',
        'line 6: a sent event without "job": skipped',
        'line 7: a sent event without "priority" (high, normal or low): skipped',
    ]
    assert report.mentions.answered == 2


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "empty"),
        ("hello\nworld\n", "no journal events, not a botdeck journal? (line 1: not JSON)"),
        ('{"t": 0, "user": "a", "text": "b"}\n', "no journal events"),
    ],
)
def test_a_file_without_events_is_an_error(tmp_path, content, needle):
    path = tmp_path / "journal.jsonl"
    path.write_text(content)
    with pytest.raises(ReportError) as caught:
        build_report(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert needle in str(caught.value)


def test_a_missing_journal(tmp_path):
    with pytest.raises(ReportError, match="file not found"):
        build_report(tmp_path / "none.jsonl")


def test_a_report_from_an_offset_covers_only_what_follows(tmp_path):
    path = write(tmp_path, JOURNAL)
    offset = path.stat().st_size
    with path.open("a") as stream:
        stream.write(json.dumps(chat(100.0, "z1", "v9", "@a again")) + "\n")
        stream.write(json.dumps(job(100.0, "enqueued", 1, "a", "high", "z1")) + "\n")
    report = build_report(path, offset=offset)
    assert (report.chat_lines, report.jobs, report.outcomes["open"]) == (1, 1, 1)


def test_untrusted_text_is_never_markup_or_escapes(tmp_path):
    events = [
        job(0.0, "enqueued", 1, "[bold red]evil[/]", "high", "m1"),
        job(1.0, "failed", 1, "[bold red]evil[/]", "high", "m1", reason="\x1b[2Jboom [link]"),
        job(2.0, "sent", 2, "[bold red]evil[/]", "high", "m2", text="x", latency=1.0),
    ]
    out = io.StringIO()
    render_report(build_report(write(tmp_path, events)), Console(file=out, width=100))
    text = out.getvalue()
    assert "[bold red]evil[/]" in text
    assert "boom [link]" in text and "\x1b[2J" not in text


def test_sparkline_scales_to_the_largest_and_blanks_zeros():
    assert sparkline([0, 1, 4, 8]).plain == " ▁▄█"
    assert sparkline([0, 0]).plain == "  "


def test_events_that_change_no_figure_are_read_without_a_note(tmp_path):
    """Every event in the vocabulary is readable, job events or not (a new non-job event
    once crashed the tally, which sent everything but chat and state to its job handler)."""
    others = [
        {"ts": T0 + 1, "event": "moderation", "action": "clear"},
        {"ts": T0 + 1, "event": "reviewed", "job": 1, "verdict": "approved", "by": "operator"},
        {"ts": T0 + 1, "event": "channel_event", "kind": "follow", "msg": "e1", "user": "v"},
        {"ts": T0 + 1, "event": "redemption", "id": "r1", "status": "CANCELED", "job": 9},
        {"ts": T0 + 1, "event": "held", "job": 1, "bot": "b", "text": "x", "reason": "automod"},
        {"ts": T0 + 1, "event": "reading_gap", "until": T0 + 2},
        {"ts": T0 + 1, "event": "shared_chat", "partners": "partner"},
        {"ts": T0 + 1, "event": "fault", "kind": "ai_down", "until": T0 + 2},
    ]
    first = {"ts": T0, "event": "run", "channel": "somechannel"}
    shown = {line["event"] for line in [first, *others]}
    assert shown == {e.value for e in JournalEvent} - JOB_EVENTS - {"chat", "state"}
    report = build_report(write(tmp_path, [first, JOURNAL[0], *others, *JOURNAL[1:]]))
    # A reading gap is a figure of its own (`test_report_live.py`), said in the notes.
    assert [note for note in report.notes if "(reading_gap)" not in note] == []
    assert report.jobs == 6 and report.mentions.answered == 2
    assert report.runs == 1 and report.channels == ["somechannel"]


def test_a_job_given_back_to_the_queue_is_one_job_of_one_run(tmp_path):
    events = [
        chat(0.0, "m1", "v1", "@a hi"),
        job(0.0, "enqueued", 1, "a", "high", "m1", delay=1.0),
        job(1.0, "started", 1, "a", "high", "m1"),
        # followers-only held bot a: the job went back to the queue unsent
        job(1.5, "enqueued", 1, "a", "high", "m1", delay=1.0, requeued=1),
        job(30.0, "started", 1, "a", "high", "m1"),
        job(32.0, "sent", 1, "a", "high", "m1", text="@v1 hi", latency=32.0),
    ]
    report = build_report(write(tmp_path, events))
    assert (report.runs, report.jobs, report.mentions.answered) == (1, 1, 1)
    assert report.backlog_peak.size == 1
    assert report.timeline is not None and max(report.timeline.backlog) == 1


def test_bot_lines_are_told_by_is_bot_and_by_an_older_journals_bot_true(tmp_path):
    new = {"ts": T0 + 1, "event": "chat", "msg": "n1", "user": "a", "text": "hi", "is_bot": True}
    report = build_report(write(tmp_path, [chat(0.0, "o1", "a", "yo", bot=True), new]))
    assert (report.viewer_lines, report.bot_lines, report.notes) == (0, 2, [])


def test_events_shown_as_counts_by_a_field_in_every_form(tmp_path):
    """Moderation has no figure of its own: the report counts it by `action`, the way any
    event declaring `counted_by` is shown (in the terminal, the page and JSON)."""
    moderation = [
        {"ts": T0 + t, "event": "moderation", "action": action, "ended": 0}
        for t, action in ((1, "delete"), (2, "clear"), (3, "delete"))
    ]
    report = build_report(write(tmp_path, [*JOURNAL, *moderation]))
    assert report.counts == {"moderation": {"delete": 2, "clear": 1}}
    out = io.StringIO()
    render_report(report, Console(file=out, width=100))
    assert "moderation: delete 2, clear 1" in out.getvalue()
    from botdeck.report.html import report_html

    assert "moderation: delete 2, clear 1" in report_html(report, ack_target=60.0)
    assert report_json(report)["counts"] == {"moderation": {"delete": 2, "clear": 1}}


def test_each_run_line_starts_a_run_and_names_its_channel(tmp_path):
    first = {"ts": T0, "event": "run", "channel": "testchan", "client_id": "abc"}
    second = {"ts": T0 + 20, "event": "run", "channel": "otherchan"}
    later = [chat(20.0, "x1", "v9", "@a hi"), job(20.0, "enqueued", 7, "a", "high", "x1")]
    report = build_report(write(tmp_path, [first, *JOURNAL, second, *later]))
    assert (report.runs, report.channels) == (2, ["testchan", "otherchan"])
    out = io.StringIO()
    render_report(report, Console(file=out, width=300))
    assert "(channels #testchan, #otherchan)" in out.getvalue()


def test_run_lines_from_an_untrusted_journal_name_a_few_channels_at_most(tmp_path):
    idle = [{"ts": T0, "event": "run", "channel": f"idle{n}"} for n in range(50)]
    busy = [
        line
        for n in range(30)
        for line in (
            {"ts": T0 + n, "event": "run", "channel": f"busy{n}"},
            chat(n, f"c{n}", "v1", "hello"),
        )
    ]
    report = build_report(write(tmp_path, [*idle, *busy]))
    assert report.runs == 30  # run lines with nothing between them are one run
    assert report.channels == [f"busy{n}" for n in range(10)]


def test_the_channel_its_events_reactions_and_channel_point_questions(tmp_path):
    """The report counts the channel's events (a test event aside), the bots' reactions
    (not mentions: the raid greeting answers no viewer) and each question's fate."""

    def happened(t: float, kind: str, msg: str, **extra: object) -> dict[str, object]:
        return {"ts": T0 + t, "event": "channel_event", "kind": kind, "msg": msg, **extra}

    events = [
        happened(0.0, "raid", "e1", user="raider", count=200),
        job(0.0, "enqueued", 1, "a", "high", "e1", reaction="raid"),
        chat(0.5, "m1", "v1", "@a hi"),
        job(0.5, "enqueued", 2, "a", "high", "m1"),
        job(1.0, "sent", 1, "a", "high", "e1", text="welcome raiders", latency=1.0),
        job(2.0, "sent", 2, "a", "high", "m1", text="@v1 hi", latency=1.5),
        happened(3.0, "gift", "e2", user="gifter", count=50),
        job(3.0, "enqueued", 3, "b", "normal", "e2", reaction="gift"),
        job(4.0, "failed", 3, "b", "normal", "e2", reason="timeout"),
        happened(5.0, "redeem", "r1", user="v2", text="what game is this?"),
        job(5.0, "enqueued", 4, "b", "high", "r1", reaction="redeem"),
        job(6.0, "sent", 4, "b", "high", "r1", text="@v2 a puzzle game", latency=1.0),
        {"ts": T0 + 6.1, "event": "redemption", "id": "r1", "status": "FULFILLED", "job": 4},
        happened(7.0, "redeem", "r2", user="v3", text="and now?"),
        job(7.0, "enqueued", 5, "b", "high", "r2", reaction="redeem"),
        job(8.0, "skipped", 5, "b", "high", "r2", reason="expired"),
        {"ts": T0 + 8.1, "event": "redemption", "id": "r2", "status": "CANCELED", "job": 5},
        happened(9.0, "follow", "e3", user="someone", test=True),
    ]
    report = build_report(write(tmp_path, events))
    channel = report.channel
    assert channel.events == {"redeem": 2, "raid": 1, "gift": 1}
    assert (channel.tests, channel.reactions, channel.reacted) == (1, 4, 2)
    assert (channel.fulfilled, channel.refunded) == (1, 1)
    assert (report.mentions.jobs, report.mentions.answered) == (1, 1)  # the viewer's only
    assert [point.latency for point in report.mention_latency] == [1.5]
    out = io.StringIO()
    render_report(report, Console(file=out, width=100, color_system=None))
    shown = out.getvalue()
    assert "events: redeem 2, raid 1, gift 1 (and 1 test event)" in shown
    assert "reactions: 4, sent 2" in shown
    assert "channel-point questions: fulfilled 1, refunded 1" in shown
    from botdeck.report.html import report_html

    page = report_html(report, ack_target=60.0)
    assert "channel-point questions: fulfilled 1, refunded 1" in page
    assert report_json(report)["channel"]["refunded"] == 1
