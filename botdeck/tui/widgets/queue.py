"""The queue inspector: one bot's running and waiting replies, one row each, live.

Rows are plain data (`JobRow`) built from the engine's `JobView`s at each poll. The
table keeps its selection by job id, so rows that start, finish or move do not take it
away (when the selected reply ends, the row now at its place is selected). Each drawn
row is cached by its content: a poll that changes nothing draws nothing, and one that
changes a row draws that row only. The trigger line is chat text: it is drawn as plain
text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from botdeck.model.jobs import JobView, Phase, Priority
from botdeck.tui.labels import phase_label, priority_label
from botdeck.tui.widgets.scrolling import CURSOR_KEYS, set_virtual_size

MAX_LOGIN = 25  # Twitch's longest login: a viewer column never needs more
MIN_VIEWER = 8
MIN_LINE = 24  # the chat line keeps at least this much before the viewer column widens


@dataclass(frozen=True, slots=True)
class Columns:
    """The inspector's columns for the rows it shows and its width: the job id as the
    toasts write it (`#119`), a viewer column as wide as the longest name (cut only when
    the line would be squeezed), and the merge group only when some reply is merged."""

    job: int
    viewer: int
    group: int  # 0: hidden (no reply is merged)

    @classmethod
    def fit(cls, rows: list[JobRow], width: int) -> Columns:
        job = max((len(f"#{row.id}") for row in rows), default=4)
        group = max((len(row.group) for row in rows), default=0)
        group = max(5, group) if group else 0
        longest = max((len(row.viewer) for row in rows), default=MIN_VIEWER)
        fixed = 2 + job + 1 + 5 + 7 + 5 + (group + 1 if group else 0)
        room = width - fixed - 1 - MIN_LINE
        viewer = max(MIN_VIEWER, min(longest, MAX_LOGIN, max(14, room)))
        return cls(job, viewer, group)

    def widths(self) -> list[tuple[str, int]]:
        """(heading, width) of each column before the line, in order."""
        shown = [("", 1), ("job", self.job), ("pri", 4), ("phase", 6), ("age", 4)]
        shown.append(("viewer", self.viewer))
        if self.group:
            shown.append(("group", self.group))
        return shown

    def header(self) -> str:
        return " ".join(name.ljust(width) for name, width in self.widths()) + " line"

    def offset(self, heading: str) -> tuple[int, int]:
        """Where a column starts and ends in a row (for its style)."""
        start = 0
        for name, width in self.widths():
            if name == heading:
                return start, start + width
            start += width + 1
        raise KeyError(heading)


def age_label(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 100:
        return f"{seconds}s"
    if seconds < 6000:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


@dataclass(frozen=True, slots=True)
class JobRow:
    """One reply as the inspector shows it (strings, compared to skip redrawing)."""

    id: int
    position: str  # "▶" running, "↳" carried by a running reply, 1.. waiting
    priority: Priority
    phase: Phase
    age: str
    viewer: str
    group: str  # "+3": carries three waiting mentions; "#12": carried by job 12
    line: str  # the chat line it answers

    @classmethod
    def of(cls, job: JobView, position: str, now: float) -> JobRow:
        message = job.context.message
        if job.carrier is not None:
            group = f"#{job.carrier}"
        elif job.carried:
            group = f"+{len(job.carried)}"
        else:
            group = ""
        return cls(
            id=job.id,
            position=position,
            priority=job.priority,
            phase=job.phase,
            age=age_label(now - job.created_at),
            viewer="(bot)" if message.is_bot else message.author,
            group=group,
            line=message.text,
        )

    @property
    def mark(self) -> str:
        """▶ running, ↳ carried by a running reply; waiting ones go by their order."""
        return self.position if self.position in ("▶", "↳") else " "

    def cells(self, columns: Columns) -> list[str]:
        cells = [
            self.mark,
            f"#{self.id}",
            priority_label(self.priority),
            phase_label(self.phase),
            self.age,
            self.viewer,
        ]
        if columns.group:
            cells.append(self.group)
        return cells


def job_rows(jobs: list[JobView], now: float) -> list[JobRow]:
    """Running replies (with the mentions they carry), then waiting ones numbered in the
    order they will start."""
    rows = []
    waiting = 0
    for job in jobs:
        if job.phase is Phase.QUEUED:
            waiting += 1
            position = str(waiting)
        else:
            position = "↳" if job.phase is Phase.CARRIED else "▶"
        rows.append(JobRow.of(job, position, now))
    return rows


class JobTable(ScrollView, can_focus=True):
    """The rows, with a cursor; up/down/page/home/end move it."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"jobtable--cursor", "jobtable--running"}
    DEFAULT_CSS = """
    JobTable {
        background: $surface;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    JobTable > .jobtable--cursor {
        background: $accent 40%;
    }
    JobTable:focus > .jobtable--cursor {
        background: $accent 70%;
    }
    JobTable > .jobtable--running {
        text-style: bold;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = CURSOR_KEYS

    class Moved(Message):
        """The selected reply changed (None: nothing selected)."""

        def __init__(self, job_id: int | None) -> None:
            super().__init__()
            self.job_id = job_id

    def __init__(self) -> None:
        super().__init__(id="jobs")
        self._rows: list[JobRow] = []
        self._index: dict[int, int] = {}
        self._cursor: int | None = None  # the selected job's id
        self.columns = Columns(4, 14, 0)
        self._strips: LRUCache[tuple[JobRow, bool, int, Columns], Strip] = LRUCache(512)

    @property
    def selected(self) -> int | None:
        return self._cursor

    @property
    def rows(self) -> list[JobRow]:
        return self._rows

    def update(self, rows: list[JobRow], columns: Columns | None = None) -> None:
        """Show these rows; the selection stays on its job (or its place, if it ended)."""
        if columns is not None and columns != self.columns:
            self.columns = columns
            self.refresh()
        if rows == self._rows:
            return
        before = self._cursor
        place = self._index.get(before, 0) if before is not None else 0
        self._rows = rows
        self._index = {row.id: index for index, row in enumerate(rows)}
        if not rows:
            self._cursor = None
        elif before is None or before not in self._index:
            self._cursor = rows[min(place, len(rows) - 1)].id
        set_virtual_size(self, Size(self.size.width, len(rows)))
        if self._cursor != before:
            self.post_message(self.Moved(self._cursor))
        self.refresh()

    def select(self, job_id: int) -> None:
        if job_id in self._index:
            self._cursor = job_id
            self._reveal()

    def action_move(self, step: int) -> None:
        if not self._rows:
            return
        index = self._index.get(self._cursor, 0) if self._cursor is not None else 0
        index = min(len(self._rows) - 1, max(0, index + step))
        self._cursor = self._rows[index].id
        self._reveal()

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._rows):
            self._cursor = self._rows[row].id
            self._reveal()

    def _reveal(self) -> None:
        index = self._index[self._cursor] if self._cursor is not None else 0
        self.scroll_to_region(Region(0, index, 1, 1), animate=False, immediate=True)
        self.post_message(self.Moved(self._cursor))
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        row = self._rows[index]
        key = (row, row.id == self._cursor, width, self.columns)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, row.id == self._cursor, width)
            self._strips[key] = strip
        return strip

    def _render_row(self, row: JobRow, selected: bool, width: int) -> Strip:
        style = self.rich_style
        if row.position in ("▶", "↳"):
            style += self.get_component_rich_style("jobtable--running")
        if selected:
            style += self.get_component_rich_style("jobtable--cursor")
        columns = self.columns
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for cell, (_, cell_width) in zip(row.cells(columns), columns.widths(), strict=True):
            text.append(_fit(cell, cell_width) + " ")
        if row.priority is Priority.HIGH:
            text.stylize("bold", *columns.offset("pri"))
        if row.phase is Phase.REVIEW:
            text.stylize("reverse", *columns.offset("phase"))
        text.append(row.line)  # plain text: chat is never markup
        text.truncate(width, overflow="ellipsis")
        text.stylize_before(style)
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, style)


def _fit(cell: str, width: int) -> str:
    return cell.ljust(width) if len(cell) <= width else cell[: width - 1] + "…"


class QueueInspector(Vertical):
    """A bot's queue: a title with its counts, the column heads, the rows."""

    def __init__(self) -> None:
        super().__init__(id="queue")
        self.table = JobTable()

    def compose(self) -> ComposeResult:
        yield Static(self._head(self.table.columns), id="queue-head")
        yield self.table

    @staticmethod
    def _head(columns: Columns) -> Text:
        return Text(columns.header(), style="dim", no_wrap=True, overflow="ellipsis")

    def show(self, bot: str, jobs: list[JobView], now: float, flags: list[str]) -> None:
        rows = job_rows(jobs, now)
        columns = Columns.fit(rows, self.table.scrollable_content_region.width or self.size.width)
        if columns != self.table.columns:
            self.query_one("#queue-head", Static).update(self._head(columns))
        waiting = sum(1 for row in rows if row.phase is Phase.QUEUED)
        running = len(rows) - waiting
        title = " · ".join([f"queue: {bot}", f"{waiting} waiting", f"{running} running", *flags])
        if title != self.border_title:
            self.border_title = title
        self.table.update(rows, columns)

    def wanted_height(self, rows: int) -> int:
        """Border, heads and the rows; the app caps it."""
        return 3 + max(1, rows)
