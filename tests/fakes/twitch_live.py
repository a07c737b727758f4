"""The loopback Twitch over a 4-hour stream (issue 22): what `FakeTwitch` adds for it, in
a mixin of its own. Each behaviour is taken from Twitch's reference:

- Get Channel Followers with `user_id` (`moderator:read:followers` from the broadcaster or
  a moderator): `followed_at`, or no row for a user who does not follow;
- Get Banned Users (`moderation:read` or `moderator:manage:banned_users`): `expires_at`,
  empty for a permanent ban; `time_out` also notifies `clear_user_messages`;
- AutoMod: a send it holds answers `is_sent: false` with `msg_rejected`, and the sender's
  `channel.chat.user_message_hold` / `user_message_update` subscriptions hear the hold and
  the moderators' verdict (an approved line is then posted to chat under its id);
- shared chat sessions (`channel.shared_chat.begin/update/end`), `stream.offline` (its
  event has only the broadcaster's fields, as Twitch sends it), `channel.moderator.remove`;
- a socket gone silent (no keepalive, no notification: a network blip), one subscription
  revoked alone (e.g. the chat subscription with `version_removed`), a reply to a deleted
  parent (400 "Message cannot be replied to", twitchdev/issues #896);
- a websocket session takes subscriptions of one user only ("websocket transport cannot
  have subscriptions created by different users").

Times the fake reports (follows, ban ends) come from its clock, `now()`, which a test
moves with `advance(seconds)` and hands botdeck as its wall clock: one world clock for
both sides, so a 10-minute timeout ends without a 10-minute wait.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.twitch_server import FakeTwitch, FakeUser

FOLLOWERS_SCOPE = "moderator:read:followers"
BANNED_SCOPES = ("moderation:read", "moderator:manage:banned_users")
# Made up on purpose: Twitch's codes are undocumented and change, botdeck must not read them.
REMOVED_DROP = ("sender_removed_xyz", "You cannot send messages to this channel right now.")
HOLD_DROP = ("msg_rejected", "Your message is being checked by mods and has not been sent.")
# Subscription types that need no scope, and whose condition names no user.
NO_SCOPE = frozenset(
    {
        "channel.shared_chat.begin",
        "channel.shared_chat.update",
        "channel.shared_chat.end",
        "stream.offline",
        "stream.online",
        "channel.update",
        "channel.raid",
    }
)
BROADCASTER_ONLY = {"channel.moderator.remove": ("moderation:read",)}


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Held:
    """A line AutoMod holds for the moderators."""

    sender: FakeUser
    text: str
    message_id: str


class LiveFake:
    """Mixin for `FakeTwitch` (see the module docstring)."""

    def _live_init(self: FakeTwitch) -> None:
        self.clock_offset = 0.0
        self.followed_at: dict[str, float] = {}  # login -> when it followed (fake clock)
        self.banned_until: dict[str, float | None] = {}  # login -> end of timeout; None: ban
        self.automod_holds: set[str] = set()  # logins whose lines AutoMod holds
        self.held: dict[str, Held] = {}  # message id -> held line
        self.deleted: set[str] = set()  # message ids moderators deleted
        self.silent: set[str] = set()  # session ids that went silent
        self.keepalive_timeout = 10  # seconds, what the welcome tells the client
        self.shared_session: str | None = None
        self.shared_partners: list[FakeUser] = []
        self.odd_answers: dict[str, Any] = {}  # path -> a JSON body Twitch should not send

    def _live_routes(self: FakeTwitch, app: web.Application) -> None:
        app.router.add_get("/helix/channels/followers", self._followers)
        app.router.add_get("/helix/moderation/banned", self._banned)

    # ------------------------------------------------------------------ clock
    def now(self: FakeTwitch) -> float:
        """The fake's clock (Unix seconds): the world's, as the test moves it."""
        return time.time() + self.clock_offset

    def advance(self: FakeTwitch, seconds: float) -> None:
        self.clock_offset += seconds

    # ------------------------------------------------------------------ follows, bans
    def follow(self: FakeTwitch, login: str, minutes_ago: float = 60.0) -> None:
        """`login` follows the channel, since `minutes_ago`."""
        self.followed_at[login] = self.now() - minutes_ago * 60.0

    def _follows_long_enough(self: FakeTwitch, login: str) -> bool:
        """Followers-only mode lets `login` talk (`followers`: followed long ago)."""
        if login in self.followers:
            return True
        at = self.followed_at.get(login)
        minutes = self.chat_settings.get("follower_mode_duration") or 0
        return at is not None and self.now() - at >= minutes * 60.0

    async def time_out(self: FakeTwitch, login: str, seconds: float | None) -> None:
        """A moderator times `login` out for `seconds` (None: bans it): its lines are
        cleared (`clear_user_messages`, which says neither how long nor whether a ban) and
        Get Banned Users lists it until then."""
        self.banned_until[login] = None if seconds is None else self.now() + seconds
        await self.clear_user(login)

    def remove_unheard(self: FakeTwitch, login: str, seconds: float | None) -> None:
        """`login` is timed out for `seconds` (None: banned) while nobody reads: no event
        says so, only its sends are dropped and Get Banned Users lists it."""
        self.banned_until[login] = None if seconds is None else self.now() + seconds

    def lift(self: FakeTwitch, login: str) -> None:
        """A moderator lifts `login`'s timeout or ban: Get Banned Users no longer lists it
        (botdeck reads no `channel.unban`, which needs the broadcaster's channel:moderate)."""
        self.banned_until.pop(login, None)

    def _removed_now(self: FakeTwitch, login: str) -> bool:
        if login not in self.banned_until:
            return False
        until = self.banned_until[login]
        return until is None or until > self.now()

    async def _followers(self: FakeTwitch, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/channels/followers"))
        if (odd := self.odd_answers.get("/helix/channels/followers")) is not None:
            return web.json_response(odd)
        token = self._bearer(request)
        if token is None:
            return self._error(401, "invalid access token")
        if request.query.get("broadcaster_id") != self.channel.id:
            return self._error(400, "unknown broadcaster_id")
        user = self.user_by_id(token.user_id) if token.user_id else None
        moderates = user is not None and (user is self.channel or "moderator" in user.badges)
        if FOLLOWERS_SCOPE not in token.scopes or not moderates:
            return self._error(401, f"Missing scope: {FOLLOWERS_SCOPE}")
        wanted = request.query.get("user_id")
        rows = []
        for login, at in self.followed_at.items():
            follower = self.users.get(login)
            if follower is None or (wanted and follower.id != wanted):
                continue
            rows.append(
                {
                    "user_id": follower.id,
                    "user_login": follower.login,
                    "user_name": follower.display_name,
                    "followed_at": iso(at),
                }
            )
        return web.json_response({"data": rows, "total": len(rows), "pagination": {}})

    async def _banned(self: FakeTwitch, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/moderation/banned"))
        if (odd := self.odd_answers.get("/helix/moderation/banned")) is not None:
            return web.json_response(odd)
        token = self._bearer(request)
        if token is None:
            return self._error(401, "invalid access token")
        if request.query.get("broadcaster_id") != self.channel.id:
            return self._error(400, "unknown broadcaster_id")
        if token.user_id != self.channel.id or not set(BANNED_SCOPES) & set(token.scopes):
            return self._error(401, "Missing scope: moderation:read")
        wanted = set(request.query.getall("user_id", []))
        rows = []
        for login, until in self.banned_until.items():
            user = self.users.get(login)
            if user is None or (wanted and user.id not in wanted) or not self._removed_now(login):
                continue
            rows.append(
                {
                    "user_id": user.id,
                    "user_login": user.login,
                    "user_name": user.display_name,
                    "expires_at": "" if until is None else iso(until),
                    "created_at": iso(self.now()),
                    "reason": "",
                    "moderator_id": self.channel.id,
                    "moderator_login": self.channel.login,
                    "moderator_name": self.channel.display_name,
                }
            )
        return web.json_response({"data": rows, "pagination": {}})

    # ------------------------------------------------------------------ automod
    def _hold(self: FakeTwitch, sender: FakeUser, text: str) -> web.Response | None:
        """AutoMod holds `sender`'s line: the answer to the send (None: it does not)."""
        if sender.login not in self.automod_holds:
            return None
        held = Held(sender, text, str(uuid.uuid4()))
        self.held[held.message_id] = held
        event = {**self._user_message_fields(held), "held_at": iso(self.now())}
        self._spawn(self._notify_user("channel.chat.user_message_hold", event, sender.id))
        return self._dropped(*HOLD_DROP)

    def _user_message_fields(self: FakeTwitch, held: Held) -> dict[str, Any]:
        return {
            **self._broadcaster_fields(),
            "user_id": held.sender.id,
            "user_login": held.sender.login,
            "user_name": held.sender.display_name,
            "message_id": held.message_id,
            "message": {"text": held.text, "fragments": self._fragments(held.text)},
        }

    async def decide_held(self: FakeTwitch, message_id: str, status: str) -> None:
        """The moderators decide about a held line: `approved` (it is posted to chat under
        its id), `denied`, or `invalid` (the hold expired)."""
        held = self.held.pop(message_id)
        event = {**self._user_message_fields(held), "status": status}
        await self._notify_user("channel.chat.user_message_update", event, held.sender.id)
        if status == "approved":
            await self._notify_chat(held.sender, held.text, held.message_id, None)

    # ------------------------------------------------------------------ shared chat, stream
    def _participant(self: FakeTwitch, user: FakeUser) -> dict[str, str]:
        return {
            "broadcaster_user_id": user.id,
            "broadcaster_user_login": user.login,
            "broadcaster_user_name": user.display_name,
        }

    def _session_fields(self: FakeTwitch) -> dict[str, Any]:
        host = self.shared_partners[0] if self.shared_partners else self.channel
        return {
            "session_id": self.shared_session or "",
            **self._broadcaster_fields(),
            "host_broadcaster_user_id": host.id,
            "host_broadcaster_user_login": host.login,
            "host_broadcaster_user_name": host.display_name,
        }

    async def share_chat(self: FakeTwitch, *partners: str) -> None:
        """The channel joins (or, already in one, changes) a shared chat session with
        `partners`; no partners: the session ends."""
        users = [self.users.get(p) or self.add_user(p, badges=("broadcaster",)) for p in partners]
        if not users:
            if self.shared_session is not None:
                await self._notify("channel.shared_chat.end", self._session_fields())
            self.shared_session, self.shared_partners = None, []
            return
        kind = "channel.shared_chat.update" if self.shared_session else "channel.shared_chat.begin"
        self.shared_session = self.shared_session or str(uuid.uuid4())
        self.shared_partners = users
        everyone = [*users, self.channel]
        event = {**self._session_fields(), "participants": [self._participant(u) for u in everyone]}
        await self._notify(kind, event)

    async def stream_offline(self: FakeTwitch) -> None:
        """The broadcaster ends the stream (the event has the broadcaster's fields only)."""
        await self._notify("stream.offline", self._broadcaster_fields())

    async def remove_moderator(self: FakeTwitch, login: str) -> None:
        """The broadcaster takes `login`'s moderator status away."""
        user = self.users[login]
        user.badges = tuple(b for b in user.badges if b not in ("moderator", "lead_moderator"))
        event = {
            **self._broadcaster_fields(),
            "user_id": user.id,
            "user_login": user.login,
            "user_name": user.display_name,
        }
        await self._notify("channel.moderator.remove", event)

    # ------------------------------------------------------------------ the network
    def go_silent(self: FakeTwitch) -> None:
        """Every open socket goes silent (a network blip): no keepalive, no notification
        reaches it; it stays open. New connections work."""
        self.silent.update(self.sessions)

    def revoke_subscription(self: FakeTwitch, sub_type: str, status: str) -> None:
        """Twitch revokes every subscription of `sub_type` alone (`version_removed`,
        `beta_maintenance`, ...); the others stay."""
        for sub in list(self.subscriptions.values()):
            if sub.type == sub_type:
                self._revoke_one(sub, status)

    async def _notify_user(
        self: FakeTwitch, sub_type: str, event: dict[str, Any], user: str
    ) -> None:
        """A notification to the subscriptions of `sub_type` whose condition is `user`."""
        for sub in list(self.subscriptions.values()):
            if sub.type == sub_type and sub.condition.get("user_id") == user:
                await self._deliver(sub, event)

    def _subscription_refusal(
        self: FakeTwitch, sub_type: str, condition: dict[str, str], token: Any, session_id: str
    ) -> web.Response | None:
        """Twitch's no to a subscription by its type's own rules (None: they allow it)."""
        others = {
            s.condition.get("user_id") or s.creator
            for s in self.subscriptions.values()
            if s.session_id == session_id
        }
        if others - {token.user_id}:
            return self._error(
                400, "websocket transport cannot have subscriptions created by different users"
            )
        if sub_type in BROADCASTER_ONLY:
            needed = BROADCASTER_ONLY[sub_type]
            if token.user_id != self.channel.id or not set(needed) & set(token.scopes):
                return self._error(403, f"subscription missing proper authorization ({needed[0]})")
        return None
