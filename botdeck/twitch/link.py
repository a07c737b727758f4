"""What the parts of one `TwitchChat` share: its settings, the twitchio client once
logged in, the channel, and every account it holds a token for.

Reading, sending, the token checks and the roles each do one job on the same accounts
and the same client; this is that common ground, plain state with no behaviour, so none
of them has to reach into another for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import twitchio

from botdeck.twitch.settings import READ_SCOPE, Credentials, TwitchSettings
from botdeck.twitch.sockets import SocketClient


class Phase(StrEnum):
    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    CLOSED = "closed"


@dataclass(slots=True)
class AccountState:
    """A Twitch account botdeck holds a token for: a bot (it sends) or the broadcaster."""

    login: str
    credentials: Credentials | None
    sends: bool
    user_id: str | None = None
    scopes: frozenset[str] = frozenset()
    token_ok: bool = False  # twitchio holds a token for it that Twitch accepted
    problem: str | None = "no token"  # why it may not send; None when it may
    tried: str | None = None  # the access token last tried; a different one is tried again
    temporary: str | None = None  # the last temporary failure, until a request works
    failures: int = 0  # consecutive temporary failures, for the backoff

    @property
    def can_read(self) -> bool:
        return self.token_ok and READ_SCOPE in self.scopes


class Link:
    """One TwitchChat's shared state. `settings` may be replaced before `start` (the tests
    shorten the waits), so every part reads it from here."""

    def __init__(self, settings: TwitchSettings) -> None:
        self.settings = settings
        channel = settings.channel.lower()
        self.accounts = {
            name: AccountState(name, creds, sends=True) for name, creds in settings.bots.items()
        }
        if channel not in self.accounts:
            self.accounts[channel] = AccountState(channel, settings.broadcaster, sends=False)
        self.phase = Phase.NEW
        self.client: SocketClient | None = None
        self.channel_id = ""
        self.broadcaster: twitchio.PartialUser | None = None

    @property
    def bots(self) -> list[AccountState]:
        return [account for account in self.accounts.values() if account.sends]

    def account_by_id(self, user_id: str | None) -> AccountState | None:
        return next((a for a in self.accounts.values() if user_id and a.user_id == user_id), None)

    def require_client(self) -> SocketClient:
        if self.client is None:
            raise RuntimeError("the Twitch client is not started")
        return self.client
