"""Configuration: TOML in, validated typed models out, or one line that says what is wrong.

Strict on purpose: an unknown key, a value of the wrong type ("5" for 5) or out of range
is an error naming the file and the dotted key, never a silent default. Secrets are never
stored in the config: it names the environment variables that hold them.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from botdeck.adapters import RESPONDERS, SOURCES, AdapterError, Kind, registry
from botdeck.chat.scenarios import Scenario
from botdeck.core.options import STRICT, AdapterOptions
from botdeck.core.options import http_url as http_url  # init's URL check
from botdeck.model.defaults import (
    COMMON_EMOTES,
    DEFAULT_COMMAND_PREFIXES,
    DEFAULT_CONTROL_COMMAND,
    DEFAULT_DELAYS,
    DEFAULT_IGNORED_USERS,
    DEFAULT_MAX_REPLY_CHARS,
    DEFAULT_REMOVED_USER_QUIET,
    TWITCH_MAX_CHARS,
    TWITCH_SEND_LIMITS,
    Cooldowns,
)
from botdeck.model.jobs import Priority
from botdeck.model.keys import check_keymap
from botdeck.model.stream import EventKind, placeholder_problem
from botdeck.storage.files import MIB, FileRefused, read_text_capped
from botdeck.storage.paths import config_file

LOGIN = re.compile(r"^[A-Za-z0-9_]{3,25}$")


class ConfigError(Exception):
    """A one-line, user-facing description of bad configuration (exit code 2)."""


# Upper bounds: far past any sensible setting, low enough that a typo (or `inf`, which
# TOML allows) cannot make a reply wait for ever. Stated in the README's Configuration.
MAX_DELAY = 600.0  # seconds, a reply delay
MAX_WAIT = 3600.0  # seconds: job_timeout, ack_target, max_age, send windows
MAX_COUNT = 100_000  # backlog_warning and other counts of jobs or messages
MAX_CONCURRENCY = 1000
MAX_BOTS = 100
MAX_LOG_TIME = 1e10  # seconds: a Unix time (until 2286) or an offset into a chat log


class _Model(BaseModel):
    # allow_inf_nan: TOML has inf and nan, and a float key must be a finite number.
    model_config = STRICT


def _check_range(pair: list[float], key: str) -> list[float]:
    if len(pair) != 2:
        raise ValueError(f"expected [min, max], got {len(pair)} values")
    low, high = pair
    if low < 0 or high < 0:
        raise ValueError("delays must be >= 0 seconds")
    if high > MAX_DELAY:
        raise ValueError(f"delays must be <= {MAX_DELAY:g} seconds, got {high:g}")
    if low > high:
        raise ValueError(f"min {low:g} is greater than max {high:g}")
    return pair


class DelaysConfig(_Model):
    high: list[float] = list(DEFAULT_DELAYS[Priority.HIGH])
    normal: list[float] = list(DEFAULT_DELAYS[Priority.NORMAL])
    low: list[float] = list(DEFAULT_DELAYS[Priority.LOW])

    _ranges = field_validator("high", "normal", "low")(_check_range)

    def as_mapping(self) -> dict[Priority, tuple[float, float]]:
        return {
            Priority.HIGH: (self.high[0], self.high[1]),
            Priority.NORMAL: (self.normal[0], self.normal[1]),
            Priority.LOW: (self.low[0], self.low[1]),
        }


def _word(value: str) -> str:
    """A chat command or prefix: what a line starts with, so no spaces."""
    if not value or any(char.isspace() for char in value) or len(value) > 25:
        raise ValueError(f"expected 1-25 characters without spaces, got {value!r}")
    return value


ChatWord = Annotated[str, AfterValidator(_word)]


class RouterConfig(_Model):
    global_concurrency: int | Literal["auto"] = "auto"
    per_bot_concurrency: int | Literal["auto"] = "auto"
    random_reply_chance: float = Field(0.25, ge=0.0, le=1.0)
    backlog_warning: int = Field(20, ge=1, le=MAX_COUNT)
    max_depth: int = Field(2, ge=0, le=10)
    job_timeout: float = Field(90.0, gt=0, le=MAX_WAIT)
    context_lines: int = Field(20, ge=0, le=200)
    per_user_cap: int = Field(3, ge=0, le=1000)  # waiting jobs per viewer and bot; 0 = no cap
    ack_target: float = Field(60.0, gt=0, le=MAX_WAIT)  # seconds: answer every mention within
    max_age: float = Field(120.0, ge=0, le=MAX_WAIT)  # older random/bot replies dropped; 0: never
    resume_window: float = Field(300.0, ge=0, le=MAX_WAIT)  # after a restart, younger mentions
    ignore_users: list[str] = list(DEFAULT_IGNORED_USERS)
    command_prefixes: list[ChatWord] = list(DEFAULT_COMMAND_PREFIXES)  # chat commands: not talk
    answer_commands: bool = False  # answer a mention inside a command line
    # Random and bot-to-bot replies together stay within this share of the viewers' lines
    # over the last 5 minutes (mentions are exempt); 1: no limit.
    chat_share: float = Field(0.1, ge=0.0, le=1.0)
    delays: DelaysConfig = DelaysConfig()

    @field_validator("global_concurrency", "per_bot_concurrency")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= MAX_CONCURRENCY:
            raise ValueError(
                f'expected an integer >= 1 and <= {MAX_CONCURRENCY} or "auto", got {value}'
            )
        return value


class _AdapterTable(_Model):
    """A table shared by botdeck's keys and an adapter's (`[ai]`: the provider's,
    `[chat]`: the source's). The adapter's keys, as written, are gathered into `options`
    and validated by the adapter's own model (`botdeck.adapters`), so a new provider or
    source brings its keys and their defaults with it."""

    _kind: ClassVar[Kind[Any]]
    options: dict[str, Any] = {}  # the adapter's keys as written (not a key of the file)

    @model_validator(mode="before")
    @classmethod
    def _gather(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # the type error is pydantic's to report
        own = set(cls.model_fields) - {"options"}
        table = {key: value for key, value in data.items() if key in own}
        table["options"] = {key: value for key, value in data.items() if key not in own}
        return table

    @model_validator(mode="after")
    def _check_options(self) -> Self:
        try:
            self.adapter_options()
        except ConfigError as error:  # worded as every key is, under this table's name
            text = str(error).removeprefix(f"{self._kind.table}.")
            raise PydanticCustomError("adapter", "{text}", {"text": text}) from None
        return self

    def adapter_options(self, name: str | None = None) -> AdapterOptions:
        """The named adapter's options (the configured one's by default), validated with
        their defaults; a `ConfigError` naming the key (`ai.base_url: ...`) if they are not
        valid."""
        kind = self._kind
        reserved = frozenset(type(self).model_fields) - {"options"}
        name = name or getattr(self, kind.key)
        try:
            return registry().options(kind, name, self.options, reserved=reserved)
        except AdapterError as error:
            text = _describe_error(error.detail) if error.detail else str(error)
            raise ConfigError(f"{kind.table}.{text}") from None


class AIConfig(_AdapterTable):
    """`[ai]`: botdeck's keys here; the provider's own (`base_url`, `model`, ...) are its
    adapter's (`botdeck.ai.openai_adapter` for "openai")."""

    _kind: ClassVar[Kind[Any]] = RESPONDERS
    provider: str = "offline"  # a registered responder: offline, openai, or a third party's
    timeout: float = Field(20.0, gt=0, le=600)  # per reply, retries included
    max_retries: int = Field(2, ge=0, le=10)  # for 429 (not insufficient_quota), 5xx, connection
    max_reply_chars: int = Field(DEFAULT_MAX_REPLY_CHARS, ge=20, le=TWITCH_MAX_CHARS)
    context_tokens: int = Field(800, ge=0, le=100_000)  # budget for recent chat in a request
    token_budget: int = Field(0, ge=0, le=10**12)  # tokens (in + out) per session; 0 = none
    on_budget: Literal["offline", "stop"] = "offline"  # what bots do once it is spent
    outage_wait: float = Field(300.0, ge=0, le=MAX_WAIT)  # a started reply waits out an outage


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"bad regex {pattern!r}: {error}") from None
    return pattern


