"""Moderators' actions and chat settings from every source: Twitch's shapes read
tolerantly, replay log event lines, badges in logs, simulated scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from botdeck.chat.channel_events import chat_settings, logged_event
from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import load_replay
from botdeck.chat.simulated import ScriptedEvent, ScriptedLine, SimulatedChat
from botdeck.model.channel import ChatCleared, ChatSettings, MessageDeleted, UserCleared
from botdeck.model.chat import ChatMessage, Role
from tests.harness.virtual_time import now, run_virtual


def test_twitch_chat_settings_are_read_with_either_naming_and_unknown_fields_ignored():
    helix = {
        "broadcaster_id": "1",
        "slow_mode": True,
        "slow_mode_wait_time": 10,
        "follower_mode": True,
        "follower_mode_duration": 15,
        "subscriber_mode": False,
        "emote_mode": False,
        "unique_chat_mode": True,
        "a_field_from_the_future": {"nested": [1, 2]},
    }
    eventsub = {
        "slow_mode": True,
        "slow_mode_wait_time_seconds": 10,
        "follower_mode": True,
        "follower_mode_duration_minutes": 15,
        "unique_chat_mode": True,
    }
    expected = ChatSettings(slow=10.0, followers_only=True, follow_minutes=15, unique=True)
    assert chat_settings(helix) == chat_settings(eventsub) == expected
    assert expected.describe() == "slow 10s, followers-only 15m, unique"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ChatSettings()),
        ({"slow_mode": True}, ChatSettings(slow=30.0)),  # on, without a wait: Twitch's 30 s
        ({"slow_mode": "yes", "emote_mode": 1}, ChatSettings(emote_only=True)),
        ({"slow_mode": True, "slow_mode_wait_time": -5}, ChatSettings(slow=30.0)),
        ({"follower_mode": False, "follower_mode_duration": 10}, ChatSettings()),
        ({"subscriber_mode": None, "emote_mode": [True]}, ChatSettings()),
    ],
)
def test_odd_chat_settings_count_as_off_or_as_twitchs_default(data, expected):
    assert chat_settings(data) == expected


def test_what_each_role_may_do_in_each_mode():
    follow = ChatSettings(followers_only=True)
    assert follow.blocks(Role.VIEWER) == (
        "followers-only: make this bot a VIP or moderator, or have it follow"
    )
    assert follow.blocks(Role.VIP) is None and follow.blocks(Role.MODERATOR) is None
    subs = ChatSettings(subscribers_only=True)
    assert subs.blocks(Role.VIEWER) == (
        "subscribers-only: make this bot a VIP or moderator, or subscribe it"
    )
    emotes = ChatSettings(emote_only=True)
    assert emotes.blocks(Role.VIP) == "emote-only: make this bot a moderator"
    assert emotes.blocks(Role.BROADCASTER) is None
    slow = ChatSettings(slow=20)
    assert [slow.spacing_for(role) for role in Role] == [20.0, 0.0, 0.0, 0.0]
    assert slow.blocks(Role.VIEWER) is None


# ------------------------------------------------------------------ replay
def test_replay_event_lines_and_badges_play_in_order(tmp_path):
    rows = [
        {"t": 0, "user": "viewer", "text": "@stickyman1776 hi"},
        {"t": 0.5, "event": "delete", "msg": 1},
        {"t": 0.6, "event": "delete", "msg": "replay-1"},
        {"t": 1, "user": "Mod_Jane", "text": "!botdeck pause", "badges": ["moderator", 7]},
        {"t": 2, "event": "clear_user", "user": "@Spammer"},
        {"t": 3, "event": "clear"},
        {"t": 4, "event": "chat_settings", "follower_mode": True, "extra": "ignored"},
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    log = load_replay(path)
    assert log.warnings == ()

    async def play():
        return [(now(), event) async for event in ReplayChat(log, speed=1.0)]

    played = run_virtual(play())
    assert [at for at, _ in played] == [0.0, 0.5, 0.6, 1.0, 2.0, 3.0, 4.0]
    events = [event for _, event in played]
    assert events[1:3] == [MessageDeleted("replay-1"), MessageDeleted("replay-1")]
    assert isinstance(events[3], ChatMessage) and events[3].badges == ("moderator",)
    assert events[3].role is Role.MODERATOR
    assert events[4:] == [UserCleared("spammer"), ChatCleared(), ChatSettings(followers_only=True)]


def test_bad_event_lines_are_skipped_with_a_warning_naming_each(tmp_path):
    rows = [
        {"t": 0, "user": "viewer", "text": "hello"},
        {"t": 1, "event": "delete"},
        {"t": 2, "event": "clear_user", "user": ""},
        {"t": 3, "event": "ban", "user": "x"},
        {"event": "clear"},
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    log = load_replay(path)
    assert log.skipped == 4 and len(log.lines) == 1
    assert [w.split(": ", 1)[1] for w in log.warnings] == [
        'line 2: "delete" needs "msg": a line number or id such as "replay-12": skipped',
        'line 3: "clear_user" needs "user": a login: skipped',
        "line 4: unknown event 'ban' (events: delete, clear_user, clear, chat_settings, raid, sub,"
        " gift, follow, cheer, announcement, update): skipped",
        'line 5: missing "t": skipped',
    ]


def test_twitchdownloader_badges_come_with_the_lines(tmp_path):
    document = {
        "comments": [
            {
                "content_offset_seconds": 1,
                "commenter": {"name": "mod_jane", "display_name": "Mod_Jane"},
                "message": {
                    "body": "!botdeck status",
                    "user_badges": [{"_id": "moderator", "version": "1"}, {"version": "2"}],
                },
            }
        ]
    }
    path = tmp_path / "vod.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    [line] = load_replay(path).lines
    assert line.badges == ("moderator",)


def test_logged_events_name_lines_by_number_or_id():
    assert logged_event({"event": "delete", "msg": 12}) == MessageDeleted("replay-12")
    assert logged_event({"event": "delete", "msg": "abc"}) == MessageDeleted("abc")
    with pytest.raises(ValueError, match="needs"):
        logged_event({"event": "delete", "msg": True})


# ------------------------------------------------------------------ simulated
def test_a_simulated_script_plays_events_and_badges_at_their_times():
    script = [
        ScriptedLine(0, "viewer", "hi"),
        ScriptedEvent(1, MessageDeleted("sim-1")),
        ScriptedLine(2, "mod_jane", "!botdeck stop", badges=("moderator",)),
        ScriptedEvent(3, ChatSettings(slow=5)),
    ]

    async def play():
        return [(now(), event) async for event in SimulatedChat(script, speed=1.0)]

    played = run_virtual(play())
    assert [at for at, _ in played] == [0.0, 1.0, 2.0, 3.0]
    _, deleted, (_, command), (_, settings) = played
    assert deleted == (1.0, MessageDeleted("sim-1"))
    assert isinstance(command, ChatMessage) and command.id == "sim-2"
    assert command.role is Role.MODERATOR and settings == ChatSettings(slow=5)


def test_badge_text_is_cleaned(tmp_path: Path):
    path = tmp_path / "chat.jsonl"
    row = {"t": 0, "user": "x", "text": "hi", "badges": ["moder\x1b[31mator", "  "]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    [line] = load_replay(path).lines
    assert line.badges == ("moderator",)
