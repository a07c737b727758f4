"""How long a moderator removed one of our bots for.

`channel.chat.clear_user_messages` is how a ban or a timeout shows in chat, and it does
not say which or for how long: a timed-out bot stayed paused until the operator pressed
`b`. Get Banned Users (`moderation:read` from the broadcaster) gives `expires_at`, empty
for a permanent ban; the answer goes to the engine as `BotRemoved`, which resumes a
timed-out bot by itself when its timeout ends and leaves a banned one to the operator.
While a bot is timed out it is looked up again every `timeout_check_interval`: a timeout
a moderator lifts early (or shortens) ends the pause then, not at the first end.

A removal botdeck never heard (it fell while reading was lost) shows only as sends Twitch
refuses: `refused` asks the same endpoint whether the bot is banned or timed out now, at
most once per bot per `REFUSED_CHECK_EVERY` seconds (in between, the last answer stands
while it is in force), so that a refused send pauses the bot (`SendError.removed`) only
when Twitch says it was removed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from botdeck.model.channel import ChatEvent, UserCleared
from botdeck.model.live import BotRemoved
from botdeck.twitch.helix import Helix, text, timestamp
from botdeck.twitch.http import REQUEST_ERRORS
from botdeck.twitch.link import Link
from botdeck.twitch.settings import MODERATION_SCOPE

log = logging.getLogger(__name__)

ENDPOINT = "moderation/banned"
REFUSED_CHECK_EVERY = 30.0  # seconds between two lookups for one bot's refused sends


class Timeouts:
    def __init__(
        self,
        link: Link,
        helix: Helix,
        queue: asyncio.Queue[ChatEvent | None],
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._link = link
        self._wall = wall
        # bot -> when its refused sends were last looked up (loop time), and that lookup
        self._refusals: dict[str, tuple[float, asyncio.Task[BotRemoved | None]]] = {}
        self._helix = helix
        self._queue = queue
        self._tasks: set[asyncio.Task[object]] = set()
        self._timed_out: dict[str, float] = {}  # bot -> its timeout's end, as last looked up

    def seen(self, event: ChatEvent) -> None:
        """A user's lines were cleared: if it is one of our bots, ask how long for."""
        if not isinstance(event, UserCleared):
            return
        account = self._link.accounts.get(event.user)
        if account is None or not account.sends:
            return
        task = asyncio.get_running_loop().create_task(self.look_up(account.login))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for _, lookup in self._refusals.values():
            lookup.cancel()

    async def refused(self, login: str) -> bool:
        """Twitch refused a send of `login`'s (a drop that is not AutoMod's hold, or a 403):
        whether it lists the bot as banned or timed out now. The answer, with a timeout's
        end, goes onto the source's queue as `look_up`'s does. False when it cannot be
        asked (no grant, Twitch failing, an odd answer) or the bot is not removed."""
        loop = asyncio.get_running_loop()
        last = self._refusals.get(login)
        if last is None or loop.time() - last[0] >= REFUSED_CHECK_EVERY:
            lookup = loop.create_task(self.look_up(login, always=True))
            last = self._refusals[login] = (loop.time(), lookup)
            fresh = True
        else:
            fresh = False
        event = await asyncio.shield(last[1])
        if event is None or not (event.until is None or event.until > self._wall()):
            return False
        if not fresh:  # the last answer still stands: the engine hears it again
            self._queue.put_nowait(event)
        log.warning("twitch: %s's send was refused: Twitch lists it as removed", login)
        return True

    def waiting(self) -> bool:
        """A bot is timed out: worth looking up again (a moderator may lift it)."""
        return bool(self._timed_out)

    async def recheck(self) -> None:
        """Each timed-out bot again: a lifted or changed timeout goes to the engine (the
        same end again is not news)."""
        for login in list(self._timed_out):
            await self.look_up(login)

    async def look_up(self, login: str, *, always: bool = False) -> BotRemoved | None:
        """Get Banned Users for the bot; the answer also goes onto the source's queue
        (None: not known, and the bot waits for the operator as before); a timeout's end
        already known is not news unless `always`."""
        link = self._link
        broadcaster = link.accounts[link.settings.channel.lower()]
        bot = link.accounts[login]
        if not (broadcaster.token_ok and broadcaster.user_id and bot.user_id):
            return None
        if MODERATION_SCOPE not in broadcaster.scopes:
            log.info("twitch: %s's timeout not looked up: no %s", login, MODERATION_SCOPE)
            return None
        try:
            rows = await self._helix.rows(
                link.require_client(),
                ENDPOINT,
                {"broadcaster_id": link.channel_id, "user_id": bot.user_id},
                as_user=broadcaster.user_id,
            )
        except REQUEST_ERRORS as error:
            log.info("twitch: %s's timeout not looked up (%s)", login, type(error).__name__)
            return None
        if rows is None:
            return None
        row = next((r for r in rows if text(r, "user_id") == bot.user_id), None)
        before = self._timed_out.pop(login, None)
        if row is None:
            event = BotRemoved(login, 0.0)  # no longer banned: the timeout is over already
        else:
            expires = row.get("expires_at")
            if expires in ("", None):
                event = BotRemoved(login, None)  # a ban
            elif (until := timestamp(expires)) is not None:
                event = BotRemoved(login, until)
                self._timed_out[login] = until
                if until == before and not always:
                    return event  # looked up again, unchanged
            else:
                self._helix.odd(ENDPOINT, "`expires_at` is not a time")
                return None
        self._queue.put_nowait(event)
        return event
