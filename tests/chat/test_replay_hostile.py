"""Replay logs that are hostile or extreme: caps, nesting, timelines that would hang the
virtual clock, Unix-time logs (issue 16). Each is one line or plays, within seconds."""

from __future__ import annotations

import gzip
import json
import math
import os
from pathlib import Path

import pytest

import botdeck.chat.replay_log as replay_log
from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import MAX_GAP, ReplayError, load_replay
from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual
from tests.harness.virtual_time import now


def jsonl(tmp_path: Path, *rows: object, name: str = "chat.jsonl") -> Path:
    path = tmp_path / name
    text = "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def row(t: float, text: str = "hi", user: str = "viewer") -> dict[str, object]:
    return {"t": t, "user": user, "text": text}


def refusal(path: Path, **options: float) -> str:
    with pytest.raises(ReplayError) as caught:
        load_replay(path, **options)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message


def play_times(path: Path, *, start: float | None = None, speed: float = 1.0) -> list[float]:
    """When each line plays on the virtual clock; the loop may settle at most 1,000 times,
    so a clock that spins fails the test instead of hanging it."""
    settles = 0

    def guard() -> None:
        nonlocal settles
        settles += 1
        if settles > 1_000:
            raise AssertionError("the virtual clock spins")

    async def main() -> list[float]:
        return [now() async for _ in ReplayChat(load_replay(path, start=start), speed=speed)]

    return run_virtual(main(), guard)


# ------------------------------------------------------------------ the virtual clock
@pytest.mark.parametrize(
    "times", [[0, 1e9], [1e300], [2.0**24, 2.0**24 + 1], [1e15 + 0.5, 1e300, 1e301]]
)
def test_the_virtual_clock_reaches_far_timers_without_spinning(times):
    settles = 0

    def guard() -> None:
        nonlocal settles
        settles += 1
        assert settles < 100, "the virtual clock spins"

    async def main() -> list[float]:
        import asyncio

        loop = asyncio.get_running_loop()
        reached = []
        for at in times:
            await asyncio.sleep(at - loop.time())
            reached.append(loop.time())
        return reached

    assert run_virtual(main(), guard, loop=VirtualTimeLoop()) == pytest.approx(times, rel=1e-12)


def test_a_clock_with_only_infinite_timers_left_says_so_instead_of_hanging():
    import asyncio

    with pytest.raises(RuntimeError, match="every timer left is at infinity"):
        run_virtual(asyncio.sleep(math.inf))


# ------------------------------------------------------------------ timelines
def test_a_gap_of_a_billion_seconds_plays_as_an_hour_with_a_warning(tmp_path):
    path = jsonl(tmp_path, row(0), row(1e9, "much later"), row(1e9 + 2, "then"))
    log = load_replay(path)
    assert [line.at for line in log.lines] == [0, MAX_GAP, MAX_GAP + 2]
    assert log.gaps == 1 and log.duration == MAX_GAP + 2
    (warning,) = log.warnings
    assert "line 2 (t=1e+09)" in warning and "--start" in warning
    assert play_times(path) == [0, MAX_GAP, MAX_GAP + 2]


def test_a_log_of_unix_times_starts_at_its_first_line(tmp_path):
    base = 1_700_000_000.25
    path = jsonl(tmp_path, row(base), row(base + 10), row(base + 70))
    assert play_times(path) == [0, 10, 70]
    assert play_times(path, start=0) == [0, 10, 70]  # the README's replay_start = 0
    assert play_times(path, start=10) == [0, 60]  # seconds after the first line
    assert play_times(path, start=base + 70) == [0]  # a Unix time is taken as one
    assert load_replay(path, start=0).start == base


def test_a_start_past_the_end_of_a_unix_log_says_how_long_it_is(tmp_path):
    path = jsonl(tmp_path, row(1_700_000_000), row(1_700_000_030))
    assert "replay_start 60s is after the last line (30 s after its first line)" in refusal(
        path, start=60
    )


def test_times_past_the_year_2286_are_skipped(tmp_path):
    path = jsonl(tmp_path, row(0), row(1e300, "far"), row(1.7e12, "milliseconds"), row(5))
    log = load_replay(path)
    assert [line.at for line in log.lines] == [0, 5]
    assert log.skipped == 2 and '"t" must be seconds <= 1e+10, got 1e+300' in log.warnings[0]


