"""Review mode on a virtual clock: a written reply waits for the operator's verdict."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace

import pytest

from botdeck.ai.safety import Blocked, Blocklist, SafetyGate
from botdeck.config import ConfigError, parse_config
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import EngineSettings, QuitRequests, QuitStep, build_engine
from botdeck.engine.review import ReviewSettings
from botdeck.model.chat import Role
from botdeck.model.defaults import SendLimits
from botdeck.model.jobs import Outcome, Phase, RouterState
from botdeck.model.review import Verdict
from tests.harness.engine import BOTS, RecordingSink, ScriptedResponder, line, make_engine
from tests.harness.journals import assert_one_outcome_per_job, events_of
from tests.harness.virtual_time import run_virtual

ALPHA, BETA, _ = BOTS


def review_engine(sink, *, bots=(ALPHA,), timeout=120.0, send=False, **kw):
    return make_engine(
        BOTS,
        responder=ScriptedResponder(lambda r: f"[b]reply[/b] from {r.bot}", delay=0.5),
        sink=sink,
        max_depth=0,
        delays=1.0,
        review=ReviewSettings(frozenset(bots), timeout, send),
        **kw,
    )


async def held(engine, count: int = 1):
    """Wait until `count` replies are held for review. On the virtual clock a poll is
    exact and free, and the verdict's timing is what the tests check."""
    while len(engine.reviews()) < count:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    return engine.reviews()


def test_a_reviewed_bots_reply_waits_in_full_until_approved():
    sink = RecordingSink()
    engine, stream = review_engine(sink)

    async def main() -> None:
        job = engine.handle(line(1, "viewer1", f"@{ALPHA} @{BETA} hi"))[0]
        await held(engine)
        await asyncio.sleep(60)  # nothing goes out meanwhile
        [pending] = engine.reviews()
        assert [bot for bot, _, _ in sink.sent] == [BETA]  # beta is not reviewed
        assert job.phase is Phase.REVIEW
        assert engine.snapshot().queues.bot(ALPHA).review == 1
        assert (pending.bot, pending.viewer, pending.line) == (
            ALPHA,
            "viewer1",
            job.context.message.text,
        )
        assert pending.text == f"@viewer1 reply from {ALPHA}"  # shaped: what would be sent
        assert pending.on_timeout is Verdict.REJECTED and pending.seconds_left == 60.0
        assert engine.approve(job.id) and not engine.approve(job.id)
        await engine.wait_idle()

    run_virtual(main())
    assert [text for _, text, _ in sink.sent][-1] == f"@viewer1 reply from {ALPHA}"
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    reviewed = [e for e in events if e["event"] == "reviewed"]
    assert reviewed == [{"ts": reviewed[0]["ts"], "event": "reviewed", "job": 1,
                         "verdict": "approved", "by": "operator"}]  # fmt: skip
    kinds = [e["event"] for e in events if e.get("job") == 1]
    assert kinds[-2:] == ["reviewed", "sent"]


def test_a_rejected_reply_is_skipped_as_rejected():
    sink = RecordingSink()
    engine, stream = review_engine(sink)

    async def main() -> None:
        [pending] = await held(engine) if engine.handle(line(1, "v", f"@{ALPHA} hi")) else []
        assert engine.reject(pending.job)
        await engine.wait_idle()

    run_virtual(main())
    assert sink.sent == []
    events = events_of(stream)
    assert [(e["event"], e.get("verdict"), e.get("reason")) for e in events[-2:]] == [
        ("reviewed", "rejected", None),
        ("skipped", None, "rejected"),
    ]


def test_an_edit_is_shaped_and_checked_again_and_journaled_with_its_text():
    sink = RecordingSink()
    safety = SafetyGate(blocklist=Blocklist.build(["forbidden"], builtin=False))
    engine, stream = review_engine(sink, safety=safety)

    async def main() -> None:
        engine.handle(line(1, "viewer1", f"@{ALPHA} hi"))
        [pending] = await held(engine)
        assert engine.edit(pending.job, "a forbidden word")
        [refused] = await held(engine)  # back with the reason, still held
        assert refused.note == "edit not taken: blocked" and refused.text == pending.text
        assert engine.edit(pending.job, "  **welcome** to the stream!  ")
        await engine.wait_idle()

    run_virtual(main())
    assert [text for _, text, _ in sink.sent] == ["@viewer1 welcome to the stream!"]
    reviewed = [e for e in events_of(stream) if e["event"] == "reviewed"]
    assert [(e["verdict"], e["by"], e.get("text")) for e in reviewed] == [
        ("edited", "operator", "@viewer1 welcome to the stream!")
    ]


