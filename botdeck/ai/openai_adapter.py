"""The OpenAI provider's registry entry (`provider = "openai"`): any server that speaks
OpenAI's Chat Completions API (OpenAI, Ollama, llama.cpp, vLLM, LM Studio).

Its keys in `[ai]` and their defaults are `OpenAIOptions`. The key is read from the
environment variable `api_key_env` names, once, when the run is built. A key is required
unless the server needs none: `api_key_env = ""`, or a `base_url` on this machine
(localhost, 127.0.0.1, ::1) whose variable is unset; those get a placeholder, because the
SDK refuses no key. It also moderates (`/moderations`, `[safety] moderation`), through
the same client. The SDK is imported only when a run or a probe needs it (0.3 s), so
checking a config or the offline demo never loads it.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from botdeck.ai.adapter import (
    Probe,
    ResponderAdapter,
    ResponderContext,
    ResponderParts,
    ResponderSetupError,
)
from botdeck.ai.base import Responder, ResponderError
from botdeck.ai.moderation import Moderator
from botdeck.ai.openai_errors import OpenAIErrors
from botdeck.core.options import AdapterOptions, http_url
from botdeck.model.presets import server_hints
from botdeck.model.readiness import Finding

if TYPE_CHECKING:
    from openai import AsyncOpenAI

NO_KEY = "no-key-needed"  # sent to servers that need no key


class OpenAIOptions(AdapterOptions):
    """The keys `provider = "openai"` reads in `[ai]`."""

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = Field(0.9, ge=0.0, le=2.0)
    max_tokens: int = Field(120, ge=1, le=4096)
    # Extra request fields for servers that need them, passed through as they are.
    extra_body: dict[str, Any] = Field(default_factory=dict)

    _url = field_validator("base_url")(http_url)

    @field_validator("extra_body")
    @classmethod
    def _json(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            json.dumps(value, allow_nan=False)
        except ValueError:  # inf or nan: JSON has neither, a server would refuse the request
            raise ValueError("numbers must be finite (no inf or nan)") from None
        return value


def is_local(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_api_key(context: ResponderContext[OpenAIOptions]) -> str:
    """The key from the variable `api_key_env` names, or a `ResponderSetupError` naming
    both."""
    options = context.options
    name = options.api_key_env
    value = context.environ.get(name, "") if name else ""
    if value:
        return value
    if not name or is_local(options.base_url):
        return NO_KEY
    why = "provider openai" if context.replies else "moderation"
    raise ResponderSetupError(
        f"ai.api_key_env: the environment variable {name} is not set ({why} needs a key "
        f'for {options.base_url}; use api_key_env = "" for a server that needs none)'
    )


def preflight(context: ResponderContext[OpenAIOptions]) -> None:
    resolve_api_key(context)


def check(context: ResponderContext[OpenAIOptions]) -> tuple[Finding, ...]:
    """`botdeck check`: whether the key is there, as `resolve_api_key` will find it."""
    options = context.options
    name, url = options.api_key_env, options.base_url
    if not name:
        return (Finding(f'ai.api_key_env: "" (no key sent to {url})'),)
    if context.environ.get(name):
        return (Finding(f"ai.api_key_env: {name} is set"),)
    if is_local(url):
        return (
            Finding(f"ai.api_key_env: {name} is not set; {url} is on this machine: none needed"),
        )
    why = "provider openai" if context.replies else "[safety] moderation"
    return (
        Finding.problem(
            f"ai.api_key_env: {name} is not set ({why} needs a key for {url})",
            fix=f'export {name}=... (your API key), or api_key_env = "" for a server that needs'
            " none",
        ),
    )


def build(context: ResponderContext[OpenAIOptions]) -> ResponderParts:
    """One SDK client for the replies and the moderator (whichever the context wants)."""
    from botdeck.ai.openai_responder import make_client

    options = context.options
    key = resolve_api_key(context)
    client = make_client(options.base_url, key, context.retry.timeout)
    responder = responder_with(context, client) if context.replies else None
    moderator = _moderator(context, client) if context.moderation is not None else None
    return ResponderParts(
        responder,
        moderator,
        secrets=(key,) if key != NO_KEY else (),
        closers=(client.close,),
    )


def responder_with(context: ResponderContext[OpenAIOptions], client: AsyncOpenAI) -> Responder:
    """The responder on a given client (the benchmarks script one)."""
    from botdeck.ai.openai_responder import ModelChoice, OpenAIResponder, OpenAISettings

    options = context.options
    default = ModelChoice(options.model, options.temperature, options.max_tokens)
    per_bot = {
        bot.name: ModelChoice(
            bot.model or options.model,
            options.temperature if bot.temperature is None else bot.temperature,
            options.max_tokens if bot.max_tokens is None else bot.max_tokens,
        )
        for bot in context.bots
    }
    settings = OpenAISettings(
        default=default,
        per_bot=per_bot,
        retry=context.reply_retry,
        prompt=context.prompt,
        extra_body=dict(options.extra_body),
        key_source=options.api_key_env,
    )
    return OpenAIResponder(client, settings)


def _moderator(context: ResponderContext[OpenAIOptions], client: AsyncOpenAI) -> Moderator:
    from botdeck.ai.openai_moderation import OpenAIModerator

    assert context.moderation is not None
    request = context.moderation
    return OpenAIModerator(client, model=request.model, retry=request.retry)


async def probe(context: ResponderContext[OpenAIOptions]) -> Probe:
    """One tiny completion from the configured server (`botdeck check --probe`)."""
    from botdeck.ai.openai_responder import make_client
    from botdeck.ai.openai_responder import probe as ask

    options = context.options
    timeout = context.retry.timeout
    client = make_client(options.base_url, resolve_api_key(context), timeout)
    try:
        answer = await ask(client, options.model, timeout, key_source=options.api_key_env)
    except ResponderError as error:
        raise ResponderSetupError(f"ai: {error.reason}") from None
    finally:
        await client.close()
    return Probe(f"{options.model} at {options.base_url}", answer)


ADAPTER = ResponderAdapter(
    OpenAIOptions,
    build,
    preflight=preflight,
    check=check,
    probe=probe,
    classify=OpenAIErrors("the AI server"),  # the responder reads its own; a stray one too
    moderates=True,
    # Local servers speak OpenAI's API: they are "openai" with their own base_url (the
    # same presets `botdeck init` offers).
    hints=server_hints(),
    about='any OpenAI-compatible server is "openai" with its base_url',
)
