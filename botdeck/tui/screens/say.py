"""`i`: type a line and send it as one of the bots (enter sends, escape cancels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Select

from botdeck.tui.widgets.line_input import LineInput


class SayScreen(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (bot, text), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, bots: Sequence[str], bot: str) -> None:
        super().__init__()
        self._bots = tuple(bots)
        self._bot = bot

    def compose(self) -> ComposeResult:
        with Vertical(id="say"):
            yield Label("Say as a bot: its send limit and duplicate guard apply", id="say-title")
            yield Select(
                [(bot, bot) for bot in self._bots],
                value=self._bot,
                allow_blank=False,
                id="say-bot",
            )
            yield LineInput(  # a multi-line paste is kept, joined (Input keeps line 1 only)
                placeholder="the line to send (enter sends)", id="say-text", max_length=500
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#say-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        bot = self.query_one("#say-bot", Select).value
        self.dismiss((str(bot), text))

    def action_cancel(self) -> None:
        self.dismiss(None)
