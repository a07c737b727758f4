"""A one-line text box that keeps a whole multi-line paste.

Textual's `Input` keeps only the first line of a paste and drops the rest without a word:
a streamer pasting a three-line announcement into say-as-bot would send its first line
only. Chat is one line, so the lines are joined with spaces, and a note says so.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


def one_line(text: str) -> tuple[str, int]:
    """`text`'s non-blank lines joined with single spaces, and how many lines there were."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines), len(lines)


class LineInput(Input):
    """An `Input` whose paste (a terminal's bracketed paste or ctrl+v) keeps every line."""

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # not Input's own handler, which keeps the first line
        event.stop()
        self._insert(event.text)

    def action_paste(self) -> None:
        self._insert(self.app.clipboard)

    def _insert(self, text: str) -> None:
        joined, lines = one_line(text)
        if not joined:
            return
        start, end = self.selection
        before = self.value
        self.replace(joined, start, end)
        if self.value == before:  # refused: longer than max_length
            room = (self.max_length or 0) - len(before) + abs(end - start)
            self.notify(
                f"not pasted: {len(joined)} characters, room for {room}",
                severity="warning",
                markup=False,
            )
        elif lines > 1:
            self.notify(f"pasted {lines} lines as one, joined with spaces", markup=False)
