"""What a chat line is made of: words of text, emote-only, one word repeated, and the
fingerprints near-same lines share."""

from __future__ import annotations

import pytest

from botdeck.core.line_traits import read_line

CHANNEL = frozenset({"forsenParty", "EDM", "KEKW", "Kappa"})


@pytest.mark.parametrize(
    ("text", "marked", "emote_only"),
    [
        ("forsenParty EDM forsenParty EDM", (), True),  # known by name only
        ("Kappa", (), True),
        ("@somebody KEKW !!", (), True),  # @names and punctuation are not text
        ("PogChamp PogChamp", ("PogChamp",), True),  # marked by the platform
        ("PogChamp PogChamp", (), False),  # unknown here: words
        ("kappa", (), False),  # emotes are case-sensitive
        ("Kappa what a play", (), False),
        ("!!!", (), False),  # nothing at all is no emote wall
    ],
)
def test_emote_only(text, marked, emote_only):
    assert read_line(text, marked, CHANNEL).emote_only is emote_only


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("what game is this?", 4),
        ("gg", 1),
        ("@friend check https://example.com/x now", 2),  # not the @name, not the link
        ("Kappa Kappa nice one", 2),
        ("<3 <3 ??", 0),
        ("这个游戏叫什么名字", 4),  # written without spaces: a word is a couple of characters
    ],
)
def test_words_of_text(text, words):
    assert read_line(text, (), CHANNEL).words == words


@pytest.mark.parametrize(
    ("text", "repeated"),
    [
        ("LUL LUL LUL", True),
        ("W W W W W", True),
        ("forsenParty EDM forsenParty EDM forsenParty EDM", True),
        ("lul LUL Lul and more", True),  # case does not hide it
        ("no no no I don't think so", False),
        ("ha ha", False),
    ],
)
def test_one_word_over_and_over(text, repeated):
    assert read_line(text).repeated is repeated


PASTA = (
    "I am a tank. I am a tank of a man. Nothing can pierce my armor except the sweet embrace"
    " of this chat and its endless supply of terrible puns"
)


def shares_a_print(a: str, b: str) -> bool:
    return bool(set(read_line(a, (), CHANNEL).prints) & set(read_line(b, (), CHANNEL).prints))


def test_a_paste_and_its_variations_share_a_fingerprint():
    assert shares_a_print(PASTA, PASTA.upper())
    assert shares_a_print(PASTA, PASTA + " KEKW")  # an emote added
    assert shares_a_print(PASTA, PASTA.replace("sweet ", ""))  # a word dropped
    assert shares_a_print(PASTA, PASTA.replace("!", "").replace(".", "!!"))
    assert shares_a_print("gg", "GG")  # short lines: only the same


def test_different_lines_do_not():
    others = (
        "what game is this and how long have you been playing it tonight",
        "the lore in this game goes really deep, watch the ending cutscene",
        "I would have died there for sure, that boss design is wild honestly",
    )
    for line in others:
        assert not shares_a_print(PASTA, line)
    assert not shares_a_print(others[0], others[1])
    assert not shares_a_print("gg", "gg wp")


def test_fingerprints_do_not_change_between_runs():
    """CRC-32, not Python's per-process hash: a seeded rehearsal decides the same way."""
    assert read_line("gg").prints == (3098745700,)
