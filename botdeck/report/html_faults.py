"""A drill's faults on the report's page: a band over each chart for each fault, a table
of what each cost, and every mention lost, ending with the line that counts them."""

from __future__ import annotations

import html
from dataclasses import dataclass

from botdeck.report.model import Report
from botdeck.report.render import _clock, _plain, _seconds
from botdeck.report.render_faults import lost_line

CSS = """
rect.fault{fill:#f59e0b;fill-opacity:.16;stroke:#f59e0b;stroke-opacity:.5}
text.fault{fill:#b45309}
.lost{color:#dc2626;font-weight:600}
"""


@dataclass(frozen=True, slots=True)
class Band:
    """A fault's time on a chart: seconds from the journal's first event."""

    start: float
    end: float
    label: str


def fault_bands(report: Report) -> tuple[Band, ...]:
    """Every fault as a band (an instant one ends where it begins)."""
    if report.faults is None:
        return ()
    return tuple(
        Band(
            fault.at,
            fault.at + (max(0.0, fault.until - fault.ts) if fault.until is not None else 0.0),
            _plain(fault.kind),
        )
        for fault in report.faults.faults
    )


def faults_section(report: Report) -> str:
    faults = report.faults
    if faults is None:
        return ""
    after = faults.delayed_after
    delayed = f"later than {after:g} s" if after is not None else "delayed"
    head = (
        "<tr><th>at</th><th>fault</th><th>for</th><th>mentions</th>"
        f"<th>{html.escape(delayed)}</th><th>lost</th><th>dropped by Twitch</th>"
        "<th>LLM calls wasted</th><th>worst latency</th></tr>"
    )
    rows = []
    for fault in faults.faults:
        lasted = "-" if fault.until is None else _clock(max(0.0, fault.until - fault.ts))
        cells = [
            _clock(fault.at),
            html.escape(_plain(fault.detail or fault.kind)),
            lasted,
            f"{fault.mentions:,}",
            "-" if fault.delayed is None else f"{fault.delayed:,}",
            f"{fault.lost_count:,}",
            f"{fault.dropped:,}",
            f"{fault.wasted:,}",
            "-" if fault.worst is None else _seconds(fault.worst),
        ]
        style = " class=lost" if fault.lost else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    whys = "".join(
        f"<p class='note warn'>{html.escape(_plain(fault.kind))} at {_clock(fault.at)}: "
        f"{count:,} {html.escape(_plain(why))}</p>"
        for fault in faults.faults
        for why, count in fault.lost.items()
    )
    note = (
        "<p class=note>each fault's costs are counted over the jobs whose life (their chat "
        "line to their outcome) it met; the bands on the charts are the faults</p>"
    )
    more = faults.more_faults
    extra = f"<p class=note>and {more:,} more faults, not tallied</p>" if more else ""
    return (
        "<h2>Faults, and what each cost</h2>" + note
        + f"<table>{head}{''.join(rows)}</table>" + whys + extra
    )  # fmt: skip


def lost_section(report: Report) -> str:
    faults = report.faults
    if faults is None:
        return ""
    items = "".join(
        f"<p class=note>{html.escape(lost_line(lost, faults))}</p>" for lost in faults.listed
    )
    more = faults.lost - len(faults.listed)
    if more > 0:
        items += f"<p class=note>and {more:,} more</p>"
    noun = "mention" if faults.lost == 1 else "mentions"
    style = " class=lost" if faults.lost else ""
    return f"<h2>Mentions lost</h2>{items}<p{style}>lost: {faults.lost:,} {noun}</p>"
