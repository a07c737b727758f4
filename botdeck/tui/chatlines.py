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
from dataclasses import dataclass, field

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text

from botdeck.model.chat import ChatMessage
from botdeck.model.events import ChatModeChanged, ModerationSeen, RedemptionSettled
from botdeck.model.faults import Fault
from botdeck.model.jobs import JobView, Outcome
from botdeck.model.stream import ChannelEvent
from botdeck.tui.labels import (
    event_words,
    fault_label,
    moderation_label,
    outcome_word,
    redemption_word,
)

DISPLAY_CHARS = 500  # a chat line is cut here in the chat (opened, it shows whole)
MARK_COLUMN = 9
VIEWER, BOT, FAILED, SKIPPED, STATE, EVENT, FAULT = "·", "➤", "✗", "⊘", "─", "★", "↯"

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


def addressee(job: JobView) -> str:
    """Whom a reply answers, for an outcome line: the viewer, a bot, or a typed line."""
    context = job.context
    if context is None or context.manual:
        return "a typed line"
    message = context.message
    return f"{message.author} (bot)" if message.is_bot else message.author


def notice_line(text: str, now: float) -> str:
    """Something about the run itself (the AI server down or back), in the state marker."""
    return f"{clock_label(now)} {STATE} {_cut(text)}"


FOLD_SECONDS = 10.0  # outcomes of one kind this close together share one line
FOLD_NAMES = 3  # the names a folded line spells out before "and N more"
FoldKey = tuple[str, str, str | None]  # (word, reason, bot or None for every bot)


@dataclass(slots=True)
class _Fold:
    """One chat line that counts outcomes of one kind."""

    line: int  # its key in the chat (a serial)
    mark: str
    word: str
    reason: str
    started: float
    count: int = 0
    bots: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)  # distinct, in order
    seen: set[str] = field(default_factory=set)

    def add(self, bot: str, name: str) -> None:
        self.count += 1
        self.bots.add(bot)
        if name not in self.seen:
            self.seen.add(name)
            if len(self.names) < FOLD_NAMES:
                self.names.append(name)

    def text(self) -> str:
        who = next(iter(self.bots)) if len(self.bots) == 1 else f"{len(self.bots)} bots"
        names = ", ".join(self.names)
        if len(self.seen) > len(self.names):
            names += f" and {len(self.seen) - len(self.names)} more"
        joint = " " if self.mark == STATE else ": "  # "handed to bot", "skipped: muted"
        if self.count == 1:
            what = f"{self.word}{joint}{self.reason}"
        else:
            what = f"{self.count} replies {self.word}{joint}{self.reason}"
            names += ":"
        return f"{clock_label(self.started)} {self.mark} {who} → {names} {what}"


class OutcomeFolds:
    """Failures, skips and cancellations as chat lines that fold: an outcome of the same
    kind (a bot's skips for one reason, its failures for one reason, cancellations for
    one reason whatever the bot) within `window` seconds of the first counts on that
    first line instead of adding one: "18 replies skipped: muted", never 18 lines pushing
    the chat away. Every line names whom the replies answered (the first few, and how
    many more). A stop may cancel 10,000 replies: one line."""

    def __init__(self, window: float = FOLD_SECONDS) -> None:
        self._window = window
        self._open: dict[FoldKey, _Fold] = {}
        self._serial = 0

    def add(self, job: JobView, now: float) -> tuple[tuple[str, int], str] | None:
        """The chat line (its key, its text) this outcome shows on, new or updated; None
        for a sent reply (the reply is its own line)."""
        outcome = job.outcome
        if outcome is None or outcome is Outcome.SENT:
            return None
        word = outcome_word(outcome) or outcome.value
        reason = _cut(job.reason or outcome.value)
        bot = None if outcome is Outcome.CANCELLED else job.bot
        mark = FAILED if outcome is Outcome.FAILED else SKIPPED
        return self._fold(job, now, mark, word, reason, bot)

    def handed(self, job: JobView, to: str, now: float) -> tuple[tuple[str, int], str]:
        """A mention its muted bot gave to `to`: it is answered, so its line says where
        it went (the journal has it `skipped: muted`, and `to`'s job for the same line)."""
        return self._fold(job, now, STATE, "handed to", to, job.bot)

    def _fold(
        self, job: JobView, now: float, mark: str, word: str, reason: str, bot: str | None
    ) -> tuple[tuple[str, int], str]:
        key: FoldKey = (word, reason, bot)
        fold = self._open.get(key)
        if fold is None or now - fold.started > self._window:
            self._serial += 1
            fold = self._open[key] = _Fold(self._serial, mark, word, reason, now)
            self._forget(now)
        fold.add(job.bot, addressee(job))
        return ("outcome", fold.line), fold.text()

    def _forget(self, now: float) -> None:
        """Closed folds are not kept (a long stream makes many kinds of them)."""
        if len(self._open) > 64:
            self._open = {
                key: fold for key, fold in self._open.items() if now - fold.started <= self._window
            }


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


def fault_line(fault: Fault) -> str:
    """A drill's fault as it begins: `↯ drill (AI): AI down (refused) until 21:04:10`."""
    edge, _ = fault_label(fault.edge)
    return f"{clock_label(fault.since)} {FAULT} drill ({edge}): {_cut(fault.summary())}"


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
        elif mark == FAULT:
            text.stylize(self._warning + Style(bold=True), MARK_COLUMN)
            return
        elif mark == EVENT:
            text.stylize(self._event, MARK_COLUMN)
            return
        start = max(name_end + 1, body)
        for match in self._mention.finditer(plain, start):
            colour = self.colour_of(match.group(1))
            text.stylize(Style(color=colour, bold=True, underline=True), *match.span())
