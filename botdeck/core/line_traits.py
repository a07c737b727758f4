"""What a chat line is made of, for deciding whether a random reply fits it: its words of
text, whether it is only emotes, whether it is one word over and over, and fingerprints
that two near-same lines share (copypasta pasted with a word changed or an emote added).

Pure and deterministic: the fingerprints use CRC-32, not Python's per-process `hash`, so
a seeded rehearsal decides the same way every time.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_WORD_CHARS = re.compile(r"\w+")
_RUNS = re.compile(r"(.)\1{2,}")
_LETTER = re.compile(r"[^\W\d_]")
# Han, kana and the like: scripts written without spaces, where a "word" is a few characters.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MAX_WORDS = 80  # a line's first words decide; a 500-character wall says nothing more after
MIN_NEAR_WORDS = 5  # lines with fewer telling words are copypasta only when the same
# Near-sameness is judged on telling words only: short and everyday words are in half of
# all lines, and would make unrelated lines look alike.
_EVERYDAY_WORDS = (
    "that", "this", "with", "have", "what", "your", "just", "like", "they", "there",
    "about", "would", "chat", "when", "will", "from", "been", "were", "them", "then",
    "than", "some", "much", "very", "really", "know", "think", "going", "want", "good",
    "yeah",
)  # fmt: skip
_EVERYDAY = frozenset(_EVERYDAY_WORDS)
_HASHES = 8  # min-hashes per line, in bands of two: lines ~80% alike share a band
_BAND = 2


@dataclass(frozen=True, slots=True)
class LineTraits:
    """One line, read once."""

    words: int  # words of text: not emotes, not @names, not links, not bare punctuation
    emote_only: bool  # at least one emote, and nothing else but @names and punctuation
    repeated: bool  # mostly one word over and over ("LUL LUL LUL", "W W W W")
    prints: tuple[int, ...]  # the exact fingerprint first, then near-same ones (if long)


def read_line(
    text: str, emotes: Collection[str] = (), channel_emotes: Collection[str] = ()
) -> LineTraits:
    """The traits of `text`. `emotes`: names the platform marked in this line; both they
    and `channel_emotes` (names the streamer listed, 7TV and the like) are case-sensitive,
    as Twitch's are."""
    tokens = text.split()[:MAX_WORDS]
    words = 0
    emote_count = 0
    other = 0  # tokens that are neither emotes nor @names nor punctuation
    content: list[str] = []
    for token in tokens:
        if token in emotes or token in channel_emotes:
            emote_count += 1
            continue
        if token[0] == "@" or (("/" in token or "www." in token) and _URL.match(token)):
            continue
        if token.isascii() and token.isalpha():  # the common case, quickly
            other += 1
            words += 1
            content.append(token.lower())
            continue
        parts = _WORD_CHARS.findall(token.casefold())
        if not parts or not (_LETTER.search(token) or token.strip(".,!?%:;").isdigit()):
            continue  # "?", "!!!", "<3", ":)": not words (an emoji is not a word either)
        other += 1
        unspaced = 0 if token.isascii() else len(_UNSPACED.findall(token))
        words += max(1, unspaced // 2) if unspaced else 1
        content.extend(parts)
    if content:  # "loooool" and "lool" are one word to a copypasta
        content = _RUNS.sub(r"\1\1", " ".join(content)).split()
    return LineTraits(
        words=words,
        emote_only=emote_count > 0 and other == 0,
        repeated=_repeated(tokens),
        prints=_prints(content) if content else _prints([t.casefold() for t in tokens]),
    )


def _repeated(tokens: list[str]) -> bool:
    """The commonest token is at least half of them and said three times or more."""
    if len(tokens) < 3:
        return False
    _, most = Counter(token.casefold() for token in tokens).most_common(1)[0]
    return most >= 3 and most * 2 >= len(tokens)


def _hash(word: str, seed: int = 0) -> int:
    return zlib.crc32(word.encode("utf-8", "surrogatepass"), seed)


def _prints(words: list[str]) -> tuple[int, ...]:
    """The whole line's words in order (exact), then for a long line one print per band
    of min-hashes over its set of words: a line with a word changed, added or moved
    shares most bands with the original."""
    exact = _hash(" ".join(words))
    distinct = {word for word in words if len(word) > 3 and word not in _EVERYDAY}
    if len(distinct) < MIN_NEAR_WORDS:
        return (exact,)
    mins = [min(_hash(word, seed) for word in distinct) for seed in range(1, _HASHES + 1)]
    bands = tuple(
        _hash(f"{band}:{mins[band * _BAND]}:{mins[band * _BAND + 1]}", 0xB0)
        for band in range(_HASHES // _BAND)
    )
    return (exact, *bands)
