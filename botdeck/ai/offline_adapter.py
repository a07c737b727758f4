"""The offline provider's registry entry (`provider = "offline"`): no keys, no server."""

from __future__ import annotations

from botdeck.ai.adapter import ResponderAdapter, ResponderContext, ResponderParts
from botdeck.ai.offline import OfflineResponder
from botdeck.core.options import AdapterOptions


class OfflineOptions(AdapterOptions):
    """It reads no key of `[ai]`."""


def build(context: ResponderContext[OfflineOptions]) -> ResponderParts:
    bots = tuple(bot.name for bot in context.bots)
    return ResponderParts(OfflineResponder(seed=context.seed, bots=bots))


ADAPTER = ResponderAdapter(OfflineOptions, build)
