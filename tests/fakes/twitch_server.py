"""A loopback fake of the parts of Twitch botdeck uses, for the real twitchio client.

aiohttp on 127.0.0.1, port 0. It speaks the shapes twitchio 3.3 parses: OAuth
(`/oauth2/token` with the authorization-code, refresh, client-credentials and device-code
grants, `/oauth2/validate`, `/oauth2/authorize`, `/oauth2/device`), Helix (`/helix/users`,
`/helix/eventsub/subscriptions`, `/helix/chat/messages`, `/helix/chat/settings`,
`/helix/moderation/channels`) and the EventSub websocket (`/ws`: welcome, keepalive,
notification, revocation, session_reconnect). Like Twitch it checks every bearer token
against the user it claims to act for, refuses app tokens for websocket subscriptions and
`for_source_only` with a user token, echoes sent messages back to chat with the sender's
badges, and keeps subscriptions across a session_reconnect but not across a dropped
socket. It also watches the chat limits from its side and records every violation, with
limits a test can shorten.

Tests steer it: `say` a chat line (also from a shared-chat partner channel), `script` the
next answers to a send (a drop reason, a 429 with `Ratelimit-Reset`, a 401), fail the
next token requests (`oauth_errors`, e.g. 503), refuse every subscription
(`refuse_subscriptions`, e.g. a 400), `ban` an account (its subscription is
revoked with `chat_user_banned`, its sends dropped), `revoke` a grant, `drop` or
`close_sockets` the websockets, take EventSub down (`outage`), `session_reconnect`, hold
the next welcome, refuse the next connections, send raw frames, change the echo's text or
deliver it before the send's answer, `approve` a device code as some account. Moderators'
side: delete a line, clear a user's lines (a ban or timeout), clear the chat, change the
chat settings (each notified to the subscribers, as Twitch does); the chat modes are
enforced on sends (slow, followers-, subscribers-, emote-only: a dropped message and a
recorded violation). What a 4-hour stream adds (follows, timeouts with their end,
AutoMod, shared chat, the stream going offline, silent sockets, lone revocations, a
clock the test moves) is the mixin in `tests/fakes/twitch_live.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
import math
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from botdeck.model.chat import Role
from botdeck.model.defaults import SendLimits
from tests.fakes.twitch_events import ChannelEvents
from tests.fakes.twitch_live import REMOVED_DROP, LiveFake

BOT_SCOPES = ("user:read:chat", "user:write:chat", "user:bot", "user:read:moderated_channels")


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeUser:
    id: str
    login: str
    display_name: str
    badges: tuple[str, ...] = ()  # badge set ids in the channel, e.g. ("moderator",)
    app_authorized: bool = False  # granted user:bot / channel:bot to the client
    banned: bool = False  # banned from the channel


@dataclass
class FakeToken:
    value: str
    user_id: str | None  # None: an app token
    scopes: tuple[str, ...] = ()
    refresh: str = ""
    expires_in: int = 14_000
    revoked: bool = False


@dataclass
class Sent:
    """A message as the fake received it at /helix/chat/messages."""

    at: float  # time.monotonic()
    sender_id: str
    sender: str  # login
    token: str
    text: str
    reply_to: str | None
    status: int
    message_id: str | None
    dropped: str | None = None  # the drop code, when Twitch did not deliver it
    for_source_only: bool | None = None
    wall: float = 0.0  # time.time(), to compare with Ratelimit-Reset


@dataclass
class Session:
    id: str
    ws: web.WebSocketResponse
    request: web.Request
    keepalive: asyncio.Task[None] | None = None


@dataclass
class Subscription:
    id: str
    type: str
    condition: dict[str, str]
    session_id: str
    creator: str | None = None  # the user whose token made it


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    scopes: tuple[str, ...]
    expires_at: float  # time.monotonic()
    user_id: str | None = None  # set once someone approved it


@dataclass
class Limits:
    """What the fake checks on its side (Twitch's by default)."""

    send: SendLimits = field(default_factory=SendLimits)


class FakeTwitch(ChannelEvents, LiveFake):
    def __init__(
        self,
        *,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret-value",
        channel: str = "streamer",
        keepalive_every: float = 3.0,
        limits: SendLimits | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.keepalive_every = keepalive_every
        self.limits = limits or SendLimits()
        self._ids = itertools.count(1000)
        self.users: dict[str, FakeUser] = {}
        self.tokens: dict[str, FakeToken] = {}
        self.codes: dict[str, tuple[str, tuple[str, ...]]] = {}  # code -> (user id, scopes)
        self.app_token = self._token(None, ())
        self.channel = self.add_user(channel, badges=("broadcaster",))
        self.sent: list[Sent] = []
        self.violations: list[str] = []
        self.scripted: deque[dict[str, Any]] = deque()
        self.sessions: dict[str, Session] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.welcomes = 0
        self.connections = 0
        self.refuse_connections = 0
        self.welcome_gate: asyncio.Event | None = None
        self.emotes: dict[str, str] = {}  # name -> id: words said as Twitch emote fragments
        self.echo = True
        self.echo_text: Callable[[str], str] | None = None  # Twitch may alter the echo
        self.echo_before_answer = False  # deliver the echo before answering the send
        self.ws_down = False  # EventSub is down: every websocket connection is refused
        self.oauth_errors: deque[int] = deque()  # statuses for the next /oauth2/token calls
        self.device_flow = True  # the client may use the Device Code Flow
        self.device_expires_in = 1800
        self.device_interval = 5.0
        self.device_codes: dict[str, DeviceCode] = {}
        self.subscribe_attempts: list[tuple[str | None, int]] = []  # (token's user, status)
        # (status, message): every subscription request is answered this, e.g. a 400 for a
        # subscription type or version Twitch no longer takes.
        self.refuse_subscriptions: tuple[int, str] | None = None
        self.revocations: list[tuple[str, str]] = []  # (user id in the condition, status)
        self.requests: list[tuple[str, str]] = []  # (method, path)
        # Get Chat Settings' answer (Helix's names); tests may add fields Twitch may add.
        self.chat_settings: dict[str, Any] = {
            "slow_mode": False,
            "slow_mode_wait_time": None,
            "follower_mode": False,
            "follower_mode_duration": None,
            "subscriber_mode": False,
            "emote_mode": False,
            "unique_chat_mode": False,
        }
        self.followers: set[str] = set()  # logins that follow the channel
        self.subscribers: set[str] = set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._live_init()
        self._init_events()  # the channel's events, channel points (tests/fakes/twitch_events)

    # ------------------------------------------------------------ accounts
    def add_user(
        self,
        login: str,
        *,
        scopes: Iterable[str] | None = None,
        badges: Iterable[str] = (),
        app_authorized: bool = False,
    ) -> FakeUser:
        """A Twitch account; with `scopes`, also a user token for this client."""
        user = FakeUser(str(next(self._ids)), login, login.capitalize(), tuple(badges))
        user.app_authorized = app_authorized
        self.users[login] = user
        if scopes is not None:
            self._token(user.id, tuple(scopes))
        return user

    def _token(self, user_id: str | None, scopes: tuple[str, ...]) -> FakeToken:
        token = FakeToken(secrets.token_hex(15), user_id, scopes, refresh=secrets.token_hex(20))
        self.tokens[token.value] = token
        return token

    def token_of(self, login: str) -> FakeToken:
        """The newest valid user token of `login`."""
        user_id = self.users[login].id
        found = [t for t in self.tokens.values() if t.user_id == user_id and not t.revoked]
        return found[-1]

    def revoke(self, login: str, *, refresh_too: bool = True, notify: bool = True) -> None:
        """The account disconnected the app: its tokens stop working (with `refresh_too`,
        the grant is gone) and, with `notify`, its subscriptions are revoked."""
        user_id = self.users[login].id
        for token in self.tokens.values():
            if token.user_id == user_id:
                token.revoked = True
                if refresh_too:
                    token.refresh = ""
        if refresh_too and notify:
            self._revoke_subscriptions(user_id, "authorization_revoked")

    def ban(self, login: str) -> None:
        """`login` is banned from the channel: Twitch revokes its chat subscriptions
        (`chat_user_banned`), refuses new ones and drops its messages."""
        user = self.users[login]
        user.banned = True
        self._revoke_subscriptions(user.id, "chat_user_banned")

    def _revoke_subscriptions(self, user_id: str, status: str) -> None:
        for sub in list(self.subscriptions.values()):
            if sub.condition.get("user_id") == user_id:
                self._revoke_one(sub, status)

    def _revoke_one(self, sub: Subscription, status: str) -> None:
        del self.subscriptions[sub.id]
        self.revocations.append((sub.condition.get("user_id") or sub.creator or "", status))
        session = self.sessions.get(sub.session_id)
        if session is not None and not session.ws.closed:
            body = {"subscription": {**self._subscription_body(sub), "status": status}}
            message = self._envelope(
                "revocation", body, subscription_type=sub.type, subscription_version="1"
            )
            self._spawn(_send_quietly(session.ws, message))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def outage(self, down: bool = True) -> None:
        """EventSub goes down (every socket cut, new ones refused) or comes back."""
        self.ws_down = down
        if down:
            await self.drop()

    def approve(self, user_code: str, login: str) -> None:
        """Someone logged in as `login` entered `user_code` at the activation page and
        approved the scopes."""
        code = next(c for c in self.device_codes.values() if c.user_code == user_code)
        code.user_id = self.users[login].id

    def expire(self, login: str) -> None:
        """The user's token stops working; its refresh token still works."""
        self.token_of(login).revoked = True

    def issue_code(self, login: str, scopes: Iterable[str]) -> str:
        """What Twitch hands the redirect URI after `login` approved `scopes`."""
        code = secrets.token_hex(10)
        self.codes[code] = (self.users[login].id, tuple(scopes))
        return code

    def user_by_id(self, user_id: str) -> FakeUser:
        return next(u for u in self.users.values() if u.id == user_id)

    # ------------------------------------------------------------ serving
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/helix/"

    @property
    def auth_url(self) -> str:
        return f"{self.base}/"

    @property
    def eventsub_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/oauth2/token", self._oauth_token)
        app.router.add_get("/oauth2/validate", self._oauth_validate)
        app.router.add_get("/oauth2/authorize", self._oauth_authorize)
        app.router.add_post("/oauth2/device", self._oauth_device)
        app.router.add_get("/helix/moderation/channels", self._moderated_channels)
        app.router.add_get("/helix/users", self._users)
        app.router.add_post("/helix/eventsub/subscriptions", self._subscribe)
        app.router.add_delete("/helix/eventsub/subscriptions", self._unsubscribe)
        app.router.add_post("/helix/chat/messages", self._chat_message)
        app.router.add_get("/helix/chat/settings", self._get_chat_settings)
        app.router.add_get("/ws", self._websocket)
        self._live_routes(app)
        self._event_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            if session.keepalive:
                session.keepalive.cancel()
            with contextlib.suppress(Exception):
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------ waiting
    async def wait_for(self, predicate: Callable[[], Any], within: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever the fake changes)."""
        async with asyncio.timeout(within):
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

    async def _touch(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def sent_by(self, login: str) -> list[Sent]:
        return [s for s in self.sent if s.sender == login and s.status == 200]

    # ------------------------------------------------------------ steering
    def script(self, *answers: dict[str, Any]) -> None:
        """The next sends get these answers, e.g. {"drop": ("msg_duplicate", "...")},
        {"status": 429}, {"status": 401, "message": "invalid access token"}."""
        self.scripted.extend(answers)

    async def say(
        self,
        login: str,
        text: str,
        *,
        message_id: str | None = None,
        badges: Iterable[str] | None = None,
        source: str | None = None,
        omit: Iterable[str] = (),
    ) -> str:
        """A chat line from `login` (added as a viewer if unknown), to every subscriber;
        with `source`, said in that partner channel of a shared chat session; `omit`: event
        fields left out (older payloads lack some, e.g. `channel_points_animation_id`)."""
        user = self.users.get(login) or self.add_user(login)
        message_id = message_id or str(uuid.uuid4())
        partner = None
        if source is not None:
            partner = self.users.get(source) or self.add_user(source, badges=("broadcaster",))
        await self._notify_chat(user, text, message_id, badges, partner, omit=tuple(omit))
        return message_id

    async def delete_message(self, message_id: str, login: str) -> None:
        """A moderator deletes one line (`channel.chat.message_delete`)."""
        self.deleted.add(message_id)
        event = {**self._target(self.users[login]), "message_id": message_id}
        await self._notify("channel.chat.message_delete", event)

    async def clear_user(self, login: str) -> None:
        """A moderator bans or times out `login` (`channel.chat.clear_user_messages`)."""
        user = self.users.get(login) or self.add_user(login)
        await self._notify("channel.chat.clear_user_messages", self._target(user))

    async def clear_chat(self) -> None:
        await self._notify("channel.chat.clear", self._broadcaster_fields())

    async def set_chat_settings(self, **changes: Any) -> None:
        """Change the chat modes (Helix's field names) and notify the subscribers."""
        self.chat_settings.update(changes)
        settings = self.chat_settings
        event = {
            **self._broadcaster_fields(),
            "emote_mode": settings["emote_mode"],
            "follower_mode": settings["follower_mode"],
            "follower_mode_duration_minutes": settings["follower_mode_duration"],
            "slow_mode": settings["slow_mode"],
            "slow_mode_wait_time_seconds": settings["slow_mode_wait_time"],
            "subscriber_mode": settings["subscriber_mode"],
            "unique_chat_mode": settings["unique_chat_mode"],
        }
        await self._notify("channel.chat_settings.update", event)

    async def send_raw(self, data: str | bytes) -> None:
        for session in list(self.sessions.values()):
            if isinstance(data, bytes):
                await session.ws.send_bytes(data)
            else:
                await session.ws.send_str(data)

    async def drop(self) -> None:
        """Cut every websocket without a close frame, as a network failure would."""
        for session in list(self.sessions.values()):
            transport = session.request.transport
            if transport is not None:
                transport.close()

    async def close_sockets(self, code: int) -> None:
        """Close every websocket with an EventSub close code (4000-4007)."""
        for session in list(self.sessions.values()):
            await session.ws.close(code=code, message=b"fake close")

    async def session_reconnect(self) -> None:
        """Ask every client to move to a new connection; the session id is kept."""
        for session in list(self.sessions.values()):
            url = f"{self.eventsub_url}?reconnect={session.id}"
            await session.ws.send_json(
                self._envelope(
                    "session_reconnect",
                    {"session": self._session_body(session.id, reconnect_url=url)},
                )
            )

    # ------------------------------------------------------------ oauth
    def _bearer(self, request: web.Request, *schemes: str) -> FakeToken | None:
        """The valid token in the Authorization header ("Bearer", or as `schemes` allow)."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme not in (schemes or ("Bearer",)):
            return None
        token = self.tokens.get(value)
        return token if token is not None and not token.revoked else None

    @staticmethod
    def _error(status: int, message: str) -> web.Response:
        names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
        body = {"error": names.get(status, "Error"), "status": status, "message": message}
        return web.json_response(body, status=status)

    async def _oauth_token(self, request: web.Request) -> web.Response:
        self.requests.append(("POST", "/oauth2/token"))
        form = dict(request.query)
        if request.can_read_body:
            form.update(await request.post())  # type: ignore[arg-type]
        if self.oauth_errors:
            status = self.oauth_errors.popleft()
            return self._error(status, "scripted")
        if form.get("client_id") != self.client_id:
            return self._error(400, "invalid client")
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self._device_token(form)  # a public client sends no secret
        if form.get("client_secret") != self.client_secret:
            return self._error(403, "invalid client secret")
        if grant == "client_credentials":
            body = {"access_token": self.app_token.value, "expires_in": 5_000_000}
            return web.json_response({**body, "token_type": "bearer"})
        if grant == "refresh_token":
            refresh = form.get("refresh_token")
            old = next((t for t in self.tokens.values() if refresh and t.refresh == refresh), None)
            if old is None or old.user_id is None:
                return self._error(400, "Invalid refresh token")
            old.revoked, old.refresh = True, ""
            return self._token_response(self._token(old.user_id, old.scopes))
        if grant == "authorization_code":
            found = self.codes.pop(form.get("code", ""), None)
            if found is None:
                return self._error(400, "Invalid authorization code")
            user_id, scopes = found
            if "channel:bot" in scopes or "user:bot" in scopes:
                self.user_by_id(user_id).app_authorized = True
            return self._token_response(self._token(user_id, scopes))
        return self._error(400, "unsupported grant type")

    @staticmethod
    def _token_response(token: FakeToken) -> web.Response:
        return web.json_response(
            {
                "access_token": token.value,
                "refresh_token": token.refresh,
                "expires_in": token.expires_in,
                "scope": list(token.scopes),
                "token_type": "bearer",
            }
        )

    async def _oauth_validate(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/oauth2/validate"))
        token = self._bearer(request, "OAuth", "Bearer")  # Twitch accepts both here
        if token is None:
            return self._error(401, "invalid access token")
        body: dict[str, Any] = {
            "client_id": self.client_id,
            "scopes": list(token.scopes),
            "expires_in": token.expires_in,
        }
        if token.user_id is not None:
            user = self.user_by_id(token.user_id)
            body.update(login=user.login, user_id=user.id)
        return web.json_response(body)

    async def _oauth_authorize(self, request: web.Request) -> web.Response:
        """Stands in for the browser: approves as `?login=` and redirects with a code."""
        login = request.query.get("login", "")
        if login not in self.users:
            return self._error(400, "log in first")
        code = self.issue_code(login, request.query.get("scope", "").split())
        state = request.query.get("state", "")
        target = f"{request.query['redirect_uri']}?code={code}&state={state}"
        raise web.HTTPFound(target)

    async def _oauth_device(self, request: web.Request) -> web.Response:
        self.requests.append(("POST", "/oauth2/device"))
        form = dict(request.query)
        if request.can_read_body:
            form.update(await request.post())  # type: ignore[arg-type]
        if form.get("client_id") != self.client_id:
            return self._error(400, "invalid client")
        if not self.device_flow:
            return self._error(400, "invalid client type for device code flow")
        scopes = tuple(form.get("scopes", "").split())
        device = DeviceCode(
            secrets.token_hex(16),
            f"{secrets.token_hex(2).upper()}{secrets.token_hex(2).upper()}",
            scopes,
            time.monotonic() + self.device_expires_in,
        )
        self.device_codes[device.device_code] = device
        await self._touch()
        return web.json_response(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_uri": f"{self.base}/activate?device-code={device.user_code}",
                "expires_in": self.device_expires_in,
                "interval": self.device_interval,
            }
        )

    def _device_token(self, form: dict[str, Any]) -> web.Response:
        device = self.device_codes.get(form.get("device_code", ""))
        if device is None or time.monotonic() > device.expires_at:
            return self._error(400, "invalid device code")
        if device.user_id is None:
            return self._error(400, "authorization_pending")
        del self.device_codes[device.device_code]  # a code gives tokens once
        user = self.user_by_id(device.user_id)
        if "channel:bot" in device.scopes or "user:bot" in device.scopes:
            user.app_authorized = True
        return self._token_response(self._token(device.user_id, device.scopes))

    # ------------------------------------------------------------ helix
    def _user_json(self, user: FakeUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "login": user.login,
            "display_name": user.display_name,
            "type": "",
            "broadcaster_type": "",
            "description": "",
            "profile_image_url": "https://example.invalid/p.png",
            "offline_image_url": "",
            "view_count": 0,
            "created_at": "2020-01-01T00:00:00Z",
        }

    async def _users(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/users"))
        if self._bearer(request) is None:
            return self._error(401, "invalid access token")
        logins = {value.lower() for value in request.query.getall("login", [])}
        ids = set(request.query.getall("id", []))
        found = [u for u in self.users.values() if u.login in logins or u.id in ids]
        return web.json_response({"data": [self._user_json(u) for u in found]})

    async def _subscribe(self, request: web.Request) -> web.Response:
        self.requests.append(("POST", "/helix/eventsub/subscriptions"))
        token = self._bearer(request)
        answer = await self._subscribe_answer(request, token)
        self.subscribe_attempts.append((token.user_id if token else None, answer.status))
        await self._touch()
        return answer

    async def _subscribe_answer(
        self, request: web.Request, token: FakeToken | None
    ) -> web.Response:
        if token is None:
            return self._error(401, "invalid access token")
        body = await request.json()
        condition = body.get("condition", {})
        transport = body.get("transport", {})
        if token.user_id is None:
            return self._error(400, "websocket transports need a user access token")
        sub_type = body["type"]
        session_id = transport.get("session_id")
        problem = self._subscription_problem(sub_type, condition, token, session_id)
        if problem is not None:
            return self._error(*problem)
        if self.refuse_subscriptions is not None:
            return self._error(*self.refuse_subscriptions)
        if session_id not in self.sessions:
            return self._error(400, "unknown or disconnected websocket session")
        refusal = self._subscription_refusal(sub_type, condition, token, session_id)
        if refusal is not None:
            return refusal
        sub = Subscription(str(uuid.uuid4()), sub_type, condition, session_id, token.user_id)
        self.subscriptions[sub.id] = sub
        self._bind_session(session_id, token.user_id)
        data = {
            **self._subscription_body(sub),
            "transport": {**transport, "connected_at": _now_iso()},
        }
        return web.json_response(
            {"data": [data], "total": 1, "total_cost": 0, "max_total_cost": 10}, status=202
        )

    def _subscription_body(self, sub: Subscription) -> dict[str, Any]:
        return {
            "id": sub.id,
            "status": "enabled",
            "type": sub.type,
            "version": "1",
            "condition": sub.condition,
            "created_at": _now_iso(),
            "transport": {"method": "websocket", "session_id": sub.session_id},
            "cost": 0,
        }

    async def _moderated_channels(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/moderation/channels"))
        if (odd := self.odd_answers.get("/helix/moderation/channels")) is not None:
            return web.json_response(odd)
        token = self._bearer(request)
        user_id = request.query.get("user_id", "")
        if token is None:
            return self._error(401, "invalid access token")
        if token.user_id != user_id:
            return self._error(403, "the token is not for user_id")
        if "user:read:moderated_channels" not in token.scopes:
            return self._error(401, "Missing scope: user:read:moderated_channels")
        user = self.user_by_id(user_id)
        data = []
        if "moderator" in user.badges:  # this fake has one channel
            channel = self.channel
            data.append(
                {
                    "broadcaster_id": channel.id,
                    "broadcaster_login": channel.login,
                    "broadcaster_name": channel.display_name,
                }
            )
        return web.json_response({"data": data, "pagination": {}})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        self.subscriptions.pop(request.query.get("id", ""), None)
        return web.Response(status=204)

    async def _chat_message(self, request: web.Request) -> web.Response:
        self.requests.append(("POST", "/helix/chat/messages"))
        header = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = self._bearer(request)
        body = await request.json()
        sender_id = str(body.get("sender_id", ""))
        text = str(body.get("message", ""))
        source_only = body.get("for_source_only")
        sender = next((u for u in self.users.values() if u.id == sender_id), None)

        def record(status: int, message_id: str | None = None, dropped: str | None = None) -> None:
            login = sender.login if sender else "?"
            reply_to = body.get("reply_parent_message_id")
            self.sent.append(
                Sent(
                    at=time.monotonic(),
                    sender_id=sender_id,
                    sender=login,
                    token=header,
                    text=text,
                    reply_to=reply_to,
                    status=status,
                    message_id=message_id,
                    dropped=dropped,
                    for_source_only=source_only,
                    wall=time.time(),
                )
            )

        if self.scripted:
            answer = self.scripted.popleft()
            if "drop" in answer:
                code, message = answer["drop"]
                record(200)
                await self._touch()
                return self._dropped(code, message)
            record(answer["status"])
            await self._touch()
            response = self._error(answer["status"], answer.get("message", "scripted"))
            if "reset_in" in answer:  # Helix's rate-limit headers, reset in Unix seconds
                reset = math.ceil(time.time() + answer["reset_in"])
                response.headers.update(
                    {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "0"}
                    | {"Ratelimit-Reset": str(reset)}
                )
            return response
        if token is None:
            record(401)
            await self._touch()
            return self._error(401, "invalid access token")
        if sender is None:
            record(400)
            return self._error(400, "unknown sender_id")
        if token.user_id is None:  # the app token: both sides must have allowed the app
            if not (sender.app_authorized and self.channel.app_authorized):
                record(403)
                return self._error(403, "the sender or the channel has not authorized the app")
        elif token.user_id != sender_id:
            record(403)
            return self._error(403, "The sender must be the user in the access token")
        elif "user:write:chat" not in token.scopes:
            record(401)
            return self._error(401, "Missing scope: user:write:chat")
        elif source_only is not None:
            record(400)
            return self._error(400, "for_source_only may only be set with an app access token")
        if len(text) > 500:
            record(400)
            return self._error(400, "The message is too long")
        if sender.banned:
            record(200, dropped="user_banned")
            await self._touch()
            return self._dropped("user_banned", "You are banned from this channel.")
        if self._removed_now(sender.login):  # banned or timed out by a moderator
            record(200, dropped=REMOVED_DROP[0])
            await self._touch()
            return self._dropped(*REMOVED_DROP)
        if body.get("reply_parent_message_id") in self.deleted:  # twitchdev/issues #896
            record(400)
            await self._touch()
            return self._error(400, "Message cannot be replied to")
        held = self._hold(sender, text)
        if held is not None:
            record(200, dropped="msg_rejected")
            await self._touch()
            return held
        dropped = self._mode_drop(sender)
        if dropped is not None:
            self.violations.append(f"{sender.login}: dropped ({dropped})")
            self.sent.append(
                Sent(
                    time.monotonic(),
                    sender_id,
                    sender.login,
                    header,
                    text,
                    None,
                    200,
                    None,
                    dropped,
                    wall=time.time(),
                )
            )
            await self._touch()
            reason = {"code": dropped, "message": f"Your message was not sent ({dropped})."}
            data = {"message_id": "", "is_sent": False, "drop_reason": reason}
            return web.json_response({"data": [data]})
        self._check_limits(sender, text)
        message_id = str(uuid.uuid4())
        record(200, message_id)
        await self._touch()
        if self.echo:
            echoed = self.echo_text(text) if self.echo_text else text
            echo = self._notify_chat(sender, echoed, message_id, None)
            if self.echo_before_answer:
                await echo
            else:
                asyncio.get_running_loop().create_task(echo)
        data = {"message_id": message_id, "is_sent": True, "drop_reason": None}
        return web.json_response({"data": [data]})

    @staticmethod
    def _dropped(code: str, message: str) -> web.Response:
        data = {"message_id": "", "is_sent": False}
        return web.json_response(
            {"data": [{**data, "drop_reason": {"code": code, "message": message}}]}
        )

    def _mode_drop(self, sender: FakeUser) -> str | None:
        """Why the chat modes drop this sender's message now (None: they do not)."""
        settings = self.chat_settings
        role = Role.from_badges(sender.badges)
        if role.moderates:
            return None
        if settings["emote_mode"]:
            return "msg_emoteonly"
        if role is not Role.VIEWER:
            return None  # VIPs
        if settings["subscriber_mode"] and sender.login not in self.subscribers:
            return "msg_subsonly"
        if settings["follower_mode"] and not self._follows_long_enough(sender.login):
            return "msg_followersonly"
        if settings["slow_mode"]:
            wait = settings["slow_mode_wait_time"] or 30
            delivered = [s for s in self.sent if s.sender == sender.login and s.message_id]
            if delivered and time.monotonic() - delivered[-1].at < wait:
                return "msg_slowmode"
        return None

    async def _get_chat_settings(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", "/helix/chat/settings"))
        if self._bearer(request) is None:
            return self._error(401, "invalid access token")
        if request.query.get("broadcaster_id") != self.channel.id:
            return self._error(400, "unknown broadcaster_id")
        data = {"broadcaster_id": self.channel.id, **self.chat_settings}
        return web.json_response({"data": [data]})

    def _check_limits(self, sender: FakeUser, text: str) -> None:
        now = time.monotonic()
        limits = self.limits
        role = Role.from_badges(sender.badges)
        mine = [s for s in self.sent if s.sender == sender.login and s.status == 200]
        in_window = [s for s in mine if s.at > now - limits.window]
        if len(in_window) + 1 > limits.per_window(role):
            self.violations.append(
                f"{sender.login}: {len(in_window) + 1} messages in {limits.window:g}s"
            )
        spacing = limits.spacing_for(role)
        if spacing and mine and now - mine[-1].at < spacing:
            self.violations.append(f"{sender.login}: {now - mine[-1].at:.3f}s after the last")
        if mine and mine[-1].text == text and now - mine[-1].at < limits.duplicate_window:
            self.violations.append(f"{sender.login}: duplicate {text!r}")

    # ------------------------------------------------------------ eventsub
    def _envelope(self, kind: str, payload: dict[str, Any], **meta: str) -> dict[str, Any]:
        metadata = {
            "message_id": str(uuid.uuid4()),
            "message_type": kind,
            "message_timestamp": _now_iso(),
            **meta,
        }
        return {"metadata": metadata, "payload": payload}

    def _session_body(self, session_id: str, reconnect_url: str | None = None) -> dict[str, Any]:
        return {
            "id": session_id,
            "status": "reconnecting" if reconnect_url else "connected",
            "connected_at": _now_iso(),
            "keepalive_timeout_seconds": None if reconnect_url else self.keepalive_timeout,
            "reconnect_url": reconnect_url,
        }

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        self.connections += 1
        if self.ws_down:
            return web.Response(status=503, text="EventSub is down")
        if self.refuse_connections > 0:
            self.refuse_connections -= 1
            return web.Response(status=503, text="try again later")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        moved_from = request.query.get("reconnect")
        session_id = moved_from if moved_from in self.sessions else str(uuid.uuid4())
        if self.welcome_gate is not None:
            await self.welcome_gate.wait()
        previous = self.sessions.get(session_id)
        session = Session(session_id, ws, request)
        welcome = {"session": self._session_body(session_id)}
        await ws.send_json(self._envelope("session_welcome", welcome))
        self.sessions[session_id] = session
        self.welcomes += 1
        session.keepalive = asyncio.get_running_loop().create_task(self._keepalive(session))
        await self._touch()
        if previous is not None:  # a session_reconnect: the old connection is done
            if previous.keepalive:
                previous.keepalive.cancel()
            await previous.ws.close(code=4004, message=b"reconnected")
        try:
            async for message in ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await ws.close(code=4001, message=b"client sent inbound traffic")
        finally:
            if session.keepalive:
                session.keepalive.cancel()
            if self.sessions.get(session_id) is session:
                # A lost session loses its subscriptions (the client must subscribe again).
                del self.sessions[session_id]
                self.session_users.pop(session_id, None)
                lost = [k for k, s in self.subscriptions.items() if s.session_id == session_id]
                for sub_id in lost:
                    del self.subscriptions[sub_id]
            await self._touch()
        return ws

    async def _keepalive(self, session: Session) -> None:
        with contextlib.suppress(Exception):
            while not session.ws.closed:
                await asyncio.sleep(self.keepalive_every)
                if session.id not in self.silent:
                    await session.ws.send_json(self._envelope("session_keepalive", {}))

    async def _notify_chat(
        self,
        user: FakeUser,
        text: str,
        message_id: str,
        badges: Iterable[str] | None,
        source: FakeUser | None = None,
        omit: tuple[str, ...] = (),
    ) -> None:
        event = self._chat_event(user, text, message_id, user.badges if badges is None else badges)
        for name in omit:
            event.pop(name, None)
        if source is not None:  # shared chat: said in a partner channel
            event.update(
                source_broadcaster_user_id=source.id,
                source_broadcaster_user_login=source.login,
                source_broadcaster_user_name=source.display_name,
                source_message_id=str(uuid.uuid4()),
                source_badges=[],
            )
        await self._notify("channel.chat.message", event)

    def _broadcaster_fields(self) -> dict[str, Any]:
        channel = self.channel
        return {
            "broadcaster_user_id": channel.id,
            "broadcaster_user_login": channel.login,
            "broadcaster_user_name": channel.display_name,
        }

    def _target(self, user: FakeUser) -> dict[str, Any]:
        return {
            **self._broadcaster_fields(),
            "target_user_id": user.id,
            "target_user_login": user.login,
            "target_user_name": user.display_name,
        }

    async def _notify(
        self,
        sub_type: str,
        event: dict[str, Any],
        *,
        key: str = "broadcaster_user_id",
        version: str = "1",
    ) -> None:
        """One notification to every subscription of `sub_type` to our channel (whose id
        is the condition's `key`)."""
        for sub in list(self.subscriptions.values()):
            if sub.type != sub_type:
                continue
            if sub.condition.get(key) != self.channel.id:
                continue
            await self._deliver(sub, event, version)

    async def _deliver(self, sub: Subscription, event: dict[str, Any], version: str = "1") -> None:
        """One notification on the subscription's socket (none on a silent one)."""
        session = self.sessions.get(sub.session_id)
        if session is None or session.ws.closed or session.id in self.silent:
            return
        envelope = self._envelope(
            "notification",
            {"subscription": self._subscription_body(sub), "event": event},
            subscription_type=sub.type,
            subscription_version=version,
        )
        with contextlib.suppress(ConnectionError, RuntimeError):
            await session.ws.send_json(envelope)

    def _chat_event(
        self, user: FakeUser, text: str, message_id: str, badges: Iterable[str]
    ) -> dict[str, Any]:
        channel = self.channel
        return {
            "broadcaster_user_id": channel.id,
            "broadcaster_user_login": channel.login,
            "broadcaster_user_name": channel.display_name,
            "source_broadcaster_user_id": None,
            "source_broadcaster_user_login": None,
            "source_broadcaster_user_name": None,
            "chatter_user_id": user.id,
            "chatter_user_login": user.login,
            "chatter_user_name": user.display_name,
            "message_id": message_id,
            "source_message_id": None,
            "is_source_only": None,
            "message": {"text": text, "fragments": self._fragments(text)},
            "color": "#1E90FF",
            "badges": [{"set_id": b, "id": "1", "info": ""} for b in badges],
            "source_badges": None,
            "message_type": "text",
            "cheer": None,
            "reply": None,
            "channel_points_custom_reward_id": None,
            "channel_points_animation_id": None,
        }

    def _fragments(self, text: str) -> list[dict[str, Any]]:
        """Text, mention and emote fragments, as Twitch splits a message."""
        fragments: list[dict[str, Any]] = []
        buffer = ""
        for word in text.split(" "):
            login = word[1:].rstrip(",.!?:;").lower() if word.startswith("@") else ""
            user = self.users.get(login)
            if user is None and word not in self.emotes:
                buffer += word + " "
                continue
            if buffer:
                fragments.append(self._fragment("text", buffer))
                buffer = ""
            if user is None:
                emote = {"id": self.emotes[word], "emote_set_id": "0", "format": ["static"]}
                fragments.append({**self._fragment("emote", word), "emote": emote})
            else:
                mention = {
                    "user_id": user.id,
                    "user_login": user.login,
                    "user_name": user.display_name,
                }
                fragments.append({**self._fragment("mention", word), "mention": mention})
            buffer = " "
        if buffer.strip():
            fragments.append(self._fragment("text", buffer.rstrip(" ")))
        return fragments

    @staticmethod
    def _fragment(kind: str, text: str) -> dict[str, Any]:
        return {"type": kind, "text": text, "cheermote": None, "emote": None, "mention": None}


async def _send_quietly(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_json(message)
