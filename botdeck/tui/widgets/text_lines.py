"""A few lines of styled text, each drawn on its own and only when it changed.

The header, the alerts, the totals and each card's figures change five times a second
under load. A `Static` re-renders all its content on every update (about a millisecond
for a card's four lines); this widget keeps one rendered strip per line, keyed by the
line's text and styles, so an update that changes one figure redraws one line. Lines are
`rich.text.Text` built by the dashboard from plain strings: never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

LineKey = tuple[str, tuple[object, ...], int]


def _key(line: Text, width: int) -> LineKey:
    return (line.plain, tuple(line.spans), width)


class TextLines(Widget):
    """Shows `lines` (each cut to the width with an ellipsis, never wrapped)."""

    DEFAULT_CSS = """
    TextLines {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Text] = []
        self._keys: list[tuple[str, tuple[object, ...]]] = []
        self._strips: LRUCache[LineKey, Strip] = LRUCache(64)

    @property
    def plain(self) -> str:
        return "\n".join(line.plain for line in self._lines)

    def set_lines(self, lines: list[Text]) -> None:
        keys: list[tuple[str, tuple[object, ...]]] = [
            (line.plain, tuple(line.spans)) for line in lines
        ]
        if keys == self._keys:
            return
        changed = [
            y
            for y in range(max(len(keys), len(self._keys)))
            if y >= len(keys) or y >= len(self._keys) or keys[y] != self._keys[y]
        ]
        grew = len(keys) != len(self._keys)
        self._lines, self._keys = lines, keys
        if grew:
            self.refresh(layout=self.styles.height is None or self.styles.height.is_auto)
        else:
            for y in changed:
                self.refresh(Region(0, y, self.size.width, 1))

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._lines)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        if y >= len(self._lines):
            return Strip.blank(width, style)
        line = self._lines[y]
        key = _key(line, width)
        strip = self._strips.get(key)
        if strip is None:
            text = line.copy()
            text.no_wrap = True
            text.truncate(width, overflow="ellipsis")
            text.stylize_before(style)
            strip = Strip(list(text.render(self.app.console))).crop_extend(0, width, style)
            self._strips[key] = strip
        return strip
