"""`botdeck report --html FILE`: the report as one page to keep or share after a stream.

One self-contained file: inline CSS and inline SVG charts, no script, no font, no link to
fetch, so it opens the same offline, from a chat attachment, years later. It shows the
terminal report's figures and four charts: each bot's backlog, mention latency against
`ack_target`, each bot's messages in Twitch's send window against its limit (the figures
of `model.defaults.TWITCH_SEND_LIMITS`), and replies per minute.

Everything from the journal (bot names, reasons, notes) is untrusted text: it is cleaned
like chat and HTML-escaped, never markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from botdeck.model.defaults import TWITCH_SEND_LIMITS
from botdeck.report.html_faults import CSS as FAULTS_CSS
from botdeck.report.html_faults import Band, fault_bands, faults_section, lost_section
from botdeck.report.html_said import CSS as SAID_CSS
from botdeck.report.html_said import said_section, unsent_section
from botdeck.report.model import Latency, Report
from botdeck.report.reader import ReportError
from botdeck.report.render import (
    _clock,
    _plain,
    _seconds,
    _span,
    _when,
    channel_lines,
    channels,
    chat_lines,
    counted,
    share_line,
)
from botdeck.storage.files import FileRefused, write_atomic

PALETTE = ("#7c3aed", "#0891b2", "#ea580c", "#16a34a", "#db2777", "#2563eb", "#ca8a04", "#4d7c0f")
WIDTH, HEIGHT = 760, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 30


def write_html(
    report: Report, path: Path, *, ack_target: float, inputs: Iterable[Path] = ()
) -> None:
    """Write the page whole (`files.write_atomic`: never over a device, a FIFO or one of
    `inputs`, the journal it reports on); a refusal is a ReportError naming the file."""
    page = report_html(report, ack_target=ack_target)
    try:
        write_atomic(path, page, inputs=inputs, what="report page", folders=False)
    except FileRefused as error:
        raise ReportError(f"--html: {error}") from None


def report_html(report: Report, *, ack_target: float) -> str:
    colours = _bot_colours(report)
    sections = [
        _heading(report),
        _figures(report, ack_target),
        _backlog_chart(report, colours),
        _latency_chart(report, colours, ack_target),
        _window_chart(report, colours),
        _replies_chart(report),
        _share_chart(report),
        faults_section(report),
        _latency_table(report),
        said_section(report, colours),
        _outcomes(report),
        unsent_section(report),
        _channel(report),
        _counts(report),
        _notes(report),
        lost_section(report),  # a drill's page ends with the mentions it lost
    ]
    title = _text(f"botdeck report: {report.journal}")
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{title}</title><style>{CSS}{SAID_CSS}{FAULTS_CSS}</style></head>\n<body><main>\n"
        + "\n".join(section for section in sections if section)
        + "\n</main></body></html>\n"
    )


CSS = """
body{margin:0;background:#fff;color:#1f2328;font:15px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:820px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}
.sub{color:#59636e;margin:0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:16px}
.card{border:1px solid #d1d9e0;border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:22px}.card span{color:#59636e;font-size:13px}
.good b{color:#16a34a}.bad b{color:#dc2626}
svg{width:100%;height:auto;display:block;background:#fafbfc;border-radius:6px}
svg text{font:11px system-ui,sans-serif;fill:#59636e}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:6px 0;font-size:13px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;
vertical-align:-1px}
table{border-collapse:collapse;margin-top:6px}td,th{padding:3px 12px 3px 0;text-align:right}
td:first-child,th:first-child{text-align:left}th{color:#59636e;font-weight:600}
.note{color:#59636e;font-size:13px;margin:4px 0}.warn{color:#b45309}
"""


# ------------------------------------------------------------------ text
def _text(value: object) -> str:
    return html.escape(_plain(value))


def _heading(report: Report) -> str:
    lines = [f"<h1>botdeck report</h1><p class=sub>{_text(report.journal)}</p>"]
    if report.channels:
        lines.append(f"<p class=sub>{html.escape(channels(report))}</p>")
    if report.start is not None:
        end = report.end or report.start
        when = f"{_when(report.start)} → {_when(end)} ({_clock(report.duration)})"
        if report.runs > 1:
            when += f", {report.runs} runs appended in this journal"
        if report.final_state:
            when += f", ended {_plain(report.final_state)}"
        lines.append(f"<p class=sub>{html.escape(when)}</p>")
        lines.append(
            f"<p class=sub>{html.escape(chat_lines(report))}, {report.jobs:,} replies planned</p>"
        )
        if report.share.share is not None:
            lines.append(f"<p class=sub>{html.escape(share_line(report))}</p>")
    return "\n".join(lines)


def _card(value: str, label: str, kind: str = "") -> str:
    return f"<div class='card {kind}'><b>{html.escape(value)}</b><span>{label}</span></div>"


def _figures(report: Report, ack_target: float) -> str:
    mentions = report.mentions
    cards = []
    if mentions.jobs:
        share = mentions.share or 0.0
        kind = "good" if mentions.answered == mentions.jobs else "bad"
        cards.append(_card(f"{share:.1%}", f"of {mentions.jobs:,} mentions answered", kind))
    else:
        cards.append(_card("0", "mentions"))
    high = report.latency_by_priority.get("high")
    if high is not None and high.p95 is not None:
        kind = "good" if high.p95 <= ack_target else "bad"
        cards.append(
            _card(_seconds(high.p95), f"mention latency p95 (target {ack_target:g} s)", kind)
        )
    cards.append(_card(f"{report.outcomes.get('sent', 0):,}", "replies sent"))
    peak = report.backlog_peak
    at = f" at {_clock(peak.offset or 0.0)}" if peak.size else ""
    cards.append(_card(f"{peak.size:,}", f"peak backlog{at}"))
    wait = report.send_wait
    if wait.recorded:
        cards.append(_card(_seconds(wait.total), f"waited for send limits ({wait.replies:,})"))
    if report.tokens.recorded:
        total = report.tokens.total
        cards.append(_card(f"{total.tokens_in + total.tokens_out:,}", "tokens in + out"))
    if report.share.share is not None:
        cards.append(_card(f"{report.share.share:.1%}", "of chat lines from the bots"))
    lines = [f"<div class=cards>{''.join(cards)}</div>"]
    synthetic = report.synthetic
    if synthetic.mentions:
        lines.append(
            f"<p class=note>{synthetic.mentions:,} mentions on lines the rehearsal made up "
            f"({synthetic.answered:,} answered)</p>"
        )
    for why, count in mentions.unanswered.items():
        lines.append(f"<p class='note warn'>not answered: {count:,} {_text(why)}</p>")
    if mentions.merged:
        lines.append(
            f"<p class=note>{mentions.merged:,} mentions answered by a merged reply (raid mode)</p>"
        )
    return "\n".join(lines)


def _latency_table(report: Report) -> str:
    if not report.latency_by_priority:
        return "<h2>Latency</h2><p class=note>no replies sent</p>"
    rows = [("priority " + name, latency) for name, latency in report.latency_by_priority.items()]
    rows += list(report.latency_by_bot.items())
    body = "".join(_latency_row(label, latency) for label, latency in rows)
    head = "<tr><th></th><th>replies</th><th>p50</th><th>p95</th><th>max</th></tr>"
    return f"<h2>Latency, chat line to reply</h2><table>{head}{body}</table>"


def _latency_row(label: str, latency: Latency) -> str:
    cells = [
        f"{latency.count:,}",
        _seconds(latency.p50),
        _seconds(latency.p95),
        _seconds(latency.max),
    ]
    return f"<tr><td>{_text(label)}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _outcomes(report: Report) -> str:
    counts = ", ".join(f"{kind} {count:,}" for kind, count in report.outcomes.items() if count)
    lines = [f"<h2>Outcomes</h2><p>{counts or 'none'}</p>"]
    for kind, reasons in report.reasons.items():
        for reason, count in reasons.items():
            lines.append(f"<p class='note warn'>{kind}: {count:,} {_text(reason)}</p>")
    wait = report.send_wait
    if wait.recorded and wait.replies:
        per_bot = ", ".join(f"{_text(bot)} {_seconds(s)}" for bot, s in wait.by_bot.items() if s)
        lines.append(
            f"<p class=note>waited for the send window: {per_bot}; the longest "
            f"{_seconds(wait.max)}</p>"
        )
    if report.tokens.recorded:
        per_bot = ", ".join(
            f"{_text(bot)} in {c.tokens_in:,} out {c.tokens_out:,}"
            for bot, c in report.tokens.by_bot.items()
        )
        lines.append(f"<p class=note>tokens: {per_bot}</p>")
    return "\n".join(lines)


def _channel(report: Report) -> str:
    if not report.channel.any:
        return ""
    lines = "".join(f"<p>{html.escape(line)}</p>" for line in channel_lines(report))
    return "<h2>Channel</h2>" + lines


def _counts(report: Report) -> str:
    if not report.counts:
        return ""
    return "<h2>Events</h2>" + "".join(f"<p>{html.escape(line)}</p>" for line in counted(report))


def _notes(report: Report) -> str:
    if not report.notes and not report.estimates:
        return ""
    notes = "".join(f"<p class='note warn'>{_text(n)}</p>" for n in report.notes)
    estimates = "".join(f"<p class=note>estimated: {_text(n)}</p>" for n in report.estimates)
    return "<h2>Notes</h2>" + notes + estimates


# ------------------------------------------------------------------ charts
@dataclass(slots=True)
class Chart:
    """An SVG plot area from 0 to `x_max` seconds and 0 to `y_max`, with its axes."""

    x_max: float
    y_max: float
    label: str  # what the chart shows, for screen readers
    bands: Sequence[Band] = ()  # a drill's faults, drawn behind the data
    parts: list[str] = field(default_factory=list)

    def x(self, seconds: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * min(max(seconds / self.x_max, 0.0), 1.0)

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * min(max(value / self.y_max, 0.0), 1.0)

    def steps(self, times: Sequence[float], values: Sequence[float], colour: str) -> None:
        """A step line: each value holds until the next time."""
        if not times:
            return
        path = [f"M{self.x(0):.1f},{self.y(0):.1f}", f"H{self.x(times[0]):.1f}"]
        for t, value in zip(times, values, strict=True):
            if t > self.x_max:
                break  # after the journal ends: the value holds to the edge
            path.append(f"H{self.x(t):.1f}V{self.y(value):.1f}")
        path.append(f"H{self.x(self.x_max):.1f}")
        self.parts.append(
            f"<path d='{''.join(path)}' fill=none stroke='{colour}' "
            "stroke-width=2 stroke-linejoin=round />"
        )

    def gaps(self, spans: Iterable[tuple[float, float]]) -> None:
        """Bands where chat was not read (behind what is drawn after): mentions there may
        have been missed."""
        for start, end in spans:
            left, right = self.x(start), self.x(end)
            self.parts.append(
                f"<rect class=gap x='{left:.1f}' y='{TOP}' width='{max(right - left, 2.0):.1f}'"
                f" height='{HEIGHT - TOP - BOTTOM}' fill='#fecaca' fill-opacity='0.6'>"
                f"<title>chat not read for {end - start:.0f} s: mentions may be missed</title>"
                "</rect>"
            )

    def dots(self, points: Iterable[tuple[float, float]], colour: str) -> None:
        self.parts.extend(
            f"<circle cx='{self.x(t):.1f}' cy='{self.y(v):.1f}' r=3 fill='{colour}' />"
            for t, v in points
        )

    def bars(self, width: float, values: Sequence[float], colour: str) -> None:
        for i, value in enumerate(values):
            if value <= 0:
                continue
            left, right = self.x(i * width), self.x((i + 1) * width)
            top = self.y(value)
            self.parts.append(
                f"<rect x='{left + 0.5:.1f}' y='{top:.1f}' width='{max(right - left - 1, 1):.1f}'"
                f" height='{self.y(0) - top:.1f}' fill='{colour}' />"
            )

    def level(self, value: float, text: str, colour: str) -> None:
        """A dashed horizontal line, labelled at its right end."""
        y = self.y(value)
        self.parts.append(
            f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y:.1f}' y2='{y:.1f}' stroke='{colour}'"
            f" stroke-dasharray='6 4' stroke-width=1.5 /><text x='{WIDTH - RIGHT - 4}' "
            f"y='{y - 4:.1f}' text-anchor=end style='fill:{colour}'>{html.escape(text)}</text>"
        )

    def _bands(self) -> list[str]:
        """Each fault as a shaded band over its time (an instant one: a thin line), named
        in its tooltip and, when there is room, at its top."""
        drawn = []
        for band in self.bands:
            left = self.x(band.start)
            right = max(self.x(band.end), left + 2.0)
            name = html.escape(band.label)
            drawn.append(
                f"<rect class=fault x='{left:.1f}' y='{TOP}' width='{right - left:.1f}' "
                f"height='{HEIGHT - TOP - BOTTOM}'><title>{name}</title></rect>"
            )
            if right - left >= 40:
                drawn.append(f"<text class=fault x='{left + 3:.1f}' y='{TOP + 10}'>{name}</text>")
        return drawn

    def svg(self, unit: str = "") -> str:
        axes = self._bands()
        for value in _ticks(self.y_max):
            y = self.y(value)
            axes.append(
                f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y:.1f}' y2='{y:.1f}' "
                "stroke='#e5e9ed' />"
            )
            axes.append(
                f"<text x='{LEFT - 6}' y='{y + 4:.1f}' text-anchor=end>{value:g}{unit}</text>"
            )
        for seconds in _ticks(self.x_max, count=6):
            label = _clock(seconds) if seconds else "0:00"
            axes.append(
                f"<text x='{self.x(seconds):.1f}' y='{HEIGHT - 10}' "
                f"text-anchor=middle>{label}</text>"
            )
        return (
            f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' xmlns='http://www.w3.org/2000/svg' role=img "
            f"aria-label='{html.escape(self.label)}'>" + "".join(axes + self.parts) + "</svg>"
        )


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round steps from 0 to `top` (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return [0.0]
    raw = top / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(top // step) + 1)]


def _nice_top(value: float) -> float:
    """The first round number at or above `value` (so the highest point touches a line)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= value)


def _bot_colours(report: Report) -> dict[str, str]:
    bots: set[str] = set(report.latency_by_bot) | set(report.send_windows) | set(report.bots)
    if report.timeline is not None:
        bots |= set(report.timeline.backlog_by_bot)
    return {bot: PALETTE[i % len(PALETTE)] for i, bot in enumerate(sorted(bots))}


def _legend(colours: dict[str, str], bots: Iterable[str]) -> str:
    items = "".join(f"<span><i style='background:{colours[b]}'></i>{_text(b)}</span>" for b in bots)
    return f"<div class=legend>{items}</div>"


def _span_of(report: Report) -> float:
    timeline = report.timeline
    if timeline is not None:
        return len(timeline.replies) * timeline.bucket
    return max(report.duration, 1.0)


def _backlog_chart(report: Report, colours: dict[str, str]) -> str:
    head = "<h2>Backlog per bot</h2>"
    timeline = report.timeline
    if timeline is None or not any(any(v) for v in timeline.backlog_by_bot.values()):
        return head + "<p class=note>no reply ever waited for a free slot</p>"
    top = max(max(values) for values in timeline.backlog_by_bot.values())
    chart = Chart(
        _span_of(report), _nice_top(top), "replies waiting per bot over time", fault_bands(report)
    )
    chart.gaps(report.gaps.spans)
    for bot, values in timeline.backlog_by_bot.items():
        times = [i * timeline.bucket for i in range(len(values))]
        chart.steps(times, values, colours[bot])
    note = (
        f"<p class=note>the most replies waiting for a free slot in each "
        f"{_span(timeline.bucket)}, per bot (the dashboard's size)</p>"
    )
    return head + note + chart.svg() + _legend(colours, timeline.backlog_by_bot)


def _latency_chart(report: Report, colours: dict[str, str], ack_target: float) -> str:
    head = "<h2>Mention latency</h2>"
    points = report.mention_latency
    if not points:
        return head + "<p class=note>no mention was answered</p>"
    top = _nice_top(max(max(p.latency for p in points), ack_target) * 1.1)
    chart = Chart(
        _span_of(report),
        top,
        "seconds from each mention to its reply, over time",
        fault_bands(report),
    )
    chart.gaps(report.gaps.spans)
    chart.level(ack_target, f"ack_target {ack_target:g} s", "#dc2626")
    bots = sorted({p.bot for p in points})
    for bot in bots:
        chart.dots(((p.at, p.latency) for p in points if p.bot == bot), colours[bot])
    high = report.latency_by_priority.get("high")
    answered = high.count if high is not None else len(points)
    if report.late is not None and report.late.target == ack_target:
        late = report.late.mentions
    else:  # counted on the dots (every mention's while there are few)
        late = sum(1 for p in points if p.latency > ack_target)
    every = len(points) == answered
    dots = (
        "each dot is an answered mention"
        if every
        else "each dot is a bot's slowest answered mention in its slice of the run"
    )
    note = (
        f"<p class=note>{dots}, placed when its reply was sent; "
        f"{late:,} of {answered:,} after ack_target</p>"
    )
    return head + note + chart.svg(" s") + _legend(colours, bots)


def _window_chart(report: Report, colours: dict[str, str]) -> str:
    window = report.window
    viewer, privileged_limit = TWITCH_SEND_LIMITS.viewer, TWITCH_SEND_LIMITS.privileged
    head = f"<h2>Messages in Twitch's {window:g} s window</h2>"
    if not report.send_windows:
        return head + "<p class=note>no reply was sent</p>"
    peak = max(w.peak for w in report.send_windows.values())
    privileged = peak > viewer
    top = _nice_top(max(peak, privileged_limit if privileged else viewer) * 1.1)
    chart = Chart(
        _span_of(report), top, f"each bot's messages in the last {window:g} s", fault_bands(report)
    )
    chart.gaps(report.gaps.spans)
    chart.level(viewer, f"viewer limit {viewer}", "#dc2626")
    if privileged:
        chart.level(privileged_limit, f"VIP / moderator limit {privileged_limit}", "#b45309")
    bucket = report.timeline.bucket if report.timeline is not None else report.window
    for bot, sends in report.send_windows.items():
        chart.steps([i * bucket for i in range(len(sends.most))], sends.most, colours[bot])
    peaks = ", ".join(
        f"{_text(bot)} {w.peak} at {_clock(w.peak_at or 0.0)}"
        for bot, w in report.send_windows.items()
    )
    note = (
        f"<p class=note>Twitch allows a viewer account {viewer} messages in any "
        f"{window:g} s and a VIP, moderator or the broadcaster {privileged_limit}; past that it "
        f"locks the account out of chat for 30 minutes. Peaks: {peaks}.</p>"
    )
    return head + note + chart.svg() + _legend(colours, report.send_windows)


def _replies_chart(report: Report) -> str:
    head = "<h2>Replies per minute</h2>"
    timeline = report.timeline
    if timeline is None or not any(timeline.replies):
        return head + "<p class=note>no reply was sent</p>"
    rates = timeline.replies_per_minute
    chart = Chart(
        _span_of(report),
        _nice_top(max(rates)),
        "replies sent per minute over time",
        fault_bands(report),
    )
    chart.gaps(report.gaps.spans)
    chart.bars(timeline.bucket, rates, PALETTE[0])
    note = (
        f"<p class=note>messages sent in each {_span(timeline.bucket)}, as a rate per "
        f"minute (a merged reply counts once); peak {max(rates):,.0f}</p>"
    )
    return head + note + chart.svg()


def _share_chart(report: Report) -> str:
    head = "<h2>The bots' share of chat</h2>"
    timeline = report.timeline
    if timeline is None or not any(timeline.replies):
        return ""
    shares = [
        100.0 * sent / (sent + said) if sent + said else 0.0
        for sent, said in zip(timeline.replies, timeline.chat, strict=True)
    ]
    chart = Chart(
        _span_of(report),
        _nice_top(max(shares)),
        "the bots' share of chat over time",
        fault_bands(report),
    )
    chart.gaps(report.gaps.spans)
    chart.bars(timeline.bucket, shares, PALETTE[1])
    note = (
        f"<p class=note>{html.escape(share_line(report))}. Each bar: the bots' messages in "
        f"{_span(timeline.bucket)} over all chat lines in it.</p>"
    )
    return head + note + chart.svg("%")
