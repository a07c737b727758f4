"""How sends fare, whatever the sink: failures in a row since the last send that went out.

Why here and not in the Twitch adapter: every send of every sink passes through the
engine (a reply's attempts and retries in the pipeline, a line typed at the console, the
answer to `!botdeck status`), and each failure arrives as a `SendError` whatever the
platform said (a drop, a refused request, no answer). Counting them once, here, gives
one count for the header, the alert line and the headless summary, for Twitch and any
sink to come; the adapter keeps saying what only it knows (which accounts may send).

A sink that drops every message while answering "200 OK" used to look healthy: the
adapter counted only failures it would retry, and any answer from Twitch cleared them.
"""

from __future__ import annotations

import logging

from botdeck.chat.base import ChatSink, SendError, SendHeld
from botdeck.core.text import clean_text
from botdeck.model.chat import SendFailures

log = logging.getLogger(__name__)

_REASON_CHARS = 200  # the platform's words, cut: the header has one line


class SendWatch(ChatSink):
    """Passes every send on to `sink`, counting the failures in a row (across all bots;
    one send that goes out clears the count)."""

    def __init__(self, sink: ChatSink) -> None:
        self.sink = sink
        self.echoes = sink.echoes
        self._failures = 0
        self._reason = ""

    @property
    def failing(self) -> SendFailures | None:
        """The failures since the last send that went out; None while sends go out."""
        return SendFailures(self._failures, self._reason) if self._failures else None

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        try:
            message_id = await self.sink.send(bot, text, reply_to=reply_to)
        except SendHeld:
            raise  # held for the moderators: not a failure
        except SendError as error:
            self._failed(error.reason)
            raise
        except Exception as error:  # a sink's bug fails the send too; its text is not shown
            self._failed(f"internal error ({type(error).__name__}; see the log)")
            raise
        if self._failures:
            log.info("sending works again after %d failures in a row", self._failures)
        self._failures, self._reason = 0, ""
        return message_id

    def _failed(self, reason: str) -> None:
        self._failures += 1
        # The platform's words are untrusted text: cleaned (no escapes, no controls).
        self._reason = clean_text(reason, max_chars=_REASON_CHARS) or "no reason given"
