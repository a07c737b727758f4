"""The review panel: every reply waiting for the operator, with its countdown, and the
selected one shown whole.

It appears while replies wait for review. At the top, the selected reply in full
(wrapped, never cut, never markup) with whom it answers, what they wrote, what happens if
nobody decides and when, and why the last edit was not taken; below it, while more than
one waits, every held reply on a line of its own, oldest first, with its seconds left.
The app's approve / edit / reject keys act on the selected reply (the oldest unless the
operator moved the selection: tab to the list, up and down, or a click); approve-all
sends every reply listed. In a raid the operator is no longer the bottleneck.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from botdeck.model.review import PendingReview
from botdeck.tui.labels import timeout_word
from botdeck.tui.widgets.scrolling import CURSOR_KEYS, set_virtual_size


def _left(seconds: float) -> str:
    """Seconds while they matter; whole minutes (rounded up) for a long review timeout."""
    if seconds < 600:
        return f"{math.ceil(seconds)}s"
    return f"{math.ceil(seconds / 60)}m"


def _to(review: PendingReview) -> str:
    return f"@{review.viewer}" if review.viewer else "a bot"


def review_text(review: PendingReview, waiting: int) -> Text:
    """The selected reply: who and when first (a short panel keeps them), then the reply
    whole (what a sends), then what the viewer wrote, then why the last edit was not
    taken."""
    timeout = timeout_word(review.on_timeout)
    text = Text.assemble(
        (f"#{review.job} {review.bot}", "bold"),
        f" → {_to(review)} · ",
        (f"{timeout} in {_left(review.seconds_left)} if nobody decides", "dim"),
    )
    if waiting > 1:
        text.append(f" · {waiting} held", style="dim")
    text.append("\n")
    text.append(review.text, style="bold")
    text.append("\n")
    text.append(review.line, style="dim")
    if review.note:
        text.append(f"\n{review.note}", style="bold reverse")
    return text


def review_row(review: PendingReview) -> str:
    """One held reply on one line (plain text: the reply and the viewer's name are never
    markup)."""
    left = _left(review.seconds_left)
    return f"#{review.job} {review.bot} → {_to(review)} {left:>4}  {review.text}"


class ReviewList(ScrollView, can_focus=True):
    """Every held reply, a line each, with a cursor (up/down/home/end, a click)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"reviewlist--cursor"}
    DEFAULT_CSS = """
    ReviewList {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    ReviewList > .reviewlist--cursor {
        background: $accent 40%;
    }
    ReviewList:focus > .reviewlist--cursor {
        background: $accent 70%;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = CURSOR_KEYS

    class Moved(Message):
        """The operator selected another held reply."""

    def __init__(self) -> None:
        super().__init__(id="review-list")
        self._rows: list[tuple[int, str]] = []  # (job, text)
        self.cursor: int | None = None  # the selected job

    @property
    def rows(self) -> list[tuple[int, str]]:
        """(job, the line shown), oldest first."""
        return self._rows

    def update(self, rows: list[tuple[int, str]], cursor: int | None) -> None:
        if rows == self._rows and cursor == self.cursor:
            return
        self._rows = rows
        self.cursor = cursor
        set_virtual_size(self, Size(self.size.width, len(rows)))
        self._reveal()

    def action_move(self, step: int) -> None:
        if not self._rows:
            return
        ids = [job for job, _ in self._rows]
        index = ids.index(self.cursor) if self.cursor in ids else 0
        self.cursor = ids[min(len(ids) - 1, max(0, index + step))]
        self._reveal()
        self.post_message(self.Moved())

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._rows):
            self.cursor = self._rows[row][0]
            self._reveal()
            self.post_message(self.Moved())

    def _reveal(self) -> None:
        ids = [job for job, _ in self._rows]
        if self.cursor in ids:
            index = ids.index(self.cursor)
            self.scroll_to_region(Region(0, index, 1, 1), animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, style)
        job, row = self._rows[index]
        if job == self.cursor:
            style += self.get_component_rich_style("reviewlist--cursor")
        text = Text(row, no_wrap=True, overflow="ellipsis", end="")
        text.truncate(width, overflow="ellipsis")
        text.stylize_before(style)
        return Strip(list(text.render(self.app.console))).crop_extend(0, width, style)


class ReviewPanel(Vertical):
    """Shows the held replies (or nothing); redraws only what changed."""

    def __init__(self) -> None:
        super().__init__(id="review")
        self.border_title = "review"
        self._job: int | None = None  # the selected reply as last shown
        self.jobs: tuple[int, ...] = ()  # every reply listed: what approve-all sends
        self._detail = Static(id="review-detail", markup=False)
        self.list = ReviewList()
        self._shown: str | None = None
        self._order: list[int] = []

    def compose(self) -> ComposeResult:
        yield self._detail
        yield self.list

    @property
    def shown(self) -> str:
        """The selected reply as the panel shows it, as plain text."""
        return self._shown or ""

    @property
    def job(self) -> int | None:
        """The selected reply, what a / e / z act on: where the operator put the list's
        cursor (at once, before the next poll redraws), else the one shown."""
        cursor = self.list.cursor
        return cursor if cursor is not None and cursor in self.jobs else self._job

    def on_review_list_moved(self, message: ReviewList.Moved) -> None:
        self._job = self.job
        self._shown = None  # draw the newly selected reply whole at the next poll

    def show(self, reviews: list[PendingReview], width: int) -> int:
        """Show `reviews` (oldest first); the rows the panel wants at `width` (0: none):
        the selected reply whole, and a line per reply when more than one is held."""
        by_job = {review.job: review for review in reviews}
        selected_job = self.job
        if selected_job not in by_job:  # it was decided: the one now at its place
            place = self._order.index(selected_job) if selected_job in self._order else 0
            later = [job for job in self._order[place:] if job in by_job]
            first = later or [review.job for review in reviews]
            selected_job = first[0] if first else None
        self._job = selected_job
        self._order = [review.job for review in reviews]
        self.jobs = tuple(self._order)
        selected = by_job.get(selected_job) if selected_job is not None else None
        text = review_text(selected, len(reviews)) if selected else Text()
        if text.plain != self._shown:
            self._shown = text.plain
            self._detail.update(text)
        many = len(reviews) > 1
        self.list.display = many
        rows = [(review.job, review_row(review)) for review in reviews] if many else []
        self.list.update(rows, selected_job)
        title = f"review · {len(reviews)} held" if many else "review"
        if title != self.border_title:
            self.border_title = title
        if selected is None:
            return 0
        inner = max(10, width)
        detail = sum(max(1, math.ceil(len(part) / inner)) for part in text.plain.split("\n"))
        return detail + (len(reviews) + 1 if many else 0)  # the list under a rule
