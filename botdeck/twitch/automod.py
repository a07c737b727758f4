"""AutoMod's holds on our bots' lines, and the moderators' verdicts.

A line AutoMod holds is answered `is_sent: false` (`sending` raises `SendHeld`); whether
the moderators approve or deny it comes only through `channel.chat.user_message_hold` and
`channel.chat.user_message_update`, subscribed per chatting user with that user's token
(`user:read:chat`). A websocket takes one user's subscriptions, so a bot gets a socket
of its own for them (purpose `automod`), opened by botdeck like the reader's and watched
the same way: a lost or silent one is opened again. It is opened at the bot's first held
line (`want`), before its verdict can come (a moderator takes seconds at least): most
streams never hold a bot's line, and each socket is one of the three Twitch allows a user.
A verdict goes to the engine as `AutoModVerdict` (approved, denied, or the hold ended
undecided: `invalid`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from twitchio.eventsub import ChatUserMessageHoldSubscription, ChatUserMessageUpdateSubscription

from botdeck.core.text import clean_text
from botdeck.model.channel import ChatEvent
from botdeck.model.live import AutoModVerdict
from botdeck.twitch.channel import subscribe_one
from botdeck.twitch.http import REQUEST_ERRORS
from botdeck.twitch.link import AccountState, Link, Phase
from botdeck.twitch.settings import READ_SCOPE
from botdeck.twitch.sockets import AUTOMOD, is_live, silent_for

log = logging.getLogger(__name__)

HOLD_EVENT = "event_chat_user_message_hold"
UPDATE_EVENT = "event_chat_user_message_update"
_UPDATE = "channel.chat.user_message_update"
_VERDICTS: dict[str, bool | None] = {"approved": True, "denied": False, "invalid": None}


class AutoModWatch:
    """Each bot's AutoMod socket, and the verdicts onto the source's queue."""

    def __init__(self, link: Link, queue: asyncio.Queue[ChatEvent | None]) -> None:
        self._link = link
        self._queue = queue
        self._next_try: dict[str, float] = {}  # bot -> loop time of its next attempt
        self._wanted: set[str] = set()  # bots AutoMod held a line of: their verdicts matter
        self._opening: dict[str, asyncio.Task[bool]] = {}

    def want(self, login: str) -> None:
        """AutoMod held a line of `login`: hear its verdicts from now on (at once)."""
        self._wanted.add(login)
        account = self._link.accounts.get(login)
        if account is None or login in self._opening or self.watched(account):
            return
        task = asyncio.get_running_loop().create_task(self._watch(account))
        self._opening[login] = task
        task.add_done_callback(lambda _: self._opening.pop(login, None))

    def watched(self, bot: AccountState) -> bool:
        """The bot's verdicts reach botdeck (its socket is live with the subscription)."""
        client = self._link.require_client()
        return any(is_live(s, _UPDATE) for s in client.sockets(bot.user_id or "", AUTOMOD))

    async def tend(self) -> None:
        """Every bot whose verdicts matter: a silent socket closed, a missing one opened
        (a failed attempt waits `reconnect_wait`)."""
        client = self._link.require_client()
        loop = asyncio.get_running_loop()
        grace = self._link.settings.silence_grace
        for bot in self._link.bots:
            if self._link.phase is not Phase.RUNNING:
                return
            for socket in client.sockets(bot.user_id or "", AUTOMOD):
                if silent_for(socket, grace) is not None and not socket._closing:
                    await socket.close()
            if bot.login not in self._wanted or bot.login in self._opening:
                continue
            if self.watched(bot) or loop.time() < self._next_try.get(bot.login, 0.0):
                continue
            if not await self._watch(bot):
                self._next_try[bot.login] = loop.time() + self._link.settings.reconnect_wait

    async def _watch(self, bot: AccountState) -> bool:
        link = self._link
        client = link.require_client()
        user_id = bot.user_id
        if not (bot.token_ok and user_id and READ_SCOPE in bot.scopes and user_id in client.tokens):
            return False
        for socket in client.sockets(user_id, AUTOMOD):
            await socket.close()  # connected, but without the subscriptions
        try:
            socket = await client.open_socket(user_id, AUTOMOD)
        except REQUEST_ERRORS as error:
            log.info(
                "twitch: %s's AutoMod verdicts not heard (%s)", bot.login, type(error).__name__
            )
            return False
        session = socket.session_id or ""
        held = ChatUserMessageHoldSubscription(broadcaster_user_id=link.channel_id, user_id=user_id)
        update = ChatUserMessageUpdateSubscription(
            broadcaster_user_id=link.channel_id, user_id=user_id
        )
        ok = await subscribe_one(client, update, user_id, session)
        ok = await subscribe_one(client, held, user_id, session) and ok
        if not ok:
            await socket.close()
        return ok

    async def on_hold(self, payload: Any) -> None:
        """`channel.chat.user_message_hold`: logged (the send already said it is held)."""
        bot = self._bot(payload)
        if bot is not None:
            log.info("twitch: AutoMod holds a line of %s", bot.login)

    async def on_update(self, payload: Any) -> None:
        """`channel.chat.user_message_update`: the moderators' verdict on a held line."""
        bot = self._bot(payload)
        status = str(getattr(payload, "status", ""))
        if bot is None or status not in _VERDICTS:
            return
        self._queue.put_nowait(
            AutoModVerdict(
                bot.login,
                clean_text(getattr(payload, "text", "") or "", max_chars=600),
                str(getattr(payload, "id", "") or ""),
                _VERDICTS[status],
            )
        )

    def _bot(self, payload: Any) -> AccountState | None:
        if getattr(getattr(payload, "broadcaster", None), "id", None) != self._link.channel_id:
            return None
        account = self._link.account_by_id(getattr(getattr(payload, "user", None), "id", None))
        return account if account is not None and account.sends else None
