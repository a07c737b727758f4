"""What a rehearsal changes in a past stream's log so that it tests the bots: a past
stream never mentions bots that did not exist yet; and the demo's simulated chat, given
more mentions the same way.

`as_bots` (`--as OLD=bot`) makes an existing name one of the bots: every mention of OLD
names the bot instead, moderators' actions on OLD are on the bot, and OLD's own lines are
left out (the bot speaks for itself now). `with_mentions` (`--mention-rate R`) adds about
R mentions a minute of the configured bots, each one of the log's own questions asked by
one of its own viewers, at seeded random times (a Poisson process), marked `synthetic` so
the journal and the report keep them apart. Both return a new `ReplayLog`.
`with_scripted_mentions` (`demo --mention-rate R`) draws the same mentions, by the same
`draw_mentions`, into a simulated chat's script as it plays (which may be endless), from
its own questions and viewers. Nothing here can reach a live channel (the flag exists only
for `rehearse` and `demo`)."""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from botdeck.chat.replay_log import ReplayLine, ReplayLog
from botdeck.chat.simulated import QUESTIONS, Scripted, ScriptedLine
from botdeck.core.mentions import MentionFinder
from botdeck.model.channel import MessageDeleted, UserCleared

MAX_QUESTIONS = 5_000  # drawn from: enough variety, bounded memory on a ten-hour log
MAX_QUESTION_WORDS = 25
_QUESTION_WORDS = frozenset(
    (
        "what", "why", "how", "who", "when", "where", "which", "is", "are", "do", "does",
        "did", "can", "could", "should", "would", "will", "anyone", "anybody",
    )
)  # fmt: skip
_MENTION = re.compile(r"^(?:@\S+\s+)+")


class RehearsalError(ValueError):
    """A flag the log cannot honour; the message is one line."""


@dataclass(frozen=True, slots=True)
class Renamed:
    """What `--as` changed: mentions renamed and lines left out, per old name."""

    log: ReplayLog
    mentions: Mapping[str, int]  # old name -> lines whose mentions now name the bot
    dropped: Mapping[str, int]  # old name -> its own lines, left out


def as_bots(log: ReplayLog, names: Mapping[str, str]) -> Renamed:
    """`names`: old login -> bot. An old name that appears nowhere is a `RehearsalError`
    (a typo would otherwise rehearse nothing)."""
    olds = {old.lower(): bot.lower() for old, bot in names.items()}
    finder = MentionFinder(olds)
    pattern = re.compile(
        r"(?<![\w@])(@?)(" + "|".join(map(re.escape, olds)) + r")(?!\w)", re.IGNORECASE
    )
    mentions = dict.fromkeys(olds, 0)
    dropped = dict.fromkeys(olds, 0)
    lines: list[ReplayLine] = []
    for line in log.lines:
        if line.event is not None:
            lines.append(_rename_event(line, olds))
            continue
        if line.user in olds:
            dropped[line.user] += 1
            continue
        named = finder.find(line.text)
        if named:
            for old in named:
                mentions[old] += 1
            text = pattern.sub(lambda m: m.group(1) + olds[m.group(2).lower()], line.text)
            line = dataclasses.replace(line, text=text)
        lines.append(line)
    for old in olds:
        if not mentions[old] and not dropped[old]:
            raise RehearsalError(
                f"--as {old}={olds[old]}: {log.path} never names {old} nor has a line from them"
            )
    return Renamed(dataclasses.replace(log, lines=tuple(lines)), mentions, dropped)


def _rename_event(line: ReplayLine, olds: Mapping[str, str]) -> ReplayLine:
    event = line.event
    if isinstance(event, UserCleared) and event.user in olds:
        return dataclasses.replace(line, event=UserCleared(olds[event.user]))
    if isinstance(event, MessageDeleted) and event.user in olds:
        return dataclasses.replace(line, event=MessageDeleted(event.msg, olds[event.user]))
    return line


@dataclass(frozen=True, slots=True)
class Mentioned:
    log: ReplayLog
    added: int  # synthetic mentions
    questions: int  # distinct lines they were drawn from
    viewers: int  # distinct viewers who ask them


@dataclass(frozen=True, slots=True)
class Askers:
    """What synthetic mentions are drawn from: questions, and the viewers who ask them."""

    questions: tuple[str, ...]
    viewers: Mapping[str, str]  # login -> display name, in order of first line


@dataclass(frozen=True, slots=True)
class Drawn:
    """One synthetic mention: at `at` (the chat's own seconds), `user` asks `text`."""

    at: float
    user: str
    display_name: str
    text: str  # "@bot question"


def gather(
    lines: Iterable[tuple[str, str, str]],
    bots: Sequence[str],
    *,
    skip_users: Collection[str] = (),
    command_prefixes: tuple[str, ...] = (),
    readdress: bool = False,
) -> Askers:
    """The questions and viewers of chat lines `(login, display name, text)`, never a
    bot's or a service bot's, never a command. A line naming a bot is left out (it is a
    mention already), unless `readdress`: then its question, without the leading
    `@names`, may be asked of any bot (the demo's chat, whose questions are all asked of
    the bots)."""
    skip = {user.lower() for user in (*bots, *skip_users)}
    viewers: dict[str, str] = {}
    questions: dict[str, None] = {}
    bot_names = MentionFinder(bots)
    for user, display_name, text in lines:
        if user in skip:
            continue
        viewers.setdefault(user, display_name)
        question = _question(text, command_prefixes)
        if question is None or len(questions) >= MAX_QUESTIONS:
            continue
        if not bot_names.find(question if readdress else text):
            questions[question] = None
    return Askers(tuple(questions), viewers)