class SafetyConfig(_Model):
    blocklist: list[Annotated[str, AfterValidator(_regex)]] = []  # case-insensitive regexes
    blocklist_file: str | None = None  # one regex per line, '#' starts a comment
    builtin_blocklist: bool = True  # the shipped list of slurs and bannable phrases
    moderation: Literal["off", "replies", "all"] = "off"  # all: incoming lines too
    moderation_model: str = "omni-moderation-latest"


class JournalConfig(_Model):
    """Where a run's journal goes without `--journal PATH`, and for how long it is kept."""

    dir: str = ""  # "": the user data directory's journal folder
    keep_days: float = Field(30.0, ge=0, le=3650)  # older run journals removed at start; 0: keep


class ChatConfig(_AdapterTable):
    """`[chat]`: botdeck's keys here; the source's own (`scenario`, `replay_file`, ...) are
    its adapter's (`botdeck.chat.simulated`, `botdeck.chat.replay`, Twitch's)."""

    _kind: ClassVar[Kind[Any]] = SOURCES
    source: str = "simulated"  # a registered chat source: twitch, simulated, replay, ...
    channel: str = "botdeck_demo"
    seed: int = 1
    on_offline: Literal["keep", "drain"] = "keep"  # when the stream goes offline: drain?
    # In a shared chat session with other channels, random and bot-to-bot replies too
    # (they reach every channel in it); mentions are answered either way.
    shared_chat_replies: bool = False


