"""The journal's optional outcome fields: the wait for the send limit, and tokens."""

from __future__ import annotations

import asyncio
import io
import json

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.config import parse_config
from botdeck.engine import build_engine
from botdeck.model.chat import ChatMessage
from tests.fakes.limiter import SpacingLimiter
from tests.harness.virtual_time import run_virtual

BOT = "stickyman1776"


class CountingResponder(Responder):
    """Replies after 1 s reporting 10 tokens in and 5 out; "!fail" fails, billed all the same."""

    label = "counting"

    async def reply(self, request: ReplyRequest) -> Reply:
        await asyncio.sleep(1.0)
        if "!fail" in request.message.text:
            raise ResponderError("model unavailable", tokens_in=7, tokens_out=0)
        return Reply(f"hi {request.message.user}", tokens_in=10, tokens_out=5)


def run(
    lines: list[str],
    *,
    limiter=None,
    responder=None,
    send_limits: dict | None = None,
    role="viewer",
) -> list[dict]:
    config = parse_config(
        {
            "send_limits": send_limits or {"enabled": False},
            "router": {
                "random_reply_chance": 0.0,
                "max_depth": 0,
                "per_bot_concurrency": 5,
                "delays": {p: [0.0, 0.0] for p in ("high", "normal", "low")},
            },
            "bots": [{"name": BOT, "role": role}],
        }
    )

    async def main() -> list[dict]:
        stream = io.StringIO()
        engine = build_engine(
            config, journal_stream=stream, source=None, responder=responder, limiter=limiter
        )
        for i, text in enumerate(lines):
            engine.handle(ChatMessage(f"m{i}", f"viewer{i}", text, 0.0))
        await engine.wait_idle()
        await engine.close()
        return [json.loads(row) for row in stream.getvalue().splitlines()]

    return run_virtual(main())


def test_send_wait_is_the_time_each_reply_waited_for_its_send_window():
    events = run([f"@{BOT} question {i}" for i in range(3)], limiter=SpacingLimiter(2.0))
    sent = [e for e in events if e["event"] == "sent"]
    assert [e["send_wait"] for e in sent] == [0.0, 2.0, 4.0]
    assert [e["latency"] for e in sent] == [0.0, 2.0, 4.0]  # offline replies are instant


def test_the_configured_send_limits_show_as_send_wait():
    """Twitch's limits (the default): a viewer bot sends one message a second."""
    events = run([f"@{BOT} question {i}" for i in range(3)], send_limits={"enabled": True})
    sent = [e for e in events if e["event"] == "sent"]
    assert [e["send_wait"] for e in sent] == [0.0, 1.0, 2.0]
    events = run(
        [f"@{BOT} q{i}" for i in range(3)], send_limits={"enabled": True}, role="moderator"
    )
    assert [e["send_wait"] for e in events if e["event"] == "sent"] == [0.0, 0.0, 0.0]


def test_without_a_limiter_there_is_no_send_wait_field():
    events = run([f"@{BOT} hi"])
    (sent,) = (e for e in events if e["event"] == "sent")
    assert "send_wait" not in sent
    assert "tokens_in" not in sent  # the offline responder costs nothing


def test_tokens_are_on_the_outcome_of_the_reply_that_cost_them():
    events = run([f"@{BOT} hi", f"@{BOT} !fail"], responder=CountingResponder())
    outcomes = {e["msg"]: e for e in events if e["event"] in ("sent", "failed")}
    assert (outcomes["m0"]["event"], outcomes["m0"]["tokens_in"], outcomes["m0"]["tokens_out"]) == (
        "sent",
        10,
        5,
    )
    assert (outcomes["m1"]["event"], outcomes["m1"]["tokens_in"], outcomes["m1"]["tokens_out"]) == (
        "failed",
        7,
        0,
    )
