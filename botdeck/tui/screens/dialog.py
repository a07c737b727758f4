"""The dashboard's modal screens answer once, however fast the keys come.

A terminal hands over keys typed quickly in one read, and Textual queues them all before
the first is handled. A dialog's first answer pops it off the screen stack, but the
dialog still handles the keys already queued for it: the second enter of a double press
reaches its input again. Textual's `Screen.dismiss` pops whatever screen is on top at
that moment, so that second answer popped the dashboard itself (`ScreenStackError:
Can't pop screen`, the app ended) or, over another dialog, the wrong screen. A `Dialog`
dismisses only the first time, and only while it is the screen on top; its handlers ask
`answered` before they touch widgets that may already be leaving.

A line typed in a dialog is answered by `AnswerField`, as enter is handled: an `Input`
posts `Submitted` instead, which arrives after an escape typed behind the enter had already
cancelled, so the first answer typed would not be the one taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

from botdeck.tui.widgets.line_input import LineInput

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal screen whose result callback runs at most once."""

    def __init__(self) -> None:
        super().__init__()
        self._answered = False

    @property
    def answered(self) -> bool:
        """True once the dialog has dismissed itself (later keys are leftovers)."""
        return self._answered

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        """Dismiss with `result` the first time; later calls, or calls while another
        screen is on top, change nothing (they would pop a screen that is not this one)."""
        if self._answered or not self.is_active:
            return AwaitComplete()  # nothing to wait for: already complete
        self._answered = True
        return super().dismiss(result)


class AnswerField(LineInput):
    """A one-line field whose enter calls `answer(value)` right away, in the order the keys
    were typed (after the characters before it, before an escape after it); a multi-line
    paste is kept, joined (`LineInput`)."""

    def __init__(
        self,
        answer: Callable[[str], None],
        *,
        value: str | None = None,
        placeholder: str = "",
        id: str | None = None,
        max_length: int = 0,
    ) -> None:
        super().__init__(value=value, placeholder=placeholder, id=id, max_length=max_length)
        self._answer = answer

    async def action_submit(self) -> None:
        self._answer(self.value)
