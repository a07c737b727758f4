"""The depth of our own replies when the channel echoes them back (Twitch does).

A reply re-enters the chat as a bot line, and its depth (bot-to-bot hops) is what keeps
`max_depth` honest. The echo is matched by the message id the send returned. Twitch may
deliver the echo before the send's answer, and may alter the text (trimmed spaces, an
emote), so the text is only a fallback, and an echo that matches neither while the bot
has sends in flight takes the deepest of them: a loop is cut a hop early rather than
running on.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass

_REMEMBERED = 4096


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply being sent: what its echo will look like."""

    key: int
    bot: str
    text: str
    depth: int


class EchoDepths:
    def __init__(self) -> None:
        self._keys = itertools.count()
        self._in_flight: dict[int, Outgoing] = {}
        self._by_id: OrderedDict[str, int] = OrderedDict()  # message id -> depth
        self._by_text: OrderedDict[tuple[str, str], int] = OrderedDict()  # (bot, text) -> depth
        self._echoed: set[int] = set()  # in flight, but its echo already came (unmatched)

    def sending(self, bot: str, text: str, depth: int) -> Outgoing:
        """Called right before the send."""
        outgoing = Outgoing(next(self._keys), bot, text, depth)
        self._in_flight[outgoing.key] = outgoing
        _put(self._by_text, (bot, text), depth)
        return outgoing

    def sent(self, outgoing: Outgoing, message_id: str) -> None:
        """The send returned its message id."""
        self._in_flight.pop(outgoing.key, None)
        if outgoing.key in self._echoed:
            self._echoed.discard(outgoing.key)
            return  # its echo already came and took its depth
        _put(self._by_id, message_id, outgoing.depth)

    def failed(self, outgoing: Outgoing) -> None:
        """The send failed: no echo is coming."""
        self._in_flight.pop(outgoing.key, None)
        self._echoed.discard(outgoing.key)
        self._by_text.pop((outgoing.bot, outgoing.text), None)

    def depth_of(self, bot: str, message_id: str, text: str) -> int:
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


def _put(mapping: OrderedDict, key: object, value: int) -> None:
    mapping[key] = value
    mapping.move_to_end(key)
    if len(mapping) > _REMEMBERED:
        mapping.popitem(last=False)
