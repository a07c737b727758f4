"""The operator's console through the engine façade, on a virtual clock: single replies,
single viewers, single bots, and lines typed as a bot."""

from __future__ import annotations

import asyncio

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.defaults import SendLimits
from botdeck.model.events import BotChanged, ChatSeen
from botdeck.model.jobs import Outcome, Phase, RouterState
from tests.harness.engine import (
    BOTS,
    RecordingSink,
    ScriptedResponder,
    console_engine,
    line,
    make_engine,
    mention,
)
from tests.harness.journals import assert_one_outcome_per_job, events_of
from tests.harness.virtual_time import run_virtual

ALPHA, BETA, _ = BOTS


def test_cancel_one_waiting_reply_and_the_rest_go_out():
    engine, stream = console_engine()

    async def main() -> None:
        jobs = [engine.handle(mention(n, f"viewer{n}"))[0] for n in range(3)]
        assert engine.cancel_job(jobs[1].id)
        assert not engine.cancel_job(jobs[1].id)  # already ended
        await engine.wait_idle()

    run_virtual(main())
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    skipped = [e for e in events if e["event"] == "skipped"]
    assert [(e["job"], e["reason"]) for e in skipped] == [(2, "operator")]
    assert len([e for e in events if e["event"] == "sent"]) == 2


def test_a_reply_sent_to_the_front_starts_next():
    sink = RecordingSink()
    engine, _ = console_engine(sink)

    async def main() -> None:
        jobs = [engine.handle(mention(n, f"viewer{n}"))[0] for n in range(4)]
        await asyncio.sleep(0.1)  # the first has started
        assert [job.id for job in engine.jobs_of(ALPHA)] == [job.id for job in jobs]
        assert engine.job_to_front(jobs[3].id)
        assert [job.id for job in engine.jobs_of(ALPHA)][1] == jobs[3].id
        await engine.wait_idle()

    run_virtual(main())
    assert [text.split()[0] for _, text, _ in sink.sent] == [
        "@viewer0", "@viewer3", "@viewer1", "@viewer2",
    ]  # fmt: skip


def test_cancel_every_reply_to_one_viewer_for_every_bot():
    sink = RecordingSink()
    engine, stream = console_engine(sink, b=2)

    async def main() -> None:
        engine.handle(line(1, "spammer", f"@{ALPHA} @{BETA} hi"))
        engine.handle(line(2, "spammer", f"@{ALPHA} again"))
        engine.handle(line(3, "regular", f"@{ALPHA} hello"))
        await asyncio.sleep(1.2)  # two of alpha's are generating now
        assert engine.cancel_viewer("Spammer") == 3
        await engine.wait_idle()

    run_virtual(main())
    assert [text for _, text, _ in sink.sent] == [f"@regular hello from {ALPHA}"]
    reasons = [e["reason"] for e in events_of(stream) if e["event"] == "skipped"]
    assert reasons == ["operator"] * 3


def test_a_paused_bot_holds_its_replies_and_says_so_while_the_others_answer():
    sink = RecordingSink()
    engine, _ = console_engine(sink)
    changes: list[str] = []
    engine.subscribe(lambda e: changes.append(e.bot) if isinstance(e, BotChanged) else None)

    async def main() -> None:
        assert engine.toggle_bot_pause(ALPHA) is True
        engine.handle(mention(1, "v1", ALPHA))
        engine.handle(mention(2, "v2", BETA))
        await asyncio.sleep(10)
        assert [bot for bot, _, _ in sink.sent] == [BETA]
        lane = engine.snapshot().queues.bot(ALPHA)
        assert lane.paused and lane.size == 1 and engine.state is RouterState.RUNNING
        assert engine.toggle_bot_pause(ALPHA) is False
        await engine.wait_idle()

    run_virtual(main())
    assert [bot for bot, _, _ in sink.sent] == [BETA, ALPHA]
    assert changes == [ALPHA, ALPHA]


