"""Chat lines are plain text; only the highlighter colours them, by a fixed-column marker."""

from __future__ import annotations

from rich.text import Text

from botdeck.core.jobs import Job
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Outcome, Priority, ReplyContext
from botdeck.tui.chatlines import (
    BOT_COLOURS,
    FOLD_SECONDS,
    ChatHighlighter,
    OutcomeFolds,
    chat_line,
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


def ended(bot: str, viewer: str, outcome: Outcome, reason: str, n: int = 0) -> Job:
    message = ChatMessage(f"m{n}", viewer, f"@{bot} hi", 0)
    job = Job(n, bot, Priority.HIGH, 0.0, ReplyContext(message, 1))
    job.outcome, job.reason = outcome, reason
    return job


def test_failures_skips_cancellations_and_states_name_whom_they_answered():
    folds = OutcomeFolds()
    failed = folds.add(ended("alpha_bot", "bob", Outcome.FAILED, "model unavailable"), 0)
    assert failed is not None and failed[1].endswith("✗ alpha_bot → bob failed: model unavailable")
    skipped = folds.add(ended("alpha_bot", "bob", Outcome.SKIPPED, "blocked"), 0)
    assert skipped is not None and skipped[1].endswith("⊘ alpha_bot → bob skipped: blocked")
    assert folds.add(ended("alpha_bot", "bob", Outcome.SENT, ""), 0) is None
    bot_line = ChatMessage("b", "beta_bot", "hi", 0, is_bot=True, depth=1)
    job = Job(9, "alpha_bot", Priority.LOW, 0.0, ReplyContext(bot_line, 2))
    job.outcome, job.reason = Outcome.SKIPPED, "stale"
    to_bot = folds.add(job, 0)
    assert to_bot is not None and to_bot[1].endswith("⊘ alpha_bot → beta_bot (bot) skipped: stale")
    assert state_line("draining", 0).endswith("─ router draining")


def test_repeated_outcomes_fold_into_one_line_with_a_count():
    folds = OutcomeFolds()
    lines = [
        folds.add(ended("alpha_bot", f"viewer{n}", Outcome.SKIPPED, "muted", n), 1.0)
        for n in range(18)
    ]
    keys = {line[0] for line in lines if line is not None}
    assert len(keys) == 1  # one chat line, counting up
    last = lines[-1]
    assert last is not None
    assert last[1].endswith(
        "⊘ alpha_bot → viewer0, viewer1, viewer2 and 15 more: 18 replies skipped: muted"
    )
    # Another bot, another reason, another outcome: lines of their own.
    other = folds.add(ended("beta_bot", "v", Outcome.SKIPPED, "muted"), 1.0)
    reason = folds.add(ended("alpha_bot", "v", Outcome.SKIPPED, "operator"), 1.0)
    assert len({key for key, _ in (last, other, reason)}) == 3  # type: ignore[misc]
    # Later than the window: a new line.
    later = folds.add(ended("alpha_bot", "v", Outcome.SKIPPED, "muted"), 1.0 + FOLD_SECONDS + 1)
    assert later is not None and later[0] != last[0] and "→ v skipped: muted" in later[1]


def test_a_stop_across_bots_is_one_line_per_reason():
    folds = OutcomeFolds()
    for n in range(10_000):
        line = folds.add(ended(f"bot{n % 3}", f"v{n % 40}", Outcome.CANCELLED, "stopped", n), 5)
    assert line is not None
    assert line[1].endswith("⊘ 3 bots → v0, v1, v2 and 37 more: 10000 replies cancelled: stopped")
