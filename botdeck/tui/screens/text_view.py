"""A chat line or a reply opened in full: wrapped to the screen, plain text, scrollable."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from botdeck.tui.screens.dialog import Dialog


class TextView(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", key_display="esc"),  # q quits
    ]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__()
        self._title = title
        self._body = body if isinstance(body, Text) else Text(body)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text-view") as box:
            box.border_title = self._title
            yield Static(self._body, markup=False)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
