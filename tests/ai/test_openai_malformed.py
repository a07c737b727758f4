"""Answers an OpenAI-compatible server should not send, through the real SDK (issue 16):
a usable reply is never thrown away over its accounting, and nothing a server sends
becomes a Python exception's text in the journal."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.openai_server import Behaviour, FakeOpenAI, Recorded
from tests.harness.ai import Run, make_config

pytestmark = pytest.mark.usefixtures("openai_key")


def answer(content: Any = "aye, a fine route", usage: Any = None) -> Behaviour:
    body: dict[str, Any] = {
        "id": "chatcmpl-odd",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                                                                      "content": content}}],
    }  # fmt: skip
    if usage is not None:
        body["usage"] = usage

    async def behave(request: Recorded, server: FakeOpenAI) -> web.StreamResponse:
        return web.json_response(body)

    return behave


async def outcome(server: FakeOpenAI, behaviour: Behaviour) -> tuple[Run, dict]:
    server.script_chat(behaviour)
    run = Run(make_config(server, ai={"max_retries": 0}))
    try:
        run.say("viewer_one", "hey @alpha_bot which route?")
        events = await run.settle()
    finally:
        await run.close()
    (ended,) = [e for e in events if e["event"] in ("sent", "failed", "skipped", "cancelled")]
    return run, ended


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": "many", "completion_tokens": 5, "total_tokens": "lots"},
        {"prompt_tokens": -3, "completion_tokens": 1e300},
        {"prompt_tokens": [1], "completion_tokens": {"n": 2}},
        "a lot",
    ],
    ids=["strings", "out of range", "containers", "not an object"],
)
async def test_a_malformed_usage_is_ignored_and_the_reply_sent(openai_server, caplog, usage):
    with caplog.at_level(logging.WARNING, logger="botdeck.ai.openai_responder"):
        run, ended = await outcome(openai_server, answer(usage=usage))
    assert ended["event"] == "sent" and ended["text"].endswith("aye, a fine route")
    assert run.engine.snapshot().usage["alpha_bot"].tokens_in == 0
    if isinstance(usage, dict):
        assert "not a token count" in caplog.text


async def test_a_sound_usage_next_to_a_bad_one_still_counts(openai_server):
    _, ended = await outcome(
        openai_server, answer(usage={"prompt_tokens": 40, "completion_tokens": "eight"})
    )
    assert ended["event"] == "sent" and ended["tokens_in"] == 40 and ended["tokens_out"] == 0


@pytest.mark.parametrize("content", [42, ["a", "list"], {"text": "hi"}])
async def test_content_that_is_not_text_fails_with_a_plain_reason(openai_server, content):
    _, ended = await outcome(openai_server, answer(content=content))
    assert ended["event"] == "failed"
    assert ended["reason"] == "malformed reply: its content is not text"
