"""What a rehearsal changes in a past stream's log so that it tests the bots: a past
stream never mentions bots that did not exist yet.

`as_bots` (`--as OLD=bot`) makes an existing name one of the bots: every mention of OLD
names the bot instead, moderators' actions on OLD are on the bot, and OLD's own lines are
left out (the bot speaks for itself now). `with_mentions` (`--mention-rate R`) adds about
R mentions a minute of the configured bots, each one of the log's own questions asked by
one of its own viewers, at seeded random times (a Poisson process), marked `synthetic` so
the journal and the report keep them apart. Both return a new `ReplayLog`; nothing here
can reach a live channel (the flags exist only for `rehearse`).
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from botdeck.chat.replay_log import ReplayLine, ReplayLog
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
    skip = {user.lower() for user in (*bots, *skip_users)}
    viewers: dict[str, str] = {}  # login -> display name, in order of first line
    questions: dict[str, None] = {}
    bot_names = MentionFinder(bots)
    for line in chat:
        if line.user in skip:
            continue
        viewers.setdefault(line.user, line.display_name)
        question = _question(line.text, command_prefixes)
        if question and not bot_names.find(line.text) and len(questions) < MAX_QUESTIONS:
            questions[question] = None
    if not viewers or not questions:
        raise RehearsalError(
            f"--mention-rate: {log.path} has no viewer's question to draw mentions from"
        )
    rng = random.Random(f"mentions:{seed}")
    asked, askers = list(questions), list(viewers)
    first, last = log.start, log.lines[-1].at
    rate = per_minute / 60.0
    added: list[ReplayLine] = []
    at = first + rng.expovariate(rate)
    while at <= last:
        user = rng.choice(askers)
        bot = rng.choice(bots)
        text = f"@{bot} {rng.choice(asked)}"
        added.append(
            ReplayLine(at, user, viewers[user] or user, text, len(added) + 1, synthetic=True)
        )
        at += rng.expovariate(rate)
    merged = sorted((*log.lines, *added), key=lambda line: line.at)  # stable: log lines first
    return Mentioned(
        dataclasses.replace(log, lines=tuple(merged)), len(added), len(asked), len(askers)
    )


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
