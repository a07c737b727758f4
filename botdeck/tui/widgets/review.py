"""The review panel: the oldest reply waiting for the operator, shown whole.

It appears while replies wait for review and shows the first of them in full (wrapped,
never cut, never markup) with whom it answers, what they wrote, what happens if nobody
decides and when, and why the last edit was not taken. The app's approve / edit / reject
keys act on the reply shown here.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from botdeck.model.review import PendingReview
from botdeck.tui.labels import timeout_word


def _left(seconds: float) -> str:
    """Seconds while they matter; whole minutes (rounded up) for a long review timeout."""
    if seconds < 600:
        return f"{math.ceil(seconds)}s"
    return f"{math.ceil(seconds / 60)}m"


def review_text(review: PendingReview, waiting: int) -> Text:
    timeout = timeout_word(review.on_timeout)
    answers = f"@{review.viewer}" if review.viewer else "a bot"
    text = Text.assemble(
        (f"{review.bot}", "bold"),
        f" → {answers}: ",
        (review.line, "dim"),
        "\n",
        (review.text, "bold"),
        ("\n" + f"{timeout} in {_left(review.seconds_left)} if nobody decides", "dim"),
    )
    if waiting > 1:
        text.append(f" · {waiting - 1} more waiting", style="dim")
    if review.note:
        text.append(f"\n{review.note}", style="bold reverse")
    return text


class ReviewPanel(Static):
    """Shows `review` (or nothing); redraws only when what it shows changed."""

    def __init__(self) -> None:
        super().__init__(id="review", markup=False)
        self.border_title = "review"
        self.job: int | None = None
        self._shown: str | None = None

    def show(self, reviews: list[PendingReview], width: int) -> int:
        """Show the first of `reviews`; the rows its text takes at `width` (0: none)."""
        first = reviews[0] if reviews else None
        self.job = first.job if first else None
        text = review_text(first, len(reviews)) if first else Text()
        if text.plain != self._shown:
            self._shown = text.plain
            self.update(text)
        if first is None:
            return 0
        inner = max(10, width)
        return sum(max(1, math.ceil(len(part) / inner)) for part in text.plain.split("\n"))
