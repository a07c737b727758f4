"""The built-in offline responder: no network, no key, deterministic for a seed.

It reads what kind of line it is answering (a greeting, a question, a raid, hype, another
bot's take, or an ordinary remark), picks the bot's voice from keywords in its persona, and
combines a voice-flavoured opener, an answer for that kind of line that picks up the line's
topic, and sometimes a sign-off. A bot never says the same thing twice in a row.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass

from botdeck.ai.base import Reply, ReplyRequest, Responder
from botdeck.model.chat import ChatMessage

_STOPWORDS = frozenset(
    """
    a an and are as at be but by can could did do does for from had has have how i if in is
    it its it's just like me my of on or so that the this to too u ur was we what when
    where which who why will with would you your yo hey hi hello sup ok lol lmao pls please
    any anyone some about really very much more most all been being am im i'm dont don't
    cant can't get got one out up there their they them then than thats that's vs
    """.split()  # noqa: SIM905 - a word list reads best as words
)


@dataclass(frozen=True, slots=True)
class Voice:
    name: str
    keywords: tuple[str, ...]
    openers: tuple[str, ...]
    signoffs: tuple[str, ...]


VOICES = (
    Voice(
        "hype",
        ("hype", "energetic", "upbeat", "cheer", "excited", "speedrun", "loud"),
        ("LET'S GO!", "Yooo!", "Okay okay okay,", "HUGE.", "No way,", "Chat, listen:"),
        ("PogChamp", "hype hype hype", "we ride at dawn", "GGs only", "let's gooo"),
    ),
    Voice(
        "dry",
        ("sarcastic", "dry", "grumpy", "critic", "cynical", "deadpan", "snark"),
        ("Ah yes,", "Bold of you,", "Fascinating.", "Well,", "Sure,", "Incredible,"),
        ("truly cinema", "I'll allow it", "riveting stuff", "five stars, I guess", "anyway"),
    ),
    Voice(
        "sage",
        ("wise", "calm", "zen", "proverb", "philosoph", "old", "gentle", "mentor"),
        ("Patience, friend.", "Hmm.", "As the old saying goes,", "Breathe.", "Consider this:"),
        ("the river finds its way", "slow is smooth", "so it is", "walk gently", "all in time"),
    ),
    Voice(
        "pirate",
        ("pirate", "sailor", "captain", "sea", "arr"),
        ("Arr,", "Ahoy,", "Shiver me timbers,", "Avast,", "Yo ho,"),
        ("matey", "savvy?", "to the high seas", "arr", "keep yer powder dry"),
    ),
    Voice(
        "nerd",
        ("nerd", "analyst", "science", "data", "tech", "engineer", "stats", "facts"),
        ("Technically,", "Fun fact:", "Statistically,", "Per my calculations,", "Okay so,"),
        ("source: trust me", "peer review pending", "the numbers agree", "citation needed"),
    ),
    Voice(
        "friendly",
        (),
        ("Oh nice,", "Honestly,", "Haha,", "Hey,", "Ooh,", "Okay,"),
        ("<3", "good vibes", "glad you're here", "cheers", ":)"),
    ),
)

_ANSWERS: dict[str, tuple[str, ...]] = {
    "greeting": (
        "welcome in! grab a snack and stay a while",
        "hey hey, good to see you here",
        "welcome! chat is extra cozy today",
        "hi! you picked the perfect moment to show up",
        "welcome to the chaos, make yourself at home",
    ),
    "raid": (
        "welcome raiders, you brought the energy!",
        "raid hype! thanks for bringing the crew",
        "so many new faces, welcome everyone!",
        "the raid has landed, welcome in!",
        "raiders, the snacks are over there, make yourselves at home",
    ),
    "question": (
        "{topic}? good question, I'd say it depends on the run",
        "short answer: yes. long answer: also yes, but with {topic}",
        "I've thought about {topic} way too much and I still say go for it",
        "{topic} is a whole debate, chat is split on it",
        "honestly I'm not sure about {topic}, but I'd try it at least once",
        "ask me again after this round, {topic} needs a clear head",
    ),
    "hype": (
        "that was actually clean",
        "chat is on fire right now",
        "clip it, that one deserves a clip",
        "the timing on that was unreal",
        "ok that made my whole stream",
    ),
    "debate": (
        "I hear you, but {topic} is overrated and I'll die on this hill",
        "respectfully, no. {topic} is the best part",
        "hard disagree on {topic}, chat back me up",
        "okay that's fair, {topic} does deserve more credit",
        "we agree on {topic}? mark the calendar",
    ),
    "remark": (
        "{topic} talk, I'm here for it",
        "can't stop thinking about {topic} now, thanks",
        "{topic} is such a good topic for this stream",
        "fair point about {topic}",
        "real, {topic} hits different today",
        "{topic}, huh? tell me more",
    ),
}

# One reply to several viewers at once (a raid the send limit cannot answer one by one).
_GROUP_ANSWERS: dict[str, tuple[str, ...]] = {
    "greeting": (
        "welcome in, all of you! grab a snack and stay a while",
        "hey everyone, so good to see you all here",
        "welcome, welcome! chat just got a lot cozier",
    ),
    "raid": (
        "welcome raiders, every one of you! thanks for bringing the energy",
        "raid squad, welcome in! make yourselves at home",
        "so many new faces, welcome all of you!",
    ),
    "question": (
        "great questions all round! short answer: it depends on the run, stick around",
        "you all ask the good stuff! I'll answer the best I can as we play",
        "so many questions, love it! watch the next round and you'll see",
    ),
    "hype": (
        "you all felt that too! chat is on fire",
        "the energy in here right now, unreal",
        "clip it, chat! that one was for all of you",
    ),
    "debate": (
        "you all make fair points, but I'm not changing my mind",
        "okay, the whole chat has opinions, I respect it",
        "we'll settle this together after the round",
    ),
    "remark": (
        "thanks for the shoutouts, love to see you all here",
        "you all are the best chat, seriously",
        "appreciate every one of you, keep it coming",
    ),
}

_GREETING = re.compile(
    r"^(hi+|hey+|hello+|yo+|sup|hiya|howdy|greetings|o7|good (morning|evening))\b|\b(hi+|hello+)$"
)
_RAID = re.compile(r"\braid(ing|ers?)?\b|\braid\b", re.IGNORECASE)
_HYPE = re.compile(r"\b(pog\w*|gg+|lol+|lmao|kekw|hype|clip|insane|w+)\b", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(what|how|why|when|who|where|which|can|could|do|does|did|is|are|will|would|should)\b"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]{2,}")


def classify(request: ReplyRequest) -> str:
    """The kind of line being answered: decides the family of answer."""
    if request.also:  # one reply to several viewers: answer what most of them said
        kinds = [classify_message(message) for message in request.messages]
        return max(dict.fromkeys(kinds), key=kinds.count)
    return classify_message(request.message)


def classify_message(message: ChatMessage) -> str:
    text = message.text.lower()
    words = re.sub(r"@\w+", "", text).strip()
    if message.is_bot:
        return "debate"
    if _RAID.search(text):
        return "raid"
    if "?" in text or _QUESTION_START.match(words):
        return "question"
    if _GREETING.search(words) or "first time" in words:
        return "greeting"
    if _HYPE.search(words):
        return "hype"
    return "remark"


def topic_of(text: str, bots: tuple[str, ...] = ()) -> str:
    """The most telling word of a line: its longest word that is not filler or a name."""
    skip = {bot.lower() for bot in bots}
    words = [
        word
        for word in _WORD.findall(re.sub(r"@\w+", " ", text))
        if word.lower() not in _STOPWORDS and word.lower() not in skip
    ]
    words = [word for word in words if len(word) <= 20]  # a 300-letter "word" is not a topic
    if not words:
        return "that"
    return str(max(words, key=len)).lower()


def voice_for(persona: str) -> Voice:
    lowered = persona.lower()
    for voice in VOICES:
        # Keywords are word starts ("philosoph" matches "philosophical", "sea" not "research").
        if any(re.search(rf"\b{re.escape(keyword)}", lowered) for keyword in voice.keywords):
            return voice
    return VOICES[-1]


class OfflineResponder(Responder):
    """Deterministic for a seed; each bot has its own random stream and memory."""

    def __init__(self, seed: int, bots: tuple[str, ...] = ()) -> None:
        self._seed = seed
        self._bots = bots
        self._rngs: dict[str, random.Random] = {}
        self._last: dict[str, str] = {}

    @property
    def label(self) -> str:
        return "offline"

    async def reply(self, request: ReplyRequest) -> Reply:
        return Reply(self.compose(request))

    def compose(self, request: ReplyRequest) -> str:
        rng = self._rng(request.bot)
        voice = voice_for(request.persona)
        kind = classify(request)
        topic = topic_of(request.message.text, (*self._bots, request.bot))
        last = self._last.get(request.bot)
        for _ in range(8):
            text = self._one(rng, voice, kind, topic, group=bool(request.also))
            if text != last:
                break
        self._last[request.bot] = text
        return text

    def _one(
        self, rng: random.Random, voice: Voice, kind: str, topic: str, group: bool = False
    ) -> str:
        answers = _GROUP_ANSWERS[kind] if group else _ANSWERS[kind]
        answer = rng.choice(answers).format(topic=topic)
        parts = [rng.choice(voice.openers), answer]
        if rng.random() < 0.45:
            parts.append(rng.choice(voice.signoffs))
        return " ".join(parts)

    def _rng(self, bot: str) -> random.Random:
        if bot not in self._rngs:
            self._rngs[bot] = random.Random(zlib.crc32(f"{self._seed}:{bot}".encode()))
        return self._rngs[bot]
