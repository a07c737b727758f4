"""A generated busy chat (emote walls, copypasta waves, questions, one-word spam, mentions
of the bots) written in each log format botdeck replays, for tests and `make bench`.

Every line knows what it is (`Said.kind`), and each writer says which replay id each
line gets, so a test can tell from the journal what a reply answered.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

TWITCH_EMOTES = {"Kappa": "25", "PogChamp": "88", "LUL": "425618", "BibleThump": "86"}
CHANNEL_EMOTES = ("forsenParty", "EDM", "catJAM", "pepeD")  # 7TV's: no tag marks them
EMOTES = (*TWITCH_EMOTES, *CHANNEL_EMOTES)
UNIX_START = 1_700_000_000.0

_PASTAS = (
    "I am a tank. I am a tank of a man. Nothing can pierce my armor except the sweet "
    "embrace of this chat and its endless supply of terrible puns",
    "Did you ever hear the tragedy of the streamer who lagged? I thought not. It is not a "
    "story the moderators would tell you. It is a legend of the buffering ages",
    "Whenever I feel sad I remember that somewhere out there this streamer is missing the "
    "easiest jump in the whole game and suddenly everything is fine again",
)
_QUESTIONS = (
    "what game is this", "how long have you been streaming today", "is this your first "
    "playthrough", "which boss is the hardest in this game", "what keyboard do you use",
    "can you play the other map next", "why did they nerf the sword", "who made the music",
    "when is the next stream", "what rank are you right now", "how many hours is this run",
    "did you beat the secret boss", "what settings do you play on", "is the sequel any good",
)  # fmt: skip
_ASIDES = (
    "", "", " chat", " btw", " honestly", " today", " again", " though", " for real",
    " I wonder", " guys", " right now",
)  # fmt: skip
_SUBJECTS = (
    "that jump", "the music in this area", "this boss", "the lore in this game", "this route",
    "the timing on that", "my cat watching with me", "this level", "the graphics",
    "that dodge", "this soundtrack", "the chat today", "that last fight", "this build",
)  # fmt: skip
_PREDICATES = (
    "was really clean", "is so good", "goes deep honestly", "is wild", "looks amazing",
    "is perfect", "made my day", "hits different", "is underrated", "was insane",
    "is so cozy", "never gets old", "is pure art", "was so close",
)  # fmt: skip
_OPENERS = ("", "", "ok ", "wow ", "man ", "honestly ", "lol ", "yo ", "ngl ", "bro ")
_SHORT = ("gg", "lol", "W", "nice", "rip", "o7", "true", "L", "wow", "haha")
_SPAM = ("W W W W W", "LETS GO LETS GO LETS GO", "F F F F", "no no no no no")
_BADGES = ((), (), (), ("subscriber",), ("subscriber",), ("vip",), ("moderator",))


@dataclass(frozen=True, slots=True)
class Said:
    at: float  # seconds from the start of the stream
    user: str
    text: str
    kind: str  # emotes, copypasta, question, chatter, short, repeats, mention
    badges: tuple[str, ...] = ()
    msg_id: str = ""  # Twitch's id (for CLEARMSG)


def busy_chat(
    minutes: float,
    bots: tuple[str, ...],
    *,
    seed: int = 1,
    rate: float = 5.0,
    mention_share: float = 0.05,
    viewers: int = 300,
) -> list[Said]:
    """About `rate` lines a second for `minutes`: a third emote walls, waves of copypasta
    every couple of minutes, questions, chatter, one-word lines and spam, and
    `mention_share` of the lines mentioning one of `bots`."""
    rng = random.Random(seed)
    names = [f"viewer{n:03d}" for n in range(viewers)]
    badges = {name: rng.choice(_BADGES) for name in names}
    said: list[Said] = []
    end = minutes * 60.0
    at = 0.0
    next_wave = rng.uniform(30, 90)
    while True:
        at += rng.expovariate(rate)
        if at >= end:
            break
        if at >= next_wave:  # a copypasta wave: many viewers paste one text within 20 s
            pasta = rng.choice(_PASTAS)
            for _ in range(rng.randint(6, 14)):
                text = pasta if rng.random() < 0.6 else _vary(rng, pasta)
                user = rng.choice(names)
                said.append(Said(at + rng.uniform(0, 20), user, text, "copypasta", badges[user]))
            next_wave = at + rng.uniform(60, 150)
        user = rng.choice(names)
        roll = rng.random()
        if roll < mention_share:
            text, kind = f"@{rng.choice(bots)} {_question(rng)}", "mention"
        elif roll < 0.35:
            wall = [rng.choice(EMOTES) for _ in range(rng.randint(1, 8))]
            text, kind = " ".join(wall), "emotes"
        elif roll < 0.5:
            text, kind = _question(rng), "question"
        elif roll < 0.75:
            text = f"{rng.choice(_OPENERS)}{rng.choice(_SUBJECTS)} {rng.choice(_PREDICATES)}"
            kind = "chatter"
        elif roll < 0.9:
            text, kind = rng.choice(_SHORT), "short"
        else:
            text, kind = rng.choice(_SPAM), "repeats"
        said.append(Said(at, user, text, kind, badges[user]))
    said.sort(key=lambda line: line.at)
    return [
        Said(line.at, line.user, line.text, line.kind, line.badges, f"id-{n}")
        for n, line in enumerate(said, start=1)
    ]


def _question(rng: random.Random) -> str:
    return f"{rng.choice(_OPENERS)}{rng.choice(_QUESTIONS)}{rng.choice(_ASIDES)}?"


def _vary(rng: random.Random, text: str) -> str:
    """A paste with one change: an emote added, a word dropped, or shouted."""
    words = text.split()
    match rng.randrange(3):
        case 0:
            return f"{text} {rng.choice(EMOTES)}"
        case 1:
            del words[rng.randrange(len(words))]
            return " ".join(words)
        case _:
            return text.upper()


def _emote_tag(text: str) -> str:
    """Twitch's `emotes` tag for the Twitch emotes in `text` (code point ranges)."""
    ranges: dict[str, list[str]] = {}
    at = 0
    for word in text.split(" "):
        if word in TWITCH_EMOTES:
            ranges.setdefault(TWITCH_EMOTES[word], []).append(f"{at}-{at + len(word) - 1}")
        at += len(word) + 1
    return "/".join(f"{emote}:{','.join(spots)}" for emote, spots in ranges.items())


