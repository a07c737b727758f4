"""`g`: fire a test event, as Firebot's "simulate event" does: pick the kind with its
number (escape cancels); its reaction is made and sent like a real one's, and the event
is journaled marked `test`, so nothing is settled on the platform."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Label

from botdeck.model.stream import REACTION_KINDS, EventKind
from botdeck.tui.labels import event_kind_label
from botdeck.tui.screens.dialog import Dialog


def choices() -> str:
    return "   ".join(
        f"[{number}] {event_kind_label(kind)}" for number, kind in enumerate(REACTION_KINDS, 1)
    )


class EventDialog(Dialog[EventKind | None]):
    """Dismisses with the kind picked, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(number), f"pick({number})", event_kind_label(kind), show=False)
            for number, kind in enumerate(REACTION_KINDS, 1)
        ),
        Binding("escape", "pick(0)", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="event"):
            yield Label("Fire a test event: the bots react as to a real one", id="event-title")
            yield Label(choices(), id="event-choices", markup=False)
        yield Footer()

    def action_pick(self, number: int) -> None:
        kinds = REACTION_KINDS
        self.dismiss(kinds[number - 1] if 1 <= number <= len(kinds) else None)
