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
        """The columns one card needs (a line card holds all its figures on one row)."""
        match self:
            case CardSize.FULL | CardSize.COMPACT:
                return 32
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
        reviewing: bool = False,
        selected: bool = False,
        passed: int = 0,
        cooldown_hits: int = 0,
        room_passes: Mapping[PassKind, int] | None = None,
        removal: BotRemoval | None = None,
    ) -> None:
        """`passed`: random replies the bot did not take because its send window was
        full; `cooldown_hits`: those its cooldowns left unanswered; `room_passes`: lines
        it passed up because they did not fit (emotes, copypasta, ...) or the share was
        used up, on the card's lower border."""
        narrow = self.content_size.width < 40  # short labels unless the card is wide
        passes = passes_text(room_passes or {})
        key = (lane, budget, narrow, size, reviewing, selected, passed, cooldown_hits, passes,
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
        if border_title != self.border_title:
            self.border_title = border_title
        if passes != self.border_subtitle:  # a line card has no border: figures only
            self.border_subtitle = passes
        quiet = lane.paused or lane.muted or lane.held is not None or lane.parked > 0
        self.set_class(quiet, "-held")
        self.set_class(selected, "-selected")
        if size is CardSize.LINE:  # the figures first: the alerts give the reasons
            short = bot_flags(lane, reviewing, short=True, removal=removal)
            text = card_line(title, lane, budget, short, self._colour)
        else:
            compact = size is CardSize.COMPACT
            text = card_text(lane, budget, narrow, compact, passed, cooldown_hits)
        self._stats.set_lines(list(text.split("\n")))


def passes_text(passes: Mapping[PassKind, int]) -> str:
    """`passed: emotes 41, spam 12`, the most first; "" when it passed nothing up."""
    ranked = sorted(
        ((count, kind) for kind, count in passes.items() if count),
        key=lambda item: (-item[0], list(PassKind).index(item[1])),
    )
    if not ranked:
        return ""
    return "passed: " + ", ".join(f"{pass_label(kind)} {count}" for count, kind in ranked)


def card_text(
    lane: LaneSnapshot,
    budget: SendBudget | None,
    narrow: bool = False,
    compact: bool = False,
    passed: int = 0,
    cooldown_hits: int = 0,
) -> Text:
    """The card's figures, a line each (a line too long for the card is cut, never
    wrapped: wrapping would push the last lines out of the box)."""
    budget_text = "-" if budget is None else f"{budget.left}/{budget.limit}"
    if budget is not None and budget.next_free_in > 0 and lane.sending:
        budget_text += f" wait {budget.next_free_in:.0f}s"
    short = narrow or compact
    sep = " " if short else "  "
    fail, skip, answered, pending = (
        ("fail", "skip", "ans", "pend") if short else ("failed", "skipped", "answered", "pending")
    )
    lines: list[list[str | tuple[str, str]]]
    if compact:
        lines = [
            [("size ", "dim"), (f"{lane.size}", "bold"),
             (f"{sep}{pending} ", "dim"), (f"{lane.pending}/{lane.limit}", "bold"),
             (f"{sep}msgs ", "dim"), f"{lane.messages}",
             (f"{sep}{answered} ", "dim"), f"{lane.answered}"],
            [("budget ", "dim"), budget_text,
             (f"{sep}p95 ", "dim"), _latency(lane.latency.p95),
             (f"{sep}{fail} ", "dim"), f"{lane.failed}",
             (f"{sep}{skip} ", "dim"), f"{lane.skipped}"],
        ]  # fmt: skip
    else:
        lines = [
            [("size ", "dim"), (f"{lane.size}", "bold"),
             (f"{sep}{pending} ", "dim"), (f"{lane.pending}/{lane.limit}", "bold"),
             (f"{sep}review ", "dim"), f"{lane.review}"],
            [("delay ", "dim"), f"{lane.delaying}",
             (f"{sep}gen ", "dim"), f"{lane.generating}",
             (f"{sep}send ", "dim"), f"{lane.sending}"],
            [("msgs ", "dim"), f"{lane.messages}",
             (f"{sep}{answered} ", "dim"), f"{lane.answered}",
             (f"{sep}{fail} ", "dim"), f"{lane.failed}",
             (f"{sep}{skip} ", "dim"), f"{lane.skipped}"],
            [("budget ", "dim"), budget_text,
             (f"{sep}p50 ", "dim"), _latency(lane.latency.p50),
             (f"{sep}p95 ", "dim"), _latency(lane.latency.p95)],
        ]  # fmt: skip
    if lane.ai_waiting:  # the AI server is down: these wait for it (not failing)
        lines[1] += [(f"{sep}wait AI ", "dim"), (f"{lane.ai_waiting}", "bold")]
    if passed:
        lines[1] += [(f"{sep}passed ", "dim"), f"{passed}"]
    if cooldown_hits:
        lines[1] += [(f"{sep}cooldown ", "dim"), f"{cooldown_hits}"]
    if lane.merging:  # raid mode: replies answer several viewers at once
        lines[1].append((f"{sep}merging ×{lane.last_batch}", "bold"))
    text = Text("\n", no_wrap=True, overflow="ellipsis")
    return text.join(Text.assemble(*line) for line in lines)


def card_line(
    title: str,
    lane: LaneSnapshot,
    budget: SendBudget | None,
    flags: list[str],
    colour: str,
) -> Text:
    """A card in one line, for small terminals: the figures that matter most first."""
    budget_text = "-" if budget is None else f"{budget.left}/{budget.limit}"
    text = Text.assemble(
        (title, f"bold {colour}"),
        *((f" {flag}", "bold reverse") for flag in flags),
        ("  size ", "dim"), (f"{lane.size}", "bold"),
        (" pend ", "dim"), (f"{lane.pending}/{lane.limit}", "bold"),
        *(((" wait AI ", "dim"), (f"{lane.ai_waiting}", "bold")) if lane.ai_waiting else ()),
        (" msgs ", "dim"), f"{lane.messages}",
        (" ans ", "dim"), f"{lane.answered}",
        (" budget ", "dim"), budget_text,
        (" p95 ", "dim"), _latency(lane.latency.p95),
        no_wrap=True,
        overflow="ellipsis",
    )  # fmt: skip
    if lane.merging:
        text.append(f" merging ×{lane.last_batch}", style="bold")
    return text
