"""Reply shaping: what every responder's text becomes before safety and sending."""

from __future__ import annotations

import pytest

from botdeck.ai.shaping import EmptyReplyError, shape_reply, strip_markup


def shape(text: str, address: str | None = "viewer", max_chars: int = 450) -> str:
    return shape_reply(text, bot="alpha_bot", address=address, max_chars=max_chars)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("[bold]hi[/bold] there", "hi there"),
        ("[red on white]alert[/] ok", "alert ok"),
        ("[link=https://example.com]click[/link] me", "click me"),
        ("[bright_cyan]x[/bright_cyan] [#ff0000]y[/] [grey50]z[/]", "x y z"),
        ("**very** good `code`", "very good code"),
        ("[sic] and [citation needed] and [1]", "[sic] and [citation needed] and [1]"),
        ("a * b * c and snake_case__names", "a * b * c and snake_case__names"),
    ],
)
def test_markup_is_removed_but_bracketed_words_stay(raw, plain):
    assert strip_markup(raw) == plain


def test_escapes_newlines_and_invisible_characters_become_one_plain_line():
    raw = "\x1b[31mHello\x1b[0m\nworld\u200b\u200b [bold]now[/bold]\r\n!\x07"
    assert shape(raw) == "@viewer Hello world now !"


def test_the_bots_own_name_echo_and_wrapping_quotes_are_stripped():
    assert shape('"alpha_bot: arr matey"', address=None) == "arr matey"
    assert shape("[alpha_bot] says: arr", address=None) == "arr"


def test_a_reply_never_reads_as_a_chat_command():
    assert shape("/ban everyone", address=None) == "ban everyone"


def test_a_long_reply_is_cut_at_a_sentence_or_word_boundary():
    sentence = "The run was clean and the splits were gold. "
    text = shape(sentence * 40, address=None)
    assert len(text) <= 450 and text.endswith("gold.")
    words = shape("word " * 200, address=None, max_chars=100)
    assert len(words) <= 100 and words.endswith("word…")


def test_nothing_left_is_an_error():
    with pytest.raises(EmptyReplyError):
        shape("  [bold][/bold] \u200b ")
