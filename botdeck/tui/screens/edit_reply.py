"""`e`: edit a reply held for review; the original stays in view, whole."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Label, Static

from botdeck.model.review import PendingReview
from botdeck.tui.screens.dialog import AnswerField, Dialog


class EditReply(Dialog[str | None]):
    """Dismisses with the edited text (shaped and checked again by the engine), or None."""

    AUTO_FOCUS = "#edit-text"  # focused once composed: the first key typed edits
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
            yield AnswerField(self.send, value=review.text, id="edit-text", max_length=500)
        yield Footer()

    def send(self, text: str) -> None:
        if text.strip():
            self.dismiss(text)  # once: a later enter finds it answered

    def action_cancel(self) -> None:
        self.dismiss(None)