class TwitchConfig(_Model):
    client_id: str = ""
    client_secret_env: str = "TWITCH_CLIENT_SECRET"
    api_url: str = "https://api.twitch.tv/helix/"
    auth_url: str = "https://id.twitch.tv/"
    eventsub_url: str = "wss://eventsub.wss.twitch.tv/ws"
    # "app": send with the app token, which shows the Chat Bot badge; needs user:bot from
    # each bot and channel:bot from the broadcaster (`botdeck auth` asks for both).
    send_as: Literal["user", "app"] = "user"
    threaded_replies: bool = False  # send mention replies as replies in the mention's thread
    redirect_uri: str = "http://localhost:4343/oauth/callback"  # as registered with Twitch
    retry_wait: float = Field(2.0, gt=0, le=60)  # first wait before retrying; doubles
    reconnect_wait: float = Field(5.0, gt=0, le=600)  # longest wait between reconnects
    send_retries: int = Field(1, ge=0, le=5)  # more attempts for a rate-limited/failed send

    _urls = field_validator("api_url", "auth_url", "redirect_uri")(http_url)

    @field_validator("eventsub_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        if not re.match(r"^wss?://[^\s/]+", value):
            raise ValueError(f"expected a ws(s) URL, got {value!r}")
        return value


def _emote(value: str) -> str:
    if not value or any(char.isspace() for char in value) or len(value) > 100:
        raise ValueError(f"expected an emote name (no spaces), got {value!r}")
    return value


class FiltersConfig(_Model):
    """`[filters]`: lines no random or bot-to-bot reply answers (mentions always are)."""

    emote_only: bool = True  # only emotes (Twitch's, and `emotes` below)
    min_words: int = Field(3, ge=0, le=50)  # words of text (emotes, @names, links not); 0: off
    copypasta: bool = True  # the same or near-same line from several viewers at once
    copypasta_viewers: int = Field(3, ge=2, le=1000)  # ... from this many viewers
    copypasta_window: float = Field(60.0, gt=0, le=MAX_WAIT)  # ... within these seconds
    repeats: bool = True  # mostly one word over and over ("LUL LUL LUL")
    emotes: list[Annotated[str, AfterValidator(_emote)]] = Field([], max_length=10_000)
    builtin_emotes: bool = True  # also the best-known global emotes (Kappa, LUL, KEKW, ...)

    def emote_names(self) -> frozenset[str]:
        builtin = COMMON_EMOTES if self.builtin_emotes else frozenset()
        return builtin | frozenset(self.emotes)


class ModerationConfig(_Model):
    removed_user_quiet: float = Field(DEFAULT_REMOVED_USER_QUIET, ge=0, le=86_400)


def _bang_word(value: str) -> str:
    """A chat command: `!` and a word, as moderators type it (`!botdeck`)."""
    if not re.fullmatch(r"![A-Za-z0-9_]{1,24}", value):
        raise ValueError(
            f"expected ! and a word (letters, digits, _), like !botdeck, got {value!r}"
        )
    return value


class ChatControlConfig(_Model):
    enabled: bool = True  # `!botdeck pause|resume|drain|stop|status` from moderators
    command: Annotated[str, AfterValidator(_bang_word)] = DEFAULT_CONTROL_COMMAND


_COOLDOWNS = Cooldowns()


class CooldownsConfig(_Model):
    """Seconds between replies that are not mentions; 0 turns one off."""

    per_user: float = Field(_COOLDOWNS.per_user, ge=0, le=86_400)
    per_bot: float = Field(_COOLDOWNS.per_bot, ge=0, le=86_400)
    global_: float = Field(_COOLDOWNS.global_, ge=0, le=86_400, alias="global")

    def as_cooldowns(self) -> Cooldowns:
        return Cooldowns(self.per_user, self.per_bot, self.global_)


class SendLimitsConfig(_Model):
    """Per-bot send limits. The defaults are Twitch's; with chat.source = "twitch" they may
    only be made stricter, because Twitch locks an account out for 30 minutes."""

    enabled: bool = True
    window: float = Field(TWITCH_SEND_LIMITS.window, gt=0, le=MAX_WAIT)  # seconds
    viewer: int = Field(TWITCH_SEND_LIMITS.viewer, ge=1, le=MAX_COUNT)  # per window: viewer
    privileged: int = Field(TWITCH_SEND_LIMITS.privileged, ge=1, le=MAX_COUNT)  # vip, mod, ...
    spacing: float = Field(TWITCH_SEND_LIMITS.spacing, ge=0, le=60)  # seconds between messages
    duplicate_window: float = Field(TWITCH_SEND_LIMITS.duplicate_window, ge=0, le=MAX_WAIT)

    def looser_than_twitch(self) -> str | None:
        """The first key that would let a bot exceed Twitch's limits, if any."""
        twitch = TWITCH_SEND_LIMITS
        if not self.enabled:
            return "enabled"
        if self.window < twitch.window:
            return "window"
        for key in ("viewer", "privileged"):
            if getattr(self, key) > getattr(twitch, key):
                return key
        for key in ("spacing", "duplicate_window"):
            if getattr(self, key) < getattr(twitch, key):
                return key
        return None


class BotConfig(_Model):
    name: str
    persona: str = "a friendly regular in this chat"
    role: Literal["viewer", "vip", "moderator", "broadcaster"] = "viewer"
    token_env: str | None = None
    refresh_token_env: str | None = None
    model: str | None = None  # overrides [ai] model for this bot
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, ge=1, le=4096)
    # Who this bot answers by chance, by the badges on the line; each level includes those
    # above it (see botdeck.model.room.Audience).
    audience: Literal["everyone", "followers", "subscribers", "vips", "moderators"] = "everyone"
    audience_mentions: bool = False  # mentions from outside it end `skipped: audience` too

    @field_validator("name")
    @classmethod
    def _login(cls, value: str) -> str:
        if not LOGIN.fullmatch(value):
            raise ValueError(f"expected a Twitch login (3-25 letters, digits, _), got {value!r}")
        return value.lower()