def test_an_edit_that_changes_nothing_is_an_approval():
    sink = RecordingSink()
    engine, stream = review_engine(sink)

    async def main() -> None:
        engine.handle(line(1, "viewer1", f"@{ALPHA} hi"))
        [pending] = await held(engine)
        engine.edit(pending.job, pending.text)
        await engine.wait_idle()

    run_virtual(main())
    reviewed = [e for e in events_of(stream) if e["event"] == "reviewed"]
    assert [(e["verdict"], "text" in e) for e in reviewed] == [("approved", False)]


@pytest.mark.parametrize(("send", "outcome"), [(False, "skipped"), (True, "sent")])
def test_nobody_answering_lets_on_timeout_decide(send, outcome):
    sink = RecordingSink()
    engine, stream = review_engine(sink, timeout=30.0, send=send, job_timeout=10.0)

    async def main() -> float:
        engine.handle(line(1, "viewer1", f"@{ALPHA} hi"))
        await held(engine)
        started = asyncio.get_running_loop().time()
        await engine.wait_idle()
        return asyncio.get_running_loop().time() - started

    waited = run_virtual(main())
    assert 29.8 < waited < 30.5  # the 10 s job timeout did not run during the review
    events = [e for e in events_of(stream) if e.get("job") == 1]
    verdict = "approved" if send else "rejected"
    assert [(e["event"], e.get("verdict"), e.get("by")) for e in events[-2:]] == [
        ("reviewed", verdict, "timeout"),
        (outcome, None, None),
    ]
    assert len(sink.sent) == (1 if send else 0)


@pytest.mark.parametrize(("send", "outcome"), [(False, "skipped"), (True, "sent")])
def test_quitting_lets_on_timeout_decide_at_once_and_writes_no_reply_only_to_reject_it(
    send, outcome
):
    """Nobody is at the console once the operator quits: a drain to quit must not wait
    `[review] timeout` for each pair of held replies (2 held, 6 queued took 8 minutes)."""
    sink = RecordingSink()
    responder = ScriptedResponder(lambda r: f"reply from {r.bot}", delay=0.5)
    engine, stream = make_engine(
        BOTS, responder=responder, sink=sink, max_depth=0, delays=1.0,
        review=ReviewSettings(frozenset({ALPHA}), 120.0, send),
    )  # fmt: skip
    quits = QuitRequests(engine)

    async def main() -> float:
        for n in range(8):
            engine.handle(line(n + 1, f"viewer{n}", f"@{ALPHA} hi"))
        await held(engine, 2)  # the bot's two slots are held, six wait behind them
        started = asyncio.get_running_loop().time()
        assert quits.request("q", key=True).step is QuitStep.DRAINING
        await engine.wait_idle()
        assert engine.state is RouterState.DRAINED
        return asyncio.get_running_loop().time() - started

    took = run_virtual(main())
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    reviewed = [(e["verdict"], e["by"]) for e in events if e["event"] == "reviewed"]
    verdict = "approved" if send else "rejected"
    assert reviewed == [(verdict, "quit")] * 8
    assert [e["event"] for e in events if e["event"] in ("sent", "skipped")] == [outcome] * 8
    # Rejected: the six not yet written never were. Sent: written and sent at their pace.
    assert len(responder.requests) == (8 if send else 2)
    assert took < (30.0 if send else 0.5)


def test_starting_again_after_a_quit_request_holds_replies_for_review_again():
    sink = RecordingSink()
    engine, stream = review_engine(sink)
    quits = QuitRequests(engine)

    async def main() -> None:
        quits.request("q", key=True)
        await engine.wait_idle()
        engine.start()
        quits.reset()  # what the dashboard's `s` does
        engine.handle(line(1, "viewer1", f"@{ALPHA} hi"))
        [pending] = await held(engine)
        assert engine.approve(pending.job)
        await engine.wait_idle()

    run_virtual(main())
    reviewed = [(e["verdict"], e["by"]) for e in events_of(stream) if e["event"] == "reviewed"]
    assert reviewed == [("approved", "operator")]


def test_review_switches_on_and_off_per_bot_or_for_all_and_off_releases_what_it_held():
    sink = RecordingSink()
    engine, stream = review_engine(sink, bots=())

    async def main() -> None:
        engine.set_review(None, True)
        assert engine.snapshot().reviewing == frozenset(BOTS)
        engine.handle(line(1, "v1", f"@{ALPHA} hi"))
        engine.handle(line(2, "v2", f"@{BETA} hi"))
        await held(engine, 2)
        engine.set_review(ALPHA, False)
        assert engine.snapshot().reviewing == frozenset(BOTS) - {ALPHA}
        engine.handle(line(3, "v3", f"@{ALPHA} again"))
        await asyncio.sleep(5)
        # Alpha's held reply went out when its review was turned off; beta's still waits.
        assert sorted(text for _, text, _ in sink.sent) == [
            f"@v1 reply from {ALPHA}",
            f"@v3 reply from {ALPHA}",
        ]
        assert [review.bot for review in engine.reviews()] == [BETA]
        engine.stop()
        await engine.wait_idle()
        assert engine.reviews() == []

    run_virtual(main())
    reviewed = [(e["verdict"], e["by"]) for e in events_of(stream) if e["event"] == "reviewed"]
    assert reviewed == [("approved", "review_off")]


