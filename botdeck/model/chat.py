"""A chat line and the state of the connection it came over."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat line. `text` is already cleaned (see `botdeck.core.text.clean_text`).

    `depth` counts bot-to-bot hops: 0 for a viewer, n for a bot reply n hops from a viewer.
    """

    id: str
    user: str  # the sender's login, lower case
    text: str
    timestamp: float  # Unix seconds
    display_name: str = ""
    mentions: tuple[str, ...] = ()  # logins the source saw mentioned (e.g. Twitch fragments)
    is_bot: bool = False  # sent by one of our bots
    depth: int = 0
    badges: tuple[str, ...] = ()  # the sender's badge set ids on this line, from the platform

    @property
    def author(self) -> str:
        return self.display_name or self.user

    @property
    def role(self) -> Role:
        """The sender's standing in the channel, from this line's badges (never its text)."""
        return Role.from_badges(self.badges)


class ConnectionStatus(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    SIMULATED = "simulated"  # a local source: nothing to connect to
    REPLAY = "replay"  # a recorded chat log playing
    ENDED = "ended"  # a finite source has played out


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """How a chat source is doing. `status` is about reading; a source whose sending does
    not depend on its reading (Twitch: Helix, whatever the EventSub socket does) also says
    how sending is doing, so the two are shown apart."""

    status: ConnectionStatus
    attempt: int = 0  # reconnect attempt, when reconnecting
    reason: str | None = None  # why it failed or is reconnecting; a note while connected
    sending: str | None = None  # e.g. "ok", "retrying (...)"; None: not separate from reading

    def describe(self) -> str:
        reading = self._reading()
        return reading if self.sending is None else f"reading {reading} · sending {self.sending}"

    def _reading(self) -> str:
        if self.status is ConnectionStatus.RECONNECTING:
            why = f": {self.reason}" if self.reason else ""
            return f"reconnecting (attempt {self.attempt}{why})"
        if self.status is ConnectionStatus.FAILED and self.reason:
            return f"failed: {self.reason}"
        if self.status is ConnectionStatus.CONNECTED and self.reason:
            return f"connected ({self.reason})"
        return self.status.value


class Role(StrEnum):
    """A chat account's standing in the channel; it decides the account's send limits."""

    VIEWER = "viewer"
    VIP = "vip"
    MODERATOR = "moderator"
    BROADCASTER = "broadcaster"

    @property
    def privileged(self) -> bool:
        """100 per window instead of 20."""
        return self is not Role.VIEWER

    @property
    def moderates(self) -> bool:
        """Exempt from the 1 s spacing (Twitch applies it to everyone who is not a mod)."""
        return self in (Role.MODERATOR, Role.BROADCASTER)

    @classmethod
    def from_badges(cls, badges: Iterable[str]) -> Role:
        """The role shown by a chat message's badge set ids (e.g. from an EventSub message)."""
        found = set(badges)
        if "broadcaster" in found:
            return cls.BROADCASTER
        if found & {"moderator", "lead_moderator"}:
            return cls.MODERATOR
        if "vip" in found:
            return cls.VIP
        return cls.VIEWER
