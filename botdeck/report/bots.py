"""One bot's figures as the journal streams by, each of a size fixed in advance."""

from __future__ import annotations

from botdeck.report.grid import Grid, StepMax
from botdeck.report.model import Said, Talker
from botdeck.report.sketch import EvenSample, Quantiles, TopCounts
from botdeck.report.window import SendWindow

SAID_SHOWN = 50  # replies shown per bot (evenly spread), with how many more there were
TALKERS_KEPT = 256  # viewers counted per bot (Space-Saving: exact up to this many)
TALKERS_SHOWN = 5


class BotTally:
    """What one bot did: latency, waits, tokens, backlog, its send window, its messages,
    who mentioned it, and a sample of what it said."""

    def __init__(self, grid: Grid, window: float) -> None:
        self.latency = Quantiles()
        self.waited = 0.0
        self.wait_recorded = False
        self.tokens = [0, 0]
        self.tokens_recorded = False
        self.waiting = 0  # jobs of this bot waiting in the current run
        self.backlog = StepMax(grid)
        self.queued_ever = False
        self.window = SendWindow(window, grid)
        self.messages = 0
        self.talkers: TopCounts[str] = TopCounts(TALKERS_KEPT)
        self.said: EvenSample[Said] = EvenSample(SAID_SHOWN)

    def talker_list(self) -> list[Talker]:
        """Who mentioned it most; when more viewers did than are counted, only those
        surely seen more than once (else nobody stood out)."""
        top = self.talkers.top(TALKERS_SHOWN)
        if not self.talkers.exact:
            top = [(user, lines) for user, lines in top if lines > 1]
        return [Talker(user, lines) for user, lines in top]
