"""How the dashboard shares the screen's rows, so that what matters is never cut.

Always shown, in full: the header (router state first), one line per alert (the backlog
warning with its threshold, each notice), the totals line and the footer (stop and quit
first). The review panel shows its reply whole, up to `MAX_REVIEW_ROWS`. What is left is
shared by the cards, the queue (when a bot is selected) and the chat, which keeps at
least `MIN_CHAT_ROWS`: the cards shrink first (full boxes, then two-line boxes, then one
line each), then the queue gets what remains, at least `MIN_QUEUE_ROWS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from botdeck.tui.widgets.bot_card import CardSize

FIXED_ROWS = 3  # header, totals, footer
MIN_CHAT_ROWS = 5  # border and three lines
MIN_QUEUE_ROWS = 5  # border, column heads and two rows
MAX_REVIEW_ROWS = 10


@dataclass(frozen=True, slots=True)
class Layout:
    cards: CardSize
    columns: int
    queue_height: int  # 0 when no bot is selected
    review_height: int  # 0 when nothing waits for review


def card_columns(size: CardSize, width: int, bots: int) -> int:
    return max(1, min(bots, width // size.width))


def plan_layout(
    width: int,
    height: int,
    *,
    bots: int,
    alert_rows: int = 0,
    review_rows: int = 0,
    queue: bool = False,
) -> Layout:
    """`review_rows`: lines of the review text (0: none waiting); `queue`: a bot is
    selected. The queue's height does not follow its length, so the screen does not
    jump as replies come and go."""
    review = min(MAX_REVIEW_ROWS, review_rows + 2) if review_rows else 0
    free = height - FIXED_ROWS - alert_rows - review - MIN_CHAT_ROWS
    queue_min = MIN_QUEUE_ROWS if queue else 0
    size = CardSize.LINE
    for candidate in CardSize:  # largest first
        rows = math.ceil(bots / card_columns(candidate, width, bots)) * candidate.rows
        if rows <= free - queue_min:
            size = candidate
            break
    columns = card_columns(size, width, bots)
    left = free - math.ceil(bots / columns) * size.rows
    queue_height = max(MIN_QUEUE_ROWS, min(left, (height * 2) // 5)) if queue else 0
    return Layout(size, columns, queue_height, review)
