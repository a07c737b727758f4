"""The router's limits hold when replies come from a real HTTP server.

A burst of mentions to three bots runs through the real engine and SDK; the fake server
counts requests in flight (overall and per bot, from the system prompt), and each request
takes long enough that a broken limit would show up as extra overlap.
"""

from __future__ import annotations

import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.harness.ai import BOTS, Run, make_config


@pytest.mark.parametrize(("global_limit", "per_bot_limit"), [(4, 2), (3, 1), (2, 2)])
async def test_in_flight_requests_never_exceed_the_global_and_per_bot_limits(
    openai_server: FakeOpenAI, openai_key: str, global_limit: int, per_bot_limit: int
):
    openai_server.latency = 0.1
    config = make_config(
        openai_server,
        router={"global_concurrency": global_limit, "per_bot_concurrency": per_bot_limit},
    )
    run = Run(config)
    try:
        # Skewed on purpose: alpha_bot's backlog outlasts the others', so its own limit binds.
        targets = ["alpha_bot"] * 12 + ["beta_bot", "gamma_bot"] * 3
        for n, bot in enumerate(targets):
            run.say(f"viewer{n}", f"@{bot} question {n}?")
        run.say("raider", "@alpha_bot @beta_bot @gamma_bot all of you!")
        await run.settle(deadline=20)
    finally:
        await run.close()

    assert len(openai_server.chats) == 21
    assert {request.bot for request in openai_server.chats} == set(BOTS)
    assert openai_server.max_in_flight <= global_limit
    assert max(openai_server.max_in_flight_by_bot.values()) <= per_bot_limit
    # The limits were actually reached, so the bounds above were really tested.
    assert openai_server.max_in_flight == min(global_limit, per_bot_limit * len(BOTS))
    assert openai_server.max_in_flight_by_bot["alpha_bot"] == min(global_limit, per_bot_limit)
    run.assert_one_outcome_per_job()
    assert {outcome for outcome, _ in run.outcomes().values()} == {"sent"}