class GateThatLearns(SafetyGate):
    """A safety gate that starts refusing a word while replies are held (a blocklist
    reloaded, a moderation verdict that changed): review off must ask it again."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: str | None = None

    async def check_reply(self, bot: str, persona: str, text: str) -> None:
        if self.refuse is not None and self.refuse in text:
            raise Blocked("blocked")
        await super().check_reply(bot, persona, text)


def test_replies_review_off_releases_pass_the_safety_gate_again():
    sink = RecordingSink()
    safety = GateThatLearns()
    engine, stream = review_engine(sink, safety=safety)

    async def main() -> None:
        engine.handle(line(1, "viewer1", f"@{ALPHA} hi"))
        engine.handle(line(2, "viewer2", f"@{ALPHA} hello"))
        await held(engine, 2)
        safety.refuse = "@viewer2"
        engine.set_review(ALPHA, False)
        await engine.wait_idle()

    run_virtual(main())
    assert [text for _, text, _ in sink.sent] == [f"@viewer1 reply from {ALPHA}"]
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    skipped = [(e["msg"], e["reason"]) for e in events if e["event"] == "skipped"]
    assert skipped == [("m2", "blocked")]


def test_approving_every_held_reply_sends_them_all():
    sink = RecordingSink()
    engine, stream = review_engine(sink, bots=BOTS, g=6)  # room for all six to be held

    async def main() -> None:
        for n in range(6):
            engine.handle(line(n, f"viewer{n}", f"@{BOTS[n % 3]} hi"))
        reviews = await held(engine, 6)
        assert engine.approve_all([review.job for review in reviews[:4]]) == 4
        assert engine.approve_all() == 2  # the rest
        assert engine.approve_all() == 0
        await engine.wait_idle()

    run_virtual(main())
    assert len(sink.sent) == 6
    reviewed = [(e["verdict"], e["by"]) for e in events_of(stream) if e["event"] == "reviewed"]
    assert reviewed == [("approved", "operator")] * 6


def test_cancelling_a_held_reply_releases_it():
    sink = RecordingSink()
    engine, stream = review_engine(sink)

    async def main() -> None:
        job = engine.handle(line(1, "v1", f"@{ALPHA} hi"))[0]
        await held(engine)
        assert engine.cancel_job(job.id)
        assert engine.reviews() == [] and not engine.approve(job.id)
        await engine.wait_idle()

    run_virtual(main())
    assert [e.get("reason") for e in events_of(stream) if e["event"] == "skipped"] == ["operator"]


def test_held_mentions_count_toward_raid_modes_send_forecast():
    """A reply held for review will still take a send slot: the raid planner, forecasting
    when waiting mentions could be answered, counts it among the bot's coming sends."""
    limiter = RateLimiter({ALPHA: Role.VIEWER}, SendLimits(viewer=20, window=30))
    asked: list[int] = []
    forecast = limiter.send_times

    def send_times(bot: str, count: int) -> list[float]:
        asked.append(count)
        return forecast(bot, count)

    limiter.send_times = send_times  # type: ignore[method-assign]
    engine, _ = review_engine(RecordingSink(), limiter=limiter, b=2)

    async def main() -> None:
        first = engine.handle(line(0, "raider0", f"@{ALPHA} hi"))[0]
        await held(engine)
        for n in range(1, 5):
            engine.handle(line(n, f"raider{n}", f"@{ALPHA} hi"))
        await held(engine, 2)
        assert first.phase is Phase.REVIEW

    run_virtual(main())
    # The first found nobody waiting. The second: the held reply ahead of it, itself, and
    # the three mentions still waiting.
    assert asked[0] == 1 + 1 + 3


def test_review_config_reaches_the_engine():
    config = parse_config(
        {
            "review": {"bots": ["*"], "timeout": 45, "on_timeout": "send"},
            "bots": [{"name": bot} for bot in BOTS],
        }
    )
    settings = EngineSettings.from_config(config).review
    assert settings == ReviewSettings(frozenset({"*"}), 45.0, True)
    engine = build_engine(config, journal_stream=io.StringIO())
    assert engine.snapshot().reviewing == frozenset(BOTS)
    with pytest.raises(ConfigError, match=r"review\.bots\[0\]: 'nobody' is not one of"):
        parse_config({"review": {"bots": ["nobody"]}, "bots": [{"name": ALPHA}]})
    assert replace(settings, timeout=1.0).timeout == 1.0
    assert Outcome.SKIPPED  # the enum the tests above read
