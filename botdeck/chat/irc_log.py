"""Raw Twitch IRC lines, as Chatterino, the public chat-log services and recent-messages
keep them: one line each, with IRCv3 tags.

    @badges=subscriber/12;display-name=Foo;emotes=25:0-4;id=…;tmi-sent-ts=1700000000000
        :foo!foo@foo.tmi.twitch.tv PRIVMSG #channel :Kappa hello

`parse_irc` reads one line strictly (tags, prefix, command, parameters) and raises
`IrcError` with a short reason for a malformed one; `IrcChannel` turns a channel's lines
into what a replay plays: chat (`PRIVMSG`), timeouts and bans (`CLEARCHAT` with a user),
a cleared chat (`CLEARCHAT` alone), deleted lines (`CLEARMSG`, by the deleted line's
`id`; its text is never kept), and chat modes (`ROOMSTATE`, which Twitch sends in part:
each change is added to what was known), and the channel's events Twitch tells in
`USERNOTICE` (raid, sub, resub, gift upgrades, subgift, submysterygift: a community gift
whose single gifts follow it, announcement), as the Twitch source tells them over
EventSub. Other notices and every other command (JOIN, PING, numerics) are not chat and
are passed over without a word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from botdeck.chat.channel_events import MAX_EVENT_COUNT, chat_settings
from botdeck.core.text import clean_text
from botdeck.model.channel import ChatCleared, ChatSettings, MessageDeleted, UserCleared
from botdeck.model.stream import ChannelEvent, EventKind

_TAG_KEY = re.compile(r"\+?(?:[A-Za-z0-9.-]+/)?[A-Za-z0-9-]+")
_COMMAND = re.compile(r"[A-Z]+|[0-9]{3}")  # Twitch's are upper case
_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_ESCAPE = re.compile(r"\\(.?)", re.DOTALL)
_ACTION = re.compile(r"^\x01ACTION (.*?)\x01?$", re.DOTALL)
_LOGIN = re.compile(r"[A-Za-z0-9_]{1,25}")
_EMOTE_RANGE = re.compile(r"(\d{1,5})-(\d{1,5})")
MAX_EMOTES = 500  # ranges read from one line's emotes tag: a message has 500 characters


class IrcError(ValueError):
    """A malformed IRC line; the message says what is wrong with it (no line number)."""


@dataclass(frozen=True, slots=True)
class IrcMessage:
    tags: Mapping[str, str]
    prefix: str  # "" when there is none
    command: str  # upper case letters, or a numeric
    params: tuple[str, ...]

    @property
    def nick(self) -> str:
        return self.prefix.split("!", 1)[0].split("@", 1)[0]


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda match: _ESCAPES.get(match.group(1), match.group(1)), value)


def parse_irc(line: str) -> IrcMessage:
    """One IRC line (without its line ending), or `IrcError`."""
    rest = line.rstrip("\r\n")
    tags: dict[str, str] = {}
    if rest.startswith("@"):
        raw, space, rest = rest[1:].partition(" ")
        if not raw:
            raise IrcError("bad tags (empty)")
        if not space:
            raise IrcError("no command (only tags)")
        for item in raw.split(";"):
            key, _, value = item.partition("=")
            if not _TAG_KEY.fullmatch(key):
                shown = key if len(key) <= 30 else key[:29] + "…"
                raise IrcError(f"bad tags (key {shown!r})")
            tags[key] = _unescape(value)
        rest = rest.lstrip(" ")
    prefix = ""
    if rest.startswith(":"):
        prefix, space, rest = rest[1:].partition(" ")
        if not prefix:
            raise IrcError("empty prefix")
        rest = rest.lstrip(" ")
    command, _, rest = rest.partition(" ")
    if not command:
        raise IrcError("no command")
    if not _COMMAND.fullmatch(command):
        shown = command if len(command) <= 30 else command[:29] + "…"
        raise IrcError(f"not an IRC command: {shown!r}")
    params: list[str] = []
    while rest:
        rest = rest.lstrip(" ")
        if rest.startswith(":"):
            params.append(rest[1:])
            break
        param, _, rest = rest.partition(" ")
        if param:
            params.append(param)
    return IrcMessage(tags, prefix, command, tuple(params))


def sent_at(message: IrcMessage) -> float | None:
    """Unix seconds from `tmi-sent-ts` (or recent-messages' `rm-received-ts`), None when
    the line has neither; `IrcError` when one is not a time."""
    for key in ("tmi-sent-ts", "rm-received-ts"):
        value = message.tags.get(key)
        if value is None:
            continue
        if not value.isascii() or not value.isdigit() or len(value) > 15:
            shown = value if len(value) <= 20 else value[:19] + "…"
            raise IrcError(f"bad tags ({key} {shown!r} is not a time in milliseconds)")
        return int(value) / 1000.0
    return None


@dataclass(frozen=True, slots=True)
class IrcChat:
    """A chat line from an IRC `PRIVMSG`, its text not yet cleaned."""

    msg_id: str  # Twitch's `id` tag ("" when missing)
    user: str
    display_name: str
    text: str
    badges: tuple[str, ...]
    emotes: tuple[str, ...]


IrcEvent = IrcChat | MessageDeleted | UserCleared | ChatCleared | ChatSettings | ChannelEvent
MAX_GIFT_GROUPS = 1000  # community gifts remembered, so their single gifts count with them


class IrcChannel:
    """One channel's IRC lines read in order: what each means for a replay."""

    def __init__(self) -> None:
        self._modes: dict[str, str] = {}  # ROOMSTATE tags known so far
        self._gifts: dict[str, None] = {}  # community gifts' origin ids, oldest first

    def read(self, message: IrcMessage, deleted: Mapping[str, str]) -> IrcEvent | None:
        """What `message` means; None for a command that is not chat. `deleted` maps a
        Twitch message id to the replay's id for it, for `CLEARMSG`."""
        command = message.command
        if command == "PRIVMSG":
            return _privmsg(message)
        if command == "CLEARCHAT":
            target = message.params[1] if len(message.params) > 1 else ""
            if not target:
                return ChatCleared()
            return UserCleared(_login(target.strip(), "CLEARCHAT user"))
        if command == "CLEARMSG":
            target = message.tags.get("target-msg-id", "").strip()
            if not target:
                raise IrcError("CLEARMSG without target-msg-id")
            return MessageDeleted(deleted.get(target, target[:100]), message.tags.get("login", ""))
        if command == "ROOMSTATE":
            return self._roomstate(message)
        if command == "USERNOTICE":
            return self._usernotice(message)
        return None

    def _usernotice(self, message: IrcMessage) -> ChannelEvent | None:
        """A channel event Twitch tells in chat (see the module docstring); None for a
        notice botdeck does not react to (a ritual, a bits badge, ...)."""
        tags = message.tags
        notice = tags.get("msg-id", "")
        kind = _NOTICES.get(notice)
        if kind is None:
            return None
        anonymous = notice.startswith("anon")
        login = "" if anonymous else _login(tags.get("login", "") or message.nick, "login")
        event = ChannelEvent(
            kind,
            tags.get("id", "")[:100] or f"irc-{notice}-{sent_at(message) or 0:g}",
            0.0,
            user=login,
            display_name="" if anonymous else clean_text(tags.get("display-name", "")),
            count=1,
            message=clean_text(message.params[1]) if len(message.params) > 1 else "",
        )
        origin = tags.get("msg-param-origin-id", "").strip()[:100]
        if notice == "raid":
            raider = _login(tags.get("msg-param-login", "") or login, "raider")
            shown = clean_text(tags.get("msg-param-displayName", ""))
            count = _count(tags.get("msg-param-viewerCount"))
            return _with(event, user=raider, display_name=shown, count=count, message="")
        if notice in ("sub", "resub"):
            return _with(event, count=max(1, _count(tags.get("msg-param-cumulative-months"))))
        if notice in ("submysterygift", "anonsubmysterygift"):
            total = max(1, _count(tags.get("msg-param-mass-gift-count")))
            if origin:
                self._gifts[origin] = None
                if len(self._gifts) > MAX_GIFT_GROUPS:
                    del self._gifts[next(iter(self._gifts))]
            return _with(event, count=total, bundle=total if origin else 0, group=origin)
        if notice in ("subgift", "anonsubgift"):
            group = tags.get("msg-param-community-gift-id", "").strip()[:100]
            group = group or (origin if origin in self._gifts else "")
            return _with(event, group=group, message="")
        return event  # gift upgrades (a sub), announcements

    def _roomstate(self, message: IrcMessage) -> ChatSettings | None:
        known = {key: message.tags[key] for key in _ROOMSTATE if key in message.tags}
        if not known:
            return None
        self._modes.update(known)
        return chat_settings(_helix_settings(self._modes))


_ROOMSTATE = ("emote-only", "followers-only", "r9k", "slow", "subs-only")
_NOTICES = {
    "raid": EventKind.RAID,
    "sub": EventKind.SUB,
    "resub": EventKind.SUB,
    "giftpaidupgrade": EventKind.SUB,
    "anongiftpaidupgrade": EventKind.SUB,
    "primepaidupgrade": EventKind.SUB,
    "subgift": EventKind.GIFT,
    "anonsubgift": EventKind.GIFT,
    "submysterygift": EventKind.GIFT,
    "anonsubmysterygift": EventKind.GIFT,
    "announcement": EventKind.ANNOUNCEMENT,
}


def _count(value: str | None) -> int:
    """A notice's number (viewers, months, gifts): 0 when missing or not one."""
    number = _number(value)
    return number if number is not None and 0 <= number <= MAX_EVENT_COUNT else 0


def _with(event: ChannelEvent, **fields: object) -> ChannelEvent:
    return replace(event, **fields)  # type: ignore[arg-type]


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _helix_settings(modes: Mapping[str, str]) -> dict[str, object]:
    """ROOMSTATE's tags as Helix names them (`followers-only=-1` is off)."""
    followers = _number(modes.get("followers-only"))
    slow = _number(modes.get("slow")) or 0
    return {
        "emote_mode": modes.get("emote-only") == "1",
        "follower_mode": followers is not None and followers >= 0,
        "follower_mode_duration": max(followers or 0, 0),
        "slow_mode": slow > 0,
        "slow_mode_wait_time": max(slow, 0),
        "subscriber_mode": modes.get("subs-only") == "1",
        "unique_chat_mode": modes.get("r9k") == "1",
    }


def _login(value: str, what: str) -> str:
    if not _LOGIN.fullmatch(value):
        shown = value if len(value) <= 30 else value[:29] + "…"
        raise IrcError(f"{what} {shown!r} is not a login")
    return value.lower()


def _privmsg(message: IrcMessage) -> IrcChat:
    if len(message.params) < 2:
        raise IrcError("PRIVMSG without text")
    nick = message.nick or message.tags.get("login", "")
    user = _login(nick, "sender")
    text = message.params[1]
    action = _ACTION.match(text)
    if action:  # /me: the text as the channel shows it
        text = action.group(1)
    tags = message.tags
    badges = tuple(
        badge.split("/", 1)[0] for badge in tags.get("badges", "").split(",") if badge.strip()
    )
    return IrcChat(
        msg_id=tags.get("id", ""),
        user=user,
        display_name=tags.get("display-name", ""),
        text=text,
        badges=badges,
        emotes=_emote_names(text, tags),
    )


def _emote_names(text: str, tags: Mapping[str, str]) -> tuple[str, ...]:
    """The emote names of the `emotes` tag (`25:0-4,12-16/1902:6-10`: character ranges,
    counted in code points); with `emote-only=1`, every word. A range that does not fall
    on a word of the text is left out."""
    if tags.get("emote-only") == "1":
        return tuple(dict.fromkeys(text.split()))
    found: dict[str, None] = {}
    for match in _EMOTE_RANGE.finditer(tags.get("emotes", "")[: MAX_EMOTES * 12]):
        start, end = int(match.group(1)), int(match.group(2))
        name = text[start : end + 1]
        if name and start <= end < len(text) and not any(c.isspace() for c in name):
            found[name] = None
    return tuple(found)
