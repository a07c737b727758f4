"""Which send limit each bot has earned: confirmed by Twitch, never assumed from the config.

Every bot starts at the viewer's limit, whatever `role` says, because Twitch locks out an
account that sends more than its role allows. More is confirmed at start through Get
Moderated Channels (when the bot's token has `user:read:moderated_channels`), and during
the run by the badges on the bot's own messages; the listener (the send limiter) hears
each.

Less is confirmed as soon as Twitch says so: a bot that loses its moderator status would
otherwise keep the moderator's pace (100 per 30 s) until its next line's badges, and be
locked out at the viewer's 20. Get Moderated Channels runs again every
`role_check_interval`, and `channel.moderator.remove` (where the broadcaster reads)
demotes at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from botdeck.model.chat import Role
from botdeck.twitch.http import REQUEST_ERRORS
from botdeck.twitch.link import AccountState, Link
from botdeck.twitch.settings import MODERATED_SCOPE

log = logging.getLogger(__name__)

RoleListener = Callable[[str, Role], None]


class Roles:
    """Tells `on_role` each bot's role as Twitch shows it (nothing when it is None)."""

    def __init__(self, link: Link, on_role: RoleListener | None) -> None:
        self._link = link
        self._on_role = on_role
        self.told: dict[str, Role] = {}  # what the listener last heard, per bot
        self._odd = False  # an odd answer from Get Moderated Channels was logged

    async def confirm(self) -> None:
        """At start: the broadcaster is the broadcaster, a bot that Get Moderated Channels
        lists for this channel a moderator, every other bot a viewer until its badges say
        more."""
        link = self._link
        for bot in link.bots:
            role = Role.VIEWER
            if bot.user_id == link.channel_id:
                role = Role.BROADCASTER
            elif await self.moderates(bot):
                role = Role.MODERATOR
            self._tell(bot.login, role)

    async def moderates(self, bot: AccountState) -> bool | None:
        """Whether Get Moderated Channels lists our channel for `bot` (None: not known)."""
        link = self._link
        if not (bot.token_ok and MODERATED_SCOPE in bot.scopes and bot.user_id):
            return None
        user = link.require_client().create_partialuser(bot.user_id, bot.login)
        try:
            async for channel in user.fetch_moderated_channels(token_for=bot.user_id):
                if getattr(channel, "id", None) == link.channel_id:
                    return True
        except REQUEST_ERRORS as error:
            log.info("%s: moderator status not checked (%s)", bot.login, error)
            return None
        except (KeyError, TypeError, ValueError) as error:  # an answer of another shape
            if not self._odd:  # said once: it is asked again every few minutes
                self._odd = True
                log.warning("twitch: moderation/channels answered unexpectedly (%s)", error)
            return None
        return False

    async def recheck(self) -> None:
        """Get Moderated Channels again: a bot no longer listed drops to the viewer's pace
        now (its badges may show VIP later), a newly listed one gets the moderator's."""
        for bot in self._link.bots:
            if bot.user_id == self._link.channel_id:
                continue
            moderates = await self.moderates(bot)
            told = self.told.get(bot.login)
            if moderates is True and told is not Role.MODERATOR:
                self._tell(bot.login, Role.MODERATOR)
            elif moderates is False and told is Role.MODERATOR:
                log.warning("twitch: %s is no longer a moderator: viewer's pace", bot.login)
                self._tell(bot.login, Role.VIEWER)

    def demoted(self, login: str) -> None:
        """`channel.moderator.remove` named `login`: if it is one of our bots, the viewer's
        pace at once."""
        account = self._link.accounts.get(login)
        if account is not None and account.sends and self.told.get(login) is not Role.VIEWER:
            log.warning("twitch: %s lost its moderator status: viewer's pace", login)
            self._tell(login, Role.VIEWER)

    def seen(self, login: str, badges: Iterable[str]) -> None:
        """A message from `login` with these badges: if it is one of our bots, its role."""
        account = self._link.accounts.get(login)
        if account is not None and account.sends:
            self._tell(login, Role.from_badges(badges))

    def _tell(self, login: str, role: Role) -> None:
        self.told[login] = role
        if self._on_role is not None:
            self._on_role(login, role)
