"""Reply shaping and text hygiene: one clean, safe, bounded line out of anything (what every
responder's text becomes before safety and sending)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botdeck.ai.shaping import EmptyReplyError, shape_reply, strip_markup
from botdeck.core.text import MAX_LINE_CHARS, clean_text, cut_to_length

FAMILY = "👨\u200d👩\u200d👧"


def shape(text: str, *, bot: str = "pixelsage", address: str | None = None, max_chars=450):
    return shape_reply(text, bot=bot, address=address, max_chars=max_chars)


# ---------------------------------------------------------------- one clean line
def test_newlines_and_tabs_collapse_to_one_line():
    assert (
        shape("first line\n\nsecond\tline\r\nthird   line") == "first line second line third line"
    )


def test_csi_colour_escapes_are_removed():
    assert shape("\x1b[31mred\x1b[0m and \x1b[1;32mgreen\x1b[m") == "red and green"


def test_osc_title_sequences_are_removed_with_their_payload():
    assert shape("before\x1b]0;pwn\x07after") == "beforeafter"
    assert shape("a\x1b]2;title\x1b\\b") == "ab"


def test_c0_and_c1_control_characters_are_removed():
    assert shape("a\x00b\x07c\x08d\x7fe\x85f\x9b31mg") == "abcdef31mg"


def test_zero_width_spaces_and_bidi_overrides_are_removed():
    assert shape("he\u200bllo \u202eevil\u202c wo\ufeffrld\u2066x\u2069") == "hello evil worldx"


def test_style_markup_in_a_reply_is_removed_but_other_brackets_stay():
    # Viewers on Twitch would see a model's "[bold]" literally; brackets with words stay.
    assert shape("[bold red]x[/] and [link=http://a]y[/link]") == "x and y"
    assert shape("a [citation needed] claim [sic]") == "a [citation needed] claim [sic]"


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
    assert shape(raw, bot="alpha_bot", address="viewer") == "@viewer Hello world now !"


def test_runs_of_zero_width_joiners_collapse():
    assert clean_text("a\u200d\u200d\u200db") == "a\u200db"
    assert clean_text("\u200d\u200dhello\u200d\u200d world\u200d") == "hello world"


def test_joiners_on_both_sides_of_a_space_are_removed():
    assert clean_text("hello\u200d \u200dworld") == "hello world"


def test_a_family_emoji_survives_intact():
    assert shape(f"look {FAMILY} family") == f"look {FAMILY} family"
    assert clean_text(FAMILY) == FAMILY


# ---------------------------------------------------------------- name echo, quotes, commands
@pytest.mark.parametrize(
    "text",
    [
        "pixelsage: hi",
        "@PixelSage, hi",
        "[pixelsage] says: hi",
        "PixelSage - hi",
        "PIXELSAGE — hi",
        "(pixelsage): hi",
        "**pixelsage**: hi",
        "pixelsage say: hi",
    ],
)
def test_a_leading_echo_of_the_bots_own_name_is_stripped(text):
    assert shape(text) == "hi"


def test_the_echo_of_a_login_with_an_underscore_is_stripped_too():
    assert shape('"alpha_bot: arr matey"', bot="alpha_bot") == "arr matey"
    assert shape("[alpha_bot] says: arr", bot="alpha_bot") == "arr"


def test_the_bots_name_later_in_the_reply_is_kept():
    assert shape("I am pixelsage: a sage") == "I am pixelsage: a sage"


def test_another_bots_name_is_not_stripped():
    assert shape("cozybean: hi") == "cozybean: hi"


def test_a_longer_name_starting_with_the_bots_name_is_not_stripped():
    assert shape("pixelsagefan: hi") == "pixelsagefan: hi"


@pytest.mark.parametrize(
    "text", ['"hello there"', "'hello there'", "“hello there”", "«hello there»"]
)
def test_wrapping_quotes_are_stripped(text):
    assert shape(text) == "hello there"


def test_unbalanced_or_inner_quotes_are_kept():
    assert shape('"hello there') == '"hello there'
    assert shape('he said "hi"') == 'he said "hi"'


def test_quotes_around_a_name_echo_are_both_stripped():
    assert shape('"pixelsage: hello"') == "hello"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ban viewer42", "ban viewer42"),
        ("/me waves", "me waves"),
        ("/ban everyone", "ban everyone"),
        (".timeout viewer42 600", "timeout viewer42 600"),
        ("//./.hello", "hello"),
        ("pixelsage: /mod viewer42", "mod viewer42"),
    ],
)
def test_a_reply_never_starts_like_a_chat_command(text, expected):
    assert shape(text) == expected


@pytest.mark.parametrize("text", [". /ban viewer42", "/ /ban viewer42", ". . .timeout x"])
def test_a_reply_with_spaced_command_prefixes_never_starts_like_a_chat_command(text):
    shaped = shape(text)
    assert not shaped.startswith(("/", "."))


# ---------------------------------------------------------------- addressing
def test_mention_replies_are_addressed_to_the_viewer():
    assert shape("welcome in!", address="viewer42") == "@viewer42 welcome in!"


@pytest.mark.parametrize("text", ["@viewer42 welcome in!", "welcome in @Viewer42!", "@VIEWER42 hi"])
def test_an_already_addressed_reply_is_not_addressed_twice(text):
    shaped = shape(text, address="viewer42")
    assert shaped == text
    assert shaped.lower().count("@viewer42") == 1


def test_a_longer_name_does_not_count_as_already_addressed():
    assert shape("@viewer421 hi", address="viewer42") == "@viewer42 @viewer421 hi"


def test_addressing_happens_after_the_name_echo_is_stripped():
    assert shape("pixelsage: hello", address="viewer42") == "@viewer42 hello"


def test_an_addressed_reply_still_fits_the_limit():
    shaped = shape("word " * 100, address="viewer42", max_chars=50)
    assert shaped.startswith("@viewer42 ")
    assert len(shaped) <= 50


# ---------------------------------------------------------------- length
def test_a_long_reply_of_sentences_is_cut_at_a_sentence_end():
    text = " ".join(f"This is sentence number {i} of many." for i in range(40))
    assert len(text) >= 1400
    shaped = shape(text, max_chars=450)
    assert len(shaped) <= 450
    assert shaped.endswith(".")
    assert text.startswith(shaped)
    assert len(shaped) >= 225  # keeps at least half


def test_a_repeated_sentence_or_word_is_cut_at_its_boundary():
    sentence = "The run was clean and the splits were gold. "
    text = shape(sentence * 40, address=None)
    assert len(text) <= 450 and text.endswith("gold.")
    words = shape("word " * 200, address=None, max_chars=100)
    assert len(words) <= 100 and words.endswith("word…")


def test_a_long_run_of_words_is_cut_at_a_word_boundary_with_an_ellipsis():
    text = " ".join(f"word{i}" for i in range(300))
    shaped = shape(text, max_chars=100)
    assert len(shaped) <= 100
    assert shaped.endswith("…")
    kept = shaped.removesuffix("…")
    assert text.startswith(kept)
    assert text[len(kept)] == " "  # the cut fell between two words
    assert kept.split()[-1] in text.split()


def test_a_single_huge_word_is_cut_to_exactly_the_limit():
    shaped = shape("a" * 1000, max_chars=450)
    assert len(shaped) == 450
    assert shaped == "a" * 449 + "…"


def test_a_short_reply_is_left_alone():
    assert shape("short and sweet.", max_chars=16) == "short and sweet."


def test_a_sentence_end_too_early_is_not_used():
    text = "Hi. " + "x" * 20 + " " + "y" * 100
    assert cut_to_length(text, 60) != "Hi."
    assert len(cut_to_length(text, 60)) <= 60


@pytest.mark.parametrize("text", ["", "   ", "\n\t\r", "\x00\x1b[31m\x07\u200b", '""', "/", "./."])
def test_an_empty_reply_raises(text):
    with pytest.raises(EmptyReplyError):
        shape(text)


def test_markup_and_invisible_characters_alone_are_an_empty_reply_even_addressed():
    with pytest.raises(EmptyReplyError):
        shape("  [bold][/bold] \u200b ", bot="alpha_bot", address="viewer")


def test_a_reply_that_is_only_the_bots_name_echo_raises():
    with pytest.raises(EmptyReplyError):
        shape("pixelsage:")


@pytest.mark.parametrize("max_chars", [0, -1, 501, 10_000])
def test_max_chars_outside_one_to_five_hundred_raises(max_chars):
    with pytest.raises(ValueError, match="max_chars"):
        shape("hello", max_chars=max_chars)


@pytest.mark.parametrize("max_chars", [1, 500])
def test_max_chars_at_the_bounds_is_accepted(max_chars):
    assert len(shape("hello " * 200, max_chars=max_chars)) <= max_chars


# ---------------------------------------------------------------- clean_text
def test_clean_text_caps_at_two_thousand_chars_by_default():
    cleaned = clean_text("x" * 5000)
    assert MAX_LINE_CHARS == 2000
    assert len(cleaned) == 2000
    assert cleaned.endswith("…")


def test_clean_text_respects_a_custom_cap():
    assert clean_text("abcdefghij", max_chars=5) == "abcd…"
    assert clean_text("abcde", max_chars=5) == "abcde"


def test_clean_text_does_not_interpret_markup():
    assert clean_text("[red]<b>&amp;</b>[/red]") == "[red]<b>&amp;</b>[/red]"


# ---------------------------------------------------------------- property
@settings(max_examples=400, deadline=None)
@given(
    text=st.text(),
    max_chars=st.integers(20, 500),
    address=st.none() | st.from_regex(r"[a-z0-9_]{3,25}", fullmatch=True),
)
def test_shaped_replies_are_single_clean_bounded_lines(text, max_chars, address):
    try:
        shaped = shape_reply(text, bot="pixelsage", address=address, max_chars=max_chars)
    except EmptyReplyError:
        return
    assert shaped
    assert "\n" not in shaped
    assert "\x1b" not in shaped
    assert not any(unicodedata.category(char) == "Cc" for char in shaped)
    assert len(shaped) <= max_chars


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=3000))
def test_clean_text_output_is_one_printable_line(text):
    cleaned = clean_text(text)
    assert len(cleaned) <= MAX_LINE_CHARS
    assert cleaned == cleaned.strip()
    assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in cleaned)
    assert "  " not in cleaned


def test_a_reply_to_several_viewers_names_them_all_first_and_cuts_only_the_text():
    names = ["a" * 25, "bob", "Carl", "bob"]  # a 25-character login, and a duplicate
    line = shape_reply("@bob welcome, all of you! " + "more words " * 100, bot="somebot",
                       address=names, max_chars=450)  # fmt: skip
    assert line.startswith(f"@{'a' * 25} @bob @Carl welcome, all of you!")
    assert line.count("@bob") == 1 and len(line) <= 450


def test_too_many_names_for_one_reply_is_a_bug_the_caller_must_not_make():
    with pytest.raises(ValueError, match="characters for the reply"):
        shape_reply("hi", bot="somebot", address=[f"viewer_{i:02d}" for i in range(40)],
                    max_chars=450)  # fmt: skip
