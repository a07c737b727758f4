"""The issue's check: rehearsals on a generated busy chat (emote walls, copypasta waves,
questions, one-word spam, 5% mentions) in each log format botdeck reads. No random reply
to an emote-only line, the bots' random share under `chat_share` in every five minutes,
every mention answered; and `--mention-rate`/`--as` give a past stream mentions."""

from __future__ import annotations

import bisect
import io
import json
import os
from pathlib import Path

import pytest

from botdeck.commands.rehearse import Rehearsal, rehearsal_config, rehearse
from botdeck.config import Config, parse_config
from tests.fakes.busy_chat import CHANNEL_EMOTES, WRITERS, Said, busy_chat
from tests.harness.cli import run_botdeck

BOTS = ("alpha_bot", "beta_bot", "gamma_bot")
SHARE = 0.1


def config_for(room: bool) -> Config:
    """A random-reply chance high enough that any room rule left out shows at once."""
    table: dict[str, object] = {
        "router": {"random_reply_chance": 0.5, "chat_share": SHARE if room else 1.0},
        "cooldowns": {"per_user": 0, "per_bot": 0},
        "filters": {"emotes": list(CHANNEL_EMOTES)},
        "bots": [{"name": bot} for bot in BOTS],
    }
    if not room:
        table["filters"] = {"emote_only": False, "min_words": 0, "copypasta": False,
                            "repeats": False}  # fmt: skip
    return parse_config(table)


def rehearsed(tmp_path: Path, fmt: str, said: list[Said], room: bool = True) -> list[dict]:
    text, _ = WRITERS[fmt](said)
    replay = tmp_path / f"chat-{fmt}.log"
    replay.write_text(text, encoding="utf-8")
    journal = tmp_path / f"journal-{fmt}-{room}.jsonl"
    rehearsal = Rehearsal(replay=replay, journal=journal)
    config = rehearsal_config(config_for(room), rehearsal)
    assert rehearse(config, rehearsal, out=io.StringIO()) == 0
    return [json.loads(row) for row in journal.read_text().splitlines()]


def worst_share(events: list[dict]) -> float:
    """The most random and bot-to-bot replies taken in five minutes, against the viewers'
    lines in the same five minutes (each window ending at one of those replies)."""
    viewers = [e["ts"] for e in events if e["event"] == "chat" and not e.get("is_bot")]
    chance = [e["ts"] for e in events if e["event"] == "enqueued" and e["priority"] != "high"]
    worst = 0.0
    for at in chance:
        taken = bisect.bisect_right(chance, at) - bisect.bisect_right(chance, at - 300)
        seen = bisect.bisect_right(viewers, at) - bisect.bisect_right(viewers, at - 300)
        worst = max(worst, taken / seen)
    return worst


def random_replies_to(events: list[dict], ids: dict[str, Said], kind: str) -> int:
    return sum(
        1
        for e in events
        if e["event"] == "enqueued" and e["priority"] != "high" and ids.get(e["msg"])
        if ids[e["msg"]].kind == kind
    )


def unanswered_mentions(events: list[dict], ids: dict[str, Said]) -> list[str]:
    sent = {e["msg"] for e in events if e["event"] == "sent"}
    return [msg for msg, line in ids.items() if line.kind == "mention" and msg not in sent]


@pytest.fixture(scope="module")
def said() -> list[Said]:
    return busy_chat(10, BOTS, seed=3)


@pytest.mark.parametrize("fmt", ["irc", "recent-messages", "chatterino"])
def test_a_busy_chat_in_each_format_gets_replies_that_fit(tmp_path, said, fmt):
    _, ids = WRITERS[fmt](said)
    events = rehearsed(tmp_path, fmt, said)
    assert random_replies_to(events, ids, "emotes") == 0
    assert random_replies_to(events, ids, "short") == 0
    assert random_replies_to(events, ids, "repeats") == 0
    assert worst_share(events) <= SHARE
    assert unanswered_mentions(events, ids) == []
    assert random_replies_to(events, ids, "question") + random_replies_to(events, ids, "chatter")


def test_the_same_chat_without_the_room_rules_shows_what_they_prevent(tmp_path, said):
    _, ids = WRITERS["irc"](said)
    events = rehearsed(tmp_path, "irc", said, room=False)
    assert random_replies_to(events, ids, "emotes") > 50
    assert worst_share(events) > 2 * SHARE


