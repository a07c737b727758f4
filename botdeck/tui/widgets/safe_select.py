"""A `Select` whose list survives page keys that come before it is first drawn.

Textual 8's option list keeps a line map (which screen line shows which option) that it
builds only once it has a size (`OptionList._update_lines` returns at once while its
content region is empty). A `Select`'s list is hidden until opened, so it has no size
until the frame after opening is laid out. `OptionList._move_page` reads that map without
checking, so pageup or pagedown handled in between (a key typed within ~30 ms of opening,
or later on a busy loop: the layout waits for the screen to be idle) raised `KeyError: 0`
and ended the app. Before the first layout, page keys here go to the first or the last
option, which is what a page move does in a list that fits on one page (the bot list:
at most nine, shown up to twelve rows).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

from textual.app import ComposeResult

# Not exported by `textual.widgets.select`; textual is pinned below 9.
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay

T = TypeVar("T", bound=Hashable)


class SafeSelectOverlay(SelectOverlay):
    """The pop-up list: page keys before its first layout go to the first or last option."""

    def _laid_out(self) -> bool:
        return bool(self.scrollable_content_region)  # the line map exists from then on

    def action_page_up(self) -> None:
        if self._laid_out():
            super().action_page_up()  # type: ignore[no-untyped-call]
        else:
            self.action_first()

    def action_page_down(self) -> None:
        if self._laid_out():
            super().action_page_down()  # type: ignore[no-untyped-call]
        else:
            self.action_last()


class SafeSelect(Select[T]):
    """`Select` with the guarded list (the same parts as Textual's own compose)."""

    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield SafeSelectOverlay(type_to_search=self._type_to_search).data_bind(
            compact=Select.compact
        )