class ReviewConfig(_Model):
    """`[review]`: replies of these bots wait for the operator's verdict before sending."""

    bots: list[str] = []  # bot names, or ["*"] for every bot
    timeout: float = Field(120.0, gt=0, le=3600)  # seconds until on_timeout decides
    on_timeout: Literal["reject", "send"] = "reject"

    @field_validator("bots")
    @classmethod
    def _names(cls, bots: list[str]) -> list[str]:
        if "*" in bots and len(bots) > 1:
            raise ValueError('"*" means every bot: list it alone')
        return [bot.lower() for bot in bots]


def _template(value: str | None) -> str | None:
    """A reaction's or timer's prompt or text: placeholders `{user}`, `{count}`,
    `{message}` only, and something to say."""
    if value is None:
        return None
    if not value.strip():
        raise ValueError("must not be empty")
    if len(value) > 1000:
        raise ValueError(f"at most 1000 characters, got {len(value)}")
    problem = placeholder_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Template = Annotated[str, AfterValidator(_template)]
BotChoice = Annotated[str, AfterValidator(lambda value: value.lower())]  # checked by Config


class ReactionConfig(_Model):
    """`[events.<kind>]`: what a bot says when it happens. `prompt` asks the AI (with the
    event's `{user}`, `{count}`, `{message}`); `text` is sent as written instead. `bot` is
    a bot's name, "any" (the least busy that may talk) or "rotate" (each in turn)."""

    KIND: ClassVar[EventKind]
    PROMPT: ClassVar[str]  # the default prompt

    enabled: bool = False
    bot: BotChoice = "any"
    prompt: Template | None = None
    text: Template | None = None
    priority: Literal["high", "normal", "low"] = "normal"
    cooldown: float = Field(0.0, ge=0, le=86_400)  # seconds between two reactions of the kind

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if self.prompt is not None and self.text is not None:
            raise ValueError("give `prompt` (the AI writes) or `text` (sent as written), not both")
        return self

    def template(self) -> tuple[str, bool]:
        """(the prompt or text, whether it is sent as written)."""
        if self.text is not None:
            return self.text, True
        return self.prompt or self.PROMPT, False


