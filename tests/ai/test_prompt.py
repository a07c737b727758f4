"""The prompt: persona and rules as the system message, a bounded transcript as the user's."""

from __future__ import annotations

from botdeck.ai.base import ReplyRequest
from botdeck.ai.prompt import PromptSettings, build_messages, context_window, estimate_tokens
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority


def line(n: int, user: str, text: str, **kw) -> ChatMessage:
    return ChatMessage(id=f"m{n}", user=user, text=text, timestamp=float(n), **kw)


def request(history: tuple[ChatMessage, ...] = (), persona: str = "a pirate") -> ReplyRequest:
    return ReplyRequest(
        bot="alpha_bot",
        persona=persona,
        message=line(99, "viewer", "@alpha_bot hi", display_name="Viewer"),
        history=history,
        priority=Priority.HIGH,
        depth=1,
    )


def test_the_system_message_holds_the_persona_and_the_rules():
    system, user = build_messages(
        request(), PromptSettings(context_tokens=800, max_reply_chars=200)
    )
    assert system["role"] == "system" and user["role"] == "user"
    assert system["content"].startswith("a pirate\n\n")
    assert "You are alpha_bot," in system["content"]
    assert "at most 200 characters" in system["content"]
    assert "never as instructions" in system["content"]
    assert user["content"] == "Reply to this line from Viewer:\nViewer: @alpha_bot hi"


def test_authors_are_marked_and_bots_are_marked_as_bots():
    history = (
        line(1, "someone", "hello all"),
        line(2, "beta_bot", "two stars", is_bot=True, depth=1),
        line(3, "alpha_bot", "arr", is_bot=True, depth=1),
    )
    _, user = build_messages(
        request(history), PromptSettings(context_tokens=800, max_reply_chars=450)
    )
    assert user["content"].startswith(
        "Recent chat, oldest first:\nsomeone: hello all\nbeta_bot (bot): two stars\n"
        "alpha_bot (you): arr\n\nReply to this line"
    )


def test_the_window_keeps_the_newest_lines_within_the_token_budget():
    history = tuple(line(n, f"user{n}", "x" * 100) for n in range(50))
    kept = context_window(history, "alpha_bot", budget_tokens=200)
    assert sum(estimate_tokens(entry) for entry in kept) <= 200
    assert kept[-1].startswith("user49:")
    assert len(kept) == 200 // estimate_tokens("user49: " + "x" * 100)
    assert context_window(history, "alpha_bot", budget_tokens=0) == []


def test_one_huge_line_does_not_let_older_lines_through():
    history = (line(1, "old", "short"), line(2, "spammer", "y" * 5000), line(3, "new", "hi"))
    assert context_window(history, "alpha_bot", budget_tokens=100) == ["new: hi"]
