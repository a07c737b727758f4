"""The report for people (Rich tables and text sparklines) and for programs (`--json`).

Everything shown from the journal (bot names, reasons) is untrusted text: it is cleaned
and rendered as plain `Text`, never as markup.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from botdeck.core.text import clean_text
from botdeck.report.model import BotReport, Latency, Report, Said, Timeline, Unsent
from botdeck.report.render_faults import fault_table, lost_lines, lost_reasons

BARS = "▁▂▃▄▅▆▇█"
SAID_LISTED = 3  # replies per bot in the terminal (the page and JSON have more)
UNSENT_LISTED = 2  # replies per reason not sent


def report_json(report: Report) -> dict[str, Any]:
    """Every figure of the report as JSON-ready data (stable keys; seconds and counts).
    Strict JSON: a number that is not finite (none should be) becomes null."""
    data = dataclasses.asdict(report)
    data["duration"] = round(report.duration, 3)
    if report.timeline is not None:
        data["timeline"]["replies_per_minute"] = [
            round(rate, 3) for rate in report.timeline.replies_per_minute
        ]
    finite: dict[str, Any] = _finite(data)
    return finite


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def render_report(report: Report, console: Console) -> None:
    console.print(Group(*_sections(report)))


def _sections(report: Report) -> list[RenderableType]:
    parts: list[RenderableType] = [_heading(report), Text()]
    parts += [_mentions(report), Text()]
    parts += [_latency_table(report), Text()]
    parts += [_backlog(report), Text()]
    timeline = report.timeline
    if (
        timeline is not None
        and len(timeline.replies) > 1
        and any(timeline.backlog + timeline.replies)
    ):
        parts += [_chart(timeline, gap_marks(report)), Text()]
    parts += [_send_wait(report), Text()]
    if report.faults is not None:
        parts += [fault_table(report.faults), lost_reasons(report.faults), Text()]
    if report.bots:
        parts += [_bots(report), Text()]
    parts += [_outcomes(report), Text()]
    if report.unsent:
        parts += [_unsent(report), Text()]
    if report.console.reviewed or report.console.typed:
        parts += [_console(report), Text()]
    if report.channel.any:
        parts += [_channel(report), Text()]
    if report.counts:
        parts += [_counts(report), Text()]
    parts.append(_tokens(report))
    if report.notes:
        parts += [Text(), Text("notes", style="bold")]
        parts += [Text(f"  {_plain(note)}", style="yellow") for note in report.notes]
    if report.estimates:
        parts += [Text(), Text("estimated", style="bold")]
        parts += [Text(f"  {note}", style="dim") for note in report.estimates]
    if report.faults is not None:  # a drill's report ends with the mentions it lost
        parts += [Text(), *lost_lines(report.faults)]
    return parts


def _heading(report: Report) -> Text:
    text = Text("botdeck report: ", style="bold")
    text.append(_plain(report.journal))
    if report.channels:
        text.append(f" ({channels(report)})")
    if report.start is None:
        return text
    text.append(
        f"\n{_when(report.start)} → {_when(report.end or report.start)} ({_clock(report.duration)})"
    )
    if report.runs > 1:
        text.append(f", {report.runs} runs appended in this journal")
    if report.final_state:
        text.append(", ended ")
        text.append(_plain(report.final_state))
    text.append(f"\n{chat_lines(report)}, {report.jobs:,} replies planned")
    if report.share.share is not None:
        text.append(f"\n{share_line(report)}")
    return text


def chat_lines(report: Report) -> str:
    """ "1,200 chat lines (1,000 from viewers, 150 from bots, 50 made up by the rehearsal)"."""
    made_up = report.synthetic.lines
    extra = f", {made_up:,} made up by the rehearsal" if made_up else ""
    return (
        f"{report.chat_lines:,} chat lines ({report.viewer_lines:,} from viewers, "
        f"{report.bot_lines:,} from bots{extra})"
    )


def share_line(report: Report) -> str:
    """The bots' share of chat: "the bots wrote 8.1% of chat (random and bot-to-bot
    replies 2.0%): 120 of 1,480 lines"."""
    share = report.share
    return (
        f"the bots wrote {share.share or 0.0:.1%} of chat (random and bot-to-bot replies "
        f"{share.random_share or 0.0:.1%}): {share.messages:,} of {share.lines:,} lines"
    )


