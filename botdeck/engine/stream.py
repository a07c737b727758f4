"""The stream as botdeck knows it: its game and title, whether it is live and since when.

Sources tell it as channel events: Twitch sends Get Channel Information's answer at the
start (an `update`, with whether the stream is live), then `channel.update` for every
change and `stream.online` / `stream.offline`. Every prompt carries `line()`, so a persona
asked "what game is this?" answers with the game being played now; timers ask `live`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from botdeck.model.stream import ChannelEvent, EventKind, StreamInfo


class StreamContext:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.info = StreamInfo()

    @property
    def live(self) -> bool | None:
        """True or False as the platform said; None when it never said (simulated chat)."""
        return self.info.live

    def apply(self, event: ChannelEvent) -> bool:
        """Take what the event says about the stream; True when it was about the stream."""
        info = self.info
        if event.kind is EventKind.ONLINE:
            started = event.stream.started_at if event.stream is not None else None
            self.info = replace(info, live=True, started_at=started or event.timestamp)
        elif event.kind is EventKind.OFFLINE:
            self.info = replace(info, live=False, started_at=None)
        elif event.kind is EventKind.UPDATE and event.stream is not None:
            said = event.stream
            self.info = StreamInfo(
                game=said.game,
                title=said.title,
                live=info.live if said.live is None else said.live,
                started_at=said.started_at if said.live else info.started_at,
            )
        else:
            return False
        return True

    def line(self) -> str:
        """The one short line every prompt carries ("" while nothing is known)."""
        return self.info.line(self._clock())
