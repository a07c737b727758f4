"""The channel's events on the dashboard: `g` fires a test event of the kind picked (and
the palette one of each kind), the chat shows events in their own style (never markup),
the header shows a raid and its viewers and the stream's game."""

from __future__ import annotations

import io
import json

from botdeck.chat.simulated import ScriptedEvent
from botdeck.model.stream import ChannelEvent, EventKind, StreamInfo
from botdeck.tui.chatlines import EVENT, MARK_COLUMN
from botdeck.tui.screens.event_dialog import EventDialog
from botdeck.tui.widgets.chat_log import ChatLog
from tests.harness.dashboard import (
    BOTS,
    from_palette,
    make_app,
    mash,
    screen_text,
    titles,
    wait_until,
)

STICKY = BOTS[0]


def chat(app) -> list[str]:
    app.flush_chat()
    return list(app.query_one(ChatLog).lines)


async def test_g_fires_the_kind_picked_and_the_bots_react_as_to_a_real_one():
    journal = io.StringIO()
    app = make_app([], journal=journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await mash(pilot, "g")
        await wait_until(pilot, lambda: isinstance(app.screen, EventDialog))
        await wait_until(pilot, lambda: "[1] raid" in screen_text(app))  # drawn
        assert "[6] channel-point question" in screen_text(app)
        await mash(pilot, "1")
        await wait_until(pilot, lambda: not isinstance(app.screen, EventDialog))
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 1)
        await mash(pilot, "g", "escape")  # escape cancels: nothing fired
        await wait_until(pilot, lambda: not isinstance(app.screen, EventDialog))
        lines = chat(app)
        header = screen_text(app).splitlines()[0]
    events = [line for line in lines if line[MARK_COLUMN] == EVENT]
    assert [line[MARK_COLUMN + 2 :] for line in events] == [
        "test raid: botdeck_test with 50 viewers"
    ]
    rows = [json.loads(row) for row in journal.getvalue().splitlines()]
    [seen] = [row for row in rows if row["event"] == "channel_event"]
    assert (seen["kind"], seen["test"]) == ("raid", True)
    assert "raid: botdeck_test (50 viewers)" in header


async def test_the_palette_has_a_test_event_of_each_kind():
    app = make_app([], events={"follow": {"enabled": True, "text": "welcome {user}!"}})
    async with app.run_test(size=(120, 40)) as pilot:
        offered = [title for title in titles(app) if title.startswith("Test event: ")]
        await from_palette(app, pilot, "Test event: follow")
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 1)
        await from_palette(app, pilot, "Test event: cheer")  # cheers are off: a note says so
        notes = [note.message for note in app._notifications]
    assert offered == [
        "Test event: raid", "Test event: sub", "Test event: gift bomb", "Test event: follow",
        "Test event: cheer", "Test event: channel-point question", "Test event: announcement",
    ]  # fmt: skip
    assert any(note.startswith("test cheer: no reaction ([events.cheer] is off") for note in notes)


async def test_a_viewers_words_in_an_event_are_shown_as_typed_never_as_markup():
    odd = ChannelEvent(EventKind.SUB, "s1", 0.0, user="[b]x", display_name="[b]x",
                       count=2, message="[red]hi[/red] :)")  # fmt: skip
    game = ChannelEvent(EventKind.UPDATE, "u1", 0.0, stream=StreamInfo("[i]Celeste", "t"))
    app = make_app([ScriptedEvent(0, odd), ScriptedEvent(0, game)])
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: len([x for x in chat(app) if x[MARK_COLUMN] == EVENT]) == 2)
        await wait_until(pilot, lambda: "playing [i]Celeste" in screen_text(app))
        shown = screen_text(app)
    assert "sub: [b]x (2 months): [red]hi[/red] :)" in shown
