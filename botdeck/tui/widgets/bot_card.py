"""One card per bot: its queue, its jobs by phase, outcomes, send budget, latency, backlog."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from botdeck.model.snapshot import LaneSnapshot, SendBudget

SPARK_SECONDS = 60


def _latency(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


class BotCard(Vertical):
    """Shows one bot. `show()` is cheap when nothing changed (the text is compared first)."""

    def __init__(self, bot: str, colour: str) -> None:
        super().__init__(id=f"card-{bot}", classes="bot-card")
        self.bot = bot
        self.border_title = bot
        self._colour = colour
        self._last: tuple[object, ...] | None = None
        self._backlog: deque[float] = deque([0.0] * SPARK_SECONDS, maxlen=SPARK_SECONDS)
        self._sample_second: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="stats")
        yield Sparkline(list(self._backlog), id="spark")

    def on_mount(self) -> None:
        self.styles.border_title_color = self._colour

    def sample(self, size: int, second: int) -> None:
        """Record the backlog once per second of the clock, for the sparkline."""
        if second != self._sample_second:
            self._sample_second = second
            self._backlog.append(float(size))
            self.query_one("#spark", Sparkline).data = list(self._backlog)

    def show(self, lane: LaneSnapshot, budget: SendBudget | None, passed: int = 0) -> None:
        narrow = self.content_size.width < 30  # short labels when three cards share 100 columns
        key = (lane, budget, passed, narrow)
        if key == self._last:
            return
        self._last = key
        text = card_text(lane, budget, narrow, passed)
        self.query_one("#stats", Static).update(text, layout=False)


def card_text(
    lane: LaneSnapshot, budget: SendBudget | None, narrow: bool = False, passed: int = 0
) -> Text:
    """`passed`: random replies the bot did not take because its send window was full."""
    budget_text = "-" if budget is None else f"{budget.left}/{budget.limit}"
    if budget is not None and budget.next_free_in > 0 and lane.sending:
        budget_text += f" wait {budget.next_free_in:.0f}s"
    sep = " " if narrow else "  "
    labels = ("fail", "skip") if narrow else ("failed", "skipped")
    text = Text.assemble(
        ("size ", "dim"), (f"{lane.size}", "bold"),
        (f"{sep}pending ", "dim"), (f"{lane.pending}/{lane.limit}", "bold"), "\n",
        ("delay ", "dim"), f"{lane.delaying}",
        (f"{sep}gen ", "dim"), f"{lane.generating}",
        (f"{sep}send ", "dim"), f"{lane.sending}", "\n",
        ("sent ", "dim"), f"{lane.sent}",
        (f"{sep}{labels[0]} ", "dim"), f"{lane.failed}",
        (f"{sep}{labels[1]} ", "dim"), f"{lane.skipped}", "\n",
        ("budget ", "dim"), budget_text,
        (f"{sep}p50 ", "dim"), _latency(lane.latency.p50),
        (f"{sep}p95 ", "dim"), _latency(lane.latency.p95),
    )  # fmt: skip
    if passed:
        text.append(f"{sep}passed ", "dim")
        text.append(f"{passed}")
    if lane.merging:  # raid mode: replies answer several viewers at once
        text.append(f"{sep}merging ×{lane.last_batch}", style="bold")
    return text
