"""Moderators' kill switch from chat: `!botdeck pause | resume | drain | stop | status`.

Who may use it is read from the platform's badges on that very line (broadcaster,
moderator or lead moderator), never from its text or the sender's name, and never from
one of our own bots (a reply a viewer talked a moderator-bot into writing must not stop
anything). A command line is never answered and never used as context, whoever sent it.

Twitch starts a reply's text with `@parent ` (the line it answers), so a moderator who
types `!botdeck stop` as a reply sends `@alpha_bot !botdeck stop`: one leading @name is
read past before the command.
"""

from __future__ import annotations

from dataclasses import dataclass

from botdeck.model.chat import ChatMessage

VERBS = ("pause", "resume", "drain", "stop", "status")


@dataclass(frozen=True, slots=True)
class ControlLine:
    """A line addressed to botdeck: the verb (None if unknown or missing), who sent it,
    and whether they may command the bots."""

    verb: str | None
    by: str
    allowed: bool


class ChatControl:
    def __init__(self, command: str, *, enabled: bool) -> None:
        self._command = command.lower()
        self.enabled = enabled

    def read(self, message: ChatMessage) -> ControlLine | None:
        """The command in this line, if the line is one (from anyone)."""
        if not self.enabled:
            return None
        words = message.text.split()
        if len(words) > 1 and words[0].startswith("@"):
            words = words[1:]  # a reply: Twitch put the parent's @name first
        if not words or words[0].lower() != self._command:
            return None
        verb = words[1].lower() if len(words) > 1 else None
        allowed = not message.is_bot and message.role.moderates
        return ControlLine(verb if verb in VERBS else None, message.user, allowed)
