"""`i`: type a line and send it as one of the bots (enter sends, escape cancels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Label, Select

from botdeck.tui.screens.dialog import AnswerField, Dialog
from botdeck.tui.widgets.safe_select import SafeSelect


class SayScreen(Dialog[tuple[str, str] | None]):
    """Dismisses with (bot, text), or None."""

    # The line's field has the focus from the first key on (focused once composed, not
    # after mounting), so what is typed right after `i` lands there, not in the bot list.
    AUTO_FOCUS = "#say-text"
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
            yield SafeSelect(
                [(bot, bot) for bot in self._bots],
                value=self._bot,
                allow_blank=False,
                id="say-bot",
            )
            yield AnswerField(  # a multi-line paste is kept, joined (it is a LineInput)
                self.send,
                placeholder="the line to send (enter sends)",
                id="say-text",
                max_length=500,
            )
        yield Footer()

    def send(self, line: str) -> None:
        text = line.strip()
        if not text or self.answered:  # a second enter: this screen's widgets are leaving
            return
        bot = self.query_one("#say-bot", Select).value
        self.dismiss((str(bot), text))

    def action_cancel(self) -> None:
        self.dismiss(None)
