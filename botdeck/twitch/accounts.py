"""Whether Twitch accepts each account's token, and getting an account back when not.

At start every token is checked against its account's login and scopes, and every
account is looked up on Helix (an unknown channel or a refused lookup is a
`TwitchSetupError`: exit 2). During the run a revoked grant marks the account ("not
authorized: run `botdeck auth`"); its token is read afresh (`reload`, the token file) on
its next send and every `token_check_interval`, so a token `botdeck auth` saved in
another terminal is used without a restart. Tokens twitchio refreshes are handed on to
be saved. A token is never shown: every one is registered with `logs.redact` first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import twitchio

from botdeck.storage.logs import redact
from botdeck.twitch.http import REQUEST_ERRORS, FailureKind, classify, twitch_message
from botdeck.twitch.link import AccountState, Link
from botdeck.twitch.settings import (
    BOT_SCOPE,
    WRITE_SCOPE,
    Credentials,
    TwitchSetupError,
    unauthorized,
)

log = logging.getLogger(__name__)

TokenListener = Callable[[str, Credentials], None]
CredentialsLookup = Callable[[str], Credentials | None]


class Accounts:
    """The token side of every account in `link`. `changed` is called when whether a bot
    may send changes; `usable(login)` when an account's token may read chat again."""

    def __init__(
        self,
        link: Link,
        *,
        reload: CredentialsLookup | None,
        on_tokens_refreshed: TokenListener | None,
        changed: Callable[[], None],
        usable: Callable[[str], None],
    ) -> None:
        self._link = link
        self._reload = reload
        self._on_tokens_refreshed = on_tokens_refreshed
        self._changed = changed
        self._usable = usable

    # ------------------------------------------------------------------ start
    async def check_all(self) -> None:
        """Every account with a token, checked once before anything runs."""
        for account in self._link.accounts.values():
            if account.credentials is not None and account.credentials.access_token:
                await self.check_token(account, account.credentials)

    async def check_token(self, account: AccountState, creds: Credentials) -> bool:
        """Give twitchio the account's token if Twitch accepts it for that account."""
        client = self._link.require_client()
        redact(creds.access_token, creds.refresh_token)
        account.credentials, account.tried = creds, creds.access_token
        try:
            valid = await client.add_token(creds.access_token, creds.refresh_token)
        except REQUEST_ERRORS as error:  # the message may hold the token: never shown
            failure = classify(error)
            if failure.kind is FailureKind.TEMPORARY:
                account.tried = None  # the same token is worth another try
                account.problem = f"token not checked yet: {failure.reason}"
            elif isinstance(error, twitchio.HTTPException):
                account.problem = f"token rejected by Twitch (HTTP {error.status})"
            else:
                account.problem = "token rejected by Twitch"
            return False
        if not valid.user_id or (valid.login or "").lower() != account.login:
            account.problem = f"the token is for {valid.login or 'an app'}, not {account.login}"
            return False
        account.user_id = valid.user_id
        account.scopes = frozenset(valid.scopes)
        account.token_ok = True
        account.temporary, account.failures = None, 0
        needed = WRITE_SCOPE if self._link.settings.send_as == "user" else BOT_SCOPE
        account.problem = None if needed in account.scopes else f"the token lacks {needed}"
        return True

    async def resolve(self) -> None:
        """Look the channel and every account up on Helix: the channel's id and the ids of
        accounts whose token did not say (they can still be sent for with the app token)."""
        link = self._link
        client = link.require_client()
        channel = link.settings.channel.lower()
        logins = list(dict.fromkeys([channel, *link.accounts]))
        try:
            users = await client.fetch_users(logins=logins)
        except twitchio.HTTPException as error:
            raise TwitchSetupError(
                f"chat.channel: Twitch did not look up {channel!r}"
                f" (HTTP {error.status}: {twitch_message(error)})"
            ) from None
        by_login = {(user.name or "").lower(): user for user in users}
        if channel not in by_login:
            raise TwitchSetupError(f"chat.channel: there is no Twitch channel {channel!r}")
        link.channel_id = by_login[channel].id
        link.broadcaster = client.create_partialuser(link.channel_id, channel)
        for account in link.accounts.values():
            user = by_login.get(account.login)
            if user is None:
                account.problem = "no such Twitch account"
            elif account.user_id is None:
                account.user_id = user.id  # known, though it cannot send as a user
                if link.settings.send_as == "app" and account.problem == "no token":
                    account.problem = None  # the app token sends; Twitch checks user:bot

    # ------------------------------------------------------------------ run
    async def recover(self, account: AccountState) -> bool:
        """Try the account's token afresh when there is a new one (`botdeck auth` in
        another terminal) or the last check could not reach Twitch; True when it works."""
        fresh = None
        if self._reload is not None:
            try:
                fresh = self._reload(account.login)
            except Exception as error:  # e.g. a damaged token file: keep what we have
                log.warning("twitch: cannot read %s's tokens again: %s", account.login, error)
        fresh = fresh or account.credentials
        if fresh is None or not fresh.access_token or fresh.access_token == account.tried:
            return False
        if not await self.check_token(account, fresh):
            self._changed()
            return False
        log.warning("twitch: %s has a usable token again", account.login)
        if account.can_read:
            self._usable(account.login)
        self._changed()
        return True

    async def recheck(self) -> None:
        """Every account whose token is not usable, tried again (see `recover`)."""
        for account in list(self._link.accounts.values()):
            if account.problem is not None or not account.token_ok:
                await self.recover(account)

    def revoke(self, account: AccountState, why: str) -> None:
        """Twitch no longer takes the account's token: it may not send until `recover`."""
        account.token_ok = False
        if account.problem is None:
            account.problem = why
            if account.sends:
                log.warning("%s", f"{unauthorized(account.login)} ({why})")
        self._changed()

    async def on_token_refreshed(self, payload: Any) -> None:
        """twitchio's `event_token_refreshed`: keep the new tokens and hand them on."""
        redact(payload.token, payload.refresh_token)
        for account in self._link.accounts.values():
            if account.user_id == payload.user_id and account.credentials is not None:
                account.credentials = Credentials(
                    payload.token, payload.refresh_token, account.credentials.origin
                )
                account.tried = payload.token
                if self._on_tokens_refreshed is not None:
                    self._on_tokens_refreshed(account.login, account.credentials)
