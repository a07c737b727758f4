"""The loopback Twitch fake's channel: events over EventSub, channel information, streams
and channel points (mixed into `FakeTwitch`).

Notifications are shaped as Twitch's EventSub reference documents each type (its
"notification example"): `channel.chat.notification` (sub, resub, sub_gift,
community_sub_gift, gift_paid_upgrade, prime_paid_upgrade, pay_it_forward, raid, unraid,
announcement, bits_badge_tier, charity_donation: one field per notice type, the others
null), `channel.raid`, `channel.follow` v2, `channel.cheer`,
`channel.channel_points_custom_reward_redemption.add`, `stream.online`,
`stream.offline` and `channel.update` v2. Subscribing checks what Twitch checks: the
condition each type needs and the scope its token must carry (the broadcaster's, or a
moderator's for follows), and a websocket session's subscriptions all belong to one user.

Helix: Get Channel Information, Get Streams, Create Custom Rewards, Get Custom Reward
(`only_manageable_rewards`) and Update Redemption Status, which like Twitch refuses (403)
a reward another client id created (a reward made on Twitch's dashboard: `add_reward(...,
by_botdeck=False)`), and a redemption no longer UNFULFILLED.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.twitch_live import BROADCASTER_ONLY, NO_SCOPE

CHAT_TYPES = {
    "channel.chat.message",
    "channel.chat.notification",
    "channel.chat.message_delete",
    "channel.chat.clear_user_messages",
    "channel.chat.clear",
    "channel.chat_settings.update",
}
# Types the broadcaster's token must allow (a moderator's too, for follows).
SCOPED = {
    "channel.follow": ("moderator:read:followers",),
    "channel.cheer": ("bits:read",),
    "channel.channel_points_custom_reward_redemption.add": (
        "channel:read:redemptions",
        "channel:manage:redemptions",
    ),
}
OPEN = {"channel.raid", "stream.online", "stream.offline", "channel.update"}  # no scope
VERSIONS = {"channel.follow": "2", "channel.update": "2"}
NOTICES = (
    "sub", "resub", "sub_gift", "community_sub_gift", "gift_paid_upgrade", "prime_paid_upgrade",
    "pay_it_forward", "raid", "unraid", "announcement", "bits_badge_tier", "charity_donation",
)  # fmt: skip


def _error(status: int, message: str) -> web.Response:
    """Helix's error body (as `FakeTwitch._error`)."""
    names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    body = {"error": names.get(status, "Error"), "status": status, "message": message}
    return web.json_response(body, status=status)


