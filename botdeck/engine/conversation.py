"""The channel as the bots remember it: recent lines for context, ids already seen, and
the depth of our own replies until the channel echoes them back."""

from __future__ import annotations

from collections import OrderedDict, deque

from botdeck.model.chat import ChatMessage

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

    Remembered before a reply is sent, keyed by (bot, text); restored when the echo comes
    in, so the orchestrator can stop bots answering each other at `max_depth`.
    """

    def __init__(self) -> None:
        self._depth: OrderedDict[tuple[str, str], int] = OrderedDict()

    def remember(self, bot: str, text: str, depth: int) -> None:
        self._depth[(bot, text)] = depth
        if len(self._depth) > SEEN_IDS:
            self._depth.popitem(last=False)

    def restore(self, bot: str, text: str) -> int:
        return self._depth.pop((bot, text), 0)