class RaidReaction(ReactionConfig):
    KIND = EventKind.RAID
    PROMPT = (
        "{user} just raided the channel with {count} viewers: greet the raiders and thank"
        " {user} by name"
    )
    enabled: bool = True
    priority: Literal["high", "normal", "low"] = "high"
    min_viewers: int = Field(0, ge=0, le=10_000_000)  # smaller raids get no greeting


class SubReaction(ReactionConfig):
    KIND = EventKind.SUB
    PROMPT = "{user} just subscribed ({count} months): thank them. What they wrote: {message}"
    enabled: bool = True


class GiftReaction(ReactionConfig):
    KIND = EventKind.GIFT
    PROMPT = "{user} just gifted {count} subs to the community: thank {user} by name"
    enabled: bool = True


class FollowReaction(ReactionConfig):
    KIND = EventKind.FOLLOW
    PROMPT = "{user} just followed the channel: welcome them"
    priority: Literal["high", "normal", "low"] = "low"


class CheerReaction(ReactionConfig):
    KIND = EventKind.CHEER
    PROMPT = "{user} just cheered {count} bits: thank them. What they wrote: {message}"
    min_bits: int = Field(100, ge=0, le=10_000_000)  # smaller cheers get no thanks


class RedeemReaction(ReactionConfig):
    """Ask a bot with channel points: `botdeck rewards create` makes a reward per bot
    (`bot`: that one; "any" or "rotate": one for every bot), titled `title`; each
    redemption is a question its bot must answer, refunded when it cannot."""

    KIND = EventKind.REDEEM
    PROMPT = "{user} spent channel points to ask you: {message}"
    priority: Literal["high", "normal", "low"] = "high"
    title: Annotated[str, Field(min_length=1, max_length=45)] = "Ask {bot}"
    cost: int = Field(500, ge=1, le=1_000_000_000)
    reward_prompt: Annotated[str, Field(min_length=1, max_length=200)] = "Your question for {bot}"
    max_per_stream: int = Field(0, ge=0, le=1_000_000)  # 0: no limit
    max_per_user_per_stream: int = Field(0, ge=0, le=1_000_000)  # 0: no limit

    @field_validator("title", "reward_prompt")
    @classmethod
    def _names_the_bot(cls, value: str) -> str:
        try:
            value.format(bot="x")
        except (KeyError, IndexError, ValueError, AttributeError):
            raise ValueError(f"only {{bot}} may be filled in, got {value!r}") from None
        return value

    def title_for(self, bot: str) -> str:
        return self.title.format(bot=bot)[:45]

    def asks(self, bots: tuple[str, ...]) -> dict[str, str]:
        """Each "Ask <bot>" reward's title -> the bot it asks: `bot`'s own, or (any,
        rotate) one for every bot."""
        chosen = bots if self.bot in ("any", "rotate") else (self.bot,)
        return {self.title_for(bot): bot for bot in chosen}


