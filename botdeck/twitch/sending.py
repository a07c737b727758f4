"""Sending as a bot: each reply through Helix with that bot's own token, whatever reading
does, and every failure sorted into what the engine should do next.

Every send carries `token_for` set to the bot's user id: twitchio would otherwise use the
app token without a word, and it falls back to the app token when it holds no token for
`token_for`, so that is checked right before each request. `send_as = "app"` is the one
explicit exception: the app token, with Twitch's Chat Bot badge and `for_source_only`
(a shared chat session's partners do not see the reply).

Failures (see `http.classify`): a revoked grant marks the bot "not authorized: run
`botdeck auth`" until a new token appears; Twitch or the network failing is temporary:
`SendError.retry_after` with backoff, and the engine retries through the send limiter. A
429 waits for `Ratelimit-Reset`; a rate-limit drop waits `retry_wait`. Drop codes are
shown as Twitch words them. How sends fare in a row is the engine's to count
(`engine/sending.py`); `summary` says only which accounts may send.

A line AutoMod holds (`is_sent: false`, drop code `msg_rejected`, "being checked by
mods") is `SendHeld`, not a failure: the moderators' verdict comes later (`automod`).
A reply whose parent line was deleted is refused 400 "Message cannot be replied to"
(twitchdev/issues #896): it goes again once, outside the thread.

Any other drop (`is_sent: false`, whatever its code says: codes change), or a 403, may be
a ban or timeout botdeck never heard (it fell while reading was lost): `removed(bot)` asks
Twitch (Get Banned Users, see `timeouts`), and only when it lists the bot is the failure
`SendError.removed`: the engine pauses the bot and its replies wait instead of failing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import twitchio

from botdeck.chat.base import SendError, SendHeld
from botdeck.core.text import clean_text
from botdeck.twitch.accounts import Accounts
from botdeck.twitch.http import REQUEST_ERRORS, FailureKind, classify, twitch_message
from botdeck.twitch.link import AccountState, Link
from botdeck.twitch.settings import unauthorized


class Sending:
    """Sends for every bot in `link`; `changed` is called when the sending state changes."""

    def __init__(
        self,
        link: Link,
        accounts: Accounts,
        *,
        changed: Callable[[], None],
        held: Callable[[str], None] | None = None,
        removed: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self._link = link
        self._accounts = accounts
        self._changed = changed
        self._held = held  # AutoMod held a line of this bot: its verdicts must be heard
        self._removed = removed  # whether Twitch lists this bot as banned or timed out now

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        """Send `text` as `bot` (its own token, or the app token with send_as = "app"),
        whether or not reading is up. Raises SendError; `retry_after` when worth retrying."""
        link = self._link
        account = link.accounts.get(bot)
        if account is None or not account.sends or account.user_id is None:
            raise SendError(unauthorized(bot))
        broadcaster = link.broadcaster
        assert broadcaster is not None
        settings = link.settings
        if not self._may_send(account):
            if account.problem is None:  # twitchio's validation dropped the token
                self._accounts.revoke(account, "Twitch refused to refresh its token")
            await self._accounts.recover(account)  # a token `botdeck auth` saved meanwhile?
        # twitchio falls back to the app token when it has no token for `token_for`:
        # check right before the request (no await in between), never borrow one.
        if not self._may_send(account):
            raise SendError(unauthorized(bot))
        thread = reply_to if settings.threaded_replies else None
        try:
            try:
                sent = await self._post(broadcaster, account, text, thread)
            except twitchio.HTTPException as error:
                if thread is None or not _parent_gone(error):
                    raise
                sent = await self._post(broadcaster, account, text, None)  # outside the thread
        except twitchio.MessageRejectedError as error:
            self._worked(account)  # Twitch answered; it dropped this one message
            reason = _drop_reason(error.code, error.message)
            if _is_held(error.code, error.message):
                if self._held is not None:
                    self._held(bot)
                raise SendHeld(reason) from None
            if _is_rate_limit(error.code, error.message):
                raise SendError(reason, retry_after=settings.retry_wait) from None
            raise SendError(reason, removed=await self._is_removed(bot)) from None
        except ValueError as error:  # twitchio's own length check
            raise SendError(str(error)) from None
        except (KeyError, TypeError) as error:  # an answer of another shape than Helix's
            raise SendError(f"Twitch answered the message unexpectedly ({error})") from None
        except REQUEST_ERRORS as error:
            failed = self._send_failed(account, error)
            if _refuses_user(error) and await self._is_removed(bot):
                failed = SendError(failed.reason, removed=True)
            raise failed from None
        self._worked(account)
        if not sent.sent:
            reason = "not sent: Twitch gave no reason"
            raise SendError(reason, removed=await self._is_removed(bot))
        return str(sent.id)

    async def _is_removed(self, bot: str) -> bool:
        """A refused send: whether Twitch lists `bot` as banned or timed out now."""
        return self._removed is not None and await self._removed(bot)

    async def _post(
        self,
        broadcaster: twitchio.PartialUser,
        account: AccountState,
        text: str,
        thread: str | None,
    ) -> twitchio.SentMessage:
        as_user = self._link.settings.send_as == "user"
        return await broadcaster.send_message(
            text,
            sender=account.user_id or "",
            token_for=account.user_id if as_user else None,
            reply_to_message_id=thread,
            source_only=None if as_user else True,  # only the app token may say so
        )

    def summary(self) -> str:
        """How sending is doing, apart from reading (replies go out through Helix)."""
        bots = self._link.bots
        able = [bot for bot in bots if bot.problem is None]
        if not able:
            return "no bot may send"
        trouble = next((bot.temporary for bot in able if bot.temporary), None)
        if trouble:
            return f"retrying ({trouble})"
        if len(able) < len(bots):
            return f"ok for {len(able)} of {len(bots)} bots"
        return "ok"

    def _may_send(self, account: AccountState) -> bool:
        if account.problem is not None:
            return False
        as_user = self._link.settings.send_as == "user"
        return not as_user or account.user_id in self._link.require_client().tokens

    def _send_failed(self, account: AccountState, error: BaseException) -> SendError:
        failure = classify(error, what="the message")
        if failure.kind is FailureKind.REVOKED:
            self._accounts.revoke(account, failure.reason)
            return SendError(unauthorized(account.login))
        if failure.kind is FailureKind.RATE_LIMITED:
            return SendError(failure.reason, retry_after=failure.retry_after or self._backoff(1))
        if failure.kind is FailureKind.TEMPORARY:
            account.failures += 1
            account.temporary = failure.reason
            self._changed()
            return SendError(failure.reason, retry_after=self._backoff(account.failures))
        return SendError(failure.reason)

    def _worked(self, account: AccountState) -> None:
        if account.temporary is not None or account.failures:
            account.temporary, account.failures = None, 0
            self._changed()

    def _backoff(self, failures: int) -> float:
        settings = self._link.settings
        wait: float = settings.retry_wait * 2.0 ** max(0, failures - 1)
        return min(settings.reconnect_wait, wait)


def _drop_reason(code: str | None, message: str | None) -> str:
    """Twitch's drop code and words, as text: the codes are undocumented and change."""
    text = clean_text(message or "", max_chars=300)
    code = clean_text(code or "", max_chars=80)
    if code and text:
        return f"{code}: {text}"
    return code or text or "dropped by Twitch"


def _is_held(code: str | None, message: str | None) -> bool:
    """AutoMod holds the line for the moderators (`msg_rejected`; the mandatory kind, a
    line the channel's settings refuse outright, is not held)."""
    return (code or "") == "msg_rejected" or "being checked by mods" in (message or "")


def _refuses_user(error: BaseException) -> bool:
    """Twitch's 403 for the message: the sender may not talk there (a ban, among others)."""
    return isinstance(error, twitchio.HTTPException) and error.status == 403


def _parent_gone(error: twitchio.HTTPException) -> bool:
    """Twitch's 400 for a reply whose parent line is gone (deleted)."""
    return error.status == 400 and "cannot be replied to" in twitch_message(error).lower()


def _is_rate_limit(code: str | None, message: str | None) -> bool:
    """A drop that says the account sent too much (worded loosely: codes change)."""
    words = f"{code or ''} {message or ''}".lower().replace("_", "").replace(" ", "")
    return "ratelimit" in words or "tooquickly" in words or "toofast" in words
