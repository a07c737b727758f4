"""Timers on a virtual clock, by Nightbot's rule: every `interval` once `min_lines` viewer
lines were said since the last one; never while the stream is offline or the bot cannot
talk (muted, paused, held by a chat mode)."""

from __future__ import annotations

import asyncio
import json

from botdeck.chat.simulated import ScriptedEvent, ScriptedLine, SimulatedChat
from botdeck.engine import SourceParts
from botdeck.engine.reactions import TimerSettings
from botdeck.model.channel import ChatSettings
from botdeck.model.stream import ChannelEvent, EventKind
from tests.harness.engine import Sink, make_engine
from tests.harness.virtual_time import run_virtual

BOTS = ("alpha", "beta")
FOLLOW = TimerSettings(bot="alpha", template="follow the stream!", fixed=True, interval=60.0,
                       min_lines=3)  # fmt: skip


def chat(every: float, until: float) -> list[ScriptedLine]:
    """A viewer line every `every` seconds."""
    count = int(until / every)
    return [ScriptedLine(every * (i + 1), f"viewer{i % 7}", "nice run") for i in range(count)]


def timed_run(script, timers=(FOLLOW,), *, until: float, before=None):
    sink = Sink()

    async def main():
        source = SimulatedChat(sorted(script, key=lambda line: line.at), speed=1.0)
        router, journal = make_engine(
            BOTS, sink=sink, delays=0.0, source=SourceParts(source), timers=timers
        )
        if before is not None:
            before(router)
        reading = asyncio.get_running_loop().create_task(router.run_chat())
        await asyncio.sleep(until)
        await router.wait_idle()
        reading.cancel()
        return [json.loads(row) for row in journal.getvalue().splitlines()]

    journal = run_virtual(main())
    return [(round(at), text) for at, _, text in sink.sent if "follow" in text], journal


def test_a_timer_speaks_every_interval_while_chat_is_lively():
    said, journal = timed_run(chat(5.0, 200.0), until=200.0)
    assert [at for at, _ in said] == [60, 120, 180]
    enqueued = [line for line in journal if line["event"] == "enqueued"]
    assert [line["msg"] for line in enqueued] == ["timer-0-1", "timer-0-2", "timer-0-3"]
    assert {line["reaction"] for line in enqueued} == {"timer"}


def test_a_quiet_chat_makes_the_timer_wait_for_its_lines():
    # Two lines before 60 s, the third at 100 s: the timer speaks at its next look after
    # (the last line keeps the source playing: timers end with the chat they count).
    script = [ScriptedLine(10, "a", "hi"), ScriptedLine(20, "b", "hey"),
              ScriptedLine(100, "c", "yo"), ScriptedLine(199, "d", "bye")]  # fmt: skip
    said, _ = timed_run(script, until=200.0)
    assert [at for at, _ in said] == [120]


def test_no_timer_while_the_stream_is_offline():
    offline = ScriptedEvent(1.0, ChannelEvent(EventKind.OFFLINE, "off", 0.0))
    online = ScriptedEvent(140.0, ChannelEvent(EventKind.ONLINE, "on", 0.0))
    said, _ = timed_run([*chat(5.0, 250.0), offline, online], until=250.0)
    assert [at for at, _ in said] == [150, 210]  # offline at 60, 90, 120: looked again at 150


def test_no_timer_while_its_bot_is_muted_or_held_by_a_chat_mode():
    said, _ = timed_run(chat(5.0, 200.0), until=200.0, before=lambda r: r.mute_bot("alpha"))
    assert said == []
    emote_only = ScriptedEvent(1.0, ChatSettings(emote_only=True))
    said, _ = timed_run([*chat(5.0, 200.0), emote_only], until=200.0)
    assert said == []


def test_the_ai_writes_a_timer_with_a_prompt():
    prompted = TimerSettings(bot="any", template="remind chat to hydrate", fixed=False,
                             interval=60.0, min_lines=0)  # fmt: skip
    _, journal = timed_run([ScriptedLine(69, "viewer", "hi")], timers=(prompted,), until=70.0)
    [sent] = [line for line in journal if line["event"] == "sent"]
    assert sent["msg"] == "timer-0-1" and not sent["text"].startswith("@")  # nobody named
