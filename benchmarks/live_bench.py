"""A 4-hour stream (issue 22), compressed on a virtual clock: the real engine, scheduler,
send limiter and offline responder, with a simulated Twitch on both sides that brings
each of the issue's events once. Mentions answered with this issue's handling against
the same engine without it, side by side.

The stream: a viewer mentions one of three bots every 20 s (two viewer-role bots that
follow the channel, one moderator), and other viewers chat in between (every 20 s, a
tenth of it answered at random). Once each:

- 0:20-1:00 followers-only mode (10 minutes): both viewer bots follow;
- 1:10 AutoMod holds a reply, a moderator approves it 30 s later;
- 1:30 a moderator times a bot out for 10 minutes (nobody at the console);
- 2:00 the network drops for 20 s (a silent socket);
- 2:30-3:00 a shared chat session with two other channels;
- 2:45 a 429, and the retry;
- 3:01 a second `botdeck run` on the same channel is started and forgotten;
- 3:10 the chat subscription alone is revoked (`version_removed`);
- 3:30 a reply whose parent line was deleted meanwhile;
- 3:40 a mention whose payload lacks `channel_points_animation_id`;
- 3:50 the stream goes offline, viewers chat on for 10 minutes (`on_offline = "drain"`).

"Without" is the same engine not told of follows, timeouts' ends, AutoMod's verdicts,
shared chat or the stream's end, its send limiter counting a failed send's text as a
duplicate, and its simulated source and sink doing what the Twitch adapter did before:
an AutoMod hold and a deleted parent fail, the silent socket is noticed after twitchio's
keepalive check (25 s), reading shows connected with no chat after the revocation, a
payload twitchio cannot read is lost, and the second run answers too.

    python -m benchmarks.live_bench -> JSON
"""

from __future__ import annotations

import asyncio
import io
import json
import random
from dataclasses import dataclass, field, replace

from botdeck.ai.offline import OfflineResponder
from botdeck.chat.base import SendError, SendHeld
from botdeck.core.ratelimit import RateLimiter
from botdeck.core.virtual_time import VirtualTimeLoop
from botdeck.engine import Engine, assemble
from botdeck.engine.journal import Journal
from botdeck.engine.live import LiveSettings
from botdeck.model.channel import ChatSettings, UserCleared
from botdeck.model.chat import ChatMessage, Role
from botdeck.model.events import JobChanged
from botdeck.model.jobs import JobStage, Outcome, Priority
from botdeck.model.live import (
    AutoModVerdict,
    BotFollows,
    BotRemoved,
    OfflineAction,
    ReadingGap,
    SharedChat,
    StreamOffline,
)
from tests.harness.engine import DEFAULTS, orchestrator_settings

T0 = 1_795_000_000.0  # the stream's start, wall clock
HOURS = 4
END = HOURS * 3600
ROLES = {"alpha_bot": Role.VIEWER, "beta_bot": Role.VIEWER, "gamma_bot": Role.MODERATOR}
BOTS = tuple(ROLES)
ACK = 60.0  # a mention answered within this counts as answered in time

FOLLOWERS_ONLY = (1200, 3600)
AUTOMOD_AT, APPROVED_AFTER = 4200, 30
TIMEOUT_AT, TIMEOUT_FOR = 5400, 600
BLIP_AT, BLIP_FOR, TWITCHIO_NOTICES = 7200, 20, 25
SHARED = (9000, 10800)
RATE_LIMITED_AT = 9900
SECOND_RUN_AT = 10860
REVOKED_AT, NEXT_READER = 11400, 1
DELETED_PARENT_AT = 12600
UNREADABLE_AT = 13200
OFFLINE_AT = 14000


class Forgetful(RateLimiter):
    """The limiter before this issue: a failed send's text counts as a duplicate."""

    def sent(self, bot: str, text: str, *, delivered: bool = True) -> None:
        super().sent(bot, text, delivered=True)


@dataclass
class Twitch:
    """The channel as both sides' sinks meet it: what it delivers, drops and holds."""

    handling: bool
    loop: asyncio.AbstractEventLoop
    held_next: str | None = None  # AutoMod holds this bot's next line
    rate_limit_next: str | None = None  # the next send of this bot answers 429
    deleted_parent: str | None = None  # a line deleted before its reply went out
    timed_out_until: dict[str, float] = field(default_factory=dict)
    shared: bool = False
    offline: bool = False
    delivered: list[tuple[float, str, str, int]] = field(default_factory=list)
    dropped: int = 0
    uninvited: int = 0  # random replies that reached partner channels' viewers
    after_offline: int = 0
    changed_retries: int = 0
    attempts: dict[str, str] = field(default_factory=dict)  # bot -> text of its 429
    approvals: list[tuple[str, str]] = field(default_factory=list)

    def now(self) -> float:
        return self.loop.time()


