"""Replies from any OpenAI-compatible server (OpenAI, Ollama, llama.cpp, vLLM, LM Studio).

It speaks Chat Completions through the official SDK, so switching servers is a matter of
`[ai] base_url`. Each reply is one request bounded by one deadline (`[ai] timeout`,
retries included, see `botdeck.ai.retry`; what a failure means:
`botdeck.ai.openai_errors`), so a hung server frees the job's slots in time.
Every failure is a `ResponderError` with a short reason (the key never appears in one),
marked transient when it is worth waiting out, or with what to fix. Whether the server
is up is the engine's business (its circuit), not this class's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.ai.openai_errors import OpenAIErrors
from botdeck.ai.prompt import PromptSettings, build_messages
from botdeck.ai.retry import CallFailed, RetryPolicy, call_with_retries, host_of

log = logging.getLogger(__name__)
MAX_TOKENS = 10**9  # per request; more is not a count a server meant

# Reasoning models served locally (e.g. DeepSeek-R1 on Ollama) put their thoughts first.
_THINKING = re.compile(r"^\s*<think>.*?</think>\s*", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """What one bot's requests use: the `[ai]` defaults, or that bot's overrides."""

    model: str
    temperature: float
    max_tokens: int


@dataclass(frozen=True, slots=True)
class OpenAISettings:
    default: ModelChoice
    retry: RetryPolicy
    prompt: PromptSettings
    per_bot: Mapping[str, ModelChoice] = field(default_factory=dict)
    extra_body: Mapping[str, Any] = field(default_factory=dict)  # passed through verbatim
    key_source: str = ""  # where the key comes from (an environment variable), for a fix

    def for_bot(self, bot: str) -> ModelChoice:
        return self.per_bot.get(bot, self.default)


def make_client(base_url: str, api_key: str, timeout: float) -> AsyncOpenAI:
    """One SDK client for replies and moderation. Single attempts: `retry` does the retrying.

    The deadline that counts is the one `retry` sets around each whole call; the SDK's own
    (per attempt, a second longer) is only a backstop for connections left behind.
    """
    return AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=timeout + 1.0, max_retries=0)


class OpenAIResponder(Responder):
    """Writes replies with a chat model."""

    def __init__(self, client: AsyncOpenAI, settings: OpenAISettings) -> None:
        self._client = client
        self._settings = settings
        self._host = host_of(str(client.base_url))

    @property
    def label(self) -> str:
        return self._settings.default.model

    async def reply(self, request: ReplyRequest) -> Reply:
        choice = self._settings.for_bot(request.bot)
        messages = build_messages(request, self._settings.prompt)
        extra_body = dict(self._settings.extra_body) or None

        async def create() -> ChatCompletion:
            return await self._client.chat.completions.create(
                model=choice.model,
                messages=messages,  # type: ignore[arg-type]  # plain dicts are the wire format
                temperature=choice.temperature,
                max_tokens=choice.max_tokens,
                extra_body=extra_body,
            )

        try:
            errors = OpenAIErrors(
                self._host, self._client.api_key, self._settings.key_source, choice.model
            )
            completion = await call_with_retries(create, self._settings.retry, errors)
        except CallFailed as failure:
            raise ResponderError(
                failure.reason,
                transient=failure.transient,
                retry_after=failure.retry_after,
                fix=failure.fix,
            ) from None
        return read_completion(completion)


async def probe(client: AsyncOpenAI, model: str, within: float, key_source: str = "") -> str:
    """Ask the server for one tiny completion (`botdeck check --probe`): what it answered,
    or a `ResponderError` saying why it did not (what to fix, when it knows)."""

    async def create() -> ChatCompletion:
        return await client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Reply with the word OK."}],
            max_tokens=5,
        )

    host = host_of(str(client.base_url))
    policy = RetryPolicy(timeout=within, max_retries=0)
    try:
        errors = OpenAIErrors(host, client.api_key, key_source, model)
        completion = await call_with_retries(create, policy, errors)
    except CallFailed as failure:
        raise ResponderError(failure.fix or failure.reason, transient=failure.transient) from None
    # Any answer will do: a reasoning model may spend five tokens before any text.
    choice = completion.choices[0] if completion.choices else None
    text = (choice.message.content or "").strip() if choice is not None else ""
    return text or "(an answer without text)"


def read_completion(completion: ChatCompletion) -> Reply:
    """The reply text and token counts, or a `ResponderError` saying why there is no text.

    The SDK does not validate answers, so any field may hold anything a server sent: a
    usable reply is never thrown away over its accounting (a malformed `usage` counts
    as no tokens, with a log line), and a malformed answer is a reason, not a TypeError.
    """
    usage = getattr(completion, "usage", None)
    tokens_in = _token_count(usage, "prompt_tokens")
    tokens_out = _token_count(usage, "completion_tokens")
    choices = getattr(completion, "choices", None)
    if not choices or not isinstance(choices, list):
        raise ResponderError("empty reply: no choices", tokens_in=tokens_in, tokens_out=tokens_out)
    choice = choices[0]
    message = getattr(choice, "message", None)
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise ResponderError(
            "malformed reply: its content is not text", tokens_in=tokens_in, tokens_out=tokens_out
        )
    text = _THINKING.sub("", content or "").strip()
    if text.lower().startswith("<think>"):
        text = ""  # cut off while still thinking: nothing to say yet
    if text:
        return Reply(text, tokens_in=tokens_in, tokens_out=tokens_out)
    finish_reason = getattr(choice, "finish_reason", None)
    if finish_reason == "length":
        reason = "empty reply: cut off by max_tokens before any text"
    elif finish_reason == "content_filter":
        reason = "empty reply: removed by the provider's content filter"
    elif getattr(message, "refusal", None):
        reason = "empty reply: the model refused"
    else:
        reason = "empty reply"
    raise ResponderError(reason, tokens_in=tokens_in, tokens_out=tokens_out)


def _token_count(usage: object, key: str) -> int:
    """A token count from `usage`, or 0 (logged) when the server sent something else."""
    value = getattr(usage, key, None) if usage is not None else None
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        log.warning("AI answer: usage.%s is %s, not a token count: counted as 0", key, shown)
        return 0
    return value
