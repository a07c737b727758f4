"""What happens to the channel besides chat lines: moderators' actions and chat modes
(and, from `botdeck.model.stream`, raids, subs, channel points and the stream's state).

Chat sources deliver these as plain data next to `ChatMessage`s (`ChatEvent`), so the
engine reacts the same way to Twitch's EventSub notifications, a replayed log and a
simulated script.
"""

from __future__ import annotations

from dataclasses import dataclass

from botdeck.model.chat import ChatMessage, Role
from botdeck.model.live import LiveEvent
from botdeck.model.stream import ChannelEvent


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    """A moderator deleted one chat line."""

    msg: str  # the deleted line's id
    user: str = ""  # its sender's login, when the platform says


@dataclass(frozen=True, slots=True)
class UserCleared:
    """A moderator removed a user's lines: a ban or a timeout."""

    user: str  # login, lower case


@dataclass(frozen=True, slots=True)
class ChatCleared:
    """A moderator cleared the whole chat."""


ModerationEvent = MessageDeleted | UserCleared | ChatCleared


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """The channel's chat modes. Twitch exempts moderators and the broadcaster from all
    of them, and VIPs from all but emote-only; everyone else is a viewer here."""

    slow: float = 0.0  # seconds a viewer must wait between messages; 0: off
    followers_only: bool = False
    follow_minutes: int = 0  # how long a follow must be, in followers-only mode
    subscribers_only: bool = False
    emote_only: bool = False
    unique: bool = False  # a message must differ from the recent ones (r9k)

    def blocks(self, role: Role) -> str | None:
        """Why an account with `role` cannot talk now (None when it can)."""
        if self.emote_only and not role.moderates:
            return "emote-only: make this bot a moderator"
        if role.privileged:
            return None
        if self.subscribers_only:
            return "subscribers-only: make this bot a VIP or moderator, or subscribe it"
        if self.followers_only:
            return "followers-only: make this bot a VIP or moderator, or have it follow"
        return None

    def spacing_for(self, role: Role) -> float:
        """Seconds slow mode puts between an account's messages (only viewers wait)."""
        return self.slow if role is Role.VIEWER else 0.0

    def describe(self) -> str:
        """The modes in force, for the dashboard's header ("" when chat is open)."""
        modes = []
        if self.slow:
            modes.append(f"slow {self.slow:g}s")
        if self.followers_only:
            minutes = f" {self.follow_minutes}m" if self.follow_minutes else ""
            modes.append(f"followers-only{minutes}")
        if self.subscribers_only:
            modes.append("subscribers-only")
        if self.emote_only:
            modes.append("emote-only")
        if self.unique:
            modes.append("unique")
        return ", ".join(modes)


ChatEvent = (
    ChatMessage
    | MessageDeleted
    | UserCleared
    | ChatCleared
    | ChatSettings
    | ChannelEvent
    | LiveEvent
)
