"""A drill's faults in the terminal report: what each cost, then every mention lost,
ending with the line that counts them ("lost: N mentions")."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from botdeck.core.text import clean_text
from botdeck.report.model import FaultCost, Faults, LostMention


def fault_table(faults: Faults) -> Table:
    """One row per fault: when, what, how long, and what it cost."""
    after = faults.delayed_after
    delayed = f"> {after:g}s" if after is not None else "delayed"
    table = Table(
        title="faults, and what each cost (at: from the start of the journal)",
        title_justify="left",
        box=None,
    )
    table.add_column("at", no_wrap=True)
    table.add_column("fault")
    for name in ("for", "mentions", delayed, "lost", "dropped", "LLM wasted", "worst"):
        table.add_column(name, justify="right", no_wrap=True)
    for fault in faults.faults:
        table.add_row(*_row(fault), style="red" if fault.lost else None)
    return table


def _row(fault: FaultCost) -> list[Text]:
    lasted = "-" if fault.until is None else _clock(max(0.0, fault.until - fault.ts))
    what = _plain(fault.detail or fault.kind)
    return [
        Text(_clock(fault.at)),
        Text(what),
        Text(lasted),
        Text(f"{fault.mentions:,}"),
        Text("-" if fault.delayed is None else f"{fault.delayed:,}"),
        Text(f"{fault.lost_count:,}"),
        Text(f"{fault.dropped:,}"),
        Text(f"{fault.wasted:,}"),
        Text("-" if fault.worst is None else _seconds(fault.worst)),
    ]


def lost_reasons(faults: Faults) -> Text:
    """Why each fault's lost mentions were lost ("ai_down at 1:00: failed: ... 3")."""
    text = Text()
    for fault in faults.faults:
        for why, count in fault.lost.items():
            text.append(
                f"\n  {_plain(fault.kind)} at {_clock(fault.at)}: {count:,} {_plain(why)}",
                style="red",
            )
    return text


def lost_lines(faults: Faults) -> list[RenderableType]:
    """Every lost mention listed (up to the tally's bound), then the count: the report of
    a drill ends with this line."""
    parts: list[RenderableType] = []
    if faults.listed:
        text = Text("mentions lost", style="bold")
        for lost in faults.listed:
            text.append("\n  ")
            text.append(lost_line(lost, faults))
        more = faults.lost - len(faults.listed)
        if more > 0:
            text.append(f"\n  and {more:,} more (--json lists the first {len(faults.listed)})")
        parts.append(text)
    noun = "mention" if faults.lost == 1 else "mentions"
    parts.append(Text(f"lost: {faults.lost:,} {noun}", style="bold red" if faults.lost else "bold"))
    return parts


def lost_line(lost: LostMention, faults: Faults) -> str:
    """ "3:12 pixelsage to ann: what game? (failed: ai_unavailable; met ai_down at 1:00)"."""
    met = ", ".join(
        f"{_plain(faults.faults[n].kind)} at {_clock(faults.faults[n].at)}"
        for n in lost.faults
        if n < len(faults.faults)
    )
    who = _plain(lost.bot)
    if lost.line is not None:
        made_up = " (made up)" if lost.synthetic else ""
        who += f" to {_plain(lost.user)}{made_up}: {_plain(lost.line)}"
    why = _plain(lost.reason) + (f"; met {met}" if met else "")
    return f"{_clock(lost.at)} {who} ({why})"


def _plain(value: object) -> str:
    return clean_text(str(value), max_chars=200)


def _seconds(value: float) -> str:
    return f"{value:.2f}s" if value < 10 else f"{value:,.1f}s"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