def _mentions(report: Report) -> Text:
    mentions = report.mentions
    text = Text("mentions ", style="bold")
    if not mentions.jobs:
        text.append("none in this journal")
        return text
    share = mentions.share or 0.0
    text.append(f"{mentions.jobs:,} (in {mentions.lines:,} lines), answered {mentions.answered:,} ")
    text.append(f"({share:.1%})", style="green" if mentions.answered == mentions.jobs else "red")
    if mentions.merged:
        text.append(f", {mentions.merged:,} of them by a merged reply (raid mode)")
    synthetic = report.synthetic
    if synthetic.mentions:
        text.append(
            f"\n  {synthetic.mentions:,} of them on lines the rehearsal made up "
            f"({synthetic.answered:,} answered)"
        )
    for why, count in mentions.unanswered.items():
        text.append(f"\n  not answered: {count:,} {_plain(why)}", style="red")
    return text


def _bots(report: Report) -> Text:
    text = Text("what each bot said", style="bold")
    for name, bot in report.bots.items():
        text.append(f"\n  {_plain(name)}: ", style="bold")
        text.append(bot_line(bot))
        for said in bot.said[:SAID_LISTED]:
            text.append(f"\n    {moment(said.at, said.ts)}  ", style="dim")
            text.append(said_line(said))
        more = bot.messages - min(SAID_LISTED, len(bot.said))
        if more > 0:
            text.append(f"\n    and {more:,} more (--html shows them)", style="dim")
    return text


def bot_line(bot: BotReport) -> str:
    """ "12 messages (4.0% of chat); mentioned most by ann 5, bob 3"."""
    said = f"{bot.messages:,} messages"
    if bot.share is not None:
        said += f" ({bot.share:.1%} of chat)"
    if bot.talkers:
        near = "" if bot.talkers_exact else "at least "
        names = ", ".join(f"{_plain(t.user)} {near}{t.lines:,}" for t in bot.talkers)
        said += f"; mentioned most by {names}"
    elif not bot.talkers_exact:
        said += "; mentioned by many viewers, none more than once for sure"
    return said


def said_line(said: Said) -> str:
    """A reply after the line it answered: "ann: what game? → @ann Celeste"."""
    reply = _plain(said.text)
    if said.line is None:
        return reply
    made_up = " (made up)" if said.synthetic else ""
    return f"{_plain(said.user)}{made_up}: {_plain(said.line)} → {reply}"


def unsent_line(unsent: Unsent) -> str:
    """The line a reply was not sent to: "pixelsage for ann: what game?"."""
    if unsent.line is None:
        return f"{_plain(unsent.bot)} (no line in the journal)"
    made_up = " (made up)" if unsent.synthetic else ""
    return f"{_plain(unsent.bot)} to {_plain(unsent.user)}{made_up}: {_plain(unsent.line)}"


def _unsent(report: Report) -> Text:
    text = Text("replies not sent, by reason", style="bold")
    for group in report.unsent:
        text.append(f"\n  {_plain(group.reason)}: {group.count:,}", style="red")
        for unsent in group.shown[:UNSENT_LISTED]:
            text.append(f"\n    {moment(unsent.at, unsent.ts)}  ", style="dim")
            text.append(unsent_line(unsent))
    return text