def irc_line(line: Said, channel: str = "streamer") -> str:
    badges = ",".join(f"{badge}/1" for badge in line.badges)
    ms = int((UNIX_START + line.at) * 1000)
    tags = (
        f"@badge-info=;badges={badges};color=#1E90FF;display-name={line.user.capitalize()};"
        f"emotes={_emote_tag(line.text)};id={line.msg_id};mod={int('moderator' in line.badges)};"
        f"room-id=1;subscriber={int('subscriber' in line.badges)};tmi-sent-ts={ms};user-type="
    )
    return (
        f"{tags} :{line.user}!{line.user}@{line.user}.tmi.twitch.tv PRIVMSG #{channel} :{line.text}"
    )


def irc_log(said: list[Said]) -> tuple[str, dict[str, Said]]:
    """Raw IRC with tags, with the JOIN and ROOMSTATE a logger records first; and the replay
    id of each line."""
    head = [
        ":streamer!streamer@streamer.tmi.twitch.tv JOIN #streamer",
        "@emote-only=0;followers-only=-1;r9k=0;room-id=1;slow=0;subs-only=0"
        " :tmi.twitch.tv ROOMSTATE #streamer",
    ]
    rows = head + [irc_line(line) for line in said]
    ids = {f"replay-{n}": line for n, line in enumerate(said, start=len(head) + 1)}
    return "\n".join(rows) + "\n", ids


def recent_messages(said: list[Said]) -> tuple[str, dict[str, Said]]:
    body = {"messages": [irc_line(line) for line in said], "error": None, "error_code": None}
    ids = {f"replay-{n}": line for n, line in enumerate(said, start=1)}
    return json.dumps(body), ids


def chatterino_log(said: list[Said]) -> tuple[str, dict[str, Said]]:
    """Chatterino's text log of a stream that starts at 20:00 (times to the second)."""
    rows = ["# Start logging at 2024-03-05 19:59:58 CET"]
    for line in said:
        clock = 20 * 3600 + int(line.at)
        stamp = f"{clock // 3600 % 24:02d}:{clock // 60 % 60:02d}:{clock % 60:02d}"
        rows.append(f"[{stamp}]  {line.user}: {line.text}")
    ids = {f"replay-{n}": line for n, line in enumerate(said, start=2)}
    return "\n".join(rows) + "\n", ids


def jsonl_log(said: list[Said]) -> tuple[str, dict[str, Said]]:
    rows = [
        json.dumps({"t": round(line.at, 3), "user": line.user, "text": line.text,
                    "badges": list(line.badges)})
        for line in said
    ]  # fmt: skip
    ids = {f"replay-{n}": line for n, line in enumerate(said, start=1)}
    return "\n".join(rows) + "\n", ids


WRITERS = {
    "irc": irc_log,
    "recent-messages": recent_messages,
    "chatterino": chatterino_log,
    "jsonl": jsonl_log,
}
