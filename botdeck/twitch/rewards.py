"""Channel points on Twitch during a run: telling a redemption's fate (Update Redemption
Status). Making botdeck's "Ask <bot>" rewards is `reward_setup`'s (`botdeck rewards
create`).

Twitch lets only the client id that created a reward fulfil or refund its redemptions; a
reward made on Twitch's dashboard cannot be settled by any app. So botdeck asks once which
rewards its client id manages (Get Custom Reward, `only_manageable_rewards`; again when an
unknown reward's redemption comes, at most every `REFRESH` seconds); a redemption of
another reward is answered like any, and its fate is not told: a notice names the reward
by its title (make it with `botdeck rewards create`). Everything here is the broadcaster's
token: `channel:manage:redemptions` to settle and to create, `channel:read:redemptions`
enough to list. Nothing raises: a failure is one line for the journal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import twitchio

from botdeck.model.stream import RedemptionStatus, Reward
from botdeck.twitch.http import REQUEST_ERRORS, FailureKind, classify
from botdeck.twitch.link import AccountState, Link
from botdeck.twitch.settings import MANAGE_REDEMPTIONS_SCOPE, READ_REDEMPTIONS_SCOPE

log = logging.getLogger(__name__)

REFRESH = 60.0  # seconds between two looks at which rewards botdeck manages
TRIES = 3  # attempts at one Update Redemption Status when Twitch fails (5xx, network)


def foreign(title: str) -> str:
    return (
        f"reward {title!r} was not created by botdeck: Twitch lets only the app that made it"
        " fulfil or refund its redemptions (make one with `botdeck rewards create`)"
    )


class Rewards:
    """The broadcaster's channel points, for one `TwitchChat` (its `RewardDesk`)."""

    def __init__(self, link: Link, now: Callable[[], float] = time.monotonic) -> None:
        self._link = link
        self._now = now
        self._managed: set[str] = set()
        self._looked_at: float | None = None
        self._lock = asyncio.Lock()
        self._foreign: dict[str, str] = {}  # reward id -> title, said once

    @property
    def notices(self) -> tuple[str, ...]:
        return tuple(foreign(title) for title in self._foreign.values())

    def _broadcaster(self) -> AccountState:
        return self._link.accounts[self._link.settings.channel.lower()]

    async def load(self) -> None:
        """Which rewards botdeck's client id manages (when the token may list them)."""
        account = self._broadcaster()
        scopes = account.scopes
        if not account.token_ok or not (
            {MANAGE_REDEMPTIONS_SCOPE, READ_REDEMPTIONS_SCOPE} & scopes
        ):
            return
        async with self._lock:
            self._looked_at = self._now()
            try:
                answer = await self._link.require_client()._http.get_custom_reward(
                    broadcaster_id=self._link.channel_id,
                    token_for=account.user_id or "",
                    manageable=True,
                )
            except REQUEST_ERRORS as error:
                log.warning("twitch: botdeck's rewards not listed (%s)", _why(error))
                return
            self._managed = {str(r.get("id")) for r in answer.get("data") or [] if r.get("id")}

    async def settle(self, redemption: str, reward: Reward, status: RedemptionStatus) -> str | None:
        """Mark the redemption FULFILLED or CANCELED (refunded); None once done, else why
        not, in one line."""
        account = self._broadcaster()
        if not account.token_ok or account.user_id is None:
            return "no broadcaster token to settle it with: run `botdeck auth`"
        if MANAGE_REDEMPTIONS_SCOPE not in account.scopes:
            return f"the broadcaster has not granted {MANAGE_REDEMPTIONS_SCOPE}: run `botdeck auth`"
        if reward.id not in self._managed:
            stale = self._looked_at is None or self._now() - self._looked_at >= REFRESH
            if stale:
                await self.load()
            if reward.id not in self._managed:
                return self._not_ours(reward)
        http = self._link.require_client()._http
        for attempt in range(1, TRIES + 1):
            try:
                await http.patch_custom_reward_redemption(
                    broadcaster_id=self._link.channel_id,
                    token_for=account.user_id,
                    reward_id=reward.id,
                    id=redemption,
                    status=status.value,
                )
                return None
            except REQUEST_ERRORS as error:
                if isinstance(error, twitchio.HTTPException) and error.status == 403:
                    self._managed.discard(reward.id)
                    return self._not_ours(reward)
                failure = classify(error, what="the redemption's status")
                if failure.kind is not FailureKind.TEMPORARY or attempt == TRIES:
                    return failure.reason
                await asyncio.sleep(self._link.settings.retry_wait * attempt)
        return None  # not reached: the last attempt returns

    def _not_ours(self, reward: Reward) -> str:
        if reward.id not in self._foreign:
            self._foreign[reward.id] = reward.title
            log.warning("twitch: %s", foreign(reward.title))
        return foreign(reward.title)


def _why(error: BaseException) -> str:
    return classify(error, what="the reward request").reason
