"""Raid mode on a virtual clock, with the real send limiter: every viewer hears back in time."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter

import pytest

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.ai.offline import OfflineResponder
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import Engine
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.events import JobChanged
from botdeck.model.jobs import Outcome, Priority
from tests.harness.engine import make_engine
from tests.harness.journals import OUTCOMES
from tests.harness.virtual_time import now, run_virtual

BOT = "stickyman1776"


class ClockedSink:
    """Records what was sent and when (loop time)."""

    echoes = False

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        await asyncio.sleep(0.2)  # Twitch's API round trip
        self.sent.append((now(), text))
        return f"out-{len(self.sent)}"


def raid_router(role: Role, responder=None, sink=None, ack_target: float = 60.0):
    """Default delays (1-3 s), no random replies."""
    return make_engine(
        [BOT],
        personas={BOT: "an upbeat hype-man"},
        responder=responder or OfflineResponder(seed=5, bots=(BOT,)),
        sink=sink or ClockedSink(),
        limiter=RateLimiter({BOT: role}),
        max_depth=0,
        seed=5,
        g=5,
        b=2,
        ack_target=ack_target,
        journal_clock=lambda: asyncio.get_running_loop().time(),
    )


def viewer_name(i: int) -> str:
    return f"raider_{i:03d}"


async def raid(router: Engine, viewers: int, within: float = 2.0) -> dict[str, float]:
    """`viewers` distinct viewers mention the bot within `within` seconds; when each did."""
    asked: dict[str, float] = {}
    for i in range(viewers):
        await asyncio.sleep(within / viewers)
        name = viewer_name(i)
        asked[name] = now()
        router.handle(ChatMessage(f"m{i}", name, f"@{BOT} hi from the raid!", now()))
    await router.wait_idle()
    return asked


def named(text: str) -> list[str]:
    return re.findall(r"@(raider_\d{3})", text)


def windows_over(times: list[float], limit: int, window: float = 30.0) -> int:
    return sum(1 for t in times if sum(1 for u in times if t <= u < t + window) > limit)


def test_a_100_viewer_raid_on_a_viewer_bot_is_answered_within_a_minute():
    sink = ClockedSink()

    async def main():
        router, stream = raid_router(Role.VIEWER, sink=sink)
        asked = await raid(router, 100)
        return asked, [json.loads(row) for row in stream.getvalue().splitlines()]

    asked, events = run_virtual(main())
    answered: dict[str, float] = {}
    for at, text in sink.sent:
        assert len(text) <= 500
        for name in named(text):
            assert name not in answered, f"{name} named twice"
            answered[name] = at
    assert set(answered) == set(asked)
    late = {name: answered[name] - asked[name] for name in asked}
    assert max(late.values()) <= 60.0, sorted(late.values())[-5:]
    assert windows_over([at for at, _ in sink.sent], 20) == 0
    assert len(sink.sent) < 100  # some replies carried several viewers
    ends = Counter(e["job"] for e in events if e["event"] in OUTCOMES)
    assert set(ends.values()) == {1} and len(ends) == 100
    coalesced = [e for e in events if e["event"] == "sent" and "coalesced_into" in e]
    assert coalesced and all(e["text"] for e in coalesced)


def test_a_moderator_bot_that_keeps_up_never_merges_replies():
    sink = ClockedSink()

    async def main():
        router, stream = raid_router(Role.MODERATOR, sink=sink)
        await raid(router, 100)
        return [json.loads(row) for row in stream.getvalue().splitlines()]

    events = run_virtual(main())
    assert len(sink.sent) == 100
    assert all(len(named(text)) == 1 for _, text in sink.sent)
    assert not any("coalesced_into" in e for e in events)


def test_300_mentions_still_all_answered_within_a_minute():
    sink = ClockedSink()

    async def main():
        router, _ = raid_router(Role.VIEWER, sink=sink)
        names = [f"raider_{i:03d}" for i in range(300)]
        for i, name in enumerate(names):
            await asyncio.sleep(2.0 / 300)
            router.handle(ChatMessage(f"m{i}", name, f"@{BOT} raid!", now()))
        await router.wait_idle()

    run_virtual(main())
    answered = [name for _, text in sink.sent for name in named(text)]
    assert sorted(answered) == sorted(f"raider_{i:03d}" for i in range(300))
    assert sink.sent[-1][0] <= 62.0  # the last mention came at 2 s
    assert windows_over([at for at, _ in sink.sent], 20) == 0


class FailingForGroups(Responder):
    """Fails any reply that answers several viewers; answers single ones."""

    label = "flaky"

    async def reply(self, request: ReplyRequest) -> Reply:
        await asyncio.sleep(0.5)
        if request.also:
            raise ResponderError("model unavailable")
        return Reply("welcome!")


def test_a_failed_merged_reply_fails_every_viewer_it_carried_with_the_reason():
    async def main():
        router, stream = raid_router(Role.VIEWER, responder=FailingForGroups())
        await raid(router, 60)
        return [json.loads(row) for row in stream.getvalue().splitlines()]

    events = run_virtual(main())
    failed = [e for e in events if e["event"] == "failed"]
    carried = [e for e in failed if "coalesced_into" in e]
    assert carried and all(e["reason"] == "model unavailable" for e in failed)
    carriers = {e["coalesced_into"] for e in carried}
    assert carriers <= {e["job"] for e in failed}  # the carrier failed with them
    ends = Counter(e["job"] for e in events if e["event"] in OUTCOMES)
    assert set(ends.values()) == {1} and len(ends) == 60


@pytest.mark.parametrize("control", ["drain", "stop"])
def test_drain_or_stop_while_a_merged_reply_waits_gives_each_viewer_an_outcome(control):
    async def main():
        router, stream = raid_router(Role.VIEWER)
        merged = asyncio.Event()  # set when a reply first carries other viewers
        router.subscribe(lambda e: isinstance(e, JobChanged) and e.job.carrier and merged.set())
        task = asyncio.ensure_future(raid(router, 100))
        await merged.wait()
        assert now() < 60 and any(job.carried for job in router.running_jobs())
        getattr(router, control)()
        await task
        return [json.loads(row) for row in stream.getvalue().splitlines()]

    events = run_virtual(main())
    ends = Counter(e["job"] for e in events if e["event"] in OUTCOMES)
    assert set(ends.values()) == {1} and len(ends) == 100
    kinds = Counter(e["event"] for e in events if e["event"] in OUTCOMES)
    if control == "drain":
        assert set(kinds) == {"sent"}
    else:
        assert kinds["cancelled"] > 0
        cancelled = [e for e in events if e["event"] == "cancelled"]
        assert any("coalesced_into" in e for e in cancelled)


def test_names_at_the_25_character_maximum_still_fit_under_500():
    sink = ClockedSink()

    async def main():
        router, _ = raid_router(Role.VIEWER, sink=sink)
        for i in range(80):
            await asyncio.sleep(0.02)
            name = f"v{i:02d}_" + "x" * 21  # 25 characters, Twitch's maximum
            router.handle(ChatMessage(f"m{i}", name, f"@{BOT} hello @some_other_user", now()))
        await router.wait_idle()

    run_virtual(main())
    answered = [n for _, text in sink.sent for n in re.findall(r"@(v\d\d_x{21})", text)]
    assert len(answered) == len(set(answered)) == 80
    assert all(len(text) <= 500 for _, text in sink.sent)
    assert not any("some_other_user" in text for _, text in sink.sent)  # quoted, not answered


def test_a_keeping_up_bot_replies_one_by_one():
    sink = ClockedSink()

    async def main():
        router, _ = raid_router(Role.VIEWER, sink=sink)
        await raid(router, 10, within=5.0)

    run_virtual(main())
    assert len(sink.sent) == 10 and all(len(named(text)) == 1 for _, text in sink.sent)


def test_outcomes_are_per_job_even_when_answered_together():
    async def main():
        router, _ = raid_router(Role.VIEWER)
        jobs = []
        for i in range(100):
            await asyncio.sleep(0.02)
            message = ChatMessage(f"m{i}", viewer_name(i), f"@{BOT} hi", now())
            jobs += router.handle(message)
        await router.wait_idle()
        return jobs

    jobs = run_virtual(main())
    assert all(job.outcome is Outcome.SENT and job.priority is Priority.HIGH for job in jobs)
    carried = [job for job in jobs if job.carrier is not None]
    assert carried and all(job.result and job.viewer in job.result for job in carried)


def test_the_snapshot_says_a_bot_is_merging_and_how_many_the_last_reply_answered():
    async def main():
        router, _ = raid_router(Role.VIEWER)
        await raid(router, 100)
        during = router.snapshot().queues.bot(BOT)
        await asyncio.sleep(61)
        return during, router.snapshot().queues.bot(BOT)

    during, later = run_virtual(main())
    assert during.merging and during.last_batch > 1 and during.coalesced > 0
    assert not later.merging  # a minute without merged replies
