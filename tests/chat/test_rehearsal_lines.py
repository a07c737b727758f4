"""What a rehearsal changes in a log: `--as OLD=bot` and `--mention-rate R`."""

from __future__ import annotations

from pathlib import Path

import pytest

from botdeck.chat.rehearsal_lines import RehearsalError, as_bots, with_mentions
from botdeck.chat.replay_log import JSONL, ReplayLine, ReplayLog
from botdeck.model.channel import MessageDeleted, UserCleared


def log_of(*lines: ReplayLine) -> ReplayLog:
    return ReplayLog(Path("chat.jsonl"), JSONL, lines, lines[0].at)


def said(at: float, user: str, text: str, where: int) -> ReplayLine:
    return ReplayLine(at, user, user, text, where)


def test_as_makes_an_old_name_one_of_the_bots():
    log = log_of(
        said(0, "viewer1", "@OldBot what game is this?", 1),
        said(1, "oldbot", "it is a great game", 2),
        said(2, "viewer2", "oldbot, you there? cc @oldbot", 3),
        said(3, "viewer3", "foo@oldbot.com and oldbots are not it", 4),
        ReplayLine(4, "", "", "", 5, event=UserCleared("oldbot")),
        ReplayLine(5, "", "", "", 6, event=MessageDeleted("replay-2", "oldbot")),
    )
    renamed = as_bots(log, {"OldBot": "alpha_bot"})
    assert [line.text for line in renamed.log.lines if line.event is None] == [
        "@alpha_bot what game is this?",
        "alpha_bot, you there? cc @alpha_bot",
        "foo@oldbot.com and oldbots are not it",
    ]
    assert [line.event for line in renamed.log.lines if line.event is not None] == [
        UserCleared("alpha_bot"),
        MessageDeleted("replay-2", "alpha_bot"),
    ]
    assert renamed.mentions == {"oldbot": 2} and renamed.dropped == {"oldbot": 1}
    with pytest.raises(RehearsalError, match="never names ghost"):
        as_bots(log, {"ghost": "alpha_bot"})


def chat(minutes: int) -> ReplayLog:
    questions = ("what game is this?", "how long is the stream tonight?", "is this a rerun")
    lines = [
        said(n * 2.0, f"viewer{n % 7}", questions[n % 3] if n % 4 else "gg", n + 1)
        for n in range(minutes * 30)
    ]
    lines.append(said(minutes * 60.0, "nightbot", "what is the uptime?", len(lines) + 1))
    return log_of(*lines)


def test_mentions_are_drawn_from_the_logs_questions_and_viewers_at_the_rate():
    log = chat(60)
    mentioned = with_mentions(log, ("alpha_bot", "beta_bot"), 2.0, seed=4, skip_users=["nightbot"])
    added = [line for line in mentioned.log.lines if line.synthetic]
    assert 100 <= len(added) == mentioned.added <= 140  # about 2 a minute for an hour
    assert mentioned.questions == 3 and mentioned.viewers == 7
    assert {line.user for line in added} <= {f"viewer{n}" for n in range(7)}
    assert {line.text.split(" ", 1)[0] for line in added} == {"@alpha_bot", "@beta_bot"}
    assert all(line.text.split(" ", 1)[1] != "gg" for line in added)  # questions only
    times = [line.at for line in mentioned.log.lines]
    assert times == sorted(times) and len(times) == len(log.lines) + len(added)
    again = with_mentions(log, ("alpha_bot", "beta_bot"), 2.0, seed=4, skip_users=["nightbot"])
    assert again.log == mentioned.log  # seeded
    other = with_mentions(log, ("alpha_bot", "beta_bot"), 2.0, seed=5, skip_users=["nightbot"])
    assert other.log != mentioned.log


def test_a_log_without_questions_cannot_give_mentions():
    log = log_of(*(said(n, "viewer", "gg", n + 1) for n in range(10)))
    with pytest.raises(RehearsalError, match="no viewer's question"):
        with_mentions(log, ("alpha_bot",), 1.0, seed=1)
