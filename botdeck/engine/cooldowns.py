"""Cooldowns for replies that are not mentions: one chatty viewer or one bot must not
take over the channel.

A random reply (to a viewer's line without mentions, or a bot chiming in on another
bot's line) is admitted only if none of its cooldowns runs: `per_user` since the last
random reply to that viewer, `per_bot` since that bot's last random reply, `global`
since any random reply. A line inside a cooldown never becomes a job (so it is not
journaled as one); the hit is counted for the bot that would have answered, which the
dashboard shows. Mentions never pass through here: they have `per_user_cap`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from botdeck.model.defaults import Cooldowns

_FORGET_AFTER = 4096  # viewers remembered before expired ones are dropped


class CooldownGate:
    def __init__(self, cooldowns: Cooldowns, now: Callable[[], float]) -> None:
        self._cooldowns = cooldowns
        self._now = now
        self._last_any = float("-inf")
        self._last_bot: dict[str, float] = {}
        self._last_viewer: dict[str, float] = {}
        self.hits: Counter[str] = Counter()  # per bot: random replies a cooldown prevented

    def admit(self, bot: str, viewer: str | None) -> bool:
        """Whether `bot` may answer `viewer` (None: a bot's line) by chance now; if so,
        the cooldowns start again from now."""
        cooldowns, now = self._cooldowns, self._now()
        waiting = (
            now < self._last_any + cooldowns.global_
            or now < self._last_bot.get(bot, float("-inf")) + cooldowns.per_bot
            or (
                viewer is not None
                and now < self._last_viewer.get(viewer, float("-inf")) + cooldowns.per_user
            )
        )
        if waiting:
            self.hits[bot] += 1
            return False
        self._last_any = now
        self._last_bot[bot] = now
        if viewer is not None:
            self._last_viewer[viewer] = now
            if len(self._last_viewer) > _FORGET_AFTER:
                horizon = now - cooldowns.per_user
                self._last_viewer = {v: t for v, t in self._last_viewer.items() if t > horizon}
        return True
