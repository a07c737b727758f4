"""From `[ai]` and `[[bots]]` to the AI parts: the SDK client and the OpenAI responder.
`botdeck.engine` calls these; `botdeck check` runs `preflight` so a missing key fails at
start, not at the first reply.

The key is read from the environment once, here. A key is required unless the server
needs none: `api_key_env = ""`, or a `base_url` on this machine (localhost, 127.0.0.1,
::1) whose variable is unset; those get a placeholder, because the SDK refuses no key.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from botdeck.ai.prompt import PromptSettings
from botdeck.ai.retry import RetryPolicy
from botdeck.config import Config, ConfigError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from botdeck.ai.openai_responder import OpenAIResponder

NO_KEY = "no-key-needed"  # sent to servers that need no key


def needs_client(config: Config) -> bool:
    return config.ai.provider == "openai"


def is_local(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_api_key(config: Config, environ: Mapping[str, str] = os.environ) -> str:
    """The key from the variable `[ai] api_key_env` names, or a `ConfigError` naming both."""
    name = config.ai.api_key_env
    value = environ.get(name, "") if name else ""
    if value:
        return value
    if not name or is_local(config.ai.base_url):
        return NO_KEY
    raise ConfigError(
        f"ai.api_key_env: the environment variable {name} is not set (provider openai needs a key "
        f'for {config.ai.base_url}; use api_key_env = "" for a server that needs none)'
    )


def retry_policy(config: Config) -> RetryPolicy:
    return RetryPolicy(timeout=config.ai.timeout, max_retries=config.ai.max_retries)


def build_client(config: Config, environ: Mapping[str, str] = os.environ) -> AsyncOpenAI | None:
    """The one SDK client for replies and moderation, or None when nothing needs one."""
    if not needs_client(config):
        return None
    from botdeck.ai.openai_responder import make_client

    return make_client(config.ai.base_url, resolve_api_key(config, environ), config.ai.timeout)


def build_openai_responder(config: Config, client: AsyncOpenAI) -> OpenAIResponder:
    from botdeck.ai.openai_responder import ModelChoice, OpenAIResponder, OpenAISettings

    ai = config.ai
    default = ModelChoice(ai.model, ai.temperature, ai.max_tokens)
    per_bot = {
        bot.name: ModelChoice(
            bot.model or ai.model,
            ai.temperature if bot.temperature is None else bot.temperature,
            ai.max_tokens if bot.max_tokens is None else bot.max_tokens,
        )
        for bot in config.bots
    }
    settings = OpenAISettings(
        default=default,
        per_bot=per_bot,
        retry=retry_policy(config),
        prompt=PromptSettings(context_tokens=ai.context_tokens, max_reply_chars=ai.max_reply_chars),
        extra_body=dict(ai.extra_body),
    )
    return OpenAIResponder(client, settings)


def preflight(config: Config, environ: Mapping[str, str] = os.environ) -> None:
    """Everything `build_engine` would refuse, checked without building anything."""
    if needs_client(config):
        resolve_api_key(config, environ)
