"""Which send limit each bot has earned: confirmed by Twitch, never assumed from the config.

Every bot starts at the viewer's limit, whatever `role` says, because Twitch locks out an
account that sends more than its role allows. More is confirmed at start through Get
Moderated Channels (when the bot's token has `user:read:moderated_channels`), and during
the run by the badges on the bot's own messages; the listener (the send limiter) hears
each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from botdeck.model.chat import Role
from botdeck.twitch.http import REQUEST_ERRORS
from botdeck.twitch.link import Link
from botdeck.twitch.settings import MODERATED_SCOPE

log = logging.getLogger(__name__)

RoleListener = Callable[[str, Role], None]


class Roles:
    """Tells `on_role` each bot's role as Twitch shows it (nothing when it is None)."""

    def __init__(self, link: Link, on_role: RoleListener | None) -> None:
        self._link = link
        self._on_role = on_role

    async def confirm(self) -> None:
        """At start: the broadcaster is the broadcaster, a bot that Get Moderated Channels
        lists for this channel a moderator, every other bot a viewer until its badges say
        more."""
        if self._on_role is None:
            return
        link = self._link
        client = link.require_client()
        for bot in link.bots:
            role = Role.VIEWER
            if bot.user_id == link.channel_id:
                role = Role.BROADCASTER
            elif bot.token_ok and MODERATED_SCOPE in bot.scopes and bot.user_id:
                user = client.create_partialuser(bot.user_id, bot.login)
                try:
                    async for channel in user.fetch_moderated_channels(token_for=bot.user_id):
                        if channel.id == link.channel_id:
                            role = Role.MODERATOR
                            break
                except REQUEST_ERRORS as error:
                    log.info("%s: moderator status not checked (%s)", bot.login, error)
            self._on_role(bot.login, role)

    def seen(self, login: str, badges: Iterable[str]) -> None:
        """A message from `login` with these badges: if it is one of our bots, its role."""
        account = self._link.accounts.get(login)
        if account is not None and account.sends and self._on_role is not None:
            self._on_role(login, Role.from_badges(badges))
