"""`?`: every key and what it does, generated from the key table with the keys as this
run has them (after `[keys]`), so it can never disagree with the bindings.

The table's help strings are also the README's key table (Markdown: a key is written
`y`); here a backticked key is drawn bold, never with its backticks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from botdeck.model.keys import KEY_ACTIONS, key_display, keys_of
from botdeck.tui.labels import when_note
from botdeck.tui.screens.dialog import Dialog


def help_text(text: str) -> Text:
    """A help string as the screen shows it: what the README writes as code (between
    backticks) in bold, the backticks gone. Never markup: the text is taken as it is."""
    shown = Text()
    for index, part in enumerate(text.split("`")):
        shown.append(part, style="bold" if index % 2 else "")
    return shown


def plain_help(text: str) -> str:
    """A help string as plain text (the command palette): the backticks gone."""
    return text.replace("`", "")


def help_table(keymap: Mapping[str, str]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True)
    table.add_column("key", no_wrap=True)
    table.add_column("action", ratio=1)
    table.add_column("when", style="dim", no_wrap=True)
    for action in KEY_ACTIONS:
        keys = key_display(keys_of(action.id, keymap))
        table.add_row(Text(keys, style="bold"), help_text(action.help), when_note(action.when))
    table.add_row(
        Text("tab", style="bold"), Text("move between the cards, the queue and the chat"), ""
    )
    table.add_row(
        Text("ctrl+p", style="bold"), Text("the command palette: every action by name"), ""
    )
    return table


class HelpScreen(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "close", "Close", key_display="esc"),  # q quits
    ]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self._keymap = dict(keymap)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = "keys"
            yield Static(help_table(self._keymap))
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