class AnnouncementReaction(ReactionConfig):
    KIND = EventKind.ANNOUNCEMENT
    PROMPT = "a moderator announced: {message}. React to it in one line"
    priority: Literal["high", "normal", "low"] = "low"


class EventsConfig(_Model):
    """`[events.<kind>]`: reactions to what happens on the channel. Raids, subs and gifts
    are on by default (Twitch tells of them with the scope botdeck already asks for);
    follows, cheers, redemptions and announcements when enabled (`botdeck auth` then asks
    the broadcaster for what they need)."""

    raid: RaidReaction = RaidReaction()
    sub: SubReaction = SubReaction()
    gift: GiftReaction = GiftReaction()
    follow: FollowReaction = FollowReaction()
    cheer: CheerReaction = CheerReaction()
    redeem: RedeemReaction = RedeemReaction()
    announcement: AnnouncementReaction = AnnouncementReaction()

    def reactions(self) -> tuple[ReactionConfig, ...]:
        return (self.raid, self.sub, self.gift, self.follow, self.cheer, self.redeem,
                self.announcement)  # fmt: skip

    def of(self, kind: EventKind) -> ReactionConfig | None:
        return next((r for r in self.reactions() if r.KIND is kind), None)


class TimerConfig(_Model):
    """`[[timers]]`: a line every `interval` seconds once `min_lines` chat lines were
    said since the last one (Nightbot's rule); none while the stream is offline or the
    bot cannot talk."""

    bot: BotChoice = "any"
    prompt: Template | None = None
    text: Template | None = None
    interval: float = Field(900.0, ge=10, le=86_400)
    min_lines: int = Field(5, ge=0, le=MAX_COUNT)

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.prompt is None) == (self.text is None):
            raise ValueError("give `prompt` (the AI writes) or `text` (sent as written)")
        return self


def _keymap(remaps: dict[str, str]) -> dict[str, str]:
    """`[keys]`: the rules are the key table's (`botdeck.model.keys.check_keymap`)."""
    return check_keymap(remaps)


Keymap = Annotated[dict[str, str], AfterValidator(_keymap)]


class Config(_Model):
    router: RouterConfig = RouterConfig()
    ai: AIConfig = AIConfig()
    chat: ChatConfig = ChatConfig()
    twitch: TwitchConfig = TwitchConfig()
    send_limits: SendLimitsConfig = SendLimitsConfig()
    safety: SafetyConfig = SafetyConfig()
    moderation: ModerationConfig = ModerationConfig()
    chat_control: ChatControlConfig = ChatControlConfig()
    cooldowns: CooldownsConfig = CooldownsConfig()
    filters: FiltersConfig = FiltersConfig()
    review: ReviewConfig = ReviewConfig()
    journal: JournalConfig = JournalConfig()
    keys: Keymap = {}
    events: EventsConfig = EventsConfig()
    timers: list[TimerConfig] = Field([], max_length=100)
    bots: list[BotConfig] = Field(min_length=1, max_length=MAX_BOTS)

    @field_validator("bots")
    @classmethod
    def _unique(cls, bots: list[BotConfig]) -> list[BotConfig]:
        seen: set[str] = set()
        for bot in bots:
            if bot.name in seen:
                raise ValueError(f"bot {bot.name!r} is listed twice")
            seen.add(bot.name)
        return bots

    @model_validator(mode="after")
    def _reviewed_bots_exist(self) -> Config:
        names = set(self.bot_names)
        for index, bot in enumerate(self.review.bots):
            if bot != "*" and bot not in names:
                raise ValueError(
                    f"review.bots[{index}]: {bot!r} is not one of the [[bots]]"
                    f" ({', '.join(self.bot_names)})"
                )
        return self

    @model_validator(mode="after")
    def _reacting_bots_exist(self) -> Config:
        names = set(self.bot_names)
        choices = [(f"events.{r.KIND.value}.bot", r.bot) for r in self.events.reactions()]
        choices += [(f"timers[{i}].bot", timer.bot) for i, timer in enumerate(self.timers)]
        for key, bot in choices:
            if bot not in names and bot not in ("any", "rotate"):
                raise ValueError(
                    f"{key}: {bot!r} is not one of the [[bots]] ({', '.join(self.bot_names)})"
                    ' nor "any" or "rotate"'
                )
        return self

    @property
    def bot_names(self) -> tuple[str, ...]:
        return tuple(bot.name for bot in self.bots)

    def limits(self) -> tuple[int, int]:
        """(global, per-bot) concurrency with "auto" resolved by the reference's table."""
        auto_global, auto_per_bot = auto_limits(len(self.bots))
        g = self.router.global_concurrency
        b = self.router.per_bot_concurrency
        return (auto_global if g == "auto" else g, auto_per_bot if b == "auto" else b)


