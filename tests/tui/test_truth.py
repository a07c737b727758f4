"""The dashboard tells the truth about sending (issue 20): sends failing in a row show in
the header and as an alert line, in the platform's words, until one goes out."""

from __future__ import annotations

from botdeck.chat.base import ChatSink, SendError
from botdeck.model.chat import ChatMessage
from tests.harness.dashboard import BOTS, make_app, screen_text, wait_until

DROPPED = "msg_duplicate: Your message was not sent because it is [b]identical[/b]"


class DroppingSink(ChatSink):
    """Drops every message until told otherwise (as Twitch does: a 200 and a drop code)."""

    echoes = False

    def __init__(self) -> None:
        self.dropping = True

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        if self.dropping:
            raise SendError(DROPPED)
        return "sent-1"


def mention(n: int) -> ChatMessage:
    return ChatMessage(f"m{n}", f"viewer{n}", f"@{BOTS[0]} question {n}", 0.0)


async def test_the_header_and_an_alert_say_sends_are_failing_until_one_goes_out():
    sink = DroppingSink()
    app = make_app([], sink=sink)
    async with app.run_test(size=(200, 30)) as pilot:
        for n in range(3):
            app.engine.handle(mention(n))
        await wait_until(pilot, lambda: app.engine.snapshot().queues.failed == 3)
        failing = f"sending failing: 3 in a row ({DROPPED})"  # markup shown as text
        await wait_until(pilot, lambda: failing in screen_text(app))
        rows = [row.strip() for row in screen_text(app).splitlines()]
        assert any(row.startswith("router: running") and failing in row for row in rows)
        assert f"! chat: reading simulated · {failing}" in rows  # the alert line

        sink.dropping = False
        app.engine.handle(mention(3))
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 1)
        await wait_until(pilot, lambda: "failing" not in screen_text(app))
        assert "! chat:" not in screen_text(app)
