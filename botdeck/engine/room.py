"""Reading the room: random and bot-to-bot replies only where one fits, and only so many.

A bot drawn to answer a line by chance (or to chime in on another bot's line) passes it
up when the line is only emotes, has fewer than `min_words` words of text, is copypasta
(the same or near-same line from `copypasta_viewers` viewers within `copypasta_window`
seconds), or is mostly one word over and over; each is a `[filters]` switch. Then the
share: the bots' random and bot-to-bot replies together stay within `chat_share` of the
other chatters' lines over the last five minutes (`SHARE_WINDOW`), measured against the
viewers' lines rather than all lines so the bots' own talk never buys them more.
Mentions are never passed up here, nor counted against the share; neither are the
replies of bots under review (a person approves each one). Each pass is counted for the
bot that was drawn, as cooldowns are, and shown on its card.

Who a bot talks to (`audience`, from the badges on the viewer's line) narrows the bots a
random reply is drawn from; with `audience_mentions`, a mention from outside it ends
`skipped: audience`, counted here too.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from botdeck.core.line_traits import LineTraits, read_line
from botdeck.model.chat import ChatMessage
from botdeck.model.room import SHARE_WINDOW, Audience, PassKind, RoomSnapshot

_FORGET_AFTER = 200_000  # fingerprints remembered at most (an hour of a very busy chat)


@dataclass(frozen=True, slots=True)
class BotAudience:
    audience: Audience
    mentions: bool  # also refuse mentions from outside the audience


@dataclass(frozen=True, slots=True)
class RoomSettings:
    """`[filters]`, `[router] chat_share` and each bot's `audience` (defaults: the config's)."""

    emote_only: bool
    min_words: int  # 0: off
    copypasta: bool
    copypasta_viewers: int
    copypasta_window: float
    repeats: bool
    emotes: frozenset[str]  # emote names known by name (case-sensitive)
    chat_share: float | None  # None: no limit
    audiences: Mapping[str, BotAudience] = field(default_factory=dict)  # absent: everyone

    @classmethod
    def off(cls) -> RoomSettings:
        """Every filter and the share off: the engine as it was before them."""
        return cls(False, 0, False, 0, 0.0, False, frozenset(), None)


class CopypastaWatch:
    """Which fingerprints several viewers sent within the window."""

    def __init__(self, viewers: int, window: float) -> None:
        self._viewers = viewers
        self._window = window
        self._seen: dict[int, dict[str, float]] = {}  # print -> viewer -> when last
        self._order: deque[tuple[float, int, str]] = deque()

    def saw(self, viewer: str, prints: tuple[int, ...], now: float) -> None:
        self._expire(now)
        for key in prints:
            self._seen.setdefault(key, {})[viewer] = now
            self._order.append((now, key, viewer))
        while len(self._order) > _FORGET_AFTER:
            self._forget(*self._order.popleft())

    def repeated(self, prints: tuple[int, ...]) -> bool:
        return any(len(self._seen.get(key, ())) >= self._viewers for key in prints)

    def _expire(self, now: float) -> None:
        horizon = now - self._window
        order = self._order
        while order and order[0][0] < horizon:
            self._forget(*order.popleft())

    def _forget(self, when: float, key: int, viewer: str) -> None:
        viewers = self._seen.get(key)
        if viewers is not None and viewers.get(viewer) == when:
            del viewers[viewer]
            if not viewers:
                del self._seen[key]


class _Window:
    """Times of something in the last `SHARE_WINDOW` seconds, and how many in all."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self.total = 0

    def add(self, now: float) -> None:
        self._times.append(now)
        self.total += 1

    def count(self, now: float) -> int:
        times, horizon = self._times, now - SHARE_WINDOW
        while times and times[0] <= horizon:
            times.popleft()
        return len(times)


