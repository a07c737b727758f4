"""One card per bot: its queue, its jobs by phase, what it sent, send budget, latency,
backlog, cooldown hits; whether the operator paused, muted or reviews it, and why it is
paused when a chat mode keeps it from talking.

Cards come in three sizes (`CardSize`), chosen by the app so that the warnings and the
chat keep their room on a small terminal: full (a bordered box with a sparkline), compact
(two lines in a box), and a single line. Clicking a card, or focusing it with tab,
selects its bot.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from enum import StrEnum
from typing import assert_never

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Sparkline

from botdeck.model.live import BotRemoval
from botdeck.model.room import PassKind
from botdeck.model.snapshot import LaneSnapshot, SendBudget
from botdeck.tui.fit import TIGHT, Part, fit_first, fit_line
from botdeck.tui.labels import pass_label, removal_flag
from botdeck.tui.widgets.text_lines import TextLines

SPARK_SECONDS = 60


class CardSize(StrEnum):
    FULL = "full"  # 7 rows: border, 4 lines of figures, the sparkline
    COMPACT = "compact"  # 4 rows: border, 2 lines
    LINE = "line"  # 1 row, no border

    @property
    def rows(self) -> int:
        match self:
            case CardSize.FULL:
                return 7
            case CardSize.COMPACT:
                return 4
            case CardSize.LINE:
                return 1
            case _:
                assert_never(self)

    @property
    def width(self) -> int:
        """The columns one card needs: a box, its figures' 22 cells (`size 128 pend 2/2`,
        `budget 0/20 wait 28s`) whole; a line card, all its figures on one row."""
        match self:
            case CardSize.FULL | CardSize.COMPACT:
                return 26
            case CardSize.LINE:
                return 66
            case _:
                assert_never(self)


def _latency(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def bot_flags(
    lane: LaneSnapshot, reviewing: bool, short: bool = False, removal: BotRemoval | None = None
) -> list[str]:
    """Why the bot is quiet or held back, for its card's title: a chat mode (the alerts
    say it in full; `short` leaves the reason to them), a moderator's timeout or ban,
    replies AutoMod holds, or what the operator set."""
    flags = []
    if lane.held is not None:
        flags.append("chat mode" if short else f"paused: {lane.held}")
    if removal is not None:
        flags.append(removal_flag(removal))
    if lane.parked:
        flags.append(f"automod held {lane.parked}")
    if lane.muted:
        flags.append("muted")
    if lane.paused and removal is None:
        flags.append("paused")
    if reviewing:
        flags.append("review")
    return flags


class BotCard(Vertical, can_focus=True):
    """Shows one bot. `show()` is cheap when nothing changed (the inputs are compared first)."""

    class Selected(Message):
        """The card was clicked (`open`: the queue takes the keys) or tabbed to."""

        def __init__(self, bot: str, open: bool) -> None:
            super().__init__()
            self.bot = bot
            self.open = open

    def __init__(self, bot: str, colour: str, number: int) -> None:
        super().__init__(id=f"card-{bot}", classes="bot-card")
        self.bot = bot
        self.number = number
        self.border_title = f"{number} {bot}" if number <= 9 else bot
        self._colour = colour
        self._last: tuple[object, ...] | None = None
        self._backlog: deque[float] = deque([0.0] * SPARK_SECONDS, maxlen=SPARK_SECONDS)
        self._sample_second: int | None = None
        self._card_size: CardSize | None = None
        self._stats: TextLines | None = None
        self._spark: Sparkline | None = None

    def compose(self) -> ComposeResult:
        yield TextLines(id="stats")
        yield Sparkline(list(self._backlog), id="spark")

    def on_mount(self) -> None:
        self.styles.border_title_color = self._colour
        self._stats = self.query_one("#stats", TextLines)
        self._spark = self.query_one("#spark", Sparkline)

    def on_click(self) -> None:
        self.post_message(self.Selected(self.bot, open=True))

    def on_focus(self) -> None:
        self.post_message(self.Selected(self.bot, open=False))

    def sample(self, size: int, second: int) -> None:
        """Record the backlog once per second of the clock, for the sparkline."""
        if second != self._sample_second:
            self._sample_second = second
            self._backlog.append(float(size))
            if self._card_size is CardSize.FULL and self._spark is not None:
                self._spark.data = list(self._backlog)

    def show(
        self,
        lane: LaneSnapshot,
        budget: SendBudget | None,
        *,
        size: CardSize,
        width: int | None = None,
        reviewing: bool = False,
        selected: bool = False,
        passed: int = 0,
        cooldown_hits: int = 0,
        room_passes: Mapping[PassKind, int] | None = None,
        removal: BotRemoval | None = None,
    ) -> None:
        """`width`: the cells the card's figures have (the layout's, so it is right at
        once after a resize); `passed`: random replies the bot did not take because its
        send window was full; `cooldown_hits`: those its cooldowns left unanswered;
        `room_passes`: lines it passed up because they did not fit (emotes, copypasta,
        ...) or the share was used up, on the card's lower border after its flags."""
        if width is None:
            width = self.content_size.width or None
        passes = passes_text(room_passes or {})
        key = (lane, budget, width, size, reviewing, selected, passed, cooldown_hits, passes,
               removal)  # fmt: skip
        if key == self._last or self._stats is None:  # unchanged, or not mounted yet
            return
        if size is not self._card_size:
            self._card_size = size
            for each in CardSize:
                self.set_class(each is size, f"-{each.value}")
            if size is CardSize.FULL and self._spark is not None:
                self._spark.data = list(self._backlog)
        self._last = key
        flags = bot_flags(lane, reviewing, removal=removal)
        title = f"{self.number} {self.bot}" if self.number <= 9 else self.bot
        border_title = " · ".join([title, *flags])
        # Raid mode's label on the box's bottom edge, where no figure can push it out;
        # the flags (muted, paused, review) join it there when the title has no room.
        edge = [merge_label(lane)] if lane.merging else []
        if width is not None and len(border_title) > width:
            border_title = title
            edge = [*bot_flags(lane, reviewing, short=True, removal=removal), *edge]
        if passes:
            edge.append(passes)  # last: the flags and the merge label come first
        subtitle = " · ".join(edge) if size is not CardSize.LINE else ""
        if border_title != self.border_title:
            self.border_title = border_title
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
        quiet = lane.paused or lane.muted or lane.held is not None or lane.parked > 0
        self.set_class(quiet, "-held")
        self.set_class(selected, "-selected")
        if size is CardSize.LINE:  # the figures first: the alerts give the reasons
            short = bot_flags(lane, reviewing, short=True, removal=removal)
            lines = [card_line(title, lane, budget, short, self._colour, width)]
        else:
            compact = size is CardSize.COMPACT
            lines = card_lines(lane, budget, width, compact, reviewing, passed, cooldown_hits)
        self._stats.set_lines(lines)


