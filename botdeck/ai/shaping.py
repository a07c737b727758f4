"""Reply shaping: the one place every reply passes through before it may be sent.

A reply leaves here as a single clean line, without the bot's own name echoed in front,
addressed to the viewer for mention replies, never starting like a chat command, and at
most `max_chars` long, cut at a sentence or word boundary rather than dropped. Markup a
model may produce (Rich style tags, Markdown emphasis) is removed: Twitch shows it raw.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from botdeck.core.text import clean_text, cut_to_length
from botdeck.model.defaults import TWITCH_MAX_CHARS

_QUOTES = {'"': '"', "'": "'", "“": "”", "«": "»"}

# Rich markup: [bold], [red on white], [/], [/bold], [link=...]. Only tags made entirely
# of style words are removed, so "[sic]" or "[citation needed]" stay as written.
_TAG = re.compile(r"\[/?([^\[\]\n]{0,80})\]")
_STYLE_WORDS = frozenset(
    """
    b bold d dim i italic u underline uu underline2 s strike blink blink2 r reverse
    c conceal o overline frame encircle not on default none reset link
    black red green yellow blue magenta cyan white grey gray purple orange pink
    """.split()  # noqa: SIM905 - a word list reads best as words
)
_STYLE_TOKEN = re.compile(
    r"(?:bright_)?[a-z]+\d*|#[0-9a-f]{3}(?:[0-9a-f]{3})?|color\(\d{1,3}\)"
    r"|rgb\(\d{1,3},\d{1,3},\d{1,3}\)|(?:link|@\w+)=\S*",
    re.IGNORECASE,
)
_MARKDOWN = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|`([^`\n]+)`")


class EmptyReplyError(ValueError):
    pass


def shape_reply(text: str, *, bot: str, address: str | Sequence[str] | None, max_chars: int) -> str:
    """Shape a raw reply; raises EmptyReplyError when nothing sendable is left.

    `address` is the viewer a mention reply answers, or several viewers for one reply
    that answers them all: then every name leads the line and only the text is cut.
    """
    if not 1 <= max_chars <= TWITCH_MAX_CHARS:
        raise ValueError(f"max_chars must be within 1..{TWITCH_MAX_CHARS}, got {max_chars}")
    line = clean_text(text, max_chars=TWITCH_MAX_CHARS * 8)
    line = strip_markup(line)
    line = _strip_wrapping_quotes(line)
    line = _strip_name_echo(line, bot)
    line = line.lstrip("/. ").strip()  # never let a reply read as a chat command
    if not line:
        raise EmptyReplyError("empty reply")
    if address is not None and not isinstance(address, str):
        return address_many(line, address, max_chars)
    if address and not re.search(rf"@{re.escape(address)}(?![\w])", line, re.IGNORECASE):
        line = f"@{address} {line}"
    return cut_to_length(line, max_chars)


MIN_TEXT_CHARS = 20  # what a reply to several viewers keeps for its words at least


def names_length(names: Sequence[str]) -> int:
    """Characters the "@a @b " prefix of a reply to these viewers takes."""
    return sum(len(name) + 2 for name in names)


def address_many(line: str, names: Sequence[str], max_chars: int) -> str:
    """ "@a @b @c text": all names first (never cut), the text cut to what is left."""
    unique = list(dict.fromkeys(names))
    room = max_chars - names_length(unique)
    if room < MIN_TEXT_CHARS:
        raise ValueError(f"{len(unique)} names leave {room} characters for the reply")
    line = re.sub(r"^(?:@\w+[,:]?\s+)+", "", line).strip() or line  # drop names it led with
    prefix = " ".join(f"@{name}" for name in unique)
    return f"{prefix} {cut_to_length(line, room - 1)}"


def strip_markup(line: str) -> str:
    """Rich style tags and Markdown bold/code markers out, their text kept; spaces tidied."""
    line = _TAG.sub(lambda m: "" if _is_style_tag(m.group(0), m.group(1)) else m.group(0), line)
    line = _MARKDOWN.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(3), line)
    return re.sub(r"\s{2,}", " ", line).strip()


def _is_style_tag(tag: str, content: str) -> bool:
    words = content.split()
    if not words:
        return tag == "[/]"
    return all(_is_style_word(word) for word in words)


def _is_style_word(word: str) -> bool:
    lowered = word.lower()
    if lowered.startswith(("link=", "@")) or lowered.startswith(("#", "color(", "rgb(")):
        return bool(_STYLE_TOKEN.fullmatch(word))
    base = lowered.removeprefix("bright_")
    return base in _STYLE_WORDS or (base.startswith(("grey", "gray")) and base[4:].isdigit())


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
