"""`botdeck report`: how a run went, from its journal alone (no Textual, no engine).

`build_report` reads the journal (`reader`), tallies it in one pass (`tally`) into plain
data (`model`); `render` draws it with Rich or turns it into JSON, `html` as a page. Its
memory does not grow with the journal: see `tally`.
"""

from __future__ import annotations

from pathlib import Path

from botdeck.report.model import Report
from botdeck.report.reader import ReadNotes, ReportError, read_events
from botdeck.report.render import render_report, report_json
from botdeck.report.tally import Tally

__all__ = ["Report", "ReportError", "build_report", "render_report", "report_json"]


def build_report(
    path: Path,
    *,
    offset: int = 0,
    title: str | None = None,
    ack_target: float | None = None,
    delayed_after: float | None = None,
) -> Report:
    """The report on the journal at `path`, from byte `offset` on (a run appended to it);
    `title` names what it reports on (default: the journal's path). With `ack_target`,
    answered mentions later than it are counted (the page draws that line); a drill's
    faults count the mentions they delayed past `delayed_after` (default: `ack_target`)."""
    notes = ReadNotes()
    tally = Tally(title or str(path), ack_target=ack_target, delayed_after=delayed_after)
    for event in read_events(path, notes, offset=offset):
        tally.add(event)
    return tally.report(notes.summary())