def _latency_table(report: Report) -> RenderableType:
    if not report.latency_by_priority:
        return Text.assemble(("latency ", "bold"), "no replies sent")
    table = Table(title="latency, chat line to reply", title_justify="left", box=None)
    table.add_column("", no_wrap=True)
    for name in ("replies", "p50", "p95", "max"):
        table.add_column(name, justify="right")
    rows: list[tuple[str, Latency]] = list(report.latency_by_priority.items())
    for label, latency in rows:
        table.add_row(*_latency_row(f"{label} priority", latency))
    for bot, latency in report.latency_by_bot.items():
        table.add_row(*_latency_row(bot, latency), style="dim" if not latency.count else None)
    return table


def _latency_row(label: str, latency: Latency) -> list[Text]:
    return [
        Text(_plain(label)),
        Text(f"{latency.count:,}"),
        Text(_seconds(latency.p50)),
        Text(_seconds(latency.p95)),
        Text(_seconds(latency.max)),
    ]


def _backlog(report: Report) -> Text:
    peak = report.backlog_peak
    text = Text("peak backlog ", style="bold")
    if not peak.size or peak.ts is None:
        text.append("0: no reply ever waited for a free slot")
        return text
    text.append(f"{peak.size:,} waiting, at {_clock(peak.offset or 0.0)} ({_when(peak.ts)})")
    return text