# ------------------------------------------------------------------ the CLI flags
CONFIG = """
[router]
random_reply_chance = 0.0

[[bots]]
name = "alpha_bot"

[[bots]]
name = "beta_bot"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}


def test_a_past_stream_gets_mentions_of_the_bots(env, tmp_path):
    """Nobody mentions alpha_bot or beta_bot in this log: `--as` makes its old bot one of
    them, `--mention-rate` asks the log's own questions, each marked synthetic."""
    said = busy_chat(5, ("oldbot",), seed=8, mention_share=0.04)
    text, ids = WRITERS["irc"](said)
    replay, journal = tmp_path / "past.log", tmp_path / "journal.jsonl"
    replay.write_text(text, encoding="utf-8")
    config = tmp_path / "botdeck.toml"
    config.write_text(CONFIG)
    args = ["--config", str(config), "--replay", str(replay), "--journal", str(journal)]
    result = run_botdeck(
        "rehearse", *args, "--mention-rate", "4", "--as", "OldBot=alpha_bot", env=env
    )
    assert result.returncode == 0, result.stderr
    named = sum(1 for line in said if line.kind == "mention")
    assert f"--as oldbot=alpha_bot: {named} lines naming oldbot now name alpha_bot" in (
        result.stderr
    )
    events = [json.loads(row) for row in journal.read_text().splitlines()]
    synthetic = [e for e in events if e["event"] == "chat" and e.get("synthetic")]
    assert 10 <= len(synthetic) <= 35  # about 4 a minute for 5 minutes, seeded
    questions = {line.text for line in said if line.kind in ("question", "mention")}
    viewers = {line.user for line in said}
    for line in synthetic:
        bot, _, question = line["text"].partition(" ")
        assert bot in ("@alpha_bot", "@beta_bot") and line["user"] in viewers
        assert question in questions or f"@oldbot {question}" in questions
        assert line["msg"].startswith("synthetic-")
    assert not any(e.get("synthetic") for e in events if e["event"] != "chat")
    sent = {e["msg"] for e in events if e["event"] == "sent"}
    assert {line["msg"] for line in synthetic} <= sent  # every synthetic mention answered
    renamed = [msg for msg, line in ids.items() if line.kind == "mention"]
    assert set(renamed) <= sent  # and every mention of the old name, now alpha_bot's
    first = [(e["user"], e["text"]) for e in synthetic]
    repeat = tmp_path / "again.jsonl"
    again = run_botdeck(
        "rehearse", *args[:4], "--journal", str(repeat), "--mention-rate", "4",
        "--as", "oldbot=alpha_bot", env=env,
    )  # fmt: skip
    assert again.returncode == 0
    second = [
        (e["user"], e["text"])
        for e in map(json.loads, repeat.read_text().splitlines())
        if e.get("synthetic")
    ]
    assert second == first  # the same seed draws the same mentions


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--mention-rate", "0"], "--mention-rate: expected mentions per minute > 0"),
        (["--mention-rate", "lots"], "--mention-rate: expected mentions per minute"),
        (["--as", "oldbot"], "--as: expected OLD=bot"),
        (["--as", "oldbot=zeta_bot"], "zeta_bot is not one of the [[bots]]"),
        (["--as", "nobody_here=alpha_bot"], "never names nobody_here"),
        (["--as", "beta_bot=alpha_bot"], "beta_bot is already one of the bots"),
    ],
)
def test_a_flag_the_log_cannot_honour_exits_2_with_one_line(env, tmp_path, flags, needle):
    replay = tmp_path / "past.log"
    replay.write_text(WRITERS["irc"](busy_chat(1, ("oldbot",), seed=2))[0], encoding="utf-8")
    config = tmp_path / "botdeck.toml"
    config.write_text(CONFIG)
    result = run_botdeck(
        "rehearse", "--config", str(config), "--replay", str(replay), *flags, env=env
    )
    assert result.returncode == 2
    assert needle in result.stderr and result.stderr.count("\n") == 1


def test_only_a_rehearsal_has_the_flags(env):
    """`--as` is a rehearsal's; `--mention-rate` a rehearsal's and the demo's (see
    tests/test_demo_mention_rate.py): never a live run's."""
    for command, flag in ((["run"], "--mention-rate"), (["run"], "--as"), (["demo"], "--as")):
        result = run_botdeck(*command, "--headless", flag, "2", env=env)
        assert result.returncode == 2 and "unrecognized arguments" in result.stderr
