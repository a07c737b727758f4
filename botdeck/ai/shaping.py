"""Reply shaping: the one place every reply passes through before it may be sent.

A reply leaves here as a single clean line, without the bot's own name echoed in front,
addressed to the viewer for mention replies, never starting like a chat command, and at
most `max_chars` long, cut at a sentence or word boundary rather than dropped.
"""

from __future__ import annotations

import re

from botdeck.core.text import clean_text

TWITCH_MAX_CHARS = 500
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
_QUOTES = {'"': '"', "'": "'", "“": "”", "«": "»"}


class EmptyReplyError(ValueError):
    pass


def shape_reply(text: str, *, bot: str, address: str | None, max_chars: int) -> str:
    """Shape a raw reply; raises EmptyReplyError when nothing sendable is left."""
    if not 1 <= max_chars <= TWITCH_MAX_CHARS:
        raise ValueError(f"max_chars must be within 1..{TWITCH_MAX_CHARS}, got {max_chars}")
    line = clean_text(text, max_chars=TWITCH_MAX_CHARS * 8)
    line = _strip_wrapping_quotes(line)
    line = _strip_name_echo(line, bot)
    line = line.lstrip("/. ").strip()  # never let a reply read as a chat command
    if not line:
        raise EmptyReplyError("empty reply")
    if address and not re.search(rf"@{re.escape(address)}(?![\w])", line, re.IGNORECASE):
        line = f"@{address} {line}"
    return cut_to_length(line, max_chars)


def cut_to_length(text: str, limit: int) -> str:
    """Cut at the last sentence end that keeps at least half, else at a word, with '…'."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    ends = [match.end() for match in _SENTENCE_END.finditer(window)]
    if ends and ends[-1] >= limit // 2:
        return window[: ends[-1]]
    space = window[: limit - 1].rfind(" ")
    if space >= limit // 2:
        return window[:space].rstrip(" ,;:-–—") + "…"
    return window[: limit - 1] + "…"


def _strip_wrapping_quotes(line: str) -> str:
    if len(line) >= 2 and _QUOTES.get(line[0]) == line[-1]:
        return line[1:-1].strip()
    return line


def _strip_name_echo(line: str, bot: str) -> str:
    """Models like to start with "botname:" or "[botname] says:"; viewers see that as a bug."""
    name = re.escape(bot)
    echo = re.compile(
        rf"^\s*[\[(<*]*@?{name}[\])>*]*\s*(?:says?\s*)?[:：,>\-–—]+\s*", re.IGNORECASE
    )
    return echo.sub("", line, count=1)
