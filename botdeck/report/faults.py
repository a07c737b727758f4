"""What each fault a drill injected cost, and which mentions were lost, from the journal.

A drill journals each fault as it begins (`fault`: `kind`, `ts`, `until` where it
lasts), before the jobs it meets end. A job meets a fault when its life, from its chat
line to its outcome, overlaps the fault's time (an instant fault: its moment); each job
that ends is set against the faults seen so far, so this is one pass in file order like
the rest of the tally. Per fault: mention jobs met, answered later than the ack target
(`delayed`), lost and why, messages the platform dropped (`dropped` on outcomes), AI
requests no message came of (`ai_wasted`), and the worst latency of a mention met.

A mention is lost when its job ended without a reply (or never ended), unless the
moderators removed its line or its viewer (`deleted_by_moderator`, `user_removed`) or a
rule said it was not this bot's to answer (`audience`): those were meant to go
unanswered. A mention taken over after a restart (`resumed`) is not lost; the job that
took it over decides. Faults are kept up to `FAULTS_KEPT`, lost mentions listed up to
`LOST_SHOWN` (all are counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botdeck.model.journal import FaultLine, Reason
from botdeck.report.lines import TEXT_KEPT, OpenJob, cut
from botdeck.report.model import FaultCost, Faults, LostMention

FAULTS_KEPT = 256
LOST_SHOWN = 200
NOT_LOST = frozenset({Reason.DELETED_BY_MODERATOR, Reason.USER_REMOVED, Reason.AUDIENCE})
DETAIL_KEPT = 200


@dataclass(slots=True)
class _Fault:
    kind: str
    detail: str | None
    at: float
    ts: float
    until: float | None
    mentions: int = 0
    delayed: int = 0
    lost: dict[str, int] = field(default_factory=dict)
    dropped: int = 0
    wasted: int = 0
    worst: float | None = None

    def meets(self, start: float, end: float) -> bool:
        return start <= (self.until if self.until is not None else self.ts) and self.ts <= end


@dataclass(frozen=True, slots=True)
class Ended:
    """A job's end as the fault tally needs it."""

    start: float  # its chat line's time (else its outcome's)
    end: float
    mention: bool
    answered: bool
    reason: str | None  # "failed: ai_unavailable" when not answered
    withdrawn: bool  # moderators removed its line or viewer, or a rule refused it
    latency: float | None = None
    dropped: int = 0
    wasted: int = 0


class FaultTally:
    """Feed `fault` lines and every job's end in file order; `faults()` at the end."""

    def __init__(self, ack_target: float | None) -> None:
        self._ack_target = ack_target
        self._faults: list[_Fault] = []
        self._more = 0
        self._lost = 0
        self._listed: list[LostMention] = []

    @property
    def any(self) -> bool:
        return bool(self._faults) or bool(self._more)

    def fault(self, line: FaultLine, run_start: float) -> None:
        if len(self._faults) >= FAULTS_KEPT:
            self._more += 1
            return
        detail = line.get("detail")
        self._faults.append(
            _Fault(
                cut(line["kind"], DETAIL_KEPT),
                None if detail is None else cut(detail, DETAIL_KEPT),
                round(line["ts"] - run_start, 3),
                line["ts"],
                line.get("until"),
            )
        )

    def ended(self, ended: Ended, job: OpenJob, at: float) -> None:
        """A job ended (`at`: its offset in its run), or was left open at the end."""
        met = [
            number
            for number, fault in enumerate(self._faults)
            if fault.meets(ended.start, ended.end)
        ]
        lost = ended.mention and not ended.answered and not ended.withdrawn
        for number in met:
            fault = self._faults[number]
            fault.dropped += ended.dropped
            fault.wasted += ended.wasted
            if not ended.mention:
                continue
            fault.mentions += 1
            if ended.latency is not None:
                fault.worst = max(fault.worst or 0.0, ended.latency)
                target = self._ack_target
                fault.delayed += target is not None and ended.latency > target
            if lost:
                why = ended.reason or "(no reason)"
                fault.lost[why] = fault.lost.get(why, 0) + 1
        if not lost:
            return
        self._lost += 1
        if len(self._listed) < LOST_SHOWN:
            seen = job.line
            self._listed.append(
                LostMention(
                    at,
                    ended.end,
                    job.bot,
                    ended.reason or "(no reason)",
                    seen.user if seen else None,
                    cut(seen.text, TEXT_KEPT) if seen else None,
                    bool(seen and seen.synthetic),
                    met,
                )
            )

    def faults(self) -> Faults:
        return Faults(
            [
                FaultCost(
                    f.kind,
                    f.detail,
                    f.at,
                    f.ts,
                    f.until,
                    f.mentions,
                    f.delayed if self._ack_target is not None else None,
                    dict(f.lost),
                    f.dropped,
                    f.wasted,
                    None if f.worst is None else round(f.worst, 3),
                )
                for f in self._faults
            ],
            self._lost,
            self._listed,
            self._ack_target,
            self._more,
        )
