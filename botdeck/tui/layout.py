"""How the dashboard shares the screen's rows, so that what matters is never cut.

Always shown, in full: the header (router state first, uptime), one line per alert (the
backlog warning with its threshold, each notice), the totals line (p50 and p95 included)
and the footer (stop and quit first). The review panel shows the selected reply whole and
lists every held one, up to a third of the screen. What is left is shared by the cards,
the queue (when a bot is selected) and the chat, which keeps at least `MIN_CHAT_ROWS`:
the cards shrink first (full boxes, then two-line boxes, then one line each), then the
queue and the chat share what remains (the queue at least `MIN_QUEUE_ROWS`, at most half
of it); only then does the review panel give up rows (its list scrolls).

Cards are never narrower than their figures need (`CardSize.width`), and they are spread
evenly over as few rows as possible: three bots on 80 columns are three boxes in a row,
five bots on 120 are three and two, never a card alone on its row when it need not be.

Below `MIN_WIDTH` x `MIN_HEIGHT` nothing fits whole: the app shows one line asking for a
bigger window instead (the bots carry on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from botdeck.tui.widgets.bot_card import CardSize

MIN_WIDTH, MIN_HEIGHT = 80, 24
FIXED_ROWS = 3  # header, totals, footer
MIN_CHAT_ROWS = 5  # border and three lines
MIN_QUEUE_ROWS = 5  # border, column heads and two rows
ROOMY_HEIGHT = 30  # from here on the cards also leave the queue and the chat:
ROOMY_QUEUE_ROWS = 8  # border, column heads and six rows
ROOMY_CHAT_ROWS = 8  # border and six lines
MIN_REVIEW_ROWS = 5  # border, the reply and its countdown
SMALLEST_PANEL = 3  # border and one row: the queue or the review squeezed to the least
MAX_REVIEW_ROWS = 10  # unless a third of the screen is more
GUTTER = 1  # columns between two cards
BOX = 4  # a boxed card's border and padding, left and right
LINE_PADDING = 2  # a one-line card's padding


@dataclass(frozen=True, slots=True)
class Layout:
    cards: CardSize
    columns: int
    queue_height: int  # 0 when no bot is selected
    review_height: int  # 0 when nothing waits for review
    card_width: int  # the cells a card's figures have
    too_small: bool = False  # below MIN_WIDTH x MIN_HEIGHT: only a line asking for more


def card_columns(size: CardSize, width: int, bots: int) -> int:
    """As many cards a row as fit, then as few as keep that many rows (balanced)."""
    most = max(1, min(bots, (width + GUTTER) // (size.width + GUTTER)))
    rows = math.ceil(bots / most)
    return min(columns for columns in range(1, most + 1) if math.ceil(bots / columns) == rows)


def card_content_width(size: CardSize, width: int, columns: int) -> int:
    card = (width - GUTTER * (columns - 1)) // columns
    return card - (LINE_PADDING if size is CardSize.LINE else BOX)


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


def plan_layout(
    width: int,
    height: int,
    *,
    bots: int,
    alert_rows: int = 0,
    review_rows: int = 0,
    queue: bool = False,
) -> Layout:
    """`review_rows`: the rows the review panel's content wants (0: none waiting);
    `queue`: a bot is selected. The queue's height does not follow its length, so the
    screen does not jump as replies come and go."""
    if too_small(width, height):
        return Layout(CardSize.LINE, 1, 0, 0, max(0, width - LINE_PADDING), too_small=True)
    cap = max(MAX_REVIEW_ROWS, height // 3)
    review = min(cap, review_rows + 2) if review_rows else 0
    queue_min = MIN_QUEUE_ROWS if queue else 0
    free = height - FIXED_ROWS - alert_rows - MIN_CHAT_ROWS
    # On a roomy terminal full boxes also leave the queue and the chat more than their
    # minimum (two-line boxes do with the minimum).
    roomy = height >= ROOMY_HEIGHT
    want = (ROOMY_QUEUE_ROWS if queue else 0) + ROOMY_CHAT_ROWS - MIN_CHAT_ROWS if roomy else 0
    size = CardSize.LINE
    for candidate in CardSize:  # largest first
        rows = math.ceil(bots / card_columns(candidate, width, bots)) * candidate.rows
        leave = max(queue_min, want) if candidate is CardSize.FULL else queue_min
        if rows <= free - review - leave:
            size = candidate
            break
    columns = card_columns(size, width, bots)
    cards = math.ceil(bots / columns) * size.rows

    # Not even one-line cards leave the minimums: the review panel gives up rows down to
    # its minimum (its list scrolls), then the queue down to one row, then the review down
    # to its first line (who and when); never the chat.
    def over() -> int:
        return cards + queue_min + review - free

    if over() > 0 and review:
        review -= min(over(), max(0, review - MIN_REVIEW_ROWS))
    if over() > 0 and queue:
        queue_min -= min(over(), queue_min - SMALLEST_PANEL)
    if over() > 0 and review:
        review -= min(over(), review - SMALLEST_PANEL)
    left = free - cards - review  # the queue and the chat share it, half each at most
    queue_height = max(queue_min, min(left // 2, (height * 2) // 5)) if queue else 0
    content = card_content_width(size, width, columns)
    return Layout(size, columns, queue_height, review, content)