def gap_marks(report: Report) -> Text | None:
    """A row under the sparklines marking the columns where chat was not read."""
    timeline = report.timeline
    if timeline is None or not report.gaps.spans:
        return None
    columns = len(timeline.replies)
    marks = [" "] * columns
    for start, end in report.gaps.spans:
        first = min(columns - 1, int(start // timeline.bucket))
        last = min(columns - 1, int(end // timeline.bucket))
        for column in range(first, last + 1):
            marks[column] = "▀"
    return Text("".join(marks), style="red")


def _chart(timeline: Timeline, gaps: Text | None = None) -> Table:
    table = Table(
        title=f"over time, one column = {_span(timeline.bucket)}",
        title_justify="left",
        box=None,
        show_header=False,
    )
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    rates = timeline.replies_per_minute
    table.add_row("backlog", sparkline(timeline.backlog), f"peak {max(timeline.backlog):,}")
    table.add_row("replies/min", sparkline(rates), f"peak {max(rates):,.0f}")
    if gaps is not None:
        table.add_row("not read", gaps, "mentions may be missed")
    table.add_row("", _axis(len(timeline.replies), timeline.bucket), "")
    return table


def sparkline(values: Sequence[float]) -> Text:
    """One character per value scaled to the largest; an exact zero is a blank."""
    top = max(values, default=0)
    chars = []
    for value in values:
        if value <= 0 or top <= 0:
            chars.append(" ")
        else:
            level = math.ceil(value * len(BARS) / top) - 1
            chars.append(BARS[min(len(BARS) - 1, max(0, level))])
    return Text("".join(chars), style="cyan")


def _axis(columns: int, bucket: float) -> Text:
    start, end = "0:00", _clock(columns * bucket)
    gap = max(1, columns - len(start) - len(end))
    return Text(start + " " * gap + end, style="dim")


def _send_wait(report: Report) -> Text:
    wait = report.send_wait
    text = Text("send limit ", style="bold")
    if not wait.recorded:
        text.append("not recorded (no send limiter ran, or an older journal)")
        return text
    if not wait.replies:
        text.append("no reply waited for its bot's send window")
        return text
    text.append(
        f"{wait.replies:,} replies waited {_seconds(wait.total)} in all, "
        f"the longest {_seconds(wait.max)}"
    )
    for bot, seconds in wait.by_bot.items():
        if seconds:
            text.append(f"\n  {_plain(bot)}: {_seconds(seconds)}")
    return text


def _outcomes(report: Report) -> Text:
    counts = report.outcomes
    text = Text("outcomes ", style="bold")
    text.append(", ".join(f"{kind} {count:,}" for kind, count in counts.items() if count) or "none")
    if counts.get("open"):
        text.append("\n  open: no outcome in the journal (the run was cut short?)", style="yellow")
    for kind, reasons in report.reasons.items():
        for reason, count in reasons.items():
            text.append(f"\n  {kind}: {count:,} {_plain(reason)}", style="red")
    return text


def _console(report: Report) -> Text:
    console = report.console
    text = Text("console ", style="bold")
    said = []
    if console.reviewed:
        verdicts = ", ".join(f"{_plain(v)} {n:,}" for v, n in console.verdicts.items())
        review = f"reviewed {console.reviewed:,} ({verdicts}"
        if console.by_timeout:
            review += f"; {console.by_timeout:,} decided by the timeout"
        if console.on_quit:
            review += f"; {console.on_quit:,} decided on quitting"
        said.append(review + ")")
    if console.typed:
        said.append(f"{console.typed:,} typed as a bot")
    text.append(", ".join(said))
    return text


def channels(report: Report) -> str:
    """Whose chat the journal's runs answered ("#channel"), from their `run` lines."""
    named = ", ".join(f"#{_plain(channel)}" for channel in report.channels)
    return f"channel{'s' if len(report.channels) > 1 else ''} {named}"


def channel_lines(report: Report) -> list[str]:
    """The channel's events, the reactions and the channel-point questions, in words."""
    channel = report.channel
    events = ", ".join(f"{_plain(kind)} {n:,}" for kind, n in channel.events.items())
    lines = [f"events: {events or 'none'}"]
    if channel.tests:
        lines[0] += f" (and {channel.tests:,} test event{'s' * (channel.tests != 1)})"
    if channel.reactions:
        lines.append(f"reactions: {channel.reactions:,}, sent {channel.reacted:,}")
    if channel.fulfilled or channel.refunded:
        lines.append(
            f"channel-point questions: fulfilled {channel.fulfilled:,},"
            f" refunded {channel.refunded:,}"
        )
    return lines


def _channel(report: Report) -> Text:
    text = Text("channel", style="bold")
    for line in channel_lines(report):
        text.append(f"\n  {line}")
    return text


def counted(report: Report) -> list[str]:
    """One line per event the report counts by a field: "moderation: delete 3, clear 1"."""
    return [
        f"{_plain(kind)}: " + ", ".join(f"{_plain(value)} {n:,}" for value, n in values.items())
        for kind, values in report.counts.items()
    ]


def _counts(report: Report) -> Text:
    text = Text("events", style="bold")
    for line in counted(report):
        text.append(f"\n  {line}")
    return text


def _tokens(report: Report) -> Text:
    tokens = report.tokens
    text = Text("tokens ", style="bold")
    if not tokens.recorded:
        text.append("none recorded (offline replies cost none)")
        return text
    text.append(f"in {tokens.total.tokens_in:,}, out {tokens.total.tokens_out:,}")
    for bot, count in tokens.by_bot.items():
        text.append(f"\n  {_plain(bot)}: in {count.tokens_in:,}, out {count.tokens_out:,}")
    return text


# ------------------------------------------------------------------ formatting
def _plain(value: object) -> str:
    return clean_text(str(value), max_chars=200)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}s" if value < 10 else f"{value:,.1f}s"


def _clock(seconds: float) -> str:
    """Elapsed time as m:ss or h:mm:ss; under a second as seconds."""
    if 0 < seconds < 1:
        return f"{seconds:.2f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def _span(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min" if seconds < 3600 else f"{seconds / 3600:g} h"


def moment(at: float, ts: float) -> str:
    """A time as its offset into the run (the stream, or a rehearsal's log) and the clock:
    "3:03 (22:50:13)"."""
    return f"{_clock(at)} ({_time_of_day(ts)})"


def _time_of_day(ts: float) -> str:
    try:
        return time.strftime("%H:%M:%S", time.localtime(ts))
    except (OverflowError, OSError, ValueError):
        return f"t={ts:g}"


def _when(ts: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
    except (OverflowError, OSError, ValueError):  # no date this platform can show
        return f"t={ts:g}"
