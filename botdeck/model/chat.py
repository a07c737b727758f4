"""A chat line and the state of the connection it came over."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never


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
    # Emote names the platform or the log marked in this line (Twitch's emote fragments or
    # `emotes` tag); third-party emotes are known only by name (`[filters] emotes`).
    emotes: tuple[str, ...] = ()
    synthetic: bool = False  # made up by `rehearse`/`demo --mention-rate`, never real chat

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

    @property
    def trouble(self) -> bool:
        """Not reading though it should be: trouble in itself (an alert line of its own)."""
        match self:
            case (
                ConnectionStatus.CONNECTING
                | ConnectionStatus.RECONNECTING
                | ConnectionStatus.FAILED
            ):
                return True
            case (
                ConnectionStatus.CONNECTED
                | ConnectionStatus.SIMULATED
                | ConnectionStatus.REPLAY
                | ConnectionStatus.ENDED
            ):
                return False
            case _:
                assert_never(self)


@dataclass(frozen=True, slots=True)
class SendFailures:
    """Sends that failed in a row (any kind: dropped, refused, not answered), across every
    bot, since the last one that went out. `reason` is the last failure as the platform
    worded it (cleaned), so the screen can say what is wrong, not only that it is."""

    count: int
    reason: str

    def describe(self) -> str:
        return f"failing: {self.count} in a row ({self.reason})"


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """How a chat source is doing. `status` is about reading; a source whose sending does
    not depend on its reading (Twitch: Helix, whatever the EventSub socket does) also says
    how sending is doing, so the two are shown apart.

    `failing` is the engine's count of sends failing in a row (it sees every send of
    every sink); while set it is what "sending" says, whatever the source believes.
    `never_read` says why reading never started, and is kept when the source ends, so a
    run that read nothing can say why at the end (the dashboard shows it meanwhile)."""

    status: ConnectionStatus
    attempt: int = 0  # reconnect attempt, when reconnecting
    reason: str | None = None  # why it failed or is reconnecting; a note while connected
    sending: str | None = None  # e.g. "ok", "retrying (...)"; None: not separate from reading
    failing: SendFailures | None = None  # sends failing in a row, until one goes out
    never_read: str | None = None  # why reading has not started once (None once it has)
    blind_since: float | None = None  # Unix time chat stopped being read, while it is not

    @property
    def blind(self) -> bool:
        """Chat that was being read is not now: a reading gap while it lasts."""
        return self.blind_since is not None

    def describe(self) -> str:
        reading = self._reading()
        sending = self.failing.describe() if self.failing is not None else self.sending
        return reading if sending is None else f"reading {reading} · sending {sending}"

    @property
    def troubled(self) -> bool:
        """Worth an alert line and a line in the summary: not reading (yet), reading never
        started, or sends failing."""
        return self.status.trouble or self.failing is not None or self.never_read is not None

    def _reading(self) -> str:
        if self.status is ConnectionStatus.RECONNECTING:
            why = f": {self.reason}" if self.reason else ""
            return f"reconnecting (attempt {self.attempt}{why})"
        if self.status is ConnectionStatus.FAILED and self.reason:
            return f"failed: {self.reason}"
        if self.status is ConnectionStatus.CONNECTING and self.reason:
            return f"connecting (attempt {self.attempt}: {self.reason})"
        if self.status is ConnectionStatus.CONNECTED and self.reason:
            return f"connected ({self.reason})"
        if self.status is ConnectionStatus.ENDED and self.never_read:
            return f"never started: {self.never_read}"
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