def auto_limits(bot_count: int) -> tuple[int, int]:
    """The reference's recommended settings: 1-2 bots 5/2, 3-5 bots 8/2, more 10/1."""
    if bot_count <= 2:
        return 5, 2
    if bot_count <= 5:
        return 8, 2
    return 10, 1


# ------------------------------------------------------------------ loading
MAX_CONFIG_BYTES = MIB  # a full config is about 5 KB


def load_config(path: Path, *, twitch_ready: bool = True) -> Config:
    try:
        data = tomllib.loads(read_text_capped(path, "config file", MAX_CONFIG_BYTES))
    except FileRefused as error:
        raise ConfigError(str(error)) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
    return parse_config(data, source=str(path), twitch_ready=twitch_ready)


def parse_config(
    data: Mapping[str, Any], source: str = "<config>", *, twitch_ready: bool = True
) -> Config:
    """Validate; with `twitch_ready`, a Twitch config must also be complete enough to run."""
    try:
        config = Config.model_validate(dict(data))
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error)}") from None
    if twitch_ready and config.chat.source == "twitch":
        problem = twitch_problem(config)
        if problem:
            raise ConfigError(f"{source}: {problem}")
    return config


def twitch_problem(config: Config) -> str | None:
    """What keeps a Twitch config from running (a dotted key and why), if anything."""
    needed = 'required with chat.source = "twitch"'
    if not config.twitch.client_id.strip():
        return f"twitch.client_id: missing ({needed}; `botdeck auth` shows where to get it)"
    if "channel" not in config.chat.model_fields_set:
        return f"chat.channel: missing ({needed}: the broadcaster's login)"
    if not LOGIN.match(config.chat.channel):
        return f"chat.channel: expected a Twitch login, got {config.chat.channel!r}"
    looser = config.send_limits.looser_than_twitch()
    if looser:
        return (
            f"send_limits.{looser}: looser than Twitch's own limit, which would get the bots locked"
            " out for 30 minutes (allowed only with simulated or replayed chat)"
        )
    return None


_TYPE_ERRORS = ("int_type", "float_type", "string_type", "list_type", "bool_type", "dict_type")


def _describe(error: ValidationError) -> str:
    errors = error.errors()
    # A union (int | float) reports each branch; "not finite" is the one that explains inf.
    first = next((e for e in errors if e["type"] == "finite_number"), errors[0])
    if first["type"] == "adapter":  # an adapter's key, already worded within its table
        ctx = first.get("ctx") or {}
        return f"{_dotted(first['loc'])}.{ctx.get('text', '')}"
    return _describe_error(first)


