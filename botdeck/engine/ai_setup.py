"""From `[ai]`, `[safety]` and `[[bots]]` to the AI parts: the SDK client, the OpenAI
responder and the safety gate. `build_engine` calls these; `botdeck check` runs
`preflight` so a missing key or a bad blocklist file fails at start, not at the first reply.

The key is read from the environment once, here. A key is required unless the server
needs none: `api_key_env = ""`, or a `base_url` on this machine (localhost, 127.0.0.1,
::1) whose variable is unset; those get a placeholder, because the SDK refuses no key.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botdeck.ai.moderation import Moderator
from botdeck.ai.prompt import PromptSettings
from botdeck.ai.retry import RetryPolicy
from botdeck.ai.safety import Blocklist, BlocklistError, LeakGuard, SafetyGate
from botdeck.config import Config, ConfigError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from botdeck.ai.openai_responder import OpenAIResponder

NO_KEY = "no-key-needed"  # sent to servers that need no key


def needs_client(config: Config) -> bool:
    return config.ai.provider == "openai" or config.safety.moderation != "off"


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
    why = "provider openai" if config.ai.provider == "openai" else "moderation"
    raise ConfigError(
        f"ai.api_key_env: the environment variable {name} is not set ({why} needs a key "
        f'for {config.ai.base_url}; use api_key_env = "" for a server that needs none)'
    )


def secret_values(config: Config, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The values of every variable a `*_env` key names: no reply may ever contain one."""
    return [environ[name] for name in _env_names(config.model_dump()) if environ.get(name)]


def _env_names(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and key.endswith("_env") and isinstance(value, str) and value:
                yield value
            else:
                yield from _env_names(value)
    elif isinstance(data, list):
        for item in data:
            yield from _env_names(item)


def retry_policy(config: Config, *, replies: bool = False) -> RetryPolicy:
    """One deadline per call, `[ai] max_retries` retries inside it. Replies waiting out
    outages (`outage_wait` > 0) make single attempts: the engine's circuit probes for
    the server's return once for everyone, instead of each reply retrying a dead server."""
    retries = 0 if replies and config.ai.outage_wait > 0 else config.ai.max_retries
    return RetryPolicy(timeout=config.ai.timeout, max_retries=retries)


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
        retry=retry_policy(config, replies=True),
        prompt=PromptSettings(context_tokens=ai.context_tokens, max_reply_chars=ai.max_reply_chars),
        extra_body=dict(ai.extra_body),
        key_source=ai.api_key_env,
    )
    return OpenAIResponder(client, settings)


def build_blocklist(config: Config) -> Blocklist:
    safety = config.safety
    file = Path(safety.blocklist_file) if safety.blocklist_file else None
    try:
        return Blocklist.build(safety.blocklist, file, builtin=safety.builtin_blocklist)
    except BlocklistError as error:
        raise ConfigError(f"safety.blocklist_file: {error}") from None


def build_safety(
    config: Config, client: AsyncOpenAI | None, environ: Mapping[str, str] = os.environ
) -> SafetyGate:
    safety = config.safety
    moderator = None
    if safety.moderation != "off":
        if client is None:
            raise ConfigError("safety.moderation: needs an API client (see [ai])")
        moderator = Moderator(client, model=safety.moderation_model, retry=retry_policy(config))
    secrets = secret_values(config, environ)
    if client is not None and client.api_key != NO_KEY:
        secrets.append(client.api_key)
    return SafetyGate(
        blocklist=build_blocklist(config),
        leak_guard=LeakGuard(secrets),
        moderator=moderator,
        moderate_incoming=safety.moderation == "all",
    )


async def probe(config: Config, environ: Mapping[str, str] = os.environ) -> str:
    """`botdeck check --probe`: one request to the configured server. What it answered,
    or a ConfigError saying why it did not."""
    from botdeck.ai.base import ResponderError
    from botdeck.ai.openai_responder import make_client
    from botdeck.ai.openai_responder import probe as ask

    ai = config.ai
    client = make_client(ai.base_url, resolve_api_key(config, environ), ai.timeout)
    try:
        return await ask(client, ai.model, ai.timeout, key_source=ai.api_key_env)
    except ResponderError as error:
        raise ConfigError(f"ai: {error.reason}") from None
    finally:
        await client.close()


def preflight(config: Config, environ: Mapping[str, str] = os.environ) -> None:
    """Everything `build_engine` would refuse, checked without building anything."""
    from botdeck.engine.parts import responder_factory, source_factory

    source_factory(config.chat.source)
    responder_factory(config.ai.provider)
    if needs_client(config):
        resolve_api_key(config, environ)
    build_blocklist(config)
