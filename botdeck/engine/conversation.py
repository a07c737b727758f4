"""The channel as the bots remember it: recent lines for context, ids and users already
seen, lines moderators removed, and the depth of our own replies until the channel echoes
them back (by message id)."""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from botdeck.model.chat import ChatMessage

K = TypeVar("K")

SEEN_IDS = 4096  # how many message ids are remembered to drop duplicates


def _remember(memory: OrderedDict[str, None], key: str) -> None:
    memory[key] = None
    memory.move_to_end(key)
    if len(memory) > SEEN_IDS:
        memory.popitem(last=False)


class Conversation:
    """What every reply sees as context (the last `context_lines`), duplicate ids, and
    what moderators took out of it."""

    def __init__(self, context_lines: int) -> None:
        self._limit = context_lines
        self._history: deque[ChatMessage] = deque(maxlen=max(1, context_lines + 1))
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._users: OrderedDict[str, None] = OrderedDict()  # logins seen, newest last
        self._removed: OrderedDict[str, None] = OrderedDict()  # ids moderators took out

    def first_sight(self, message_id: str) -> bool:
        """True the first time an id is seen (chat is delivered at least once)."""
        if message_id in self._seen:
            return False
        _remember(self._seen, message_id)
        return True

    def seen(self, message_id: str) -> bool:
        return message_id in self._seen

    def knows(self, user: str) -> bool:
        """Whether a line from this login was seen (of the last few thousand users)."""
        return user in self._users

    def add(self, message: ChatMessage) -> None:
        self._history.append(message)

    def saw_user(self, user: str) -> None:
        _remember(self._users, user)

    def remove(self, which: Callable[[ChatMessage], bool]) -> int:
        """Take these lines out of the context (a moderator removed them); how many."""
        kept = [line for line in self._history if not which(line)]
        removed = len(self._history) - len(kept)
        if removed:
            for line in self._history:
                if which(line):
                    _remember(self._removed, line.id)
            self._history = deque(kept, maxlen=self._history.maxlen)
        return removed

    def delete(self, message_id: str) -> None:
        """Take one line out (a moderator deleted it), also from replies being written."""
        self.remove(lambda line: line.id == message_id)
        _remember(self._removed, message_id)

    def clear(self) -> None:
        """Forget the whole context (a moderator cleared the chat)."""
        self.remove(lambda line: True)

    def removed_any(self, lines: Iterable[ChatMessage]) -> bool:
        """Whether a moderator removed one of these lines since they were read."""
        return any(line.id in self._removed for line in lines)

    def recent(self, excluding: ChatMessage) -> tuple[ChatMessage, ...]:
        """The newest lines before a reply is written, oldest first, without its trigger."""
        if not self._limit:
            return ()
        lines = [line for line in self._history if line is not excluding]
        return tuple(lines[-self._limit :])


class EchoDepth:
    """Bot-to-bot depth across a channel that echoes our own messages back (Twitch).

    A reply's depth is what stops bots answering each other at `max_depth`, so its echo
    must get it back. The echo is matched by the message id the send returned. Twitch may
    deliver the echo before the send's answer, and may alter the text (trimmed spaces, an
    emote), so the text is only a fallback, and an echo that matches neither while the
    bot has sends in flight takes the deepest of them: a chain is cut a hop early rather
    than running on.
    """

    def __init__(self) -> None:
        self._keys = itertools.count()
        self._in_flight: dict[int, Outgoing] = {}
        self._by_id: OrderedDict[str, int] = OrderedDict()  # message id -> depth
        self._by_text: OrderedDict[tuple[str, str], int] = OrderedDict()  # (bot, text) -> depth
        self._echoed: set[int] = set()  # in flight, but its echo already came

    def sending(self, bot: str, text: str, depth: int) -> Outgoing:
        """Called right before the send."""
        outgoing = Outgoing(next(self._keys), bot, text, depth)
        self._in_flight[outgoing.key] = outgoing
        _remember_depth(self._by_text, (bot, text), depth)
        return outgoing

    def sent(self, outgoing: Outgoing, message_id: str) -> None:
        """The send returned its message id."""
        self._in_flight.pop(outgoing.key, None)
        if outgoing.key in self._echoed:
            self._echoed.discard(outgoing.key)
            return  # its echo already came and took its depth
        _remember_depth(self._by_id, message_id, outgoing.depth)

    def held(self, outgoing: Outgoing) -> None:
        """The platform holds the message (AutoMod): if moderators approve it, it comes
        back later with its text, and takes its depth then."""
        self._in_flight.pop(outgoing.key, None)
        self._echoed.discard(outgoing.key)

    def failed(self, outgoing: Outgoing) -> None:
        """The send failed: no echo is coming."""
        self._in_flight.pop(outgoing.key, None)
        self._echoed.discard(outgoing.key)
        self._by_text.pop((outgoing.bot, outgoing.text), None)

    def restore(self, bot: str, message_id: str, text: str) -> int:
        """The depth of `bot`'s line `message_id` as it came back from the channel."""
        depth = self._by_id.pop(message_id, None)
        if depth is not None:
            self._by_text.pop((bot, text), None)
            return depth
        depth = self._by_text.pop((bot, text), None)
        pending = [
            o for o in self._in_flight.values() if o.bot == bot and o.key not in self._echoed
        ]
        if depth is not None:
            match = next((o for o in pending if o.text == text), None)
            if match is not None:
                self._echoed.add(match.key)
            return depth
        if pending:  # the echo beat the answer and its text was changed on the way
            deepest = max(pending, key=lambda o: o.depth)
            self._echoed.add(deepest.key)
            return deepest.depth
        return 0


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply being sent: what its echo will look like."""

    key: int
    bot: str
    text: str
    depth: int


def _remember_depth(mapping: OrderedDict[K, int], key: K, value: int) -> None:
    mapping[key] = value
    mapping.move_to_end(key)
    if len(mapping) > SEEN_IDS:
        mapping.popitem(last=False)