def passes_text(passes: Mapping[PassKind, int]) -> str:
    """`passed: emotes 41, spam 12`, the most first; "" when it passed nothing up."""
    ranked = sorted(
        ((count, kind) for kind, count in passes.items() if count),
        key=lambda item: (-item[0], list(PassKind).index(item[1])),
    )
    if not ranked:
        return ""
    return "passed: " + ", ".join(f"{pass_label(kind)} {count}" for count, kind in ranked)


def merge_label(lane: LaneSnapshot) -> str:
    """`merging ×12` while raid mode merges the bot's replies (the viewers in its last)."""
    return f"merging ×{lane.last_batch}" if lane.merging else ""


def _budget(lane: LaneSnapshot, budget: SendBudget | None) -> str:
    text = "-" if budget is None else f"{budget.left}/{budget.limit}"
    if budget is not None and budget.next_free_in > 0 and lane.sending:
        text += f" wait {budget.next_free_in:.0f}s"
    return text


def _figure(label: str, value: object, rank: int = 0, bold: bool = False) -> Part:
    return Part.of((f"{label} ", "dim"), (f"{value}", "bold" if bold else ""), rank=rank)


def card_lines(
    lane: LaneSnapshot,
    budget: SendBudget | None,
    width: int | None = None,
    compact: bool = False,
    reviewing: bool = False,
    passed: int = 0,
    cooldown_hits: int = 0,
) -> list[Text]:
    """The card's figures, a line each, fitted to `width`: size, pending and the budget
    always whole (the merge label is on the box's edge); the rest gives way, least
    telling first, and labels shorten before anything goes."""
    rows = [
        _rows(lane, budget, compact, reviewing, passed, cooldown_hits, short)
        for short in (False, True)
    ]
    return [fit_first([long, short], width) for long, short in zip(*rows, strict=True)]


