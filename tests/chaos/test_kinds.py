"""Each kind of fault, played on the virtual clock through the real engine: its effect
seen in the journal, and botdeck's handling of it (no mention lost that could be seen)."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from botdeck.chaos import KINDS, Handling
from tests.harness.chaos import BOTS, T0, chat_log, every_job_ended_once, play
from tests.harness.journals import OUTCOMES


def test_every_kind_has_a_test_here():
    tested = {name.removeprefix("test_").split("__")[0] for name in globals()}
    assert set(KINDS) <= tested


def fault_line(night, kind):
    [line] = [e for e in night.of("fault") if e["kind"] == kind]
    return line


@pytest.mark.parametrize("mode", ["refused", "timeout", "429", "5xx"])
def test_ai_down(tmp_path: Path, mode: str):
    night = play(tmp_path, f'[[fault]]\nkind = "ai_down"\nat = 60\nfor = 60\nmode = "{mode}"\n')
    line = fault_line(night, "ai_down")
    assert (line["ts"] - T0, line["until"] - T0) == (60, 120)
    assert not night.between(62, 120, "sent")  # nothing written while the server is down
    late = night.between(120, 200, "sent")
    assert late and max(e["latency"] for e in late) > 50  # waited the outage out ...
    assert not night.lost()  # ... and answered every one
    assert sum(e.get("ai_wasted", 0) for e in night.of(*OUTCOMES)) >= 1  # probes failed
    every_job_ended_once(night)


def test_ai_down__without_the_circuit_replies_fail(tmp_path: Path):
    plan = '[[fault]]\nkind = "ai_down"\nat = 60\nfor = 60\n'
    night = play(tmp_path, plan, handling=Handling(circuit=False))
    failed = night.between(60, 121, "failed")
    assert failed and all("connection refused" in e["reason"] for e in failed)
    assert len(night.lost()) == len(failed)


def test_ai_slow(tmp_path: Path):
    night = play(tmp_path, '[[fault]]\nkind = "ai_slow"\nat = 60\nfor = 60\nlatency = 9\n')
    before = [e["latency"] for e in night.between(20, 58, "sent")]
    during = [e["latency"] for e in night.between(75, 118, "sent")]
    assert max(before) < 4 and min(during) >= 9  # a delay of 1-3 s, then 9 s more
    assert not night.lost()


def test_reading_lost(tmp_path: Path):
    night = play(tmp_path, '[[fault]]\nkind = "reading_lost"\nat = 60\nfor = 30\n')
    read = {round(night.at(e) - 0.5) for e in night.viewer_lines()}
    assert read.isdisjoint(range(60, 90)) and {59, 90} <= read  # a blind spot, then back
    assert night.ledger.unseen == Counter({"reading lost": 30})
    assert night.ledger.unseen_mentions["reading lost"] == 10
    assert night.ledger.could_have_seen() == 0 and not night.lost()


def test_reader_banned(tmp_path: Path):
    plan = '[[fault]]\nkind = "reader_banned"\nat = 60\nfor = 60\nfailover = 4\n'
    night = play(tmp_path, plan)
    [cleared] = night.of("moderation")
    assert (cleared["action"], cleared["user"]) == ("clear_user", BOTS[0])  # the reader
    read = {round(night.at(e) - 0.5) for e in night.viewer_lines()}
    assert read.isdisjoint(range(60, 64)) and 64 in read  # another account reads after 4 s
    assert night.ledger.unseen["failing over to another reader"] == 4
    assert not [e for e in night.between(60, 120, "sent") if e["bot"] == BOTS[0]]
    assert not night.lost()  # its mentions waited for the ban to be lifted
    assert not night.ledger.refused  # paused: nothing sent into the ban


def test_reader_banned__without_failover_reading_stops(tmp_path: Path):
    plan = '[[fault]]\nkind = "reader_banned"\nat = 60\nfor = 60\n'
    night = play(tmp_path, plan, handling=Handling(failover=False))
    read = {round(night.at(e) - 0.5) for e in night.viewer_lines()}
    assert read.isdisjoint(range(60, 120)) and 120 in read
    assert night.ledger.could_have_seen() == 20  # a mention every 3 s, for 60 s


def test_bot_timeout(tmp_path: Path):
    night = play(tmp_path, '[[fault]]\nkind = "bot_timeout"\nat = 60\nfor = 45\n')
    bot = BOTS[-1]  # the last bot unless the plan names one
    [cleared] = night.of("moderation")
    assert cleared["user"] == bot
    assert not [e for e in night.sent_by(bot) if 60 <= night.at(e) < 105]
    assert [e for e in night.sent_by(bot) if 105 <= night.at(e) < 110]  # resumed at its end
    assert not night.lost() and not night.ledger.refused


def test_bot_timeout__unheeded_sends_are_refused(tmp_path: Path):
    plan = '[[fault]]\nkind = "bot_timeout"\nat = 60\nfor = 45\n'
    night = play(tmp_path, plan, handling=Handling(moderation=False))
    refused = [e for e in night.of("failed") if e["bot"] == BOTS[-1]]
    assert refused and all("timed out" in e["reason"] for e in refused)
    assert all(e["dropped"] == 1 for e in refused)


def test_bot_banned(tmp_path: Path):
    plan = '[[fault]]\nkind = "bot_banned"\nat = 60\nbot = "pixelsage"\n'
    night = play(tmp_path, plan, duration=320)  # its mentions would wait for ever
    assert not [e for e in night.sent_by("pixelsage") if night.at(e) >= 60]
    lost = night.lost()  # banned for good: its mentions wait, and a drain ends them
    assert lost and {e["bot"] for e in lost} == {"pixelsage"}


def test_bot_banned__then_unbanned(tmp_path: Path):
    night = play(tmp_path, '[[fault]]\nkind = "bot_banned"\nat = 60\nfor = 30\nbot = "pixelsage"\n')
    assert [e for e in night.sent_by("pixelsage") if 90 <= night.at(e) < 95]
    assert not night.lost()


@pytest.mark.parametrize("mode", ["429", "drop"])
def test_sends_failing(tmp_path: Path, mode: str):
    # A 429 storm shorter than its reset: one retry (`[twitch] send_retries`) gets through.
    plan = f'[[fault]]\nkind = "sends_failing"\nat = 60\nfor = 5\nmode = "{mode}"\nreset = 6\n'
    night = play(tmp_path, plan)
    dropped = [e for e in night.of(*OUTCOMES) if e.get("dropped")]
    assert dropped and all(60 <= night.at(e) < 70 for e in dropped)
    if mode == "429":  # retried after Ratelimit-Reset until sends go out again
        assert all(e["event"] == "sent" for e in dropped) and not night.lost()
    else:  # a drop is gone: retrying would not bring it back
        assert {e["event"] for e in dropped} == {"failed"}
        assert all("dropped" in e["reason"] for e in dropped)
    assert sum(night.ledger.refused.values()) == sum(e["dropped"] for e in dropped)


def test_deletions(tmp_path: Path):
    plan = '[[fault]]\nkind = "deletions"\nat = 60\nfor = 60\ncount = 6\nafter = 0.5\n'
    night = play(tmp_path, plan)
    deleted = {e["msg"] for e in night.of("moderation") if e["action"] == "delete"}
    assert len(deleted) == 6
    withdrawn = [e for e in night.of("skipped") if e["reason"] == "deleted_by_moderator"]
    assert {e["msg"] for e in withdrawn} == deleted  # each reply still in its 1-3 s delay
    assert not [e for e in night.of("sent") if e["msg"] in deleted]
    assert night.ledger.replies_to_deleted == 0 and not night.lost()


def test_deletions__unheeded_are_replied_to(tmp_path: Path):
    plan = '[[fault]]\nkind = "deletions"\nat = 60\nfor = 60\ncount = 6\nafter = 0.5\n'
    night = play(tmp_path, plan, handling=Handling(moderation=False))
    assert night.ledger.replies_to_deleted == 6


def test_viewer_timeouts(tmp_path: Path):
    plan = '[[fault]]\nkind = "viewer_timeouts"\nat = 60\nfor = 60\ncount = 3\nafter = 0.5\n'
    night = play(tmp_path, plan)
    removed = {e["user"] for e in night.of("moderation") if e["action"] == "clear_user"}
    assert len(removed) == 3
    ended = [e for e in night.of("skipped") if e["reason"] == "user_removed"]
    assert len(ended) >= 3 and not night.lost()


def test_chat_mode(tmp_path: Path):
    plan = '[[fault]]\nkind = "chat_mode"\nat = 60\nfor = 60\nmode = "followers-only"\n'
    night = play(tmp_path, plan)
    held = [e for e in night.between(60, 120, "sent") if e["bot"] != BOTS[2]]
    assert not held  # viewer-role bots held; the moderator bot talks on
    assert night.between(60, 120, "sent")
    assert not night.lost() and night.ledger.mode_drops == 0


def test_chat_mode__slow(tmp_path: Path):
    plan = '[[fault]]\nkind = "chat_mode"\nat = 30\nfor = 120\nmode = "slow"\nslow = 20\n'
    night = play(tmp_path, plan, log=chat_log(tmp_path / "busy.jsonl", every=0.5, mention_every=1))
    sends = [
        night.at(e)
        for e in night.sent_by(BOTS[0])
        if 40 <= night.at(e) < 150 and "coalesced_into" not in e  # one message for many
    ]
    assert sends and all(b - a >= 20 for a, b in itertools.pairwise(sends))
    assert night.ledger.mode_drops == 0


def test_raid(tmp_path: Path):
    plan = '[[fault]]\nkind = "raid"\nat = 60\nviewers = 120\nwithin = 5\nmention_share = 0.8\n'
    night = play(tmp_path, plan)
    raiders = [e for e in night.viewer_lines() if e.get("synthetic")]
    assert len(raiders) == 120 and all(60 <= night.at(e) <= 65 for e in raiders)
    raid_mentions = [e for e in night.mentions() if e["msg"].startswith("raid")]
    assert len(raid_mentions) >= 90 and {e["event"] for e in raid_mentions} == {"sent"}
    assert not night.lost() and night.ledger.over_limit == 0
    assert fault_line(night, "raid")["until"] - T0 == 65


def test_crash(tmp_path: Path):
    log = chat_log(tmp_path / "busy.jsonl", every=0.5, mention_every=1)
    night = play(tmp_path, '[[fault]]\nkind = "crash"\nat = 60.2\ndown = 5\n', log=log)
    assert len(night.of("run")) == 2
    crash = fault_line(night, "crash")
    restart = night.of("run")[1]
    assert night.at(crash) == pytest.approx(60.2) and night.at(restart) >= 65.2
    assert not night.between(60.21, 65.2, *OUTCOMES)  # killed: nothing written meanwhile
    handed = [e for e in night.of("skipped") if e["reason"] == "resumed"]
    assert handed  # the jobs the killed run left open, taken over by the new run
    resumes = {e["resumes"]: e["job"] for e in night.of("enqueued") if "resumes" in e}
    assert {e["job"]: e["resumed_as"] for e in handed} == resumes
    assert night.ledger.unseen["botdeck down"] > 0  # chat went on while it was down
    assert not night.lost() and night.ledger.over_limit == 0
    every_job_ended_once(night)


def test_crash__without_resume_mentions_expire(tmp_path: Path):
    log = chat_log(tmp_path / "busy.jsonl", every=0.5, mention_every=1)
    plan = '[[fault]]\nkind = "crash"\nat = 60.2\ndown = 5\n'
    night = play(tmp_path, plan, log=log, handling=Handling(resume=False))
    expired = [e for e in night.of("skipped") if e["reason"] == "expired"]
    assert expired and len(night.lost()) == len(expired)


def test_crash__the_killed_runs_sends_still_count(tmp_path: Path):
    """Twitch counts the sends of the last 30 s across a restart: the new run's limiter
    reads them from the journal, so a quick restart does not send past the limit."""
    log = chat_log(tmp_path / "busy.jsonl", every=0.5, mention_every=1)
    night = play(tmp_path, '[[fault]]\nkind = "crash"\nat = 100.7\ndown = 2\n', log=log)
    assert len(night.of("run")) == 2
    assert night.ledger.over_limit == 0  # 1 when the limiter starts empty


def test_bot_banned__unseen_while_reading_is_lost(tmp_path: Path):
    """A ban that falls in a blind spot is learnt from the refused send: the bot is paused
    and the refused reply waits with the others, instead of each failing at Twitch."""
    plan = (
        '[[fault]]\nkind = "reading_lost"\nat = 60\nfor = 30\n\n'
        '[[fault]]\nkind = "bot_banned"\nat = 70\nfor = 40\nbot = "pixelsage"\n'
    )
    night = play(tmp_path, plan)
    assert not night.of("moderation")  # the moderator's action was never read
    assert night.ledger.refused == Counter({"pixelsage is banned in this channel": 1})
    assert not [e for e in night.sent_by("pixelsage") if 90 <= night.at(e) < 110]
    assert [e for e in night.sent_by("pixelsage") if 110 <= night.at(e) < 115]  # resumed
    assert not night.lost()
    every_job_ended_once(night)


def test_bot_banned__unseen_without_moderation_handling_replies_fail(tmp_path: Path):
    plan = (
        '[[fault]]\nkind = "reading_lost"\nat = 60\nfor = 30\n\n'
        '[[fault]]\nkind = "bot_banned"\nat = 70\nfor = 40\nbot = "pixelsage"\n'
    )
    night = play(tmp_path, plan, handling=Handling(moderation=False))
    lost = night.lost()
    assert lost and {e["reason"] for e in lost} == {"pixelsage is banned in this channel"}
