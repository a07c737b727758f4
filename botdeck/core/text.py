"""Hygiene for untrusted text: chat lines from viewers and replies from models.

Nothing that reaches a terminal, a journal or Twitch may carry terminal escapes, control
characters or invisible formatting; and nothing is ever interpreted as markup (that is the
renderer's job: it must treat text as plain). This module only cleans.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LINE_CHARS = 2000  # Twitch caps a message at 500; anything far longer is abuse or a bug.
# How far into a line sources look for mentions before cutting it to MAX_LINE_CHARS: a
# replayed line of 400 emotes ending in "@bot" is 2,405 characters, and still a mention.
MAX_SCAN_CHARS = 64 * 1024

# CSI / OSC / other ESC sequences, then any remaining C0/C1 control character.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_WHITESPACE = re.compile(r"\s+")
_ZWJ = "\u200d"
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


def _is_invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Cs", "Co", "Cn") and char != _ZWJ


def clean_text(text: str, max_chars: int = MAX_LINE_CHARS) -> str:
    """One line of printable text: escapes and controls removed, whitespace collapsed.

    Zero-width joiners survive only singly between two visible characters, so emoji
    sequences such as family emoji keep working while runs of joiners disappear.
    """
    text = _ANSI.sub("", text[: max_chars * 4])
    kept: list[str] = []
    for char in text:
        if char in "\t\n\r\v\f":
            kept.append(" ")
        elif not _is_invisible(char):
            kept.append(char)
    text = _WHITESPACE.sub(" ", "".join(kept)).strip()
    if _ZWJ in text:
        text = re.sub(r"\u200d+", _ZWJ, text)
        text = re.sub(r"(?<!\S)\u200d|\u200d(?!\S)", "", text)
    return cut_text(text, max_chars)


def cut_text(text: str, max_chars: int = MAX_LINE_CHARS) -> str:
    """`text` within `max_chars`, ending in "…" where it was cut."""
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


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
