"""The chat view: lines are buffered as they happen, written at about 10 Hz, and each one
wraps to the pane's width.

Like Textual's `Log`, it keeps plain strings and draws only the rows on screen: a line is
split into rows when it is written (and again only when the width changes), highlighted
and rendered only when a row of it is visible, and each drawn row is cached. Writing in
batches keeps it smooth at thousands of lines per second; nothing a viewer types is ever
read as markup. Up and down select a line (the view stops following the chat while one
is selected); `selected_line()` is the whole line, for the app's "open in full".
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar, Protocol

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from botdeck.tui.chatlines import MARK_COLUMN, ChatHighlighter
from botdeck.tui.widgets.scrolling import set_virtual_size

MAX_LINES = 5000
PRUNE_SLACK = 500  # lines beyond MAX_LINES before the oldest are dropped, in one go
INDENT = MARK_COLUMN + 2  # continuation rows start under the text, after the marker


class ChatView(Protocol):
    """What the app needs of a chat widget: take lines now, show them on flush. A line
    added with a `key` replaces the line last added with that key, where it stands (a
    folded outcome line counting up), unless that line has left the chat."""

    def add(self, line: str, full: str | None = None, key: Hashable | None = None) -> None: ...

    def flush(self) -> None: ...


def wrap(line: str, width: int, indent: int) -> list[tuple[int, int]]:
    """(start, end) of each row of `line` at `width` cells; rows after the first are
    `indent` cells narrower. Breaks after a space where one is near, else mid-word."""
    if width < 1:
        return [(0, len(line))]
    simple = line.isascii() or cell_len(line) == len(line)
    rows: list[tuple[int, int]] = []
    start, room, length = 0, width, len(line)
    while start < length:
        end = start + room if simple else _fit(line, start, room)
        if end >= length:
            rows.append((start, length))
            break
        space = line.rfind(" ", start, end + 1)
        if space > start + room // 2:
            rows.append((start, space))
            start = space + 1
        else:
            end = max(end, start + 1)
            rows.append((start, end))
            start = end
        room = max(1, width - indent)
    return rows or [(0, 0)]


def _fit(line: str, start: int, room: int) -> int:
    """The end of the longest run from `start` that fits `room` cells (wide characters)."""
    used = 0
    for index in range(start, len(line)):
        used += cell_len(line[index])
        if used > room:
            return index
    return len(line)


class ChatLog(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ChatLog {
        background: $surface;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "select(-1)", "Previous line", show=False),
        Binding("down", "select(1)", "Next line", show=False),
        Binding("pageup", "select(-10)", show=False),
        Binding("pagedown", "select(10)", show=False),
        Binding("home", "select_first", show=False),
        Binding("end", "follow", "Follow the chat", show=False),
    ]

    def __init__(self, highlighter: ChatHighlighter, max_lines: int = MAX_LINES) -> None:
        super().__init__(id="chat")
        self.highlighter = highlighter
        self.border_title = "chat"
        self._max_lines = max_lines
        self._pending: list[tuple[str, str | None]] = []
        self._pending_keys: dict[Hashable, int] = {}  # key -> index in _pending
        self._keyed: dict[Hashable, int] = {}  # key -> line number, once written
        self._replaced: dict[int, str] = {}  # line number -> its new text, at the next flush
        self._lines: list[str] = []  # shown text, one chat line each
        self._full: dict[int, str] = {}  # line number -> the whole line, when cut for display
        self._base = 0  # the line number of _lines[0] (older lines were dropped)
        self._heights: list[int] = []  # rows of each line
        self._rows: list[tuple[int, int, int]] = []  # (line number, start, end) per row
        self._width = 0  # the width lines are wrapped to
        self._cursor: int | None = None  # the selected line number
        self._follow = True  # keep the newest line in view (off while scrolled back)
        self._texts: LRUCache[int, Text] = LRUCache(256)  # highlighted lines
        self._strips: LRUCache[tuple[int, int, bool], Strip] = LRUCache(1024)

    # ------------------------------------------------------------- writing
    @property
    def lines(self) -> list[str]:
        """The lines held (oldest first), as shown."""
        return self._lines

    def add(self, line: str, full: str | None = None, key: Hashable | None = None) -> None:
        if key is not None:
            if (index := self._pending_keys.get(key)) is not None:
                self._pending[index] = (line, full)
                return
            number = self._keyed.get(key)
            if number is not None and number >= self._base:
                self._replaced[number] = line
                return
            self._pending_keys[key] = len(self._pending)
        self._pending.append((line, full))
        if len(self._pending) > self._max_lines:  # never buffer more than can be shown
            dropped = len(self._pending) - self._max_lines
            del self._pending[:dropped]
            self._pending_keys = {
                k: i - dropped for k, i in self._pending_keys.items() if i >= dropped
            }

    def flush(self) -> None:
        if not self._pending and not self._replaced:
            return
        batch, self._pending = self._pending, []
        keys = {index: key for key, index in self._pending_keys.items()}
        self._pending_keys = {}
        following = self._follow and self._cursor is None
        width = self._width or self._wrap_width()
        if self._replaced:
            self._replace_lines(width)
        number = self._base + len(self._lines)
        for index, (line, full) in enumerate(batch):
            if full is not None:
                self._full[number] = full
            if (key := keys.get(index)) is not None:
                self._keyed[key] = number
            rows = wrap(line, width, INDENT)
            self._lines.append(line)
            self._heights.append(len(rows))
            self._rows.extend((number, start, end) for start, end in rows)
            number += 1
        if len(self._lines) > self._max_lines + PRUNE_SLACK:
            self._prune(len(self._lines) - self._max_lines)
        set_virtual_size(self, Size(width, len(self._rows)))
        if following and not self.is_vertical_scrollbar_grabbed:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def _replace_lines(self, width: int) -> None:
        """Lines written before get their new text (folded outcomes counting up), each
        wrapped again where it stands."""
        replaced, self._replaced = self._replaced, {}
        for number, line in sorted(replaced.items()):
            offset = number - self._base
            if offset < 0:
                continue  # it left the chat meanwhile
            first = self._first_row(number)
            rows = wrap(line, width, INDENT)
            self._rows[first : first + self._heights[offset]] = [
                (number, start, end) for start, end in rows
            ]
            self._lines[offset] = line
            self._heights[offset] = len(rows)
            self._texts.discard(number)
        self._strips.clear()

    def _prune(self, count: int) -> None:
        rows = sum(self._heights[:count])
        del self._lines[:count], self._heights[:count], self._rows[:rows]
        self._base += count
        self._full = {n: text for n, text in self._full.items() if n >= self._base}
        self._keyed = {k: n for k, n in self._keyed.items() if n >= self._base}
        if self._cursor is not None and self._cursor < self._base:
            self._cursor = None
        self.scroll_to(y=max(0, self.scroll_offset.y - rows), animate=False, immediate=True)

    def _wrap_width(self) -> int:
        return max(1, self.scrollable_content_region.width) if self.size else 80

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._follow = round(new) >= self.max_scroll_y

    def on_resize(self, event: events.Resize) -> None:
        following = self._follow and self._cursor is None
        width = self._wrap_width()
        if width == self._width:
            if following:  # the pane changed height: keep the newest line in view
                self.scroll_end(animate=False, immediate=True, x_axis=False)
            return
        self._width = width
        self._rows = []
        for offset, line in enumerate(self._lines):
            rows = wrap(line, width, INDENT)
            self._heights[offset] = len(rows)
            self._rows.extend((self._base + offset, start, end) for start, end in rows)
        self._strips.clear()
        set_virtual_size(self, Size(width, len(self._rows)))
        if following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    # ------------------------------------------------------------ selecting
    def selected_line(self) -> str | None:
        """The selected line, whole (not cut for display), or None."""
        if self._cursor is None:
            return None
        return self._full.get(self._cursor, self._lines[self._cursor - self._base])

    def action_select(self, step: int) -> None:
        if not self._lines:
            return
        last = self._base + len(self._lines) - 1
        if self._cursor is None:  # start at the newest line in view
            bottom = min(len(self._rows) - 1, self.scroll_offset.y + self.size.height - 1)
            self._cursor = self._rows[max(0, bottom)][0]
        else:
            self._cursor = min(last, max(self._base, self._cursor + step))
        self._show_cursor()

    def action_select_first(self) -> None:
        if self._lines:
            self._cursor = self._base
            self._show_cursor()

    def action_follow(self) -> None:
        """Leave the selection and follow the chat again."""
        self._cursor = None
        self._strips.clear()
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def clear_selection(self) -> bool:
        """Leave the selection (escape); False if nothing was selected."""
        if self._cursor is None:
            return False
        self.action_follow()
        return True

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._rows):
            self._cursor = self._rows[row][0]
            self._show_cursor()

    def _first_row(self, number: int) -> int:
        return sum(self._heights[: number - self._base])

    def _show_cursor(self) -> None:
        assert self._cursor is not None
        top = self._first_row(self._cursor)
        height = self._heights[self._cursor - self._base]
        self.scroll_to_region(Region(0, top, 1, height), animate=False, immediate=True)
        self._strips.clear()
        self.refresh()

    # ------------------------------------------------------------- drawing
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._texts.clear()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if row >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        number, start, end = self._rows[row]
        if start and self._starts_above(row, number):
            # The pane never starts mid-message: the rest of a line whose start scrolled
            # off the top is left blank rather than shown without its time and name.
            return Strip.blank(width, self.rich_style)
        selected = number == self._cursor
        key = (number, start, selected)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(number, start, end, selected, width)
            self._strips[key] = strip
        return strip

    def _starts_above(self, row: int, number: int) -> bool:
        """Whether the line shown on `row` began above the pane's first row."""
        top = self.scroll_offset.y
        first = row
        while first > top and self._rows[first - 1][0] == number:
            first -= 1
        return first == top and self._rows[first][1] != 0

    def _render_row(self, number: int, start: int, end: int, selected: bool, width: int) -> Strip:
        text = self._texts.get(number)
        if text is None:
            text = Text(self._lines[number - self._base], no_wrap=True, end="")
            self.highlighter.highlight(text)
            self._texts[number] = text
        piece = text[start:end]
        if start:
            piece = Text(" " * INDENT, end="") + piece
        style = self.rich_style
        if selected:
            style += self.get_component_rich_style("chatlog--cursor")
        piece.stylize_before(style)
        segments = list(piece.render(self.app.console))
        return Strip(segments).crop_extend(0, width, style)

    COMPONENT_CLASSES: ClassVar[set[str]] = {"chatlog--cursor"}
    DEFAULT_CSS += """
    ChatLog > .chatlog--cursor {
        background: $accent 30%;
    }
    """
