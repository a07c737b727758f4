"""The responders botdeck ships, registered by `[ai] provider` name."""

from __future__ import annotations

from botdeck.ai.base import Responder
from botdeck.ai.budget import BudgetedResponder
from botdeck.ai.offline import OfflineResponder
from botdeck.engine import ai_setup
from botdeck.engine.parts import BuildContext, hint_provider, register_responder
from botdeck.model.presets import server_hints


def offline(context: BuildContext) -> Responder:
    config = context.config
    return OfflineResponder(seed=config.chat.seed, bots=config.bot_names)


def openai(context: BuildContext) -> Responder:
    """Any OpenAI-compatible server, within `token_budget` if one is set."""
    config = context.config
    client = context.client or ai_setup.build_client(config)
    assert client is not None  # provider "openai" always needs one
    responder: Responder = ai_setup.build_openai_responder(config, client)
    if config.ai.token_budget:
        fallback = offline(context) if config.ai.on_budget == "offline" else None
        responder = BudgetedResponder(responder, config.ai.token_budget, fallback)
    return responder


register_responder("offline", offline)
register_responder("openai", openai)

# Local servers speak OpenAI's API: they are `openai` with their own base_url (the same
# presets `botdeck init` offers).
for _name, _hint in server_hints().items():
    hint_provider(_name, _hint)
