"""The emergency stop asks once: `y` stops everything, `n` or escape changes nothing."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label


class ConfirmStop(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Stop now", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="confirm_no"),
    ]

    def __init__(self, queued: int) -> None:
        super().__init__()
        self._queued = queued

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label("Emergency stop", id="confirm-title")
            yield Label(
                f"Cancel all {self._queued} queued and running replies now?\n"
                "Nothing more will be sent.  [y] stop   [n] cancel",
                markup=False,
            )

    def action_answer(self, stop: bool) -> None:
        self.dismiss(stop)