class Room:
    def __init__(
        self,
        settings: RoomSettings,
        now: Callable[[], float],
        *,
        reviewed: Callable[[str], bool] = lambda bot: False,
        followers_only: Callable[[], bool] = lambda: False,
    ) -> None:
        self._settings = settings
        self._now = now
        self._reviewed = reviewed
        self._followers_only = followers_only
        self._copypasta = CopypastaWatch(settings.copypasta_viewers, settings.copypasta_window)
        self._viewer_lines = _Window()
        self._bot_lines = _Window()
        self._chance = _Window()
        self._passes: Counter[tuple[str, PassKind]] = Counter()
        self._traits: tuple[str, LineTraits] | None = None  # the last line read (by id)
        self._reads = bool(
            settings.emote_only or settings.min_words or settings.repeats or settings.copypasta
        )

    # ------------------------------------------------------------ every line
    def saw(self, message: ChatMessage) -> None:
        """Every chat line, once: counted for the share, remembered for copypasta."""
        now = self._now()
        if message.is_bot:
            self._bot_lines.add(now)
            return
        self._viewer_lines.add(now)
        if self._settings.copypasta:
            self._copypasta.saw(message.user, self._read(message).prints, now)

    # ------------------------------------------------------------ decisions
    def speakers(self, message: ChatMessage, bots: Collection[str]) -> list[str]:
        """The bots a random reply to this line may be drawn from: those whose audience
        the sender is in (a bot's line: all of them)."""
        if message.is_bot:
            return list(bots)
        return [bot for bot in bots if self._audience(bot).admits(message.badges, self._fo())]

    def refuses_mention(self, bot: str, message: ChatMessage) -> bool:
        """A mention from outside `bot`'s audience, when its `audience_mentions` is on
        (counted as a pass)."""
        setting = self._settings.audiences.get(bot)
        if setting is None or not setting.mentions or message.is_bot:
            return False
        if setting.audience.admits(message.badges, self._fo()):
            return False
        self._passes[bot, PassKind.AUDIENCE] += 1
        return True

    def passes_up(self, bot: str, message: ChatMessage) -> bool:
        """Whether `bot`, drawn for a random or bot-to-bot reply to this line, passes it up
        (the reason is counted for `bot`). Call `took` once the reply becomes a job."""
        kind = self._unfit(message) or self._over_share(bot)
        if kind is None:
            return False
        self._passes[bot, kind] += 1
        return True

    def passes_shared(self, bot: str) -> None:
        """A shared chat session holds the bot's random and bot-to-bot replies: counted."""
        self._passes[bot, PassKind.SHARED_CHAT] += 1

    def took(self, bot: str) -> None:
        """A random or bot-to-bot reply of `bot` became a job: it counts for the share."""
        if not self._reviewed(bot):
            self._chance.add(self._now())

    def snapshot(self) -> RoomSnapshot:
        now = self._now()
        viewers, bots = self._viewer_lines.count(now), self._bot_lines.count(now)
        passes: dict[str, dict[PassKind, int]] = {}
        for (bot, kind), count in self._passes.items():
            passes.setdefault(bot, {})[kind] = count
        return RoomSnapshot(
            lines=viewers + bots,
            bot_lines=bots,
            viewer_lines=viewers,
            chance_replies=self._chance.count(now),
            limit=self._settings.chat_share,
            passes=passes,
            total_lines=self._viewer_lines.total + self._bot_lines.total,
            total_bot_lines=self._bot_lines.total,
            total_chance_replies=self._chance.total,
        )

    # ------------------------------------------------------------ the rules
    def _unfit(self, message: ChatMessage) -> PassKind | None:
        settings = self._settings
        if not self._reads:
            return None
        traits = self._read(message)
        if settings.emote_only and traits.emote_only:
            return PassKind.EMOTES
        if settings.repeats and traits.repeated:
            return PassKind.REPEATS
        if traits.words < settings.min_words:
            return PassKind.SHORT  # before copypasta: "gg" from three viewers is just short
        if not message.is_bot and settings.copypasta and self._copypasta.repeated(traits.prints):
            return PassKind.COPYPASTA
        return None

    def _over_share(self, bot: str) -> PassKind | None:
        limit = self._settings.chat_share
        if limit is None or self._reviewed(bot):
            return None
        now = self._now()
        if self._chance.count(now) + 1 > limit * self._viewer_lines.count(now):
            return PassKind.SHARE
        return None

    def _read(self, message: ChatMessage) -> LineTraits:
        cached = self._traits
        if cached is not None and cached[0] == message.id:
            return cached[1]
        traits = read_line(message.text, message.emotes, self._settings.emotes)
        self._traits = (message.id, traits)
        return traits

    def _audience(self, bot: str) -> Audience:
        setting = self._settings.audiences.get(bot)
        return Audience.EVERYONE if setting is None else setting.audience

    def _fo(self) -> bool:
        return self._followers_only()
