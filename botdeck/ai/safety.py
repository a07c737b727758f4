"""Safety: the last check before a reply may reach the channel, on by default.

The router runs every shaped reply, from any responder, through `SafetyGate.check_reply`:
1. the leak guard: a reply that repeats a substantial part of the system prompt (persona
   or rules) or contains a secret (the API key, any token named by a `*_env` key) -> `leak`;
2. the blocklist: the built-in list of slurs and bannable phrases plus the streamer's own
   regexes -> `blocked`;
3. optional moderation through `/moderations` -> `moderation`; when moderation is on and
   cannot answer, the reply is held (`moderation unavailable: ...`): fail closed.
With `moderation = "all"`, incoming viewer lines are checked too, and a flagged line gets
no reply. Every refusal raises `Blocked(reason)`, which the router turns into `skipped`.
Nothing here logs or journals a blocked text: it may hold exactly what must not leak.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from botdeck.ai.moderation import ModerationUnavailable, ModerationVerdict, Moderator
from botdeck.ai.prompt import RULES
from botdeck.model.chat import ChatMessage
from botdeck.storage.files import MIB, FileRefused, read_text_capped

log = logging.getLogger(__name__)

# A minimal default: slurs and phrases that get channels banned, written to catch the
# common spellings (digits for letters, doubled letters) without catching ordinary words.
# Streamers add their own with `[safety] blocklist` / `blocklist_file`.
BUILTIN_BLOCKLIST = (
    r"\bn+[i1!|]+g{2,}(?:[e3]+r+|a+h?|u+h+)z?s?\b",
    r"\bf+[a@4]+g+(?:[o0]+t+)?s?\b",
    r"\br+[e3]+t+[a@4]+r+d+(?:s|ed)?\b",
    r"\bk+[i1]+k+[e3]+s?\b",
    r"\bch[i1]nks?\b",
    r"\bsp[i1]cs?\b",
    r"\bg[o0]{2,}ks?\b",
    r"\bwetbacks?\b",
    r"\btr[a@4]nn(?:y|ies)\b",
    r"\bk+y+s+\b",
    r"\bkill\s+(?:your|ur|yo)\s*self\b",
    r"\bgo\s+die\b",
)

LEAK_WORDS = 6  # this many consecutive words shared with the system prompt make a leak
MIN_SECRET_CHARS = 8  # shorter "secrets" would match ordinary text
_WORD = re.compile(r"[a-z0-9']+")
_INCOMING_CACHE = 512


class Blocked(Exception):
    """A reply (or an incoming line) must not be answered; `reason` goes to the journal."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BlocklistError(ValueError):
    """A blocklist source is unusable; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Blocklist:
    patterns: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def build(
        cls, extra: Sequence[str] = (), file: Path | None = None, *, builtin: bool = True
    ) -> Blocklist:
        sources = [*(BUILTIN_BLOCKLIST if builtin else ()), *extra]
        compiled = [re.compile(pattern, re.IGNORECASE) for pattern in sources]
        if file is not None:
            compiled.extend(read_blocklist_file(file))
        return cls(tuple(compiled))

    def first_match(self, text: str) -> int | None:
        """The index of the first pattern found in the text (or its folded form), else None."""
        folded = fold(text)
        for index, pattern in enumerate(self.patterns):
            if pattern.search(text) or pattern.search(folded):
                return index
        return None


MAX_BLOCKLIST_BYTES = MIB


def read_blocklist_file(path: Path) -> list[re.Pattern[str]]:
    """One case-insensitive regex per line; blank lines and `#` comments are skipped."""
    try:
        content = read_text_capped(path, "blocklist file", MAX_BLOCKLIST_BYTES)
    except FileRefused as error:
        raise BlocklistError(str(error)) from None
    patterns = []
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            patterns.append(re.compile(line, re.IGNORECASE))
        except re.error as error:
            raise BlocklistError(f"{path}:{number}: bad regex {line!r}: {error}") from None
    return patterns


def fold(text: str) -> str:
    """Compatibility-folded, case-folded text: fullwidth and styled letters become plain."""
    return unicodedata.normalize("NFKC", text).casefold()


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _shingles(words: Sequence[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


class LeakGuard:
    """Finds replies that recite the system prompt or carry a secret value."""

    def __init__(self, secrets: Iterable[str] = (), words: int = LEAK_WORDS) -> None:
        self._secrets = tuple({s for s in secrets if len(s) >= MIN_SECRET_CHARS})
        self._size = words
        # The rules are the same for every bot; split at the placeholders so that
        # the bot's name and the length limit do not matter.
        self._rules: set[tuple[str, ...]] = set()
        for fragment in re.split(r"\{\w+\}", RULES):
            self._rules |= _shingles(_words(fragment), words)
        self._personas: dict[str, set[tuple[str, ...]]] = {}

    def leaks(self, text: str, persona: str) -> bool:
        squeezed = re.sub(r"\s+", "", text)
        if any(secret in text or secret in squeezed for secret in self._secrets):
            return True
        shingles = _shingles(_words(text), self._size)
        if not shingles:
            return False
        if shingles & self._rules:
            return True
        return bool(shingles & self._persona_shingles(persona))

    def _persona_shingles(self, persona: str) -> set[tuple[str, ...]]:
        if persona not in self._personas:
            self._personas[persona] = _shingles(_words(persona), self._size)
        return self._personas[persona]


class SafetyGate:
    """Leak guard, blocklist and optional moderation, for every reply and (if set) every line."""

    def __init__(
        self,
        *,
        blocklist: Blocklist | None = None,
        leak_guard: LeakGuard | None = None,
        moderator: Moderator | None = None,
        moderate_incoming: bool = False,
    ) -> None:
        self._blocklist = blocklist if blocklist is not None else Blocklist.build()
        self._leak_guard = leak_guard or LeakGuard()
        self._moderator = moderator
        self._moderate_incoming = moderate_incoming and moderator is not None
        self._incoming: OrderedDict[str, asyncio.Task[ModerationVerdict]] = OrderedDict()
        self._unavailable: str | None = None

    @property
    def notices(self) -> tuple[str, ...]:
        if self._unavailable:
            return (f"moderation unavailable: {self._unavailable} (replies held)",)
        return ()

    # ------------------------------------------------------------ incoming
    def screen(self, message: ChatMessage) -> None:
        """Start checking a viewer's line now, so the verdict is ready when its jobs start."""
        if self._moderate_incoming and not message.is_bot:
            self._incoming_task(message)

    async def check_incoming(self, message: ChatMessage) -> None:
        """Raise `Blocked` if the line being answered is flagged (or cannot be checked)."""
        if not self._moderate_incoming or message.is_bot:
            return
        task = self._incoming_task(message)
        try:
            verdict = await asyncio.shield(task)  # one check shared by every bot answering
        except ModerationUnavailable as error:
            raise self._held(error) from None
        self._unavailable = None
        if verdict.flagged:
            log.info("line %s flagged by moderation: %s", message.id, ", ".join(verdict.categories))
            raise Blocked("moderation")

    def _incoming_task(self, message: ChatMessage) -> asyncio.Task[ModerationVerdict]:
        task = self._incoming.get(message.id)
        if task is None:
            assert self._moderator is not None
            task = asyncio.get_running_loop().create_task(self._moderator.check(message.text))
            task.add_done_callback(_retrieve)
            self._incoming[message.id] = task
            if len(self._incoming) > _INCOMING_CACHE:
                self._incoming.popitem(last=False)
        return task

    # -------------------------------------------------------------- replies
    async def check_reply(self, bot: str, persona: str, text: str) -> None:
        """Raise `Blocked` unless the shaped reply may be sent."""
        if self._leak_guard.leaks(text, persona):
            log.warning("reply by %s withheld: it repeats its instructions or a secret", bot)
            raise Blocked("leak")
        index = self._blocklist.first_match(text)
        if index is not None:
            log.info("reply by %s matched blocklist pattern #%d", bot, index + 1)
            raise Blocked("blocked")
        if self._moderator is None:
            return
        try:
            verdict = await self._moderator.check(text)
        except ModerationUnavailable as error:
            raise self._held(error) from None
        self._unavailable = None
        if verdict.flagged:
            log.info("reply by %s flagged by moderation: %s", bot, ", ".join(verdict.categories))
            raise Blocked("moderation")

    def close(self) -> None:
        """Cancel incoming checks still running (at shutdown)."""
        for task in self._incoming.values():
            task.cancel()
        self._incoming.clear()

    def _held(self, error: ModerationUnavailable) -> Blocked:
        self._unavailable = error.reason
        return Blocked(f"moderation unavailable: {error.reason}")


def _retrieve(task: asyncio.Task[ModerationVerdict]) -> None:
    """Mark a shared check's failure as seen, even if every job waiting on it was cancelled."""
    if not task.cancelled():
        task.exception()
