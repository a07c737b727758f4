"""Chat lines are plain text; only the highlighter colours them, by a fixed-column marker."""

from __future__ import annotations

from rich.text import Text

from botdeck.core.jobs import Job
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Outcome, Priority
from botdeck.tui.chatlines import (
    BOT_COLOURS,
    ChatHighlighter,
    cancelled_line,
    chat_line,
    outcome_line,
    state_line,
)

BOTS = ("alpha_bot", "beta_bot")


def styles_at(text: Text, index: int) -> list[str]:
    return [str(span.style) for span in text.spans if span.start <= index < span.end]


def test_viewer_and_bot_lines_have_their_markers_at_the_same_column():
    viewer = chat_line(ChatMessage("1", "bob", "hi @alpha_bot", 0, display_name="Bob"))
    bot = chat_line(ChatMessage("2", "alpha_bot", "@Bob hello", 0, is_bot=True, depth=1))
    assert viewer[9] == "·" and viewer[11:].startswith("Bob: hi @alpha_bot")
    assert bot[9] == "➤" and bot[11:].startswith("alpha_bot: @Bob hello")


def test_long_lines_are_cut_for_display():
    line = chat_line(ChatMessage("1", "bob", "y" * 5000, 0))
    assert len(line) < 550 and line.endswith("…")
    assert len(chat_line(ChatMessage("1", "bob", "y" * 500, 0))) < 550  # Twitch's longest: whole
    whole = chat_line(ChatMessage("1", "bob", "y" * 5000, 0), whole=True)
    assert whole.endswith("y" * 5000)


def test_a_viewer_cannot_fake_a_bot_line_or_markup():
    highlighter = ChatHighlighter(BOTS)
    faked = chat_line(ChatMessage("1", "mallory", "➤ alpha_bot: [bold]owned[/bold]", 0))
    text = Text(faked)
    highlighter.highlight(text)
    assert text.plain == faked  # nothing interpreted, nothing removed
    colour = BOT_COLOURS[0]
    name_at = faked.index("alpha_bot")
    assert any(colour in style for style in styles_at(text, name_at))  # a mention, underlined
    assert all("underline" in style for style in styles_at(text, name_at) if colour in style)
    assert not any(colour in style for style in styles_at(text, faked.index("[bold]")))


def test_bot_lines_are_in_the_bots_colour_and_mentions_stand_out():
    highlighter = ChatHighlighter(BOTS)
    line = chat_line(ChatMessage("2", "beta_bot", "hey @alpha_bot", 0, is_bot=True, depth=1))
    text = Text(line)
    highlighter.highlight(text)
    assert any(BOT_COLOURS[1] in s for s in styles_at(text, line.index("beta_bot")))
    assert any(
        BOT_COLOURS[0] in s and "underline" in s for s in styles_at(text, line.index("@alpha"))
    )


def test_failures_skips_cancellations_and_states():
    job = Job(1, "alpha_bot", Priority.HIGH, 0.0, None)
    job.outcome, job.reason = Outcome.FAILED, "model unavailable"
    assert outcome_line(job, 0).endswith("✗ alpha_bot failed: model unavailable")
    job.outcome, job.reason = Outcome.SKIPPED, "blocked"
    assert outcome_line(job, 0).endswith("⊘ alpha_bot skipped: blocked")
    job.outcome = Outcome.SENT
    assert outcome_line(job, 0) is None
    assert cancelled_line(3, "stopped", 0).endswith("⊘ 3 replies cancelled: stopped")
    assert state_line("draining", 0).endswith("─ router draining")
