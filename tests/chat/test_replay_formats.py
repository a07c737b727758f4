"""Your own chat as it is: raw Twitch IRC with tags, recent-messages JSON and Chatterino's
text logs replay like botdeck's own JSONL, told from their content; bad lines are skipped
by number and a log that changes format says where."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botdeck.chat.irc_log import IrcChannel, IrcError, parse_irc, sent_at
from botdeck.chat.replay_log import (
    CHATTERINO,
    IRC,
    JSONL,
    RECENT_MESSAGES,
    ReplayError,
    load_replay,
)
from botdeck.model.channel import ChatCleared, ChatSettings, MessageDeleted, UserCleared
from botdeck.model.stream import EventKind
from tests.fakes.busy_chat import WRITERS, busy_chat

TS = 1_700_000_000_000  # tmi-sent-ts of the first line, in milliseconds


def privmsg(user: str, text: str, at: float = 0.0, **tags: str) -> str:
    fields = {"badges": "", "display-name": user.capitalize(), "id": f"id-{user}-{at:g}"}
    fields.update(tags)
    fields["tmi-sent-ts"] = str(int(TS + at * 1000))
    tag_text = ";".join(f"{key}={value}" for key, value in fields.items())
    return f"@{tag_text} :{user}!{user}@{user}.tmi.twitch.tv PRIVMSG #streamer :{text}"


def write(tmp_path, lines: list[str], name: str = "chat.log"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ IRC lines
def test_an_irc_line_is_read_with_its_tags_unescaped():
    message = parse_irc(r"@display-name=A\sB;msg=semi\:colon\\;flag :a!a@a.tmi PRIVMSG #c :hi :)")
    assert message.tags == {"display-name": "A B", "msg": "semi;colon\\", "flag": ""}
    assert (message.nick, message.command, message.params) == ("a", "PRIVMSG", ("#c", "hi :)"))


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("@badges=;id=1", "no command"),
        ("@ :a!a@a PRIVMSG #c :hi", "bad tags"),
        ("@a=1;;b=2 :a!a@a PRIVMSG #c :hi", "bad tags"),
        ("@a b=1 :a PRIVMSG #c :hi", "not an IRC command"),
        (": PRIVMSG #c :hi", "empty prefix"),
        (":a!a@a", "no command"),
    ],
)
def test_a_malformed_irc_line_says_why(line, why):
    with pytest.raises(IrcError, match=why):
        parse_irc(line)


def test_a_raw_irc_log_plays_chat_moderation_and_chat_modes(tmp_path):
    path = write(
        tmp_path,
        [
            ":streamer!streamer@streamer.tmi.twitch.tv JOIN #streamer",  # not chat: passed over
            "@emote-only=0;followers-only=10;r9k=0;room-id=1;slow=0;subs-only=0"
            " :tmi.twitch.tv ROOMSTATE #streamer",  # no time: played with the first line
            privmsg(
                "foo",
                "Kappa hello there Kappa",
                0,
                badges="subscriber/12,premium/1",
                emotes="25:0-4,18-22",
                id="m-1",
            ),
            privmsg("bar", "\x01ACTION waves at chat\x01", 1.5, id="m-2"),
            f"@login=bar;target-msg-id=m-2;tmi-sent-ts={TS + 2000} :tmi.twitch.tv CLEARMSG"
            " #streamer :waves at chat",
            f"@ban-duration=600;tmi-sent-ts={TS + 3000} :tmi.twitch.tv CLEARCHAT #streamer :foo",
            f"@tmi-sent-ts={TS + 4000} :tmi.twitch.tv CLEARCHAT #streamer",
            f"@tmi-sent-ts={TS + 4500} :tmi.twitch.tv USERNOTICE #streamer :a sub",
            "@slow=30 :tmi.twitch.tv ROOMSTATE #streamer",
        ],
    )
    log = load_replay(path)
    assert log.format == IRC and log.skipped == 0 and log.start == TS / 1000
    first, foo, bar, deleted, timeout, cleared, slow = log.lines
    assert first.event == ChatSettings(followers_only=True, follow_minutes=10)
    assert first.at == foo.at == TS / 1000
    assert (foo.user, foo.display_name, foo.text) == ("foo", "Foo", "Kappa hello there Kappa")
    assert foo.badges == ("subscriber", "premium") and foo.emotes == ("Kappa",)
    assert (bar.text, bar.at - foo.at) == ("waves at chat", 1.5)  # /me as the chat shows it
    assert deleted.event == MessageDeleted("replay-4", "bar")  # by the line it deleted
    assert timeout.event == UserCleared("foo")
    assert cleared.event == ChatCleared()
    assert slow.event == ChatSettings(slow=30.0, followers_only=True, follow_minutes=10)
    assert slow.at == cleared.at  # no time of its own: the line before's


def test_malformed_irc_lines_are_skipped_each_by_its_number(tmp_path):
    huge = privmsg("spammer", "A" * (1024 * 1024), 2)  # a line of a megabyte
    path = write(
        tmp_path,
        [
            privmsg("a_b", "first line here", 0),
            "@badges=;id=1;tmi-sent-ts=1",  # tags, no command
            "@a=1;;b=2 :x!x@x PRIVMSG #c :bad tags",
            huge,
            privmsg("a_b", "no time", 3).replace(f";tmi-sent-ts={TS + 3000}", ""),
            "@tmi-sent-ts=soon :a!a@a PRIVMSG #c :when",
            "garbage that is no IRC at all",
            privmsg("a_b", "last line here", 5),
        ],
    )
    log = load_replay(path)
    assert [line.text for line in log.lines] == ["first line here", "last line here"]
    assert log.skipped == 6
    problems = [warning.removeprefix(f"{path}: ") for warning in log.warnings]
    assert problems == [
        "line 2: no command (only tags): skipped",
        "line 3: bad tags (key ''): skipped",
        "line 4: longer than 64 KiB: skipped",
        "line 5: no tmi-sent-ts tag: a chat line without a time: skipped",
        "line 6: bad tags (tmi-sent-ts 'soon' is not a time in milliseconds): skipped",
        "line 7: not an IRC command: 'garbage': skipped",
    ]


def test_a_gzip_irc_log_of_only_malformed_lines_is_refused_in_one_line(tmp_path):
    path = tmp_path / "chat.log.gz"
    path.write_bytes(gzip.compress(b"@x=1;;y :a PRIVMSG #c :hi\n" * 1001))
    with pytest.raises(ReplayError) as caught:
        load_replay(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: no playable line among the first 1,000")
    assert "bad tags" in message and "\n" not in message


# ------------------------------------------------------------------ recent-messages
def test_recent_messages_json_plays_its_irc_lines(tmp_path):
    messages = [
        privmsg("foo", "hello from the recent messages", 0, badges="vip/1"),
        42,
        privmsg("bar", "Kappa", 2, **{"emote-only": "1", "emotes": "25:0-4"}),
    ]
    path = tmp_path / "recent.json"
    path.write_text(json.dumps({"messages": messages, "error": None, "error_code": None}))
    log = load_replay(path)
    assert log.format == RECENT_MESSAGES
    assert [(line.user, line.text) for line in log.lines] == [
        ("foo", "hello from the recent messages"),
        ("bar", "Kappa"),
    ]
    assert log.lines[0].badges == ("vip",) and log.lines[1].emotes == ("Kappa",)
    assert log.warnings == (
        f"{path}: message 2: expected an IRC line (a string), got a number: skipped",
    )


def test_json_of_neither_shape_names_both(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"chat": []}')
    with pytest.raises(ReplayError, match=r'an object without "comments"\).*recent-messages'):
        load_replay(path)


# ------------------------------------------------------------------ Chatterino
CHATTERINO_LOG = [
    "# Start logging at 2024-03-05 23:58:00 CET",
    "[23:58:01]  viewer1: hello chat",
    "[23:58:05] ニック nick_jp: こんにちは、みなさん",
    "[23:59:40] spammer has been timed out for 10m 0s.",
    "[23:59:50] a_mod timed out troll for 5m.",
    "[23:59:55] viewer2 subscribed at Tier 1.",  # a notice that means nothing to a replay
    "[00:00:03]  viewer1: past midnight: still here",
    "[00:00:09] Chat has been cleared by a moderator.",
    "# Stop logging at 2024-03-06 00:01:00 CET",
]


def test_a_chatterino_log_plays_from_its_first_line_across_midnight(tmp_path):
    log = load_replay(write(tmp_path, CHATTERINO_LOG))
    assert log.format == CHATTERINO and log.skipped == 0
    chat = [line for line in log.lines if line.event is None]
    assert [(line.user, line.display_name, line.text) for line in chat] == [
        ("viewer1", "viewer1", "hello chat"),
        ("nick_jp", "ニック", "こんにちは、みなさん"),
        ("viewer1", "viewer1", "past midnight: still here"),
    ]
    assert [line.event for line in log.lines if line.event is not None] == [
        UserCleared("spammer"),
        UserCleared("troll"),
        ChatCleared(),
    ]
    assert chat[-1].at - chat[0].at == 122  # 23:58:01 to 00:00:03: midnight counted on
    assert log.duration == 128
    later = load_replay(write(tmp_path, CHATTERINO_LOG, "again.log"), start=100)
    assert later.start == chat[0].at + 100  # --start counts from the first line
    assert [line.text for line in later.lines if line.event is None] == [chat[-1].text]


# ------------------------------------------------------------------ mixed formats
def test_a_log_mixing_formats_says_where_the_format_changes(tmp_path):
    path = write(tmp_path, [*CHATTERINO_LOG[:3], privmsg("foo", "hi from irc", 0)])
    with pytest.raises(ReplayError) as caught:
        load_replay(path)
    message = str(caught.value)
    assert message == (
        f"{path}: the format changes at line 4: lines 1-3: Chatterino text; line 4 is raw"
        " Twitch IRC (two logs joined?); replay each part on its own"
    )


def test_a_stray_line_of_no_format_is_only_skipped(tmp_path):
    path = write(tmp_path, [privmsg("a_b", "one line", 0), '{"no": "t"}', privmsg("c_d", "x", 1)])
    log = load_replay(path)
    assert len(log.lines) == 2 and log.skipped == 1
    assert log.warnings[0].startswith(f"{path}: line 2: not an IRC command")


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_every_format_of_one_chat_plays_the_same_lines(tmp_path, fmt):
    said = busy_chat(2, ("alpha_bot",), seed=5)
    text, ids = WRITERS[fmt](said)
    log = load_replay(write(tmp_path, [text.rstrip("\n")], f"chat.{fmt}"))
    chat = {f"replay-{line.where}": line for line in log.lines if line.event is None}
    assert set(chat) == set(ids)
    for replay_id, line in chat.items():
        assert (line.user, line.text) == (ids[replay_id].user, ids[replay_id].text)
    if fmt in ("irc", "recent-messages"):  # Twitch's emotes marked in the tags
        wall = next(line for line in chat.values() if "Kappa" in line.text.split())
        assert "Kappa" in wall.emotes
    if fmt != "jsonl":
        assert log.format != JSONL


# ------------------------------------------------------------------ hostile lines
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("@:;= \\/#!-.abcAZ09\x01\u00e9PRIVMSGCLEAR"), max_size=80))
def test_any_line_is_read_or_refused_with_a_reason(text):
    """Whatever a log holds, IRC reading says what a line means or why it cannot."""
    reason = ""
    try:
        message = parse_irc(text)
        sent_at(message)
        IrcChannel().read(message, {})
    except IrcError as error:  # the one refusal: anything else would end a rehearsal
        reason = str(error)
        assert reason
    assert "\n" not in reason


def test_irc_usernotices_are_the_channels_events(tmp_path):
    def notice(msg_id: str, at: float, login: str = "gifter", text: str = "", **tags: str) -> str:
        fields = {
            "msg-id": msg_id,
            "login": login,
            "display-name": login.capitalize(),
            "id": f"n-{msg_id}-{at:g}",
            "tmi-sent-ts": str(int(TS + at * 1000)),
            **tags,
        }
        tag_text = ";".join(f"{key}={value}" for key, value in fields.items())
        return f"@{tag_text} :tmi.twitch.tv USERNOTICE #streamer" + (f" :{text}" if text else "")

    path = write(
        tmp_path,
        [
            privmsg("foo", "hello", 0),
            notice(
                "raid",
                1,
                "raider",
                **{
                    "msg-param-login": "raider",
                    "msg-param-displayName": "Raider",
                    "msg-param-viewerCount": "200",
                },
            ),
            notice("resub", 2, "loyal", "12 months!", **{"msg-param-cumulative-months": "12"}),
            notice(
                "submysterygift",
                3,
                **{"msg-param-mass-gift-count": "2", "msg-param-origin-id": "g1"},
            ),
            notice("subgift", 3.1, **{"msg-param-origin-id": "g1"}),
            notice("subgift", 3.2, **{"msg-param-origin-id": "g1"}),
            notice("subgift", 4, "solo", **{"msg-param-origin-id": "g2"}),  # a gift of its own
            notice("announcement", 5, "amod", "drops are on"),
            notice("ritual", 6, "newbie", "hi"),  # not reacted to: passed over
        ],
    )
    log = load_replay(path)
    assert log.skipped == 0
    events = [line.event for line in log.lines if line.event is not None]
    shown = [(e.kind, e.user, e.count, e.group, e.bundle, e.message) for e in events]
    assert shown == [
        (EventKind.RAID, "raider", 200, "", 0, ""),
        (EventKind.SUB, "loyal", 12, "", 0, "12 months!"),
        (EventKind.GIFT, "gifter", 2, "g1", 2, ""),
        (EventKind.GIFT, "gifter", 1, "g1", 0, ""),
        (EventKind.GIFT, "gifter", 1, "g1", 0, ""),
        (EventKind.GIFT, "solo", 1, "", 0, ""),
        (EventKind.ANNOUNCEMENT, "amod", 1, "", 0, "drops are on"),
    ]
    assert events[0].display_name == "Raider" and len({e.id for e in events}) == len(events)
