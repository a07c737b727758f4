"""Resuming after a crash: the previous journal's open jobs each get one outcome, young
mentions are answered again, and the journal says which job took over which."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from botdeck.chat.simulated import SimulatedChat
from botdeck.config import parse_config
from botdeck.engine import build_engine, plan_resume
from botdeck.engine.journal_files import open_journal
from tests.harness.journals import OUTCOMES
from tests.harness.virtual_time import run_virtual

NOW = 1_795_000_000.0
WINDOW = 300.0


def line(ts: float, event: str, **fields: object) -> str:
    return json.dumps({"ts": ts, "event": event, **fields})


def job(ts: float, event: str, job_id: int, bot: str, priority: str, msg: str, **more) -> str:
    return line(ts, event, job=job_id, bot=bot, priority=priority, msg=msg, **more)


def crashed_run() -> list[str]:
    """A run killed mid-raid: some jobs done, some open, a line cut off at the end."""
    young, old = NOW - 60, NOW - 1000
    return [
        line(old, "chat", msg="m1", user="viewer1", text="@alpha hi"),
        job(old, "enqueued", 1, "alpha", "high", "m1", delay=1.0),
        job(old, "sent", 1, "alpha", "high", "m1", text="@viewer1 hey"),
        line(old, "chat", msg="m2", user="viewer2", text="@alpha from long ago"),
        job(old, "enqueued", 2, "alpha", "high", "m2", delay=1.0),  # too old: expired
        line(young, "chat", msg="m3", user="viewer3", text="@alpha @beta still there?"),
        job(young, "enqueued", 3, "alpha", "high", "m3", delay=1.0),
        job(young, "started", 3, "alpha", "high", "m3"),  # running when killed: resumed
        job(young, "enqueued", 4, "beta", "high", "m3", delay=1.0),  # waiting: resumed
        line(young, "chat", msg="m4", user="viewer4", text="nice run"),
        job(young, "enqueued", 5, "beta", "normal", "m4", delay=2.0),  # random: expired
        line(young, "chat", msg="m5", user="alpha", text="@beta ahoy", bot=True, depth=1),
        job(young, "enqueued", 6, "beta", "low", "m5", delay=4.0),  # bot-to-bot: expired
        line(young, "chat", msg="m6", user="viewer6", text="@gone_bot hi"),
        job(young, "enqueued", 7, "gone_bot", "high", "m6", delay=1.0),  # bot removed
        job(young, "enqueued", 8, "alpha", "high", "m-lost", delay=1.0),  # line not journaled
        "this line is not JSON",
        '{"ts": 1, "event": "enqueued", "job": 9}',  # no bot, no priority: unreadable
        job(young, "enqueued", 12, "alpha", "high", "m1", delay=1.0)[:30],  # cut by the kill
    ]


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows))  # no newline at the end: killed mid-line
    return path


def config(channel: str = "botdeck_demo"):
    return parse_config(
        {
            "chat": {"channel": channel},
            "router": {
                "random_reply_chance": 0.0,
                "resume_window": WINDOW,
                "delays": {p: [0.5, 0.5] for p in ("high", "normal", "low")},
            },
            "send_limits": {"enabled": False},
            "bots": [{"name": "alpha"}, {"name": "beta"}],
        }
    )


def run(previous: Path, target: Path, *, enabled: bool = True, channel: str = "botdeck_demo"):
    plan = plan_resume(previous, same_file=previous == target, enabled=enabled, window=WINDOW)

    async def main():
        with open_journal(target, "--journal") as stream:
            engine = build_engine(
                config(channel),
                journal_stream=stream,
                source=SimulatedChat((), speed=1.0),
                clock=lambda: NOW,
                resume=plan,
            )
            await engine.connect()
            await engine.wait_idle()
            await engine.close()
            return engine.snapshot()

    return run_virtual(main())


def events(path: Path) -> list[dict]:
    """The journal events (the deliberately broken lines left out)."""
    rows = path.read_text().splitlines()
    found = [json.loads(row) for row in rows if row.startswith("{") and row.endswith("}")]
    return [e for e in found if "job" not in e or "bot" in e]


def test_young_mentions_are_answered_again_and_every_open_job_gets_one_outcome(tmp_path):
    journal = write(tmp_path / "journal.jsonl", crashed_run())
    snapshot = run(journal, journal)
    after = events(journal)
    new = after[len(events(write(tmp_path / "copy.jsonl", crashed_run()))) :]

    closed = {e["job"]: e for e in new if e["event"] == "skipped" and e["job"] <= 12}
    assert {job_id: e["reason"] for job_id, e in closed.items()} == {
        2: "expired",
        3: "resumed",
        4: "resumed",
        5: "expired",
        6: "expired",
        7: "expired",
        8: "expired",
    }
    taken_over = {e["resumes"]: e for e in new if e["event"] == "enqueued"}
    assert set(taken_over) == {3, 4}
    for old_id, enqueued in taken_over.items():
        assert enqueued["job"] > 9  # after the file's highest id, an unusable line's too
        assert enqueued["msg"] == "m3" and enqueued["priority"] == "high"
        assert closed[old_id]["resumed_as"] == enqueued["job"]
    sent = {e["job"]: e["text"] for e in new if e["event"] == "sent"}
    assert sorted(sent) == sorted(e["job"] for e in taken_over.values())
    assert all(text.startswith("@viewer3 ") for text in sent.values())

    ends = Counter(e["job"] for e in after if e["event"] in OUTCOMES)
    assert {e["job"] for e in after if e["event"] == "enqueued"} == set(ends)
    assert set(ends.values()) == {1}  # every job exactly one outcome, over the whole file
    assert snapshot.resume is not None
    assert (snapshot.resume.resumed, snapshot.resume.expired) == (2, 5)
    assert snapshot.resume.unreadable == 3  # not JSON, no bot, cut off
    assert snapshot.chat.mentions_answered == 2
    said = snapshot.resume.describe()
    assert "3 unreadable lines skipped" in said
    assert "1 for bots not in the config (gone_bot): expired" in said
    assert "too old or not mentions" not in said


def test_a_new_run_file_resumes_the_previous_one_and_closes_its_jobs_there(tmp_path):
    previous = write(tmp_path / "alpha-20261119-120000.jsonl", crashed_run())
    current = tmp_path / "alpha-20261119-121500.jsonl"
    run(previous, current)
    old, new = events(previous), events(current)
    ends = Counter(e["job"] for e in old if e["event"] in OUTCOMES)
    assert {e["job"] for e in old if e["event"] == "enqueued"} == set(ends)  # whole again
    assert [e["resumes"] for e in new if e["event"] == "enqueued"] == [3, 4]
    assert {e["event"] for e in new} <= {"run", "enqueued", "started", "sent", "chat"}
    assert all(e.get("is_bot") for e in new if e["event"] == "chat")  # only the replies' echoes


def test_no_resume_answers_nothing_again_but_still_closes_every_open_job(tmp_path):
    journal = write(tmp_path / "journal.jsonl", crashed_run())
    snapshot = run(journal, journal, enabled=False)
    after = events(journal)
    assert not any(e["event"] == "enqueued" and "resumes" in e for e in after)
    reasons = Counter(e["reason"] for e in after if e["event"] == "skipped")
    assert reasons == {"expired": 7}
    assert snapshot.resume is not None and snapshot.resume.resumed == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "file not found"),
        ("", "empty"),
        ("\x00\x01garbage\n" * 3, "no journal events"),
    ],
)
def test_a_journal_that_cannot_be_read_resumes_nothing_and_never_stops_the_start(
    tmp_path, content, problem
):
    journal = tmp_path / "journal.jsonl"
    if content is not None:
        journal.write_text(content)
    plan = plan_resume(journal, same_file=True, enabled=True, window=WINDOW)
    assert plan.open_jobs == () and plan.problem is not None and problem in plan.problem
    target = tmp_path / "new.jsonl"
    snapshot = run(journal, target)
    assert snapshot.resume is not None and snapshot.resume.describe().startswith("nothing")


def run_line(channel: str) -> str:
    return line(NOW - 2000, "run", channel=channel, client_id="abc123")


def new_lines(path: Path, before: int) -> list[dict]:
    return events(path)[before:]


def test_a_journal_of_another_channel_is_left_alone_and_said_so_in_one_line(tmp_path):
    """kill -9 of a #testchan run, then #otherchan on the same --journal: nothing of
    testchan is answered in otherchan, and its open jobs keep waiting for testchan."""
    journal = write(tmp_path / "journal.jsonl", [run_line("testchan"), *crashed_run()])
    before = len(events(journal))
    snapshot = run(journal, journal, channel="otherchan")
    assert new_lines(journal, before) == []  # no outcome, no resumed job, no reply
    resume = snapshot.resume
    assert resume is not None
    assert (resume.resumed, resume.expired, dict(resume.elsewhere)) == (0, 0, {"testchan": 7})
    assert resume.describe() == (
        f"nothing resumed: {journal} is #testchan's journal, not #otherchan's "
        "(7 open jobs left alone)"
    )
    assert snapshot.chat.mentions_answered == 0
    again = run(journal, journal, channel="testchan")  # testchan's own restart still can
    assert again.resume is not None and (again.resume.resumed, again.resume.expired) == (2, 5)


def test_of_two_runs_in_one_journal_only_this_channels_jobs_are_taken(tmp_path):
    young = NOW - 30
    theirs = [
        run_line("testchan"),
        line(young, "chat", msg="t1", user="viewer9", text="@alpha over here"),
        job(young, "enqueued", 20, "alpha", "high", "t1", delay=1.0),
    ]
    journal = write(tmp_path / "journal.jsonl", [run_line("otherchan"), *crashed_run()[:-1]])
    with journal.open("a") as stream:
        stream.write("\n" + "\n".join(theirs) + "\n")
    before = len(events(journal))
    snapshot = run(journal, journal, channel="OtherChan")  # logins are case-insensitive
    resume = snapshot.resume
    assert resume is not None
    assert (resume.resumed, resume.expired, dict(resume.elsewhere)) == (2, 5, {"testchan": 1})
    assert "1 open jobs of #testchan left alone: another channel's" in resume.describe()
    added = new_lines(journal, before)
    assert not [e for e in added if e.get("job") == 20 or e.get("resumes") == 20]
    assert min(e["job"] for e in added if e["event"] == "enqueued") > 20  # ids stay unique


def test_a_mention_dated_in_the_future_is_not_fresh(tmp_path):
    ahead = NOW + 3600  # a clock that jumped back, or a forged line
    rows = [
        line(ahead, "chat", msg="f1", user="viewer1", text="@alpha from tomorrow"),
        job(ahead, "enqueued", 1, "alpha", "high", "f1", delay=1.0),
    ]
    journal = write(tmp_path / "journal.jsonl", rows)
    snapshot = run(journal, journal)
    assert snapshot.resume is not None
    assert (snapshot.resume.resumed, snapshot.resume.expired) == (0, 1)
    assert "1 from the future: expired" in snapshot.resume.describe()
    assert snapshot.chat.mentions_answered == 0


def test_the_line_about_other_channels_names_a_few_and_counts_them_all(tmp_path):
    rows = []
    for n in range(7):
        rows += [
            line(NOW - 2000, "run", channel=f"chan{n}"),
            line(NOW - 30, "chat", msg=f"c{n}", user="viewer1", text="@alpha hi"),
            job(NOW - 30, "enqueued", n + 1, "alpha", "high", f"c{n}", delay=1.0),
        ]
    journal = write(tmp_path / "journal.jsonl", rows)
    snapshot = run(journal, journal, channel="mine")
    assert snapshot.resume is not None and snapshot.resume.left_alone == 7
    said = snapshot.resume.describe()
    assert said.endswith(", ...'s journal, not #mine's (7 open jobs left alone)")
    assert said.count("#chan") == 5


def test_a_reply_automod_held_when_the_run_crashed_is_not_sent_again(tmp_path):
    """Its reply is at Twitch (and in chat, if a moderator approved it meanwhile)."""
    young = NOW - 30
    rows = [
        line(young, "chat", msg="h1", user="viewer1", text="@alpha edgy question"),
        job(young, "enqueued", 1, "alpha", "high", "h1", delay=1.0),
        job(young, "started", 1, "alpha", "high", "h1"),
        line(young, "held", job=1, bot="alpha", text="@viewer1 edgy answer", reason="automod"),
    ]
    journal = write(tmp_path / "journal.jsonl", rows)
    snapshot = run(journal, journal)
    assert snapshot.resume is not None
    assert (snapshot.resume.resumed, snapshot.resume.expired) == (0, 1)
    assert "1 held by AutoMod: expired" in snapshot.resume.describe()
    assert snapshot.chat.mentions_answered == 0