def _describe_error(first: ErrorDetails) -> str:
    """One validation error as `dotted.key: what is wrong`."""
    key = _dotted(first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: missing (required)"
    message = first["msg"].removeprefix("Value error, ")
    shows_input = ("literal_error", "greater_than", "less_than", "finite_number", *_TYPE_ERRORS)
    if kind.startswith(shows_input):
        message = f"{message}, got {first.get('input')!r}"
    return f"{key}: {message}" if key else message


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif item in ("int", "float", "literal['auto']", "str", "none"):
            continue  # union branch names, not keys
        else:
            parts.append(str(item))
    return ".".join(parts)


# ------------------------------------------------------------------ demo
DEMO_BOTS = (
    ("stickyman1776", "an upbeat hype-man who loves speedruns and cheers for everyone"),
    ("genejacqueman", "a dry, sarcastic film critic who reviews everything like a movie"),
    ("pixelsage", "a calm, wise old gamer who answers in gentle proverbs"),
    ("captainbyte", "a pirate captain who treats the stream like a voyage"),
    ("datadrake", "a data nerd who quotes stats and fun facts"),
    ("cozybean", "a friendly regular who keeps chat cozy"),
    ("glitchgremlin", "an energetic speedrunner who lives for glitches"),
    ("mossmonk", "a zen gardener who sees life lessons in every play"),
)


def demo_config(
    bots: int = 3, scenario: str | Scenario | None = None, seed: int | None = None
) -> Config:
    """The demo's config: simulated chat with `bots` of the demo personas; a scenario or
    seed left out is the schema's default."""
    if not 1 <= bots <= len(DEMO_BOTS):
        raise ConfigError(f"--bots: expected 1..{len(DEMO_BOTS)}, got {bots}")
    chat: dict[str, Any] = {"source": "simulated"}
    if isinstance(scenario, Scenario):
        chat |= {"scenario": scenario.name, "scenario_params": dict(scenario.given)}
    elif scenario is not None:
        chat["scenario"] = scenario
    if seed is not None:
        chat["seed"] = seed
    return parse_config(
        {
            "chat": chat,
            "bots": [{"name": name, "persona": persona} for name, persona in DEMO_BOTS[:bots]],
        },
        source="demo",
    )


def default_of(table: type[BaseModel], key: str) -> Any:
    """A setting's default as the schema states it, for a flag or a text that shows it."""
    return table.model_fields[key].get_default(call_default_factory=True)


LOCAL_CONFIG = Path("botdeck.toml")


def default_config_path() -> Path:
    """./botdeck.toml when present, else the user's config directory."""
    return LOCAL_CONFIG if LOCAL_CONFIG.exists() else config_file()


def find_config(path: Path | None) -> Path:
    """`path` when given; else the first of ./botdeck.toml and the user's config file that
    exists; with neither, a ConfigError that names both and how to make one."""
    if path is not None:
        return path
    found = default_config_path()
    if found.exists():
        return found
    raise ConfigError(
        f"no config file: looked for ./{LOCAL_CONFIG} and {config_file()};"
        " create one with `botdeck init`"
    )


def render_config(config: Config) -> str:
    """The resolved config as TOML, with secrets shown only as the variable that holds them."""
    data = config.model_dump(exclude_none=True, by_alias=True)
    data["router"]["global_concurrency"], data["router"]["per_bot_concurrency"] = config.limits()
    data["ai"] = _with_adapter(config.ai, data["ai"])
    data["chat"] = _with_adapter(config.chat, data["chat"])
    lines: list[str] = []
    for section, values in data.items():
        if isinstance(values, list):
            for item in values:
                lines += _toml_table(item, section, array=True)
        else:
            lines += _toml_table(values, section)
    return "\n".join(lines).strip()


def _with_adapter(table: _AdapterTable, dumped: dict[str, Any]) -> dict[str, Any]:
    """A shared table as the file has it: the adapter's name, its keys resolved (with
    their defaults), botdeck's other keys, then other adapters' keys as written."""
    given = dumped.pop("options")
    name = table._kind.key
    adapter = table.adapter_options().model_dump(exclude_none=True, by_alias=True)
    others = {key: value for key, value in given.items() if key not in adapter}
    return {name: dumped.pop(name), **adapter, **dumped, **others}


def _toml_table(values: dict[str, Any], name: str, array: bool = False) -> list[str]:
    """A table's pairs, then its non-empty sub-tables as [name.key] tables."""
    lines = ["", f"[[{name}]]" if array else f"[{name}]"]
    tables = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            tables += _toml_table(value, f"{name}.{_toml_key(key)}")
        else:
            lines.append(f"{_toml_key(key)} = {_toml(value)}{_env_note(key, value)}")
    return lines + tables


def _env_note(key: str, value: object) -> str:
    if key.endswith("_env") and isinstance(value, str) and value:
        return "  # set" if os.environ.get(value) else "  # not set"
    return ""


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml(key)


def toml_value(value: object) -> str:
    """A value as TOML (strings JSON-escaped: a JSON string is a TOML basic string)."""
    return _toml(value)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(key)} = {_toml(item)}" for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    # A JSON string is a TOML basic string, once DEL (which JSON leaves raw) is escaped.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