def _rows(
    lane: LaneSnapshot,
    budget: SendBudget | None,
    compact: bool,
    reviewing: bool,
    passed: int,
    cooldown_hits: int,
    short: bool,
) -> list[list[Part]]:
    pending, answered, fail, skip = (
        ("pend", "ans", "fail", "skip") if short else ("pending", "answered", "failed", "skipped")
    )
    size = _figure("size", lane.size, bold=True)
    pend = _figure(pending, f"{lane.pending}/{lane.limit}", bold=True)
    budget_part = _figure("budget", _budget(lane, budget))
    ai = [_figure("wait AI", lane.ai_waiting, 1, bold=True)] if lane.ai_waiting else []
    review = [_figure("review", lane.review, 2)] if reviewing or lane.review else []
    extra = [
        *([_figure("passed", passed, 3)] if passed else []),
        *([_figure("cooldown", cooldown_hits, 3)] if cooldown_hits else []),
    ]
    if compact:
        return [
            [size, pend, *ai, _figure(answered, lane.answered, 2),
             _figure("msgs", lane.messages, 3)],
            [budget_part, _figure("p95", _latency(lane.latency.p95), 2),
             _figure(fail, lane.failed, 3), _figure(skip, lane.skipped, 3)],
        ]  # fmt: skip
    return [
        [size, pend, *review, *ai],
        [budget_part, _figure("p95", _latency(lane.latency.p95), 2)],
        [_figure("msgs", lane.messages, 2), _figure(answered, lane.answered, 1),
         _figure(fail, lane.failed, 3), _figure(skip, lane.skipped, 3)],
        [_figure("delay", lane.delaying, 4), _figure("gen", lane.generating, 4),
         _figure("send", lane.sending, 4), _figure("p50", _latency(lane.latency.p50), 5), *extra],
    ]  # fmt: skip


def card_line(
    title: str,
    lane: LaneSnapshot,
    budget: SendBudget | None,
    flags: list[str],
    colour: str,
    width: int | None = None,
) -> Text:
    """A card in one line, for small terminals: the figures that matter most first, and
    they stay whole (size, pending, budget, the merge label)."""
    parts = [
        Part.of((title, f"bold {colour}")),
        *(Part.of((flag, "bold reverse"), rank=1) for flag in flags),
        _figure("size", lane.size, bold=True),
        _figure("pend", f"{lane.pending}/{lane.limit}", bold=True),
        *([_figure("wait AI", lane.ai_waiting, 1, bold=True)] if lane.ai_waiting else []),
        _figure("budget", _budget(lane, budget)),
        *([Part.of((merge_label(lane), "bold"))] if lane.merging else []),
        _figure("ans", lane.answered, 2),
        _figure("msgs", lane.messages, 3),
        _figure("p95", _latency(lane.latency.p95), 2),
    ]
    return fit_line(parts, width, sep=TIGHT)  # the same spacing on every bot's line
