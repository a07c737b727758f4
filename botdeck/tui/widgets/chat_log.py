"""The chat view: lines are buffered as they happen and written at about 10 Hz.

A `Log` renders each line as plain text (never markup) and only draws what is visible;
writing in batches keeps the app smooth at thousands of lines per second.
"""

from __future__ import annotations

from typing import Protocol

from textual.widgets import Log

from botdeck.tui.chatlines import ChatHighlighter

MAX_LINES = 5000


class ChatView(Protocol):
    """What the app needs of a chat widget: take lines now, show them on flush."""

    def add(self, line: str) -> None: ...

    def flush(self) -> None: ...


class ChatLog(Log):
    def __init__(self, highlighter: ChatHighlighter) -> None:
        super().__init__(highlight=True, max_lines=MAX_LINES, id="chat", auto_scroll=True)
        self.highlighter = highlighter
        self.border_title = "chat"
        self._pending: list[str] = []

    def add(self, line: str) -> None:
        self._pending.append(line)
        if len(self._pending) > MAX_LINES:  # never buffer more than can be shown
            del self._pending[: len(self._pending) - MAX_LINES]

    def flush(self) -> None:
        if self._pending:
            lines, self._pending = self._pending, []
            self.write_lines(lines)