def test_a_log_of_only_absurd_times_is_refused(tmp_path):
    assert "no chat lines to play" in refusal(jsonl(tmp_path, row(1e300)))


def test_a_line_far_out_of_order_is_refused_naming_both_lines(tmp_path):
    path = jsonl(tmp_path, row(0), row(7200), row(3, "a second log starts"))
    message = refusal(path)
    assert "line 3 (t=3) is 7197 s earlier than line 2 (t=7200)" in message
    assert "at most 60 s" in message


def test_a_line_a_little_out_of_order_is_still_sorted(tmp_path):
    log = load_replay(jsonl(tmp_path, row(0), row(50), row(2, "late")))
    assert [line.text for line in log.lines] == ["hi", "late", "hi"] and log.reordered == 1


# ------------------------------------------------------------------ nesting
def test_a_deeply_nested_line_is_skipped_naming_it(tmp_path):
    deep = '{"t": 1, "user": "a_b", "text": ' + "[" * 5_000 + "]" * 5_000 + "}"
    log = load_replay(jsonl(tmp_path, row(0), deep, row(2)))
    assert len(log.lines) == 2
    assert log.warnings == (
        f"{tmp_path / 'chat.jsonl'}: line 2: JSON nested deeper than 64 levels: skipped",
    )


def test_a_deeply_nested_twitchdownloader_file_is_one_line(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text('{"comments": [\n{"message": ' + "[" * 100_000 + "]" * 100_000 + "}]}")
    assert "line 2 column 1: not JSON (nested too deeply)" in refusal(path)


def test_a_value_nested_within_the_limit_is_described_not_dumped(tmp_path):
    nested = {"t": [[[[[[1]]]]]], "user": "a_b", "text": "x"}
    log = load_replay(jsonl(tmp_path, row(0), nested))
    assert log.warnings[0].endswith('line 2: "t" must be seconds, got an array: skipped')


# ------------------------------------------------------------------ size and count caps
def test_a_gzip_of_newlines_is_refused_without_inflating_it_all(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(64):
            out.write(b"\n" * (1 << 20))
    assert "more than 16 MiB of blank lines: not a chat log" in refusal(path)


def test_a_log_larger_than_the_cap_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("wb") as out:
        out.truncate(replay_log.MAX_REPLAY_BYTES + 1)  # sparse
    assert "larger than 256 MiB" in refusal(path)


def test_a_gzip_inflating_past_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(replay_log, "MAX_REPLAY_BYTES", 1 << 20)
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(row(1)) + "\n").encode() * 40_000))
    assert "larger than 1 MiB uncompressed" in refusal(path)


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_devices_and_fifos_are_refused(tmp_path, target):
    path = Path(target)
    if target == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    assert "only regular files are read" in refusal(path)


def test_too_many_lines_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(replay_log, "MAX_REPLAY_LINES", 10)
    assert "more than 10 chat lines" in refusal(jsonl(tmp_path, *(row(t) for t in range(11))))


def test_a_thousand_unusable_lines_before_any_chat_is_no_chat_log(tmp_path):
    rows = [row(0)] + [{"t": "x", "user": "a", "text": "y"}] * 1_000 + [row(1)]
    path = jsonl(tmp_path, *rows[1:])
    assert "no playable line among the first 1,000" in refusal(path)
    assert len(load_replay(jsonl(tmp_path, *rows, name="ok.jsonl")).lines) == 2


def test_more_than_ten_thousand_unusable_lines_are_refused(tmp_path):
    rows = [row(0)] + ["garbage"] * 10_001
    assert "more than 10,000 unusable lines" in refusal(jsonl(tmp_path, *rows))


def test_warnings_keep_the_first_twenty_and_count_the_rest(tmp_path):
    log = load_replay(jsonl(tmp_path, row(0), *["garbage"] * 50))
    assert log.skipped == 50 and len(log.warnings) == 21
    assert log.warnings[-1].endswith("... and 30 more unusable lines skipped")
