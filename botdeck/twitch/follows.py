"""Whether each bot follows the channel, for followers-only mode.

Twitch lets a viewer talk in followers-only mode once it has followed for the mode's
minutes; holding every viewer-role bot there paused bots that do follow, all stream on a
channel that is always followers-only. Get Channel Followers with `user_id` says whether
one user follows and since when; it needs `moderator:read:followers` from the broadcaster
(or a moderator), so it is asked with the broadcaster's token, else a moderator bot's.
It is asked when followers-only mode turns on (and at start, if it is on), and the
answer goes to the engine as `BotFollows`, which decides who talks. While the mode is on
and a bot did not follow (or its follow could not be read), it is asked again every
`follow_check_interval`: the card tells the streamer to have the bot follow, and the bot
talks soon after it does, without the mode being turned off and on.
"""

from __future__ import annotations

import asyncio
import logging

from botdeck.model.channel import ChatEvent, ChatSettings
from botdeck.model.live import BotFollows
from botdeck.twitch.helix import Helix, text, timestamp
from botdeck.twitch.http import REQUEST_ERRORS
from botdeck.twitch.link import AccountState, Link
from botdeck.twitch.settings import FOLLOWERS_SCOPE

log = logging.getLogger(__name__)

ENDPOINT = "channels/followers"


class Follows:
    def __init__(self, link: Link, helix: Helix, queue: asyncio.Queue[ChatEvent | None]) -> None:
        self._link = link
        self._helix = helix
        self._queue = queue
        self._on = False  # followers-only mode, as last seen
        self._unsure = False  # at the last look a bot did not follow, or could not be asked
        self._tasks: set[asyncio.Task[object]] = set()

    def seen(self, event: ChatEvent) -> None:
        """Chat settings went by: when followers-only mode turns on, ask again."""
        if not isinstance(event, ChatSettings):
            return
        turned_on = event.followers_only and not self._on
        self._on = event.followers_only
        if turned_on:
            task = asyncio.get_running_loop().create_task(self.check())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def waiting(self) -> bool:
        """Followers-only mode is on and a bot did not follow at the last look, or it
        could not be asked: worth asking again (someone may have made it follow since, or
        a token with the grant may have come)."""
        return self._on and self._unsure

    def notice(self) -> str | None:
        """Followers-only mode is on and nobody may ask who follows: the viewer-role bots
        are paused whether they follow or not, and the fix is the broadcaster's grant."""
        if not self._on or self.asker() is not None:
            return None
        channel = self._link.settings.channel.lower()
        return (
            f"twitch: followers-only, and follows not checked: run `botdeck auth` as {channel}"
            f" ({FOLLOWERS_SCOPE}) so that bots which follow may talk"
        )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def asker(self) -> AccountState | None:
        """Whose token may ask: the broadcaster's, else a bot's with the scope (Twitch
        answers a moderator's)."""
        link = self._link
        accounts = [link.accounts[link.settings.channel.lower()], *link.bots]
        return next(
            (a for a in accounts if a.token_ok and a.user_id and FOLLOWERS_SCOPE in a.scopes),
            None,
        )

    async def check(self) -> BotFollows | None:
        """Ask for every bot; the answer also goes onto the source's queue."""
        asker = self.asker()
        if asker is None or asker.user_id is None:
            if not self._unsure:  # asked again every minute: a token may come
                log.info("twitch: follows not checked: no token with %s", FOLLOWERS_SCOPE)
            self._unsure = True
            return None
        since: dict[str, float | None] = {}
        unread = False
        for bot in self._link.bots:
            if bot.user_id is None or bot.user_id == self._link.channel_id:
                continue
            try:
                followed = await self.followed_at(bot.user_id, asker.user_id)
            except REQUEST_ERRORS as error:
                log.info("twitch: %s's follow not checked (%s)", bot.login, type(error).__name__)
                unread = True
                continue
            if followed is False:
                unread = True
            else:
                since[bot.login] = followed
        self._unsure = unread or any(at is None for at in since.values())
        if not since:
            return None
        event = BotFollows(since)
        for login, at in since.items():
            log.info("twitch: %s %s", login, "does not follow" if at is None else "follows")
        self._queue.put_nowait(event)
        return event

    async def followed_at(self, user_id: str, asker: str) -> float | bool | None:
        """When `user_id` followed (Unix seconds), None if it does not, False if the
        answer could not be read."""
        rows = await self._helix.rows(
            self._link.require_client(),
            ENDPOINT,
            {"broadcaster_id": self._link.channel_id, "user_id": user_id},
            as_user=asker,
        )
        if rows is None:
            return False
        for row in rows:
            if text(row, "user_id") != user_id:
                continue
            at = timestamp(row.get("followed_at"))
            if at is None:
                self._helix.odd(ENDPOINT, "a follow without `followed_at`")
                return False
            return at
        return None
