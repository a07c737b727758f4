"""A dashboard in the middle of a busy stream, with every figure fixed, for layout tests
and snapshots: the engine's observations (snapshot, a bot's queue, the held replies) are
staged values as wide as stream night makes them (three-digit backlogs, a send window
waited out, merged replies, 25-character viewer names), and the chat is fixed lines. The
real dashboard draws them; nothing else is faked."""

from __future__ import annotations

from dataclasses import dataclass, field

from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus
from botdeck.model.jobs import Outcome, Phase, Priority, ReplyContext, RouterState
from botdeck.model.review import PendingReview, Verdict
from botdeck.model.snapshot import (
    ChatCounts,
    EngineSnapshot,
    LaneSnapshot,
    Percentiles,
    SchedulerSnapshot,
    SendBudget,
)
from botdeck.tui.app import BotdeckApp
from tests.harness.dashboard import FIVE_BOTS, FROZEN, make_app

NOW = 1000.0  # the loop clock the dashboard is shown (job ages)
UPTIME = 5025.0  # 01:23:45
NOTICE = "AI server slow: 3 replies waited over 10 s for it (latest: read timeout)"
LATENCY = Percentiles(2.3, 14.8, 31.0, 400)
LONG_NAMES = (
    "a_very_long_viewer_name25",
    "raid_train_conductor_2024",
    "shortname",
    "pog_champion_of_the_north",
    "lurker",
    "xx_speedrun_enjoyer_xx",
)


@dataclass
class StagedJob:
    """A reply as the queue inspector sees it (`JobView`)."""

    id: int
    bot: str
    priority: Priority
    phase: Phase
    context: ReplyContext
    created_at: float
    delay: float = 0.0
    viewer: str | None = None
    outcome: Outcome | None = None
    reason: str | None = None
    result: str | None = None
    finished_at: float | None = None
    send_wait: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    carrier: int | None = None
    carried: tuple[StagedJob, ...] = field(default=())
    requeued: int = 0


def _job(job_id: int, bot: str, phase: Phase, viewer: str, age: float) -> StagedJob:
    line = ChatMessage(f"m{job_id}", viewer, f"@{bot} what's your PB on any% {job_id}?", 0.0)
    return StagedJob(
        job_id, bot, Priority.HIGH, phase, ReplyContext(line, 1), NOW - age, viewer=viewer
    )


def queue_of(bot: str) -> list[StagedJob]:
    """A merged reply being sent with the three mentions it carries, one being written,
    and waiting mentions from long-named viewers."""
    carried = [_job(1031 + n, bot, Phase.CARRIED, LONG_NAMES[n + 1], 40 - n) for n in range(3)]
    for job in carried:
        job.carrier = 1030
    sending = _job(1030, bot, Phase.SENDING, LONG_NAMES[0], 41)
    sending.carried = tuple(carried)
    writing = _job(1040, bot, Phase.GENERATING, "lurker", 12)
    waiting = [
        _job(1050 + n, bot, Phase.QUEUED, LONG_NAMES[n % len(LONG_NAMES)], 9 - n) for n in range(6)
    ]
    return [sending, *carried, writing, *waiting]


def _lane(index: int, bot: str, reviewing: bool) -> LaneSnapshot:
    merging = index % 2 == 0
    return LaneSnapshot(
        bot=bot,
        size=41 + 37 * index,
        pending=2,
        limit=2,
        delaying=0,
        generating=1,
        sending=1,
        sent=312,
        failed=2,
        cancelled=0,
        skipped=17,
        latency=LATENCY,
        last_batch=12 if merging else 1,
        merging=merging,
        messages=96,
        answered=312,
        review=1 if reviewing else 0,
    )


def staged_snapshot(bots: tuple[str, ...], reviewing: frozenset[str]) -> EngineSnapshot:
    lanes = tuple(_lane(i, bot, bot in reviewing) for i, bot in enumerate(bots))
    queues = SchedulerSnapshot(
        state=RouterState.RUNNING,
        size=sum(lane.size for lane in lanes),
        pending=2 * len(bots),
        limit=10,
        sent=312 * len(bots),
        failed=2 * len(bots),
        cancelled=0,
        skipped=17 * len(bots),
        replies_per_minute=38.0,
        latency=LATENCY,
        bots=lanes,
        messages=96 * len(bots),
        answered=312 * len(bots),
    )
    return EngineSnapshot(
        queues=queues,
        connection=ConnectionState(ConnectionStatus.CONNECTED),
        responder="llama3.1:8b",
        channel="stickyman_streams",
        budgets={bot: SendBudget(20, 20, 30.0, 28.0) for bot in bots},
        notices=(NOTICE,),
        chat=ChatCounts(lines=5120, mentions=1490, mentions_answered=1402),
        reviewing=reviewing,
        reviews=2 if reviewing else 0,
    )


def staged_reviews(bot: str) -> list[PendingReview]:
    return [
        PendingReview(
            1101,
            bot,
            "raid_train_conductor_2024",
            f"@{bot} rate my setup, honestly",
            "@raid_train_conductor_2024 Honestly? Ten out of ten, the RGB alone adds frames.",
            87.4,
            Verdict.REJECTED,
        ),
        PendingReview(
            1102,
            bot,
            "lurker",
            f"@{bot} gg",
            "@lurker gg, thanks for hanging out!",
            95.1,
            Verdict.REJECTED,
        ),
    ]


CHAT = [
    "12:40:01 · pog_champion_of_the_north: that split was insane, how is that even possible",
    "12:40:02 ➤ stickyman1776: @pog_champion_of_the_north @lurker @shortname @xx_speedrun_"
    "enjoyer_xx Thanks all! That split took three hundred resets, no joke, and a lot of snacks",
    "12:40:02 · lurker: [bold]not bold[/bold] [31mnot red either (sources drop escapes)",
    "12:40:03 ⊘ stickyman1776 → viewer0, viewer3, viewer6 and 15 more: 18 replies skipped: muted",
    "12:40:04 · a_very_long_viewer_name25: @genejacqueman @pixelsage settle this: cats or dogs?",
    "12:40:05 ➤ genejacqueman: @a_very_long_viewer_name25 Dogs. Obviously. Next question!",
]


def staged_app(bots: int, *, review: bool = True) -> BotdeckApp:
    """The dashboard for `bots` bots with the staged figures; the last bot is reviewed
    (two replies held) when `review`."""
    names = FIVE_BOTS[:bots]
    reviewing = frozenset({names[-1]}) if review else frozenset()
    app = make_app([], bots=names, router={"backlog_warning": 20}, monotonic=lambda: NOW)
    snap = staged_snapshot(names, reviewing)
    app.engine.snapshot = lambda: snap  # type: ignore[method-assign]
    app.engine.jobs_of = lambda bot: list(queue_of(bot))  # type: ignore[method-assign]
    held = staged_reviews(names[-1]) if review else []
    app.engine.reviews = lambda: list(held)  # type: ignore[method-assign]
    app._started = FROZEN - UPTIME
    for line in CHAT:
        app._chat.add(line)
    return app