class Sink:
    """One run's sink on the shared channel."""

    echoes = False

    def __init__(self, twitch: Twitch, run: int) -> None:
        self.twitch = twitch
        self.run = run
        self.sent = 0

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        twitch = self.twitch
        now = twitch.now()
        await asyncio.sleep(0.2)  # Helix's answer
        if twitch.rate_limit_next == bot:
            twitch.rate_limit_next = None
            twitch.attempts[bot] = text
            raise SendError("rate limited by Twitch (HTTP 429)", retry_after=1.0)
        if bot in twitch.attempts and twitch.attempts.pop(bot) != text:
            twitch.changed_retries += 1
        if now < twitch.timed_out_until.get(bot, 0.0):
            twitch.dropped += 1
            raise SendError("user_banned: You are timed out")
        if twitch.held_next == bot:
            twitch.held_next = None
            twitch.approvals.append((bot, text))
            if twitch.handling:
                raise SendHeld("msg_rejected: Your message is being checked by mods")
            raise SendError("msg_rejected: Your message is being checked by mods")
        if reply_to is not None and reply_to == twitch.deleted_parent and not twitch.handling:
            raise SendError("Twitch refused the message (HTTP 400: Message cannot be replied to)")
        self.sent += 1
        twitch.delivered.append((now, bot, text, self.run))
        if twitch.shared and not text.startswith("@"):
            twitch.uninvited += 1  # a random reply reaches the partners' viewers too
        if twitch.offline:
            twitch.after_offline += 1
        return f"out-{self.run}-{self.sent}"


def build(twitch: Twitch, run: int, journal: io.StringIO) -> tuple[Engine, dict[str, float]]:
    limiter = RateLimiter(ROLES) if twitch.handling else Forgetful(ROLES)
    clock = lambda: T0 + twitch.now()  # noqa: E731 - the wall clock of the stream
    engine = assemble(
        replace(
            DEFAULTS,
            global_limit=6,
            per_bot_limit=2,
            orchestrator=orchestrator_settings(random_reply_chance=0.1, max_depth=0),
            seed=7 + run,
            live=LiveSettings(OfflineAction.DRAIN, shared_chat_replies=False),
        ),
        personas={bot: "a regular" for bot in BOTS},
        responder=OfflineResponder(seed=7, bots=BOTS),
        sink=Sink(twitch, run),
        limiter=limiter,
        roles=ROLES,
        journal=Journal(journal, clock=clock),
        clock=clock,
    )
    answered: dict[str, float] = {}  # mention id -> latency

    def listen(event: object) -> None:
        if (
            isinstance(event, JobChanged)
            and event.stage is JobStage.FINISHED
            and event.job.priority is Priority.HIGH
            and event.job.outcome is Outcome.SENT
        ):
            job = event.job
            answered.setdefault(job.context.message.id, (job.finished_at or 0) - job.created_at)

    engine.subscribe(listen)
    return engine, answered


