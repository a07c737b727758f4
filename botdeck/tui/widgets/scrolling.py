"""Growing a scrolling widget without a layout pass, and the keys every cursor list shares.

`Widget.virtual_size` is a reactive that lays out the whole screen when it changes. A
chat log that grows ten times a second would pay for a layout of every widget each time
(measured: 15-28 ms a pass with the queue open, the largest part of the dashboard's loop
lag at 1,000 chat lines/s). The dashboard's line widgets always show their vertical
scrollbar (`overflow-y: scroll`), so a new length changes nothing in the layout: only the
scrollbar's thumb and the scroll limits, which `_scroll_update` sets.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget

# A cursor list's keys (the queue's jobs, the held replies): each calls `move(rows)`.
CURSOR_KEYS: list[BindingType] = [
    Binding("up", "move(-1)", show=False),
    Binding("down", "move(1)", show=False),
    Binding("pageup", "move(-10)", show=False),
    Binding("pagedown", "move(10)", show=False),
    Binding("home", "move(-1000000)", show=False),
    Binding("end", "move(1000000)", show=False),
]


def set_virtual_size(widget: ScrollView, size: Size) -> None:
    """Set the scrollable size of a widget whose scrollbars never appear or disappear."""
    if size == widget.virtual_size:
        return
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)
    widget.refresh()
