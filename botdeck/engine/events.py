"""The engine's one event stream: subscribe, unsubscribe, publish in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botdeck.model.events import EngineEvent, Listener

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class Subscription:
    """What `EventHub.subscribe` returns; `cancel()` ends it (safe to call twice)."""

    _hub: EventHub
    listener: Listener

    def cancel(self) -> None:
        self._hub.unsubscribe(self.listener)


class EventHub:
    """Delivers each event to every listener, in subscription order.

    A failing listener is logged and skipped: one broken observer must not stop a reply
    or the others from hearing about it.
    """

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        self._listeners: tuple[Listener, ...] = ()

    def __bool__(self) -> bool:
        return bool(self._listeners)

    def subscribe(self, listener: Listener) -> Subscription:
        self._listeners = (*self._listeners, listener)
        return Subscription(self, listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners = tuple(known for known in self._listeners if known is not listener)

    def publish(self, event: EngineEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed on %s", type(event).__name__)