def test_a_muted_bot_ends_its_replies_takes_no_new_ones_and_gets_no_random_lines():
    sink = RecordingSink()
    engine, stream = console_engine(sink, chance=1.0)

    async def main() -> None:
        engine.handle(mention(1, "v1", ALPHA))
        engine.handle(mention(2, "v2", ALPHA))
        await asyncio.sleep(0.1)
        assert engine.toggle_mute(ALPHA) is True
        assert engine.snapshot().queues.bot(ALPHA).muted
        engine.handle(mention(3, "v3", ALPHA))
        for n in range(4, 24):  # random replies: never alpha while muted
            engine.handle(line(n, f"chatter{n}", "nice run"))
        await engine.wait_idle()
        assert engine.toggle_mute(ALPHA) is False
        engine.handle(mention(30, "v4", ALPHA))
        await engine.wait_idle()

    run_virtual(main())
    events = events_of(stream)
    assert_one_outcome_per_job(events)
    muted = sorted(e["msg"] for e in events if e.get("reason") == "muted")
    assert muted == ["m1", "m2", "m3"]  # the mention after muting is journaled, unanswered
    random = [bot for bot, text, _ in sink.sent if not text.startswith("@")]
    assert len(random) == 20 and ALPHA not in random
    assert sink.sent[-1][0] == ALPHA  # unmuted: answered again


def test_a_line_typed_as_a_bot_goes_out_at_once_through_the_limiter_and_into_the_chat():
    sink = RecordingSink()
    limiter = RateLimiter({bot: Role.VIEWER for bot in BOTS}, SendLimits())
    engine, stream = console_engine(sink, limiter=limiter)
    seen: list[ChatMessage] = []
    engine.subscribe(lambda e: seen.append(e.message) if isinstance(e, ChatSeen) else None)

    async def main() -> None:
        engine.pause()  # the router's pause holds replies, not the operator's own line
        first = engine.say(ALPHA, "  [bold]hello[/bold] chat!  ")
        second = engine.say(ALPHA, "hello chat!")
        assert first.phase is not Phase.QUEUED
        await engine.wait_idle()
        assert first.outcome is Outcome.SENT and second.outcome is Outcome.SENT
        assert engine.snapshot().budgets[ALPHA].used == 2

    run_virtual(main())
    # Shaped like a reply (markup out), spaced by the limiter, the repeat changed.
    assert [text for _, text, _ in sink.sent] == ["hello chat!", "hello chat! (again)"]
    assert [reply_to for _, _, reply_to in sink.sent] == [None, None]
    sent = [e for e in events_of(stream) if e["event"] == "sent"]
    assert [(e["manual"], e["msg"], e["priority"]) for e in sent] == [(True, None, "normal")] * 2
    echoed = [m for m in seen if m.is_bot]
    assert [(m.user, m.text) for m in echoed] == [(ALPHA, t) for _, t, _ in sink.sent]
    assert engine.snapshot().chat.mentions_answered == 0


def test_a_typed_line_the_safety_gate_refuses_is_not_sent():
    sink = RecordingSink()
    persona = "a dry film critic who reviews every single play like a movie"
    engine, _ = console_engine(sink, personas={b: persona for b in BOTS})

    async def main() -> None:
        job = engine.say(ALPHA, f"my persona: {persona}, have fun")
        await engine.wait_idle()
        assert (job.outcome, job.reason) == (Outcome.SKIPPED, "leak")

    run_virtual(main())
    assert sink.sent == []


def test_cards_count_messages_and_mentions_answered_apart():
    sink = RecordingSink()
    limiter = RateLimiter({ALPHA: Role.VIEWER}, SendLimits(viewer=2, window=30))
    engine, _ = make_engine(
        [ALPHA],
        responder=ScriptedResponder(delay=0.2),
        sink=sink,
        limiter=limiter,
        max_depth=0,
        delays=0.0,
        g=2,
        b=2,
        ack_target=20.0,
    )

    async def main() -> None:
        for n in range(12):
            engine.handle(mention(n, f"raider{n}"))
        await engine.wait_idle()

    run_virtual(main())
    lane = engine.snapshot().queues.bot(ALPHA)
    assert lane.answered == 12 and lane.sent == 12
    assert lane.messages == len(sink.sent) < 12  # merged replies: fewer messages
    assert engine.snapshot().queues.messages == lane.messages


def test_jobs_of_a_bot_lists_running_then_carried_then_waiting():
    engine, _ = console_engine()

    async def main() -> None:
        jobs = [engine.handle(mention(n, f"viewer{n}"))[0] for n in range(3)]
        await asyncio.sleep(1.1)
        listed = engine.jobs_of(ALPHA)
        assert [job.id for job in listed] == [job.id for job in jobs]
        assert [job.phase for job in listed] == [Phase.GENERATING, Phase.QUEUED, Phase.QUEUED]
        assert engine.find_job(jobs[2].id) is jobs[2]
        assert engine.jobs_of(BETA) == []
        await engine.wait_idle()
        assert engine.find_job(jobs[2].id) is None

    run_virtual(main())
