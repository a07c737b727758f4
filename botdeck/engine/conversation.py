"""The channel as the bots remember it: recent lines for context, ids already seen, and
the depth of our own replies until the channel echoes them back (by message id)."""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import TypeVar

from botdeck.model.chat import ChatMessage

K = TypeVar("K")

SEEN_IDS = 4096  # how many message ids are remembered to drop duplicates


class Conversation:
    """What every reply sees as context (the last `context_lines`), and duplicate ids."""

    def __init__(self, context_lines: int) -> None:
        self._limit = context_lines
        self._history: deque[ChatMessage] = deque(maxlen=max(1, context_lines + 1))
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_sight(self, message_id: str) -> bool:
        """True the first time an id is seen (chat is delivered at least once)."""
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        return True

    def add(self, message: ChatMessage) -> None:
        self._history.append(message)

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
        _remember(self._by_text, (bot, text), depth)
        return outgoing

    def sent(self, outgoing: Outgoing, message_id: str) -> None:
        """The send returned its message id."""
        self._in_flight.pop(outgoing.key, None)
        if outgoing.key in self._echoed:
            self._echoed.discard(outgoing.key)
            return  # its echo already came and took its depth
        _remember(self._by_id, message_id, outgoing.depth)

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


def _remember(mapping: OrderedDict[K, int], key: K, value: int) -> None:
    mapping[key] = value
    mapping.move_to_end(key)
    if len(mapping) > SEEN_IDS:
        mapping.popitem(last=False)
