"""The channel as the bots remember it: recent lines for context, ids and users already
seen, lines moderators removed, and the depth of our own replies until the channel echoes
them back."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable

from botdeck.model.chat import ChatMessage

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