def _iso(moment: datetime.datetime | None = None) -> str:
    moment = moment or datetime.datetime.now(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeReward:
    id: str
    title: str
    cost: int
    prompt: str
    client_id: str  # who created it: only that client id may settle its redemptions
    max_per_stream: int = 0
    max_per_user_per_stream: int = 0
    global_cooldown: int = 0


@dataclass
class FakeRedemption:
    id: str
    reward: FakeReward
    user: str
    text: str
    status: str = "UNFULFILLED"
    updates: list[str] = field(default_factory=list)  # statuses asked for, in order


class ChannelEvents:
    """State and steering for the channel's events; `FakeTwitch` mixes it in."""

    def _init_events(self: Any) -> None:
        self.game = "Just Chatting"
        self.title = "botdeck test stream"
        self.live_since: datetime.datetime | None = None
        self.rewards: dict[str, FakeReward] = {}
        self.redemptions: dict[str, FakeRedemption] = {}
        self.session_users: dict[str, str] = {}  # session id -> the user whose it is
        self._reward_ids = itertools.count(1)

    def _event_routes(self: Any, app: web.Application) -> None:
        app.router.add_get("/helix/channels", self._channels)
        app.router.add_get("/helix/streams", self._streams)
        app.router.add_post("/helix/channel_points/custom_rewards", self._create_reward)
        app.router.add_get("/helix/channel_points/custom_rewards", self._get_rewards)
        app.router.add_patch(
            "/helix/channel_points/custom_rewards/redemptions", self._update_redemption
        )

    # ------------------------------------------------------------------ subscribing
    def _subscription_problem(
        self: Any, kind: str, condition: dict[str, str], token: Any, session_id: str
    ) -> tuple[int, str] | None:
        """Why Twitch would refuse this subscription (None: it takes it)."""
        channel = self.channel.id
        if kind in CHAT_TYPES:
            if condition.get("user_id") != token.user_id:
                return 403, "the token is not for condition.user_id"
            if "user:read:chat" not in token.scopes:
                return 403, "missing scope user:read:chat"
            if self.user_by_id(token.user_id).banned:
                return 403, "the user is banned from the channel"
        elif kind == "channel.raid":
            ends = [
                condition.get("to_broadcaster_user_id"),
                condition.get("from_broadcaster_user_id"),
            ]
            if sum(1 for end in ends if end) != 1:
                return 400, "give one of to_broadcaster_user_id and from_broadcaster_user_id"
        elif kind in SCOPED:
            if condition.get("broadcaster_user_id") != channel:
                return 400, "unknown broadcaster_user_id"
            acting = condition.get("moderator_user_id", channel)
            if kind == "channel.follow" and condition.get("moderator_user_id") is None:
                return 400, "channel.follow v2 needs moderator_user_id"
            if token.user_id != acting:
                return 403, "the token is not the broadcaster's (or the moderator's)"
            if not set(SCOPED[kind]) & set(token.scopes):
                return 403, f"missing scope {' or '.join(SCOPED[kind])}"
        elif kind not in OPEN and kind not in NO_SCOPE and kind not in BROADCASTER_ONLY:
            # Any other type names its user (AutoMod's holds, ...): a chat type's rules.
            if condition.get("user_id") != token.user_id:
                return 403, "the token is not for condition.user_id"
            if "user:read:chat" not in token.scopes:
                return 403, "missing scope user:read:chat"
            if self.user_by_id(token.user_id).banned:
                return 403, "the user is banned from the channel"
        # A session's subscriptions all of one user: `LiveFake._subscription_refusal`.
        return None

    def _bind_session(self: Any, session_id: str, user_id: str) -> None:
        self.session_users.setdefault(session_id, user_id)

    # ------------------------------------------------------------------ notifying
    async def _notify_event(self: Any, kind: str, event: dict[str, Any]) -> None:
        """One notification of `kind` to every subscription to our channel."""
        key = "to_broadcaster_user_id" if kind == "channel.raid" else "broadcaster_user_id"
        await self._notify(kind, event, key=key, version=VERSIONS.get(kind, "1"))

    async def chat_notification(
        self: Any,
        notice_type: str,
        login: str | None,
        *,
        text: str = "",
        system_message: str = "",
        details: dict[str, Any] | None = None,
        message_id: str | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        """A `channel.chat.notification` as Twitch's reference shows it: `notice_type`'s
        field holds `details`, every other type's field is null. `login` None: an
        anonymous chatter. `drop` leaves fields out (a payload Twitch changed)."""
        message_id = message_id or str(uuid.uuid4())
        chatter = None if login is None else (self.users.get(login) or self.add_user(login))
        event: dict[str, Any] = {
            **self._broadcaster_fields(),
            "chatter_user_id": chatter.id if chatter else None,
            "chatter_user_login": chatter.login if chatter else None,
            "chatter_user_name": chatter.display_name if chatter else None,
            "chatter_is_anonymous": chatter is None,
            "color": "#FF0000" if chatter else "",
            "badges": [],
            "system_message": system_message,
            "message_id": message_id,
            "message": {"text": text, "fragments": self._fragments(text) if text else []},
            "notice_type": notice_type,
            **{notice: None for notice in NOTICES},
        }
        if notice_type in NOTICES or details is not None:
            event[notice_type] = details if details is not None else {}
        for name in drop:
            event.pop(name, None)
        await self._notify_event("channel.chat.notification", event)
        return message_id

    async def sub(self: Any, login: str, months: int = 1, text: str = "") -> str:
        if months <= 1:
            details = {"sub_tier": "1000", "is_prime": False, "duration_months": 1}
            sent: str = await self.chat_notification("sub", login, details=details)
            return sent
        details = {
            "cumulative_months": months, "duration_months": 0, "streak_months": None,
            "sub_tier": "1000", "is_prime": False, "is_gift": False,
            "gifter_is_anonymous": None, "gifter_user_id": None, "gifter_user_name": None,
            "gifter_user_login": None,
        }  # fmt: skip
        resub: str = await self.chat_notification("resub", login, text=text, details=details)
        return resub

    async def community_gift(self: Any, login: str | None, total: int) -> list[str]:
        """A gift bomb as Twitch tells it: one `community_sub_gift`, then a `sub_gift`
        per recipient, each naming the community gift."""
        gift_id = str(next(self._reward_ids) + 900_000)
        who = "An anonymous user" if login is None else login
        ids = [
            await self.chat_notification(
                "community_sub_gift",
                login,
                system_message=f"{who} is gifting {total} Tier 1 Subs to the community!",
                details={
                    "id": gift_id,
                    "total": total,
                    "sub_tier": "1000",
                    "cumulative_total": None if login is None else total,
                },
            )
        ]
        for number in range(total):
            recipient = self.add_user(f"lucky{gift_id}{number}")
            ids.append(
                await self.chat_notification(
                    "sub_gift",
                    login,
                    details={
                        "duration_months": 1,
                        "cumulative_total": None,
                        "recipient_user_id": recipient.id,
                        "recipient_user_name": recipient.display_name,
                        "recipient_user_login": recipient.login,
                        "sub_tier": "1000",
                        "community_gift_id": gift_id,
                    },
                )
            )
        return ids

    async def raid(self: Any, login: str, viewers: int, *, notice: bool = True) -> None:
        """Another channel raids ours: `channel.raid`, then (as in chat) the raid notice."""
        raider = self.users.get(login) or self.add_user(login, badges=("broadcaster",))
        channel = self.channel
        await self._notify_event(
            "channel.raid",
            {
                "from_broadcaster_user_id": raider.id,
                "from_broadcaster_user_login": raider.login,
                "from_broadcaster_user_name": raider.display_name,
                "to_broadcaster_user_id": channel.id,
                "to_broadcaster_user_login": channel.login,
                "to_broadcaster_user_name": channel.display_name,
                "viewers": viewers,
            },
        )
        if notice:
            await self.chat_notification(
                "raid",
                login,
                system_message=f"{viewers} raiders from {raider.display_name} have joined!",
                details={
                    "user_id": raider.id,
                    "user_name": raider.display_name,
                    "user_login": raider.login,
                    "viewer_count": viewers,
                    "profile_image_url": "https://example.invalid/raider.png",
                },
            )

    async def announce_follow(self: Any, login: str) -> None:
        """`login` follows now, and Twitch tells `channel.follow` (`follow` only records
        a follow for Get Channel Followers)."""
        user = self.users.get(login) or self.add_user(login)
        self.followers.add(login)
        self.followed_at[login] = self.now()
        await self._notify_event(
            "channel.follow",
            {
                "user_id": user.id,
                "user_login": user.login,
                "user_name": user.display_name,
                **self._broadcaster_fields(),
                "followed_at": _iso(),
            },
        )

    async def cheer(self: Any, login: str | None, bits: int, text: str = "") -> None:
        user = None if login is None else (self.users.get(login) or self.add_user(login))
        await self._notify_event(
            "channel.cheer",
            {
                "is_anonymous": user is None,
                "user_id": user.id if user else None,
                "user_login": user.login if user else None,
                "user_name": user.display_name if user else None,
                **self._broadcaster_fields(),
                "message": text or f"Cheer{bits}",
                "bits": bits,
            },
        )

    def add_reward(
        self: Any, title: str, *, cost: int = 100, by_botdeck: bool = True
    ) -> FakeReward:
        """A reward on the channel; `by_botdeck=False`: made on Twitch's dashboard."""
        client = self.client_id if by_botdeck else "twitch-dashboard"
        reward = FakeReward(str(uuid.uuid4()), title, cost, "Ask away", client)
        self.rewards[reward.id] = reward
        return reward

    async def redeem(self: Any, login: str, reward: FakeReward, text: str) -> str:
        """A viewer redeems `reward` with `text`: UNFULFILLED until someone settles it."""
        user = self.users.get(login) or self.add_user(login)
        redemption = FakeRedemption(str(uuid.uuid4()), reward, login, text)
        self.redemptions[redemption.id] = redemption
        await self._notify_event(
            "channel.channel_points_custom_reward_redemption.add",
            {
                "id": redemption.id,
                **self._broadcaster_fields(),
                "user_id": user.id,
                "user_login": user.login,
                "user_name": user.display_name,
                "user_input": text,
                "status": "unfulfilled",
                "reward": {
                    "id": reward.id,
                    "title": reward.title,
                    "cost": reward.cost,
                    "prompt": reward.prompt,
                },
                "redeemed_at": _iso(),
            },
        )
        return redemption.id

    async def go_live(self: Any) -> None:
        self.live_since = datetime.datetime.now(datetime.UTC)
        await self._notify_event(
            "stream.online",
            {
                "id": "9001",
                **self._broadcaster_fields(),
                "type": "live",
                "started_at": _iso(self.live_since),
            },
        )

    async def go_offline(self: Any) -> None:
        self.live_since = None
        await self._notify_event("stream.offline", self._broadcaster_fields())

    async def update_channel(
        self: Any, *, title: str | None = None, game: str | None = None
    ) -> None:
        self.title = title if title is not None else self.title
        self.game = game if game is not None else self.game
        await self._notify_event(
            "channel.update",
            {
                **self._broadcaster_fields(),
                "title": self.title,
                "language": "en",
                "category_id": "509658",
                "category_name": self.game,
                "content_classification_labels": [],
            },
        )

    # ------------------------------------------------------------------ helix
    async def _channels(self: Any, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/channels"))
        if self._bearer(request) is None:
            return _error(401, "invalid access token")
        ids = request.query.getall("broadcaster_id", [])
        channel = self.channel
        if channel.id not in ids:
            return web.json_response({"data": []})
        data = {
            "broadcaster_id": channel.id,
            "broadcaster_login": channel.login,
            "broadcaster_name": channel.display_name,
            "broadcaster_language": "en",
            "game_id": "509658",
            "game_name": self.game,
            "title": self.title,
            "delay": 0,
            "tags": [],
            "content_classification_labels": [],
            "is_branded_content": False,
        }
        return web.json_response({"data": [data]})

    async def _streams(self: Any, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/streams"))
        if self._bearer(request) is None:
            return _error(401, "invalid access token")
        channel = self.channel
        if self.live_since is None or channel.id not in request.query.getall("user_id", []):
            return web.json_response({"data": [], "pagination": {}})
        data = {
            "id": "9001", "user_id": channel.id, "user_login": channel.login,
            "user_name": channel.display_name, "game_id": "509658", "game_name": self.game,
            "type": "live", "title": self.title, "tags": [], "viewer_count": 42,
            "started_at": _iso(self.live_since), "language": "en",
            "thumbnail_url": "https://example.invalid/{width}x{height}.jpg", "tag_ids": [],
            "is_mature": False,
        }  # fmt: skip
        return web.json_response({"data": [data], "pagination": {}})

    def _broadcaster_token(self: Any, request: web.Request, *scopes: str) -> Any:
        """The broadcaster's token with one of `scopes`, or the error response."""
        token = self._bearer(request)
        if token is None:
            return _error(401, "invalid access token")
        if request.query.get("broadcaster_id") != self.channel.id:
            return _error(400, "unknown broadcaster_id")
        if token.user_id != self.channel.id:
            return _error(403, "the token is not the broadcaster's")
        if not set(scopes) & set(token.scopes):
            return _error(401, f"Missing scope: {' or '.join(scopes)}")
        return token

    def _reward_json(self: Any, reward: FakeReward) -> dict[str, Any]:
        channel = self.channel
        return {
            "broadcaster_id": channel.id, "broadcaster_login": channel.login,
            "broadcaster_name": channel.display_name, "id": reward.id, "title": reward.title,
            "prompt": reward.prompt, "cost": reward.cost, "image": None,
            "default_image": {"url_1x": "https://example.invalid/1.png",
                              "url_2x": "https://example.invalid/2.png",
                              "url_4x": "https://example.invalid/4.png"},
            "background_color": "#9147FF", "is_enabled": True, "is_user_input_required": True,
            "max_per_stream_setting": {"is_enabled": bool(reward.max_per_stream),
                                       "max_per_stream": reward.max_per_stream},
            "max_per_user_per_stream_setting": {
                "is_enabled": bool(reward.max_per_user_per_stream),
                "max_per_user_per_stream": reward.max_per_user_per_stream},
            "global_cooldown_setting": {"is_enabled": bool(reward.global_cooldown),
                                        "global_cooldown_seconds": reward.global_cooldown},
            "is_paused": False, "is_in_stock": True,
            "should_redemptions_skip_request_queue": False,
            "redemptions_redeemed_current_stream": None, "cooldown_expires_at": None,
        }  # fmt: skip

    async def _create_reward(self: Any, request: web.Request) -> web.Response:
        self.requests.append(("POST", "/helix/channel_points/custom_rewards"))
        token = self._broadcaster_token(request, "channel:manage:redemptions")
        if isinstance(token, web.Response):
            return token
        body = await request.json()
        title = str(body.get("title", ""))
        if not title or len(title) > 45 or not isinstance(body.get("cost"), int):
            return _error(400, "a title of 1-45 characters and an integer cost")
        if any(r.title.casefold() == title.casefold() for r in self.rewards.values()):
            return _error(400, "CREATE_CUSTOM_REWARD_DUPLICATE_REWARD")
        reward = FakeReward(
            str(uuid.uuid4()),
            title,
            body["cost"],
            str(body.get("prompt", "")),
            request.headers.get("Client-Id", ""),
            int(body.get("max_per_stream", 0)),
            int(body.get("max_per_user_per_stream", 0)),
            int(body.get("global_cooldown_seconds", 0)),
        )
        self.rewards[reward.id] = reward
        await self._touch()
        return web.json_response({"data": [self._reward_json(reward)]})

    async def _get_rewards(self: Any, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/channel_points/custom_rewards"))
        token = self._broadcaster_token(
            request, "channel:read:redemptions", "channel:manage:redemptions"
        )
        if isinstance(token, web.Response):
            return token
        mine = request.query.get("only_manageable_rewards", "false").lower() == "true"
        client = request.headers.get("Client-Id", "")
        found = [r for r in self.rewards.values() if not mine or r.client_id == client]
        return web.json_response({"data": [self._reward_json(r) for r in found]})

    async def _update_redemption(self: Any, request: web.Request) -> web.Response:
        self.requests.append(("PATCH", "/helix/channel_points/custom_rewards/redemptions"))
        token = self._broadcaster_token(request, "channel:manage:redemptions")
        if isinstance(token, web.Response):
            return token
        redemption = self.redemptions.get(request.query.get("id", ""))
        reward = self.rewards.get(request.query.get("reward_id", ""))
        if redemption is None or reward is None or redemption.reward is not reward:
            return _error(404, "no such redemption of that reward")
        if reward.client_id != request.headers.get("Client-Id"):
            return _error(
                403,
                "The ID in header Client-Id must match the client ID used to create the reward.",
            )
        status = (await request.json()).get("status")
        redemption.updates.append(str(status))
        if status not in ("FULFILLED", "CANCELED"):
            return _error(400, "status must be FULFILLED or CANCELED")
        if redemption.status != "UNFULFILLED":
            return _error(400, "the redemption is not UNFULFILLED")
        redemption.status = status
        await self._touch()
        data = {
            "broadcaster_id": self.channel.id, "broadcaster_login": self.channel.login,
            "broadcaster_name": self.channel.display_name, "id": redemption.id,
            "user_id": self.users[redemption.user].id, "user_login": redemption.user,
            "user_name": self.users[redemption.user].display_name, "user_input": redemption.text,
            "status": status, "redeemed_at": _iso(),
            "reward": {"id": reward.id, "title": reward.title, "prompt": reward.prompt,
                       "cost": reward.cost},
        }  # fmt: skip
        return web.json_response({"data": [data]})
