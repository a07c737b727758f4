"""Chat as plain text lines for the dashboard, and the highlighter that colours them.

Lines are plain strings (never markup): `HH:MM:SS M rest`, where the marker M at a fixed
column says what the line is (`★`: something happened on the channel, a raid, a sub, a
redemption's fate). Colour comes only from the highlighter, which reads the
marker, so nothing a viewer types can style or fake another kind of line: their text
always sits after their own name.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text

from botdeck.model.chat import ChatMessage
from botdeck.model.events import ChatModeChanged, ModerationSeen, RedemptionSettled
from botdeck.model.jobs import JobView, Outcome
from botdeck.model.stream import ChannelEvent
from botdeck.tui.labels import event_words, moderation_label, outcome_word, redemption_word

DISPLAY_CHARS = 500  # a chat line is cut here in the chat (opened, it shows whole)
MARK_COLUMN = 9
VIEWER, BOT, FAILED, SKIPPED, STATE, EVENT = "·", "➤", "✗", "⊘", "─", "★"

BOT_COLOURS = (
    "#ff79c6", "#8be9fd", "#50fa7b", "#ffb86c", "#bd93f9", "#f1fa8c", "#ff6e6e", "#9aedfe",
)  # fmt: skip


def clock_label(timestamp: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(timestamp))


def _cut(text: str) -> str:
    return text if len(text) <= DISPLAY_CHARS else text[: DISPLAY_CHARS - 1] + "…"


def chat_line(message: ChatMessage, whole: bool = False) -> str:
    """The line as the chat shows it (cut at DISPLAY_CHARS), or `whole` (open in full)."""
    mark = BOT if message.is_bot else VIEWER
    text = message.text if whole else _cut(message.text)
    return f"{clock_label(message.timestamp)} {mark} {message.author}: {text}"


def is_cut(message: ChatMessage) -> bool:
    return len(message.text) > DISPLAY_CHARS


def outcome_line(job: JobView, now: float) -> str | None:
    """A line for a failure or a skip; None for outcomes the chat shows otherwise."""
    word = outcome_word(job.outcome) if job.outcome is not None else None
    if word is None:
        return None
    mark = FAILED if job.outcome is Outcome.FAILED else SKIPPED
    return f"{clock_label(now)} {mark} {job.bot} {word}: {_cut(job.reason or '')}"


def notice_line(text: str, now: float) -> str:
    """Something about the run itself (the AI server down or back), in the state marker."""
    return f"{clock_label(now)} {STATE} {_cut(text)}"


def cancelled_line(count: int, reason: str, now: float) -> str:
    noun = "reply" if count == 1 else "replies"
    return f"{clock_label(now)} {SKIPPED} {count} {noun} cancelled: {reason}"


def state_line(state: str, now: float, detail: str = "") -> str:
    return f"{clock_label(now)} {STATE} router {state}{detail}"


def by_detail(by: str | None, command: str | None) -> str:
    """Who changed the state from chat, for a state line (nothing for the operator)."""
    if by is None:
        return ""
    return f" (by {by}: {command})" if command else f" (by {by})"


def moderation_line(event: ModerationSeen, now: float) -> str:
    """A moderator's action: what it was and what it ended, never the removed text."""
    replies = f"{event.ended} unsent {'reply' if event.ended == 1 else 'replies'} withdrawn"
    what = moderation_label(event.action, event.user)
    unknown = "; botdeck had not seen it" if not event.known else ""
    return f"{clock_label(now)} {STATE} moderator {what}: {replies}{unknown}"


def mode_line(event: ChatModeChanged, now: float) -> str:
    modes = event.settings.describe() or "open"
    held = f"; paused: {', '.join(event.held)}" if event.held else ""
    return f"{clock_label(now)} {STATE} chat mode: {modes}{held}"


def event_line(event: ChannelEvent, now: float) -> str:
    """Something that happened on the channel (a raid, a sub, the game changing)."""
    return f"{clock_label(now)} {EVENT} {_cut(event_words(event))}"


def redemption_line(event: RedemptionSettled, now: float) -> str:
    why = f" on botdeck's side only: {event.unapplied}" if event.unapplied else ""
    word = redemption_word(event.status)
    return f"{clock_label(now)} {EVENT} redemption {word} (reply #{event.job}){_cut(why)}"


class ChatHighlighter(Highlighter):
    """Colours a chat line by its marker; bot names in their colour, mentions stand out."""

    def __init__(self, bots: Sequence[str], error: str = "red", warning: str = "yellow") -> None:
        self._colours = {bot: BOT_COLOURS[i % len(BOT_COLOURS)] for i, bot in enumerate(bots)}
        names = "|".join(sorted(map(re.escape, bots), key=len, reverse=True)) or "(?!)"
        self._mention = re.compile(rf"(?:(?<![\w@])@|(?<![\w@]))({names})(?![\w])", re.IGNORECASE)
        self._error = Style.parse(error)
        self._warning = Style.parse(warning)
        self._dim = Style(dim=True)
        self._event = Style(color="magenta", bold=True)

    def colour_of(self, bot: str) -> str:
        return self._colours.get(bot.lower(), "white")

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if len(plain) <= MARK_COLUMN + 1:
            return
        text.stylize(self._dim, 0, MARK_COLUMN - 1)
        mark = plain[MARK_COLUMN]
        body = MARK_COLUMN + 2
        name_end = plain.find(":", body)
        if mark == BOT and name_end > 0:
            colour = self.colour_of(plain[body:name_end])
            text.stylize(Style(color=colour, bold=True), body, name_end)
            text.stylize(Style(color=colour), name_end + 1)
        elif mark == VIEWER and name_end > 0:
            text.stylize(Style(bold=True), body, name_end)
        elif mark == FAILED:
            text.stylize(self._error, MARK_COLUMN)
            return
        elif mark == SKIPPED:
            text.stylize(self._warning, MARK_COLUMN)
            return
        elif mark == STATE:
            text.stylize(Style(italic=True, dim=True), MARK_COLUMN)
            return
        elif mark == EVENT:
            text.stylize(self._event, MARK_COLUMN)
            return
        start = max(name_end + 1, body)
        for match in self._mention.finditer(plain, start):
            colour = self.colour_of(match.group(1))
            text.stylize(Style(color=colour, bold=True, underline=True), *match.span())