def draw_mentions(
    askers: Askers, bots: Sequence[str], per_minute: float, seed: int, start: float
) -> Iterator[Drawn]:
    """About `per_minute` mentions a minute from `start` on, endlessly, in time order:
    each one of `askers`' questions asked of one of `bots` by one of its viewers, at
    seeded random times (the same seed draws the same mentions)."""
    rng = random.Random(f"mentions:{seed}")
    asked, askers_ = list(askers.questions), list(askers.viewers)
    rate = per_minute / 60.0
    at = start + rng.expovariate(rate)
    while True:
        user = rng.choice(askers_)
        bot = rng.choice(bots)
        text = f"@{bot} {rng.choice(asked)}"
        yield Drawn(at, user, askers.viewers[user] or user, text)
        at += rng.expovariate(rate)


def with_mentions(
    log: ReplayLog,
    bots: Sequence[str],
    per_minute: float,
    seed: int,
    *,
    skip_users: Collection[str] = (),
    command_prefixes: tuple[str, ...] = (),
) -> Mentioned:
    """About `per_minute` extra mentions a minute of log time, from the log's own
    questions and viewers (never a bot's or a service bot's, never a command)."""
    chat = [line for line in log.lines if line.event is None and not line.synthetic]
    askers = gather(
        ((line.user, line.display_name, line.text) for line in chat),
        bots,
        skip_users=skip_users,
        command_prefixes=command_prefixes,
    )
    if not askers.viewers or not askers.questions:
        raise RehearsalError(
            f"--mention-rate: {log.path} has no viewer's question to draw mentions from"
        )
    last = log.lines[-1].at
    drawn = itertools.takewhile(
        lambda mention: mention.at <= last,
        draw_mentions(askers, bots, per_minute, seed, log.start),
    )
    added = [
        ReplayLine(m.at, m.user, m.display_name, m.text, where, synthetic=True)
        for where, m in enumerate(drawn, start=1)
    ]
    merged = sorted((*log.lines, *added), key=lambda line: line.at)  # stable: log lines first
    return Mentioned(
        dataclasses.replace(log, lines=tuple(merged)),
        len(added),
        len(askers.questions),
        len(askers.viewers),
    )


READ_AHEAD = 500  # a script's first lines, that the demo's synthetic mentions draw from


@dataclass(frozen=True, slots=True)
class ScriptMentioned:
    script: Iterator[Scripted]  # the script with the synthetic mentions among its lines
    questions: int  # distinct questions they are drawn from
    viewers: int  # distinct viewers who ask them


def with_scripted_mentions(
    script: Iterator[Scripted],
    bots: Sequence[str],
    per_minute: float,
    seed: int,
    *,
    skip_users: Collection[str] = (),
    command_prefixes: tuple[str, ...] = (),
) -> ScriptMentioned:
    """A simulated chat's script (perhaps endless) with about `per_minute` extra mentions
    a minute among its lines while it plays, drawn as a rehearsal's (`draw_mentions`) from
    the questions and viewers of its first `READ_AHEAD` lines; a script that asks nothing
    (a raid's greetings) asks the simulated viewers' usual questions."""
    ahead = list(itertools.islice(script, READ_AHEAD))
    said = [line for line in ahead if isinstance(line, ScriptedLine) and not line.synthetic]
    askers = gather(
        ((line.user.lower(), line.user, line.text) for line in said),
        bots,
        skip_users=skip_users,
        command_prefixes=command_prefixes,
        readdress=True,
    )
    if not askers.questions:
        askers = dataclasses.replace(askers, questions=QUESTIONS)
    if not askers.viewers:  # a script of events alone: nobody to ask
        return ScriptMentioned(itertools.chain(ahead, script), 0, 0)
    drawn = draw_mentions(askers, bots, per_minute, seed, 0.0)
    merged = _merged(itertools.chain(ahead, script), drawn)
    return ScriptMentioned(merged, len(askers.questions), len(askers.viewers))


def _merged(script: Iterator[Scripted], drawn: Iterator[Drawn]) -> Iterator[Scripted]:
    """The script's items with the drawn mentions before each one they come before; they
    end with the script (a finite scenario's chat ends when it has played)."""
    upcoming = next(drawn)
    for item in script:
        while upcoming.at < item.at:
            yield ScriptedLine(upcoming.at, upcoming.display_name, upcoming.text, synthetic=True)
            upcoming = next(drawn)
        yield item


def _question(text: str, command_prefixes: tuple[str, ...]) -> str | None:
    """The line as a question someone could ask a bot (leading @names removed), or None."""
    text = _MENTION.sub("", text).strip()
    if not text or (command_prefixes and text.startswith(command_prefixes)):
        return None
    words = text.split()
    if not 3 <= len(words) <= MAX_QUESTION_WORDS or "?" in text[:-1]:
        return None  # a copypasta asks along the way; a question to a bot is one
    if text.endswith("?") or words[0].lower().strip(",") in _QUESTION_WORDS:
        return text
    return None
