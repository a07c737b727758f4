"""Moderators' `!botdeck` commands, chat commands that are not conversation, and
cooldowns for random replies, on a virtual clock."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.channel import ChatSettings
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.defaults import Cooldowns, SendLimits
from botdeck.model.jobs import RouterState
from tests.harness.engine import BOTS, ScriptedResponder, SlowSink, line, make_engine
from tests.harness.journals import events_of
from tests.harness.virtual_time import now, run_virtual

ALPHA, BETA, GAMMA = BOTS
NO_COOLDOWNS = Cooldowns(0, 0, 0)


def engine_for(responder=None, sink=None, **settings):
    settings.setdefault("delays", 1.0)
    settings.setdefault("cooldowns", NO_COOLDOWNS)
    return make_engine(
        BOTS,
        responder=responder or ScriptedResponder(delay=1.0),
        sink=sink or SlowSink(),
        journal_clock=lambda: asyncio.get_running_loop().time(),
        **settings,
    )


_ids = itertools.count(1)


def said(user: str, text: str, *badges: str, bot: bool = False) -> ChatMessage:
    return ChatMessage(f"said-{next(_ids)}", user, text, now(), is_bot=bot, badges=badges)


def state_events(events: list[dict]) -> list[tuple[str, str | None, str | None]]:
    return [(e["state"], e.get("by"), e.get("command")) for e in events if e["event"] == "state"]


# ------------------------------------------------------------------ !botdeck
def test_a_moderators_stop_stops_before_the_line_is_handled_and_sends_nothing_more():
    sink = SlowSink()

    async def main():
        engine, stream = engine_for(sink=sink)
        for n in range(5):
            engine.handle(line(n, f"viewer{n}", f"@{ALPHA} @{BETA} hi"))
        await asyncio.sleep(1.5)  # replies are being written
        engine.handle(said("mod_jane", "!botdeck stop", "moderator"))
        state = engine.state  # no await in between: synchronous
        await asyncio.sleep(30)
        return events_of(stream), state

    events, state = run_virtual(main())
    assert state is RouterState.STOPPED and sink.sent == []
    assert state_events(events) == [("stopped", "mod_jane", "stop")]
    assert {e["reason"] for e in events if e["event"] == "cancelled"} == {"stopped"}


def test_spoofed_commands_change_nothing_and_are_not_answered():
    responder = ScriptedResponder(delay=0.5)

    async def main():
        engine, stream = engine_for(responder, chance=1.0, max_depth=0)
        engine.handle(said("moderator", "!botdeck stop"))  # a viewer named moderator
        engine.handle(said("viewer1", "!botdeck stop [moderator] badge:moderator"))
        engine.handle(said("vip_friend", "!botdeck stop", "vip", "subscriber"))
        engine.handle(said(ALPHA, "!botdeck stop", "moderator", bot=True))  # our own bot
        engine.handle(said("viewer2", f"hey @{ALPHA} !botdeck stop"))  # not at the start
        await engine.wait_idle()
        return events_of(stream), engine.state

    events, state = run_virtual(main())
    assert state is RouterState.RUNNING and state_events(events) == []
    assert [r.message.user for r in responder.requests] == ["viewer2"]  # only the mention


def test_pause_resume_and_drain_from_chat_each_journaled_with_who():
    async def main():
        engine, stream = engine_for()
        engine.handle(said("the_streamer", "!botdeck pause", "broadcaster"))
        engine.handle(said("mod_jane", "!BotDeck PAUSE", "lead_moderator"))  # already paused
        engine.handle(said("mod_jane", "!botdeck resume", "moderator"))
        engine.handle(said("mod_jane", "!botdeck drain", "moderator"))
        engine.handle(said("mod_jane", "!botdeck resume", "moderator"))  # starts again
        engine.handle(said("mod_jane", "!botdeck dance", "moderator"))  # not a command
        return events_of(stream), engine.state

    events, state = run_virtual(main())
    assert state is RouterState.RUNNING
    assert state_events(events) == [
        ("paused", "the_streamer", "pause"),
        ("paused", "mod_jane", "pause"),
        ("running", "mod_jane", "resume"),
        ("draining", "mod_jane", "drain"),
        ("drained", "mod_jane", "drain"),
        ("running", "mod_jane", "resume"),
    ]


def test_status_is_answered_once_by_the_first_bot_that_may_talk():
    sink, responder = SlowSink(), ScriptedResponder(delay=1.0)

    async def main():
        engine, stream = engine_for(responder, sink, chance=1.0)
        engine.take(ChatSettings(followers_only=True))  # every bot is a viewer: all held...
        engine.handle(line(1, "viewer", f"@{ALPHA} hi"))
        engine.handle(said("mod_jane", "!botdeck status", "moderator"))
        await asyncio.sleep(5)
        nobody = list(sink.sent)
        engine.take(ChatSettings(slow=5))  # ...until followers-only ends
        engine.handle(said("mod_jane", "!botdeck pause", "moderator"))
        engine.handle(said("mod_jane", "!botdeck status", "moderator"))
        await asyncio.sleep(5)
        return events_of(stream), nobody

    events, nobody = run_virtual(main())
    assert nobody == []  # no bot could talk: nothing said
    [(bot, text, _)] = sink.sent
    assert bot == ALPHA
    assert text == "botdeck is paused: 1 reply waiting, 0 in progress; chat: slow 5s"
    assert responder.requests == []  # the status line is answered by no bot
    statuses = [s for s in state_events(events) if s[2] == "status"]
    assert statuses == [("running", "mod_jane", "status"), ("paused", "mod_jane", "status")]
    [echo] = [e for e in events if e["event"] == "chat" and e["user"] == ALPHA]
    assert echo["text"] == text and echo["is_bot"] is True


def test_status_is_answered_when_stopped_through_the_bots_send_limit():
    """Not a job: a stopped router still answers, and the answer takes a slot of the
    bot's send window like any send (the pipeline's path, not a side door)."""
    sink = SlowSink()
    one_a_window = SendLimits(window=30.0, viewer=1, spacing=0.0)
    limiter = RateLimiter({bot: Role.VIEWER for bot in BOTS}, one_a_window)

    async def main():
        engine, stream = engine_for(sink=sink, limiter=limiter)
        engine.handle(said("mod_jane", "!botdeck stop", "moderator"))
        engine.handle(said("mod_jane", "!botdeck status", "moderator"))
        await asyncio.sleep(1)
        first = list(sink.sent)
        engine.handle(said("mod_jane", "!botdeck status", "moderator"))
        await asyncio.sleep(10)
        waiting = list(sink.sent)  # ALPHA's window is full: the second answer waits
        await asyncio.sleep(30)
        return events_of(stream), first, waiting

    events, first, waiting = run_virtual(main())
    assert first == [(ALPHA, "botdeck is stopped: 0 replies waiting, 0 in progress", None)]
    assert waiting == first
    assert [bot for bot, _, _ in sink.sent] == [ALPHA, ALPHA]
    assert sink.times[1] >= sink.times[0] + 30  # a window later, not dropped
    assert sink.sent[1][1].startswith("botdeck is stopped")  # the duplicate guard's change
    assert not [e for e in events if e["event"] in ("enqueued", "sent")]  # never a job


def test_status_waits_at_the_stop_gate_and_a_confirmed_stop_cancels_it():
    """While the operator is asked to confirm a stop nothing leaves, the status answer
    included; `n` lets it go, `y` (a stop) ends it unsent."""
    sink = SlowSink()

    async def main():
        engine, _ = engine_for(sink=sink)
        engine.hold_sends()
        engine.handle(said("mod_jane", "!botdeck status", "moderator"))
        await asyncio.sleep(60)
        held = list(sink.sent)
        engine.release_sends()
        await asyncio.sleep(1)
        released = list(sink.sent)
        engine.hold_sends()
        engine.handle(said("mod_jane", "!botdeck status", "moderator"))
        await asyncio.sleep(60)
        engine.stop()
        await asyncio.sleep(60)
        return held, released

    held, released = run_virtual(main())
    assert held == []
    assert [text for _, text, _ in released] == [
        "botdeck is running: 0 replies waiting, 0 in progress"
    ]
    assert len(sink.sent) == 1  # the answer held when the stop came never went out


def test_chat_control_turned_off_leaves_the_command_as_a_chat_command():
    async def main():
        engine, stream = engine_for(chat_control=False)
        engine.handle(said("mod_jane", "!botdeck stop", "moderator"))
        return events_of(stream), engine.state

    events, state = run_virtual(main())
    assert state is RouterState.RUNNING and state_events(events) == []


# ------------------------------------------------------------------ chat commands
def test_chat_commands_are_not_answered_by_chance_nor_used_as_context():
    responder = ScriptedResponder(delay=0.5)

    async def main():
        engine, _ = engine_for(responder, chance=1.0, max_depth=0)
        engine.handle(line(1, "viewer", "!uptime"))
        engine.handle(line(2, "viewer", f"!so @{ALPHA}"))  # a mention inside a command
        engine.handle(line(3, "viewer", f"@{BETA} how long has the stream been on?"))
        await engine.wait_idle()

    run_virtual(main())
    [request] = responder.requests
    assert request.message.id == "m3" and request.history == ()


def test_answer_commands_answers_a_mention_inside_a_command_line():
    responder = ScriptedResponder(delay=0.5)

    async def main():
        engine, _ = engine_for(responder, chance=1.0, max_depth=0, answer_commands=True)
        engine.handle(line(1, "viewer", "!uptime"))
        engine.handle(line(2, "viewer", f"!so @{ALPHA}"))
        await engine.wait_idle()

    run_virtual(main())
    assert [(r.bot, r.message.id) for r in responder.requests] == [(ALPHA, "m2")]


# ------------------------------------------------------------------ cooldowns
def test_a_chatty_viewer_gets_a_random_reply_at_most_once_a_minute():
    responder = ScriptedResponder(delay=0.1)

    async def main():
        engine, stream = engine_for(
            responder, chance=1.0, max_depth=0, cooldowns=Cooldowns(per_user=60.0, per_bot=0)
        )
        for n in range(13):  # one line every 10 s for two minutes
            engine.handle(line(n, "chatty", f"line {n}"))
            await asyncio.sleep(10)
        engine.handle(line(99, "chatty", f"@{GAMMA} and a mention"))
        await engine.wait_idle()
        return events_of(stream), engine.snapshot()

    events, snap = run_virtual(main())
    answered = [r.message.id for r in responder.requests]
    assert answered == ["m0", "m6", "m12", "m99"]  # the mention is never cooled down
    enqueued = {e["msg"] for e in events if e["event"] == "enqueued"}
    assert enqueued == set(answered)  # a cooled-down line never became a job
    assert sum(snap.cooldown_hits.values()) == 10


def test_one_bots_random_replies_are_spaced_per_bot_and_all_of_them_globally():
    responder = ScriptedResponder(delay=0.1)

    async def main():
        engine, _ = engine_for(
            responder,
            chance=1.0,
            max_depth=0,
            delays=0.0,
            cooldowns=Cooldowns(per_user=0, per_bot=10.0, global_=3.0),
        )
        asked: dict[str, float] = {}
        for n in range(120):  # a different viewer every second for two minutes
            engine.handle(line(n, f"viewer{n}", "what a play"))
            asked[f"m{n}"] = now()
            await asyncio.sleep(1)
        await engine.wait_idle()
        return asked, engine.snapshot()

    asked, snap = run_virtual(main())
    times: dict[str, list[float]] = {}
    for request in responder.requests:
        times.setdefault(request.bot, []).append(asked[request.message.id])
    every = sorted(t for ts in times.values() for t in ts)
    assert min(b - a for a, b in itertools.pairwise(every)) >= 3.0
    for bot_times in times.values():
        assert min(b - a for a, b in itertools.pairwise(bot_times)) >= 10.0
    hits = Counter(snap.cooldown_hits)
    assert sum(hits.values()) == 120 - len(responder.requests) and set(hits) <= set(BOTS)


# ------------------------------------------------------------- replies (issue 22)
def test_a_moderators_stop_sent_as_a_twitch_reply_is_obeyed_not_answered():
    """Twitch starts a reply's text with the parent's @name: `@alpha_bot !botdeck stop`."""

    async def main():
        engine, stream = engine_for()
        jobs = engine.handle(said("mod_jane", f"@{ALPHA} !botdeck stop", "moderator"))
        await asyncio.sleep(5)
        return jobs, engine.state, events_of(stream)

    jobs, state, events = run_virtual(main())
    assert jobs == [] and state is RouterState.STOPPED
    assert state_events(events) == [("stopped", "mod_jane", "stop")]


def test_a_viewers_reply_with_the_command_is_neither_obeyed_nor_answered():
    async def main():
        engine, _stream = engine_for()
        jobs = engine.handle(said("viewer", f"@{ALPHA} !botdeck stop"))
        return jobs, engine.state

    jobs, state = run_virtual(main())
    assert jobs == [] and state is RouterState.RUNNING


def test_a_command_that_is_not_a_bang_word_is_a_config_error():
    import pytest

    from botdeck.config import ConfigError, parse_config

    for bad in ("botdeck", "!bot deck", "!", "!bot-deck"):
        with pytest.raises(ConfigError, match=r"chat_control\.command"):
            parse_config({"chat_control": {"command": bad}, "bots": [{"name": "alpha"}]})
    good = parse_config({"chat_control": {"command": "!bots"}, "bots": [{"name": "alpha"}]})
    assert good.chat_control.command == "!bots"
