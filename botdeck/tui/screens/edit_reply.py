"""`e`: edit a reply held for review; the original stays in view, whole."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from botdeck.model.review import PendingReview


class EditReply(ModalScreen[str | None]):
    """Dismisses with the edited text (shaped and checked again by the engine), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, review: PendingReview) -> None:
        super().__init__()
        self._review = review

    def compose(self) -> ComposeResult:
        review = self._review
        with Vertical(id="edit"):
            yield Label(f"Edit {review.bot}'s reply (enter sends it, escape keeps it held)")
            yield Static(Text(review.text), id="edit-original")
            yield Input(value=review.text, id="edit-text", max_length=500)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#edit-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
