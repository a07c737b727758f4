"""The emergency stop asks once: `y` stops everything, `n` or escape changes nothing.

The count it asks about is live (it is what `y` would cancel now), and its footer shows
only its own two answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Label

from botdeck.tui.screens.dialog import Dialog

REFRESH_SECONDS = 0.2


def question(count: int) -> str:
    noun = "reply" if count == 1 else "replies"
    return (
        f"Cancel all {count} queued and running {noun} now?\n"
        "Nothing more will be sent.  [y] stop   [n] cancel"
    )


class ConfirmStop(Dialog[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Stop now", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="confirm_no", key_display="n"),
    ]

    def __init__(self, count: Callable[[], int]) -> None:
        super().__init__()
        self._count = count
        self._shown: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label("Emergency stop", id="confirm-title")
            yield Label(question(self._count()), id="confirm-question", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.refresh_count)

    def refresh_count(self) -> None:
        if self.answered:
            return  # leaving: its widgets may be gone before its timer
        count = self._count()
        if count != self._shown:
            self._shown = count
            self.query_one("#confirm-question", Label).update(question(count))

    def action_answer(self, stop: bool) -> None:
        self.dismiss(stop)
