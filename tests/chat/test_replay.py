"""Replay of recorded chat: both formats, speed and start on the virtual clock, bad files."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import pytest

from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import JSONL, TWITCH_DOWNLOADER, ReplayError, ReplayLog, load_replay
from botdeck.config import parse_config
from botdeck.engine import build_engine
from botdeck.model.chat import ChatMessage, ConnectionStatus
from botdeck.model.events import ChatSeen
from tests.harness.engine import journal_of_run
from tests.harness.virtual_time import now, run_virtual

LONGEST = "abcdefghijklmnopqrstuvwxy"  # 25 characters: the longest Twitch login
BOTS = ("stickyman1776", "genejacqueman", LONGEST)


def jsonl(tmp_path: Path, *rows: object, name: str = "chat.jsonl") -> Path:
    path = tmp_path / name
    text = "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows)
    path.write_text(text + "\n", encoding="utf-8")
    return path


async def play(chat: ReplayChat) -> list[tuple[float, ChatMessage]]:
    return [(now(), message) async for message in chat]


def played(log: ReplayLog, speed: float = 1.0) -> list[tuple[float, ChatMessage]]:
    return run_virtual(play(ReplayChat(log, bots=BOTS, speed=speed)))


# ------------------------------------------------------------------ botdeck JSONL
def test_jsonl_lines_play_at_their_times(tmp_path):
    log = load_replay(
        jsonl(
            tmp_path,
            {"t": 0, "user": "PixelFox1", "text": "hello chat"},
            {"t": 1.5, "user": "moss_otter", "text": "\x1b[31mred\x1b[0m\ttext", "x": 1},
            {"t": 4, "user": "Neon", "display_name": "NeonGecko", "text": "@StickyMan1776 hi"},
        )
    )
    assert log.format == JSONL and log.warnings == () and log.skipped == 0
    received = played(log)
    assert [at for at, _ in received] == [0.0, 1.5, 4.0]
    messages = [message for _, message in received]
    assert [m.id for m in messages] == ["replay-1", "replay-2", "replay-3"]
    assert [m.user for m in messages] == ["pixelfox1", "moss_otter", "neon"]
    assert [m.author for m in messages] == ["PixelFox1", "moss_otter", "NeonGecko"]
    assert [m.text for m in messages] == ["hello chat", "red text", "@StickyMan1776 hi"]
    assert not any(m.is_bot for m in messages)


@pytest.mark.parametrize(
    ("speed", "expected"),
    [
        (1, [0, 1, 1, 3, 10]),
        (2, [0, 0.5, 0.5, 1.5, 5]),
        (10, [0, 0.1, 0.1, 0.3, 1]),
        (0.5, [0, 2, 2, 6, 20]),
    ],
)
def test_speed_divides_the_times_and_keeps_the_order(tmp_path, speed, expected):
    rows = [{"t": t, "user": f"v{i}", "text": f"line {i}"} for i, t in enumerate([0, 1, 1, 3, 10])]
    received = played(load_replay(jsonl(tmp_path, *rows)), speed=speed)
    assert [at for at, _ in received] == pytest.approx(expected)
    assert [message.text for _, message in received] == [f"line {i}" for i in range(5)]


def test_the_replay_starts_at_the_first_line_of_the_log(tmp_path):
    rows = [{"t": 3600 + t, "user": "viewer", "text": str(t)} for t in (0, 2, 5)]
    log = load_replay(jsonl(tmp_path, *rows))
    assert log.start == 3600 and log.duration == 5
    assert [at for at, _ in played(log)] == [0, 2, 5]


def test_a_start_offset_leaves_out_earlier_lines(tmp_path):
    rows = [{"t": t, "user": "viewer", "text": str(t)} for t in (0, 10, 20, 30)]
    log = load_replay(jsonl(tmp_path, *rows), start=15)
    received = played(log, speed=5)
    assert [message.text for _, message in received] == ["20", "30"]
    assert [at for at, _ in received] == pytest.approx([1.0, 3.0])  # (20 - 15) / 5
    assert log.skipped == 0 and log.warnings == ()


def test_a_start_after_the_last_line_is_an_error(tmp_path):
    path = jsonl(
        tmp_path, {"t": 0, "user": "a_b", "text": "x"}, {"t": 9, "user": "a_b", "text": "y"}
    )
    with pytest.raises(ReplayError, match=r"replay_start 60s is after the last line \(t=9\)"):
        load_replay(path, start=60)


def test_lines_by_a_configured_bot_are_that_bots_own_lines(tmp_path):
    log = load_replay(
        jsonl(
            tmp_path,
            {"t": 0, "user": "StickyMan1776", "text": "hi chat"},
            {"t": 1, "user": "viewer", "text": "@stickyman1776 hi"},
        )
    )
    first, second = (message for _, message in played(log))
    assert (first.user, first.is_bot, first.depth) == ("stickyman1776", True, 0)
    assert not second.is_bot


def test_the_source_ends_after_the_last_line_and_says_so(tmp_path):
    async def main() -> tuple[str, str, float]:
        chat = ReplayChat(
            load_replay(jsonl(tmp_path, {"t": 2, "user": "a_b", "text": "x"})), speed=1.0
        )
        before = chat.connection.status
        async for _ in chat:
            pass
        return before, chat.connection.status, now()

    before, after, ended = run_virtual(main())
    assert (before, after, ended) == (ConnectionStatus.REPLAY, ConnectionStatus.ENDED, 0.0)


# ------------------------------------------------------------------ TwitchDownloader
def comment(offset: float, name: str | None, display: str | None, body: str | None, **extra):
    commenter = {"display_name": display, "_id": "1", "name": name, "logo": "https://x/y.png"}
    message = {
        "body": body,
        "bits_spent": 0,
        "fragments": [{"text": body, "emoticon": None}] if body else [],
        "user_badges": [{"_id": "subscriber", "version": "12"}],
        "user_color": "#1E90FF",
        "emoticons": [],
    }
    message.update(extra.pop("message", {}))
    return {
        "_id": "c0ffee",
        "created_at": "2026-11-21T20:00:00Z",
        "channel_id": "12345",
        "content_type": "video",
        "content_id": "2000000000",
        "content_offset_seconds": offset,
        "commenter": commenter,
        "message": message,
        **extra,
    }


TD_COMMENTS = [
    comment(12.0, "pixelfox1", "PixelFox1", "hello chat"),
    comment(
        12.5,
        "moss_otter",
        "Moss_Otter",
        "Kappa this stream Kappa",
        message={
            "fragments": [
                {"text": "Kappa", "emoticon": {"emoticon_id": "25"}},
                {"text": " this stream ", "emoticon": None},
                {"text": "Kappa", "emoticon": {"emoticon_id": "25"}},
            ],
            "emoticons": [{"_id": "25", "begin": 0, "end": 4}],
        },
    ),
    comment(13.0, "xiaoming_88", "小明", "@StickyMan1776 你好！ what game is this?"),
    comment(13.25, LONGEST, LONGEST.upper(), f"@{LONGEST} hi from the longest name"),
    comment(14.0, "stickyman1776", "StickyMan1776", "@小明 hi there!"),
    comment(15.0, "pixelfox1", "PixelFox1", "@StickyMan1776 yes! replying to you"),
    comment(16.0, "cheerer", "Cheerer", None, message={"fragments": [{"text": "Cheer100 gg"}]}),
    comment(17.0, "ghost", "Ghost", None, message={"fragments": []}),  # no text at all
]


def downloader_file(tmp_path: Path, comments=TD_COMMENTS, name="chat.json") -> Path:
    document = {
        "FileInfo": {"Version": {"Major": 1, "Minor": 4, "Patch": 0}},
        "streamer": {"name": "SomeStreamer", "id": 12345},
        "video": {"title": "Raid night", "id": "2000000000", "start": 10, "end": 30},
        "comments": comments,
        "embeddedData": {"thirdParty": [], "firstParty": [], "twitchBadges": []},
    }
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_twitchdownloader_file_with_emotes_replies_and_odd_names(tmp_path):
    log = load_replay(downloader_file(tmp_path))
    assert log.format == TWITCH_DOWNLOADER
    assert log.skipped == 1
    assert log.warnings == (
        f'{tmp_path / "chat.json"}: comment 8: missing "message.body": skipped',
    )
    received = played(log)
    assert [at for at, _ in received] == [0.0, 0.5, 1.0, 1.25, 2.0, 3.0, 4.0]
    messages = [message for _, message in received]
    assert [m.user for m in messages] == [
        "pixelfox1",
        "moss_otter",
        "xiaoming_88",
        LONGEST,
        "stickyman1776",
        "pixelfox1",
        "cheerer",
    ]
    assert [m.author for m in messages][:5] == [
        "PixelFox1",
        "Moss_Otter",
        "小明",
        LONGEST.upper(),
        "StickyMan1776",
    ]
    assert messages[1].text == "Kappa this stream Kappa"
    assert messages[2].text == "@StickyMan1776 你好！ what game is this?"
    assert messages[6].text == "Cheer100 gg"  # from the fragments when there is no body
    assert [m.is_bot for m in messages] == [False, False, False, True, True, False, False]
    assert [m.id for m in messages][:3] == ["replay-1", "replay-2", "replay-3"]


def test_twitchdownloader_mentions_reach_the_configured_bots(tmp_path):
    """Through the engine: mentions in any case become high-priority jobs for those bots."""
    config = parse_config(
        {
            "router": {"random_reply_chance": 0.0, "max_depth": 0},
            "chat": {"source": "replay", "replay_file": str(downloader_file(tmp_path))},
            "bots": [{"name": bot} for bot in BOTS],
        }
    )
    events = journal_of_run(config)
    high = [(e["msg"], e["bot"]) for e in events if e["event"] == "sent"]
    # The longest name's own line mentions itself: a bot never answers itself.
    assert sorted(high) == [("replay-3", "stickyman1776"), ("replay-6", "stickyman1776")]
    bot_lines = [e for e in events if e["event"] == "chat" and e.get("is_bot")]
    assert {e["msg"] for e in bot_lines} >= {"replay-4", "replay-5"}


def test_a_gzipped_file_plays_the_same(tmp_path):
    plain = downloader_file(tmp_path)
    packed = tmp_path / "chat.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_replay(packed).lines == load_replay(plain).lines


def test_comments_out_of_order_are_played_in_time_order(tmp_path):
    comments = [comment(t, f"v{i}", f"V{i}", f"c{i}") for i, t in enumerate([5, 3, 3, 8, 1])]
    log = load_replay(downloader_file(tmp_path, comments))
    assert [line.text for line in log.lines] == ["c4", "c1", "c2", "c0", "c3"]
    assert len(log.warnings) == 1
    assert (
        "3 comments out of time order, first comment 2 (t=3) comes after comment 1 (t=5)"
        in (log.warnings[0])
    )


# ------------------------------------------------------------------ bad files
@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"  \n\n \n", "empty"),
        (b"hello world\nthis is a chat log\n", "line 1: not JSON"),
        (b'{"foo": 1}', 'JSON of another shape (an object without "comments")'),
        (b"[1, 2, 3]", "JSON of another shape (an array)"),
        (b'{"comments": 5}', '"comments" is a number, not an array'),
        (
            b'{"ts": 1, "event": "state"}\n{"ts": 2, "event": "state"}',
            'line 1: JSON of another shape (an object without "t")',
        ),
        (b"42\n", "line 1: JSON of another shape (a number)"),
        (b'{\n  "comments": [\n    {"content_offset_seconds": 1,\n', "line 4 column 1: not JSON"),
        (b'{"t": 0, "user": "a", "text": "\xff"}', "line 1: not UTF-8"),
        (b"\x1f\x8b\x08\x00garbage", "a damaged gzip file"),
        (b'{"t": -1, "user": "a", "text": "x"}\n{"t": 1}\n', "no chat lines to play (2 unusable"),
    ],
)
def test_a_file_that_is_no_chat_log_is_one_line_naming_it(tmp_path, content, needle):
    path = tmp_path / "log.json"
    path.write_bytes(content)
    with pytest.raises(ReplayError) as caught:
        load_replay(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert needle in message
    assert "\n" not in message


def test_a_missing_file_or_a_directory(tmp_path):
    with pytest.raises(ReplayError, match=r"nope\.jsonl: file not found"):
        load_replay(tmp_path / "nope.jsonl")
    with pytest.raises(ReplayError, match="is a directory"):
        load_replay(tmp_path)


def test_unusable_lines_are_skipped_with_a_warning_naming_each(tmp_path):
    path = jsonl(
        tmp_path,
        {"t": 0, "user": "a_b", "text": "first"},
        "this is not json",
        {"t": 1, "user": "a_b"},
        {"t": "soon", "user": "a_b", "text": "x"},
        {"t": 2, "user": 7, "text": "x"},
        '{"t": NaN, "user": "a_b", "text": "x"}',
        {"t": 3, "user": "a_b", "text": "x" * (70 * 1024)},
        {"t": 4, "user": "a_b", "text": " \u200b "},
        "[1, 2]",
        {"t": 5, "user": "a_b", "text": "last"},
    )
    log = load_replay(path)
    assert [line.text for line in log.lines] == ["first", "last"]
    assert log.skipped == 8
    assert [warning.removeprefix(f"{path}: ") for warning in log.warnings] == [
        "line 2: not JSON (Expecting value at column 1): skipped",
        'line 3: missing "text": skipped',
        'line 4: "t" must be seconds, got "soon": skipped',
        'line 5: "user" must be text, got 7: skipped',
        'line 6: "t" must be seconds >= 0, got nan: skipped',
        "line 7: longer than 64 KiB: skipped",
        "line 8: empty text: skipped",
        "line 9: expected an object, got an array: skipped",
    ]


def test_a_non_utf8_line_is_skipped(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_bytes(
        b'{"t": 0, "user": "a_b", "text": "ok"}\n{"t": 1, "user": "a_b", "text": "\xff"}\n'
    )
    log = load_replay(path)
    assert len(log.lines) == 1
    assert log.warnings == (f"{path}: line 2: not UTF-8: skipped",)


def test_jsonl_out_of_order_plays_sorted_and_stable(tmp_path):
    rows = [{"t": t, "user": "a_b", "text": f"{i}"} for i, t in enumerate([0, 5, 2, 2, 9, 1])]
    log = load_replay(jsonl(tmp_path, *rows))
    assert [line.at for line in log.lines] == [0, 1, 2, 2, 5, 9]
    assert [line.text for line in log.lines] == ["0", "5", "2", "3", "1", "4"]
    assert log.warnings == (
        f"{log.path}: 3 lines out of time order, first line 3 (t=2) comes after line 2 (t=5);"
        " played in time order",
    )


def test_a_drain_stops_the_replay_at_once(tmp_path):
    """Lines after a drain would only be refused (`skipped: draining`): none is played."""
    rows = [{"t": t, "user": f"viewer{t}", "text": f"line at {t}"} for t in range(10)]
    log = load_replay(jsonl(tmp_path, *rows))

    async def main() -> tuple[list[float], float, ConnectionStatus]:
        chat = ReplayChat(log, bots=BOTS, speed=1.0)
        asyncio.get_running_loop().call_later(3.5, chat.stop_playing)  # the router drains
        times = [at for at, _ in await play(chat)]
        return times, now(), chat.connection.status

    times, ended, status = run_virtual(main())
    assert times == [0.0, 1.0, 2.0, 3.0]
    assert ended == 3.5  # at once, not at the next line's time
    assert status is ConnectionStatus.ENDED


def test_a_drain_ends_a_rehearsal_run_s_replay_through_the_engine(tmp_path):
    rows = [{"t": t, "user": f"viewer{t}", "text": f"@stickyman1776 q {t}"} for t in range(10)]
    replay = jsonl(tmp_path, *rows)
    config = parse_config(
        {
            "chat": {"source": "replay", "replay_file": str(replay)},
            "router": {"delays": {"high": [0.1, 0.1]}},
            "bots": [{"name": bot} for bot in BOTS],
        }
    )

    async def main() -> tuple[list[str], float, str]:
        engine = build_engine(config)
        viewers: list[str] = []
        engine.subscribe(
            lambda e: (
                isinstance(e, ChatSeen) and not e.message.is_bot and viewers.append(e.message.id)
            )
        )
        asyncio.get_running_loop().call_later(2.5, engine.drain)
        await engine.run_chat()  # returns: the replay stopped
        ended = now()
        await engine.wait_ended()
        return viewers, ended, engine.state.value

    viewers, ended, state = run_virtual(main())
    assert (viewers, ended, state) == (["replay-1", "replay-2", "replay-3"], 2.5, "drained")


# ------------------------------------------------------------------ channel events
def test_a_replayed_raid_is_told_first_and_greeted_before_its_mentions(tmp_path):
    """A JSONL log holds the channel's events as the journal names them: the raid arms
    raid mode and its greeting goes out first, a gift is thanked, the game reaches the
    prompt line; a bad event line is skipped by its number."""
    path = tmp_path / "raid.jsonl"
    records = [
        {"t": 0.0, "event": "update", "game": "Celeste", "title": "any% tries"},
        {"t": 0.5, "event": "raid", "user": "BigStreamer", "count": 40},
        *({"t": 1.0 + i / 10, "user": f"raider{i}", "text": f"@{BOTS[0]} hi!"} for i in range(8)),
        {"t": 3.0, "event": "gift", "user": "generous", "count": 5},
        {"t": 3.5, "event": "raid", "count": 3},  # no user: skipped, said by its line
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    log = load_replay(path)
    assert log.skipped == 1 and any("line 12" in w and '"raid" needs "user"' in w
                                    for w in log.warnings)  # fmt: skip
    config = parse_config(
        {
            "router": {"random_reply_chance": 0.0, "max_depth": 0},
            "chat": {"source": "replay", "replay_file": str(path), "speed": 10.0},
            "bots": [{"name": bot} for bot in BOTS],
        }
    )
    events = journal_of_run(config)
    told = [(e["kind"], e.get("user"), e.get("count")) for e in events
            if e["event"] == "channel_event"]  # fmt: skip
    assert told == [("update", None, None), ("raid", "bigstreamer", 40), ("gift", "generous", 5)]
    sent = [e for e in events if e["event"] == "sent" and not e.get("coalesced_into")]
    reactions = {
        e["job"]: e["reaction"] for e in events if e["event"] == "enqueued" and "reaction" in e
    }
    assert reactions[sent[0]["job"]] == "raid"  # the greeting, first
    assert sorted(reactions.values()) == ["gift", "raid"]
    answered = {e["msg"] for e in events if e["event"] == "sent" and e["job"] not in reactions}
    assert len(answered) == 8  # every raider's mention
