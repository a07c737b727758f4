"""Growing a scrolling widget without a layout pass.

`Widget.virtual_size` is a reactive that lays out the whole screen when it changes. A
chat log that grows ten times a second would pay for a layout of every widget each time
(measured: 15-28 ms a pass with the queue open, the largest part of the dashboard's loop
lag at 1,000 chat lines/s). The dashboard's line widgets always show their vertical
scrollbar (`overflow-y: scroll`), so a new length changes nothing in the layout: only the
scrollbar's thumb and the scroll limits, which `_scroll_update` sets.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(widget: ScrollView, size: Size) -> None:
    """Set the scrollable size of a widget whose scrollbars never appear or disappear."""
    if size == widget.virtual_size:
        return
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)
    widget.refresh()
