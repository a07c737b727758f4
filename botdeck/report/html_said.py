"""The page's reading sections: what each bot said, and the replies that were not sent.

Each bot's replies sit in a `<details>` of their own, so a reader opens the bots they
want and closes the rest: filtering by bot with no script. Each reply shows the line it
answered and when, as an offset into the run (the stream, or a rehearsal's log) beside
the clock. Both lists are bounded (`bots.SAID_SHOWN` replies per bot, `tally.UNSENT_SHOWN`
per reason, spread evenly over the run) and say how many more there were.

Everything here is journal text: cleaned like chat and HTML-escaped, never markup.
"""

from __future__ import annotations

import html

from botdeck.report.model import Report, Said, Unsent, UnsentGroup
from botdeck.report.render import _plain, bot_line, moment

CSS = """
details{border:1px solid #d1d9e0;border-radius:8px;margin:8px 0;padding:6px 12px}
summary{cursor:pointer}summary i{display:inline-block;width:12px;height:12px;
border-radius:3px;margin-right:6px;vertical-align:-1px}
ol.said{list-style:none;padding:0;margin:8px 0}ol.said li{margin:0 0 8px}
ol.said time{color:#59636e;font-size:13px;margin-right:6px;white-space:nowrap}
.line{color:#59636e}.reply{display:block;margin-left:14px}
.made{font-size:12px;background:#fef3c7;color:#92400e;border-radius:4px;padding:0 4px}
"""


def _text(value: object) -> str:
    return html.escape(_plain(value))


def said_section(report: Report, colours: dict[str, str]) -> str:
    head = "<h2>What each bot said</h2>"
    if not report.bots:
        return head + "<p class=note>no bot sent a reply</p>"
    note = (
        "<p class=note>Open a bot to read its replies, each under the line it answered. "
        "Times are offsets into the run (from its first line; in a rehearsal, the first "
        "line of the log played) and the clock.</p>"
    )
    blocks = []
    for name, bot in report.bots.items():
        swatch = f"<i style='background:{colours.get(name, '#59636e')}'></i>"
        summary = f"<summary>{swatch}<b>{_text(name)}</b> {html.escape(bot_line(bot))}</summary>"
        items = "".join(_said(said) for said in bot.said)
        more = bot.messages - len(bot.said)
        rest = (
            f"<p class=note>and {more:,} more, not shown (those shown are spread evenly "
            "over the run)</p>"
            if more > 0
            else ""
        )
        listed = f"<ol class=said>{items}</ol>" if items else ""
        blocks.append(f"<details>{summary}{listed}{rest}</details>")
    return head + note + "".join(blocks)


def _said(said: Said) -> str:
    when = f"<time>{html.escape(moment(said.at, said.ts))}</time>"
    reply = f"<span class=reply>→ {_text(said.text)}</span>"
    if said.line is None:
        return (
            f"<li>{when}<span class=line>(no line: typed, or not in the journal)</span>{reply}</li>"
        )
    made = " <span class=made>made up</span>" if said.synthetic else ""
    line = f"<span class=line><b>{_text(said.user)}</b>{made}: {_text(said.line)}</span>"
    return f"<li>{when}{line}{reply}</li>"


def unsent_section(report: Report) -> str:
    if not report.unsent:
        return ""
    head = "<h2>Replies not sent, by reason</h2>"
    note = (
        "<p class=note>Every reply that failed, was cancelled, skipped, blocked or "
        "rejected, grouped by why, with the line it was for (a held reply's text is never "
        "journaled).</p>"
    )
    return head + note + "".join(_group(group) for group in report.unsent)


def _group(group: UnsentGroup) -> str:
    summary = f"<summary><b>{_text(group.reason)}</b>: {group.count:,}</summary>"
    items = "".join(_unsent(unsent) for unsent in group.shown)
    more = group.count - len(group.shown)
    rest = f"<p class=note>and {more:,} more, not shown</p>" if more > 0 else ""
    return f"<details>{summary}<ol class=said>{items}</ol>{rest}</details>"


def _unsent(unsent: Unsent) -> str:
    when = f"<time>{html.escape(moment(unsent.at, unsent.ts))}</time>"
    bot = f"<b>{_text(unsent.bot)}</b> ({html.escape(unsent.priority)})"
    if unsent.line is None:
        return f"<li>{when}{bot} <span class=line>(its line is not in the journal)</span></li>"
    made = " <span class=made>made up</span>" if unsent.synthetic else ""
    line = f"<span class=line>{_text(unsent.user)}{made}: {_text(unsent.line)}</span>"
    return f"<li>{when}{bot} to {line}</li>"