async def stream(handling: bool) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    twitch = Twitch(handling, loop)
    journal = io.StringIO()
    main, answered = build(twitch, 0, journal)
    second: Engine | None = None
    second_answered: dict[str, float] = {}
    rng = random.Random(11)
    mentions: list[str] = []
    lost_unseen: list[str] = []
    reading_from = 0.0  # lines said before this are never read (a blind spot)
    revoked = False

    def readers() -> list[Engine]:
        return [main] + ([second] if second is not None else [])

    def take(event: object) -> None:
        if handling:
            for engine in readers():
                engine.take(event)  # type: ignore[arg-type]

    async def events_at(t: float) -> None:
        nonlocal second, second_answered, reading_from, revoked
        if t == FOLLOWERS_ONLY[0]:
            for engine in readers():
                engine.take(ChatSettings(followers_only=True, follow_minutes=10))
            take(BotFollows({bot: T0 - 86_400.0 for bot in BOTS}))
        elif t == FOLLOWERS_ONLY[1]:
            for engine in readers():
                engine.take(ChatSettings())
        elif t == AUTOMOD_AT:
            twitch.held_next = "alpha_bot"
        elif t == AUTOMOD_AT + APPROVED_AFTER + 60:
            for bot, text in twitch.approvals:
                twitch.delivered.append((twitch.now(), bot, text, 0))  # it is in chat now
                take(AutoModVerdict(bot, text, "approved-1", approved=True))
        elif t == TIMEOUT_AT:
            twitch.timed_out_until["beta_bot"] = TIMEOUT_AT + TIMEOUT_FOR
            for engine in readers():
                engine.take(UserCleared("beta_bot"))
            take(BotRemoved("beta_bot", T0 + TIMEOUT_AT + TIMEOUT_FOR))
        elif t == BLIP_AT:
            blind = BLIP_FOR if handling else TWITCHIO_NOTICES
            reading_from = t + blind
            take(ReadingGap(T0 + t, T0 + t + blind))
        elif t == SHARED[0]:
            twitch.shared = True
            take(SharedChat(("partner_one", "partner_two")))
        elif t == SHARED[1]:
            twitch.shared = False
            take(SharedChat(()))
        elif t == RATE_LIMITED_AT:
            twitch.rate_limit_next = "gamma_bot"
        elif t == SECOND_RUN_AT and not handling:  # with the lock, it exits 2 at once
            second, second_answered = build(twitch, 1, io.StringIO())
        elif t == REVOKED_AT:
            revoked = True
            if handling:  # the next reader subscribes at once, the gap journaled
                reading_from = t + NEXT_READER
                take(ReadingGap(T0 + t, T0 + t + NEXT_READER))
            else:
                reading_from = float("inf")  # "connected", reading nothing ever again
        elif t == OFFLINE_AT:
            twitch.offline = True
            take(StreamOffline())

    marks = sorted(
        {
            *FOLLOWERS_ONLY, AUTOMOD_AT, AUTOMOD_AT + APPROVED_AFTER + 60, TIMEOUT_AT, BLIP_AT,
            *SHARED, RATE_LIMITED_AT, SECOND_RUN_AT, REVOKED_AT, OFFLINE_AT,
        }
    )  # fmt: skip
    n = 0
    for tick in range(0, END + 600, 10):
        for mark in marks:
            if tick - 10 < mark <= tick:
                await events_at(mark)
        n += 1
        said: list[ChatMessage] = []
        if tick % 20 == 0 and tick < OFFLINE_AT:
            bot = BOTS[(tick // 20) % 3]
            text = f"@{bot} question number {n}, what do you think?"
            said.append(ChatMessage(f"m{n}", f"viewer{n % 97}", text, T0 + tick))
            mentions.append(f"m{n}")
        else:
            text = rng.choice(
                ("what a great play that was", "this music is so good tonight",
                 "i cannot believe that happened just now", "how long have you been live")
            )  # fmt: skip
            said.append(ChatMessage(f"c{n}", f"chatter{n % 53}", f"{text} {n}", T0 + tick))
        for line in said:
            if tick < reading_from and (tick >= BLIP_AT or revoked):
                if line.id.startswith("m"):
                    lost_unseen.append(line.id)
                continue  # a blind spot: nobody reads it
            if line.id.startswith("m") and DELETED_PARENT_AT <= tick < DELETED_PARENT_AT + 20:
                twitch.deleted_parent = line.id
            unreadable = UNREADABLE_AT <= tick < UNREADABLE_AT + 20
            if line.id.startswith("m") and unreadable and not handling:
                lost_unseen.append(line.id)  # twitchio 3.3.2 drops it without a word
                continue
            for engine in readers():
                engine.handle(line)
        await asyncio.sleep(10)
    for engine in readers():
        engine.drain()
        await engine.wait_ended()
    for engine in readers():
        await engine.close()
    events = [json.loads(row) for row in journal.getvalue().splitlines() if row]
    in_time = sum(1 for m in mentions if answered.get(m, ACK + 1) <= ACK)
    twice = len(set(answered) & set(second_answered))
    return {
        "mentions": len(mentions),
        "answered": sum(1 for m in mentions if m in answered),
        "answered_in_time": in_time,
        "answered_pct": round(100 * sum(1 for m in mentions if m in answered) / len(mentions), 1),
        "answered_in_time_pct": round(100 * in_time / len(mentions), 1),
        "never_read": len(lost_unseen),
        "dropped_by_twitch": twitch.dropped,
        "uninvited_in_shared_chat": twitch.uninvited,
        "replies_after_offline": twitch.after_offline,
        "retries_changed": twitch.changed_retries,
        "answered_twice": twice,
        "gaps_journaled": sum(1 for e in events if e["event"] == "reading_gap"),
        "held": sum(1 for e in events if e["event"] == "held"),
        "failed": sum(1 for e in events if e["event"] == "failed"),
    }


def virtual(handling: bool) -> dict[str, object]:
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(stream(handling))
    finally:
        loop.close()


def main() -> None:
    print(json.dumps({"hours": HOURS, "botdeck": virtual(True), "without": virtual(False)}))


if __name__ == "__main__":
    main()
