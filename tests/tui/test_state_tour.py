"""The state tour (issue 20, "the show goes on"): the real dashboard driven through every
engine state it can reach, at 80x24, 120x40 and 200x60, with a bot's queue open, the
review panel where replies are held, and each dialog up in turn (stop `x`, help `?`,
say `i` with its bot list open, a test event `g`, mute `m` where mentions are queued,
edit `e`, a reply and a chat line in full `enter`).

In every state, at every size: each frame renders with the header and the footer on
screen, each dialog shows and closes, keys keep answering, and nothing raises (Pilot
re-raises whatever ended the app when its context closes).

New states join the tour as they are added: one `State` row in `STATES`, which builds
the app (`make`) and drives it there (`reach`, waiting on the engine, never sleeping).

Marked slow: 66 visits of about 1 s of CPU each (a dialog's push and pop is most of it,
Textual's layout and redraw of both screens), 50-60 s alone on the 2-core machine and
100-120 s while others run their tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Select

from botdeck.chat.base import ChatSink, SendError, SendHeld
from botdeck.chat.simulated import ScriptedEvent, ScriptedLine
from botdeck.engine import plan_resume
from botdeck.model.channel import ChatSettings, UserCleared
from botdeck.model.chat import ConnectionState, ConnectionStatus
from botdeck.model.console import QueuedMentions
from botdeck.model.faults import Fault, FaultEdge
from botdeck.model.jobs import Phase, RouterState
from botdeck.model.live import BotFollows, BotRemoved, SharedChat, StreamOffline
from botdeck.model.snapshot import LaneSnapshot
from botdeck.model.stream import ChannelEvent, EventKind, Reward, StreamInfo
from botdeck.tui.app import BotdeckApp
from botdeck.tui.screens.confirm_stop import ConfirmStop
from botdeck.tui.screens.edit_reply import EditReply
from botdeck.tui.screens.event_dialog import EventDialog
from botdeck.tui.screens.help import HelpScreen
from botdeck.tui.screens.mute import MuteDialog
from botdeck.tui.screens.say import SayScreen
from botdeck.tui.screens.text_view import TextView
from botdeck.tui.widgets.chat_log import ChatLog
from botdeck.tui.widgets.queue import JobTable, QueueInspector
from botdeck.tui.widgets.review import ReviewPanel
from tests.fakes.openai_server import FakeOpenAI, status
from tests.harness.dashboard import BOTS, FROZEN, make_app, mash, screen_text

pytestmark = pytest.mark.slow

STICKY, GENE, PIXEL = BOTS
SIZES = [(80, 24), (120, 40), (200, 60)]
KEY_ENV = "BOTDECK_TOUR_TEST_KEY"
WITHIN = 20.0  # seconds any one wait may take on a busy machine
# Seconds between looks. A look only reads: the app lays out and redraws at its own pace
# (`Pilot.pause` would force a layout and a redraw at every look: three times the work).
POLL = 0.01


# ------------------------------------------------------------------ waiting
async def until(pilot: Pilot, predicate: Callable[[], bool], what: str | Callable[[], str]) -> None:
    """Poll `predicate` until it holds; fail at once if the app has ended, or at the
    deadline saying what did not happen."""
    app = pilot.app
    deadline = time.monotonic() + WITHIN
    while not predicate():
        said = what if isinstance(what, str) else what()
        assert app.is_running, f"the app ended while waiting for {said}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{said}: not within {WITHIN}s")
        await asyncio.sleep(POLL)


# ------------------------------------------------------------------ building states
@dataclass
class Stage:
    """What a state's builder may use: a folder, and the loopback AI server (started on
    first use, closed after the app)."""

    folder: Path
    stack: contextlib.AsyncExitStack
    _server: FakeOpenAI | None = field(default=None, repr=False)

    async def server(self) -> FakeOpenAI:
        if self._server is None:
            self._server = FakeOpenAI(bots=BOTS)
            await self._server.start()
            self.stack.push_async_callback(self._server.close)
        return self._server

    async def openai(self, **ai: object) -> dict:
        """`[ai]` for the real openai SDK against the fake server."""
        server = await self.server()
        return {"provider": "openai", "base_url": server.base_url, "api_key_env": KEY_ENV,
                "model": "fake-model-1", "timeout": 2.0, **ai}  # fmt: skip


Make = Callable[[Stage], Awaitable[BotdeckApp]]
Reach = Callable[[BotdeckApp, Pilot, Stage], Awaitable[None]]


@dataclass(frozen=True)
class State:
    name: str
    make: Make  # the app, before it runs
    reach: Reach  # drives the running app into the state; returns once it is there
    queue: str = STICKY  # whose queue the tour opens
    shows: str | None = None  # what the dashboard shows of this state at every size, queue open


def to(bot: str, count: int, start: int = 0) -> list[ScriptedLine]:
    return [ScriptedLine(0, f"viewer{i}", f"@{bot} question {i}") for i in range(start, count)]


CHATTER = [ScriptedLine(i * 0.01, f"chatty{i % 2}", f"just chatting {i}") for i in range(8)]


def plain(lines: list[ScriptedLine], **options: object) -> Make:
    """A dashboard on scripted chat (`make_app`'s options)."""

    async def make(stage: Stage) -> BotdeckApp:
        return make_app(lines, **options)

    return make


def waiting(bot: str = STICKY, count: int = 6, **options: object) -> Make:
    """Mentions that wait: each reply's delay is 30 s, longer than the tour."""
    return plain(to(bot, count), delays=30.0, **options)


def when(holds: Callable[[BotdeckApp], bool], what: str) -> Reach:
    """There once `holds` (the engine got there by itself)."""

    async def reach(app: BotdeckApp, pilot: Pilot, stage: Stage) -> None:
        await until(pilot, lambda: holds(app), what)

    return reach


def queued(bot: str = STICKY, at_least: int = 6) -> Reach:
    return when(lambda app: len(app.engine.jobs_of(bot)) >= at_least, f"{bot}'s replies queued")


def then(
    first: Reach, command: Callable[[BotdeckApp], object], holds: Callable[[BotdeckApp], bool]
) -> Reach:
    """`first`, then an operator's or a moderator's command, then wait until `holds`."""

    async def reach(app: BotdeckApp, pilot: Pilot, stage: Stage) -> None:
        await first(app, pilot, stage)
        command(app)
        await until(pilot, lambda: holds(app), f"{command} took effect")

    return reach


def lane(app: BotdeckApp, bot: str) -> LaneSnapshot:
    return app.engine.snapshot().queues.bot(bot)


def notice(text: str) -> Callable[[BotdeckApp], bool]:
    return lambda app: any(text in line for line in app.engine.snapshot().notices)


def in_state(state: RouterState) -> Callable[[BotdeckApp], bool]:
    return lambda app: app.engine.state is state


def in_phase(phase: Phase, bot: str = STICKY) -> Callable[[BotdeckApp], bool]:
    return lambda app: any(job.phase is phase for job in app.engine.jobs_of(bot))


# AI down, then back: the real openai SDK against the fake server, which has gone away.
async def ai_gone(stage: Stage) -> BotdeckApp:
    await (await stage.server()).go_down()
    return make_app(to(STICKY, 3), ai=await stage.openai(outage_wait=300.0))


async def ai_down(app: BotdeckApp, pilot: Pilot, stage: Stage) -> None:
    await until(pilot, lambda: in_phase(Phase.AI_WAIT)(app), "a reply waiting out the outage")
    await until(pilot, lambda: app.engine.snapshot().ai is not None, "the AI down")


async def ai_back(app: BotdeckApp, pilot: Pilot, stage: Stage) -> None:
    await ai_down(app, pilot, stage)
    await (await stage.server()).come_back()
    snap = app.engine.snapshot
    await until(pilot, lambda: snap().queues.sent == 3 and snap().ai is None, "the AI back")


async def ai_refusing(stage: Stage) -> BotdeckApp:
    server = await stage.server()
    server.chat_default = status(401, {"message": "bad key", "code": "invalid_api_key"})
    return make_app(to(STICKY, 2), ai=await stage.openai())


async def ai_budgeted(stage: Stage) -> BotdeckApp:
    """Each fake reply costs 25 tokens: the budget is spent after two, then offline."""
    return make_app(to(STICKY, 5), ai=await stage.openai(token_budget=40, on_budget="offline"))


async def after_a_crash(stage: Stage) -> BotdeckApp:
    """The previous run's journal ends with three mentions open: this run resumes them."""
    rows = []
    for n in range(1, 4):
        rows.append({"ts": FROZEN - 30, "event": "chat", "msg": f"old{n}", "user": f"v{n}",
                     "text": f"@{STICKY} still there?"})  # fmt: skip
        rows.append({"ts": FROZEN - 30, "event": "enqueued", "job": n, "bot": STICKY,
                     "priority": "high", "msg": f"old{n}", "delay": 1.0})  # fmt: skip
    previous = stage.folder / "previous.jsonl"
    previous.write_text("".join(json.dumps(row) + "\n" for row in rows))
    plan = plan_resume(previous, same_file=False, enabled=True, window=300.0)
    return make_app(CHATTER, delays=30.0, resume=plan)


class FullDisk(io.StringIO):
    """A journal on a full disk: every flush fails."""

    def flush(self) -> None:
        raise OSError(28, "No space left on device")

    def close(self) -> None:
        self.flush()


async def on_a_full_disk(stage: Stage) -> BotdeckApp:
    return make_app(to(STICKY, 3), journal=FullDisk())


class DroppingSink(ChatSink):
    """Every send refused, in the platform's words (Twitch: a 200 with a drop code)."""

    echoes = False

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        raise SendError("msg_duplicate: Your message was not sent because it is identical")


async def sends_refused(stage: Stage) -> BotdeckApp:
    return make_app(to(STICKY, 3), sink=DroppingSink())


class AutoModSink(ChatSink):
    """Twitch's AutoMod holds every line for the moderators, who never decide."""

    echoes = False

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        raise SendHeld("msg_rejected: Your message is being checked by mods")


async def automod_holding(stage: Stage) -> BotdeckApp:
    return make_app(to(STICKY, 2), sink=AutoModSink())


def follows_checked(app: BotdeckApp) -> None:
    """Followers-only for 10 minutes: stickyman follows (an hour), pixelsage does not."""
    app.engine.take(ChatSettings(followers_only=True, follow_minutes=10))
    app.engine.take(BotFollows({STICKY: FROZEN - 3600, PIXEL: None}))


def timed_out(app: BotdeckApp) -> None:
    """A moderator times stickyman out for ten minutes (Get Banned Users said until when)."""
    app.engine.take(UserCleared(STICKY))
    app.engine.take(BotRemoved(STICKY, FROZEN + 600))


def resumed(app: BotdeckApp) -> bool:
    summary = app.engine.snapshot().resume
    return summary is not None and summary.resumed == 3


def hold_three_ways(app: BotdeckApp) -> None:
    """stickyman paused by the operator, genejacqueman muted, pixelsage (the only viewer
    account) held by followers-only."""
    app.engine.pause_bot(STICKY)
    app.engine.mute_bot(GENE)
    app.engine.take(ChatSettings(followers_only=True))


def held_three_ways(app: BotdeckApp) -> bool:
    sticky, gene, pixel = (lane(app, bot) for bot in BOTS)
    return sticky.paused and gene.muted and pixel.held is not None and sticky.held is None


def drill_fault(now: float) -> Fault:
    return Fault("ai_down", now, now + 600.0, FaultEdge.AI, "AI down (429 storm)")


RECONNECTING = ConnectionState(
    ConnectionStatus.RECONNECTING, attempt=3, reason="socket closed", sending="ok"
)
FAILED = ConnectionState(ConnectionStatus.FAILED, reason="the server refused the token")
NEVER_READ = ConnectionState(ConnectionStatus.ENDED, never_read="channel not found: nosuchchan")
BLIND = ConnectionState(
    ConnectionStatus.RECONNECTING,
    attempt=1,
    reason="no word from Twitch for 12 s",
    sending="ok",
    blind_since=FROZEN - 14,
)
TAKEN_OVER = "took over #botdeck_demo from a run that ended without closing (pid 4242, ...)"
EVERY_MODE = ChatSettings(slow=30, followers_only=True, follow_minutes=10,
                          subscribers_only=True, emote_only=True, unique=True)  # fmt: skip
REVIEW_ALL = {"bots": ["*"], "timeout": 3600}
RAID = ScriptedEvent(0, ChannelEvent(EventKind.RAID, "raid-1", 0.0, user="bigstreamer",
                                     display_name="BigStreamer", count=200))  # fmt: skip
ASK = Reward("reward-1", f"Ask {STICKY}")
QUESTIONS = [
    ScriptedEvent(
        0,
        ChannelEvent(
            EventKind.REDEEM,
            f"red-{n}",
            0.0,
            user=f"fan{n}",
            message="what game is this?",
            reward=ASK,
        ),
    )
    for n in range(3)
]
OFFLINE = ScriptedEvent(
    0, ChannelEvent(EventKind.UPDATE, "info", 0.0, stream=StreamInfo("Celeste", "any%", live=False))
)
ODD = ScriptedEvent(
    0, ChannelEvent(EventKind.UNSUPPORTED, "odd-1", 0.0, detail="a notice type botdeck lacks")
)
RAID_LIMITS = {"window": 30.0, "viewer": 2}  # two sends per 30 s: a raid must merge


# The tour: each state once per size. A new state is one more row.
STATES: list[State] = [
    State("running", waiting(), queued(), shows="router: running"),
    State("ai_down", ai_gone, ai_down, shows="AI down for"),
    State("ai_back", ai_gone, ai_back),
    State(
        "ai_refused",
        ai_refusing,
        when(lambda app: app.engine.snapshot().queues.failed == 2, "both replies refused"),
        shows="AI refused",
    ),
    State(
        "review_held",
        plain(to(STICKY, 3) + to(GENE, 2), review=REVIEW_ALL),
        when(
            lambda app: len(app.engine.reviews()) == 4,  # a held reply keeps its slot
            "two replies held per bot",
        ),
        shows="if nobody decides",
    ),
    State(
        "bot_paused_muted_held",
        plain(to(STICKY, 4) + to(PIXEL, 3), delays=30.0, roles={STICKY: "vip", GENE: "vip"}),
        then(queued(PIXEL, 3), hold_three_ways, held_three_ways),
        queue=PIXEL,
        shows="followers-only",
    ),
    State(
        "chat_modes_hold_every_bot",
        waiting(),
        then(
            queued(),
            lambda app: app.engine.take(EVERY_MODE),
            lambda app: all(lane(app, bot).held for bot in BOTS),
        ),
        shows="emote-only",
    ),
    State(
        "bot_banned_by_a_moderator",
        waiting(),
        then(
            queued(),
            lambda app: app.engine.take(UserCleared(STICKY)),
            lambda app: lane(app, STICKY).paused,
        ),
        shows=f"{STICKY} was banned or timed out",
    ),
    State(
        "reading_reconnecting",
        waiting(reading=RECONNECTING),
        queued(),
        shows="reconnecting (attempt 3",
    ),
    State("reading_failed", waiting(reading=FAILED), queued(), shows="failed: the server refused"),
    State(
        "reading_never_started",
        waiting(reading=NEVER_READ),
        queued(),
        shows="never started: channel not found",
    ),
    State(
        "sending_failing",
        sends_refused,
        when(lambda app: app.engine.snapshot().queues.failed == 3, "three sends refused"),
        shows="sending failing: 3 in a row",
    ),
    State(
        "token_budget_spent",
        ai_budgeted,
        when(
            lambda app: lane(app, STICKY).sent == 5 and notice("token budget")(app),
            "the budget spent, the rest answered offline",
        ),
        shows="token budget reached",
    ),
    State(
        "raid_merging",
        plain(to(STICKY, 30), send_limits=RAID_LIMITS),
        when(in_phase(Phase.CARRIED), "a merged reply carrying mentions"),
        shows="merged",
    ),
    State(
        "cooldowns",
        plain(CHATTER, router={"random_reply_chance": 1.0}),
        when(
            lambda app: sum(app.engine.snapshot().cooldown_hits.values()) >= 5,
            "random replies a cooldown left out",
        ),
    ),
    State(
        "backlog",
        plain(to(STICKY, 30) + to(GENE, 60, 30), delays=30.0),
        queued(GENE, 30),
        shows="BACKLOG",
    ),
    State(
        "router_paused",
        waiting(),
        then(queued(), lambda app: app.engine.pause(), in_state(RouterState.PAUSED)),
        shows="router: paused",
    ),
    State(
        "draining",
        waiting(),
        then(queued(), lambda app: app.engine.drain(), in_state(RouterState.DRAINING)),
        shows="router: draining",
    ),
    State(
        "stopped",
        waiting(),
        then(queued(), lambda app: app.engine.stop(), in_state(RouterState.STOPPED)),
        shows="router: stopped",
    ),
    State("resumed_jobs", after_a_crash, when(resumed, "three mentions resumed")),
    # Issue 22: a 4-hour stream's states.
    State(
        "followers_only_one_bot_does_not_follow",
        waiting(PIXEL, 3),
        then(
            queued(PIXEL, 3),
            follows_checked,
            lambda app: lane(app, PIXEL).held is not None and lane(app, STICKY).held is None,
        ),
        queue=PIXEL,
        shows="followers-only: does not follow",
    ),
    State(
        "automod_holds_replies",
        automod_holding,
        when(lambda app: lane(app, STICKY).parked == 2, "two replies held by AutoMod"),
        shows="automod held 2",
    ),
    State(
        "bot_timed_out_until",
        waiting(),
        then(queued(), timed_out, lambda app: STICKY in app.engine.snapshot().live.removed),
        shows="timed out until",
    ),
    State("reading_gap", waiting(reading=BLIND), queued(), shows="reading gap since"),
    State(
        "shared_chat_session",
        waiting(),
        then(
            queued(),
            lambda app: app.engine.take(SharedChat(("partner_one", "partner_two"))),
            lambda app: bool(app.engine.snapshot().live.shared_with),
        ),
        shows="SHARED CHAT",
    ),
    State(
        "stream_offline_drains",
        waiting(chat={"on_offline": "drain"}),
        then(
            queued(),
            lambda app: app.engine.take(StreamOffline()),
            lambda app: app.engine.snapshot().live.offline,
        ),
        shows="stream offline: draining",
    ),
    State(
        "channel_lock_taken_over",
        waiting(),
        then(
            queued(),
            lambda app: app.engine.note_lock(TAKEN_OVER),
            lambda app: app.engine.snapshot().live.lock is not None,
        ),
        shows="took over #botdeck_demo",
    ),
    State(
        "drill_fault",  # a fire drill's fault under way (`demo --chaos`): the DRILL alert
        waiting(),
        then(
            queued(),
            lambda app: app.engine.fault(drill_fault(time.time())),
            lambda app: bool(app.engine.snapshot().faults),
        ),
        shows="DRILL AI",
    ),
    State(
        "raid_armed",
        plain([RAID, *to(STICKY, 6)], delays=30.0),
        when(lambda app: app.engine.snapshot().raid is not None, "raid mode armed"),
        shows="raid: BigStreamer (200 viewers)",
    ),
    State(
        "channel_point_questions",
        plain(QUESTIONS, events={"redeem": {"enabled": True}}),
        when(
            lambda app: app.engine.snapshot().events.fulfilled == 3,
            "three questions answered and fulfilled",
        ),
    ),
    State(
        "stream_offline_timers_paused_unsupported_event",
        plain([OFFLINE, ODD, *CHATTER], timers=[{"text": "follow!", "interval": 10.0}]),
        when(lambda app: app.engine.snapshot().stream.live is False, "the stream offline"),
        shows="playing Celeste (offline)",
    ),
    State(
        "journal_lost",
        on_a_full_disk,
        when(notice("journal stopped after"), "the journal given up"),
        shows="No space left on device",
    ),
    State(
        "mute_handed_over",
        waiting(),
        then(
            queued(),
            lambda app: app._mute(STICKY, (QueuedMentions.HAND_OVER, GENE)),
            lambda app: app.engine.muted(STICKY) and len(app.engine.jobs_of(GENE)) == 6,
        ),
        queue=GENE,
        shows="muted",
    ),
    State(
        "mute_finishing",
        waiting(),
        then(
            queued(),
            lambda app: app._mute(STICKY, (QueuedMentions.FINISH, None)),
            lambda app: app.engine.muted(STICKY) and app.engine.queued_mentions(STICKY) == 6,
        ),
        shows="muted",
    ),
    State(
        "review_raid",
        plain(
            to(STICKY, 7) + to(GENE, 14, 7) + to(PIXEL, 20, 14),
            review=REVIEW_ALL,
            router={"global_concurrency": 30, "per_bot_concurrency": 10},
        ),
        when(lambda app: len(app.engine.reviews()) == 20, "twenty replies held"),
        shows="20 held",
    ),
]


# ------------------------------------------------------------------ the visit
def frame(app: BotdeckApp) -> str:
    """Render what the terminal shows now; the app must still be running."""
    assert app.is_running, "the app ended"
    return screen_text(app)


def frame_problems(app: BotdeckApp, shown: str, shows: tuple[str | None, ...]) -> list[str]:
    """What is wrong with the dashboard's frame `shown`: it must have as many rows as the
    terminal, the header on the first, the footer's quit key on the last, and `shows`."""
    rows = shown.splitlines()
    problems = [f"{text!r} not shown" for text in shows if text and text not in shown]
    if len(rows) != app.size.height:
        problems.append(f"{len(rows)} rows on a {app.size} screen")
    if not rows or not rows[0].strip().startswith("router: "):
        problems.append("no header on the first row")
    if not rows or "q Quit" not in rows[-1]:
        problems.append("no quit key on the last row")
    return problems


async def main_frame(pilot: Pilot, *shows: str | None) -> None:
    """Wait until the dashboard's frame is right (a redraw may be due); fail with the
    frame and what is wrong if it never is."""
    app = pilot.app
    assert isinstance(app, BotdeckApp)
    app.refresh_numbers()  # the poll due within 0.2 s, now
    shown = ""
    problems: list[str] = []

    def right() -> bool:
        nonlocal shown
        shown = frame(app)
        problems[:] = frame_problems(app, shown, shows)
        return not problems

    await until(pilot, right, lambda: f"{problems} in the frame:\n{shown}")


async def tap(pilot: Pilot, key: str, outcome: Callable[[], bool], what: str) -> None:
    """Press `key` and wait for what it does (`Pilot.press` waits for the process to look
    idle instead: 60-350 ms a key with the engine's timers running)."""
    await mash(pilot, key)
    await until(pilot, outcome, f"{what} after {key}")


async def closed(pilot: Pilot, screen: Screen[object]) -> None:
    """Wait until `screen` is off the stack: the next key goes to the one below."""
    await until(pilot, lambda: screen not in pilot.app.screen_stack, f"{screen} closed")


async def dialog(
    pilot: Pilot, key: str, kind: type[Screen[object]], title: str, close: str = "escape"
) -> None:
    """Open a dialog with `key`, render it showing `title`, close it with `close`."""
    app = pilot.app
    await tap(pilot, key, lambda: isinstance(app.screen, kind), kind.__name__)
    opened = app.screen
    await until(pilot, lambda: title in frame(app), lambda: f"{title!r} in:\n{frame(app)}")
    await mash(pilot, close)
    await closed(pilot, opened)


async def visit(app: BotdeckApp, pilot: Pilot, state: State) -> None:
    await main_frame(pilot)

    # The bot's queue, moved through.
    inspector = app.query_one(QueueInspector)
    table = app.query_one(JobTable)
    await tap(pilot, str(BOTS.index(state.queue) + 1), lambda: inspector.display, "the queue")
    opened = f"queue: {state.queue}"
    held = "if nobody decides" if app.engine.reviews() else None  # the review panel
    await main_frame(pilot, opened, state.shows, held)
    if table.rows:
        await tap(pilot, "end", lambda: table.selected == table.rows[-1].id, "the last row")
        await tap(pilot, "home", lambda: table.selected == table.rows[0].id, "the first row")

    # Every dialog in turn, over the open queue (and the review panel where it shows).
    if app.engine.state is RouterState.STOPPED:  # nothing to stop: a note, no dialog
        notes = app._notifications
        await tap(pilot, "x", lambda: any("already stopped" in n.message for n in notes), "a note")
        assert not isinstance(app.screen, ConfirmStop)
    else:
        await dialog(pilot, "x", ConfirmStop, "Emergency stop", "n")

    await tap(pilot, "i", lambda: isinstance(app.screen, SayScreen), "the say dialog")
    say = app.screen
    await until(pilot, lambda: bool(say.query(Select)), "the say dialog composed")
    choose = say.query_one(Select)
    await until(pilot, lambda: "Say as a bot" in frame(app), "the say dialog drawn")
    await tap(pilot, "shift+tab", lambda: app.focused is choose, "the bot list focused")
    await tap(pilot, "enter", lambda: choose.expanded, "the bot list open")
    await until(pilot, lambda: all(bot in frame(app) for bot in BOTS), "every bot listed")
    await tap(pilot, "escape", lambda: not choose.expanded, "the bot list closed")
    await mash(pilot, "escape")
    await closed(pilot, say)

    await dialog(pilot, "g", EventDialog, "Fire a test event")
    # The mute dialog, where the bot has mentions it could lose (else `m` mutes or
    # unmutes at once, which would leave the state).
    if not app.engine.muted(state.queue) and app.engine.queued_mentions(state.queue):
        await dialog(pilot, "m", MuteDialog, "Mute ")
        assert not app.engine.muted(state.queue)  # escape mutes nothing

    if app.query_one(ReviewPanel).job is not None:
        await dialog(pilot, "e", EditReply, "Edit ")
    else:  # no reply held: `e` does nothing (the next dialog opens over the dashboard)
        await mash(pilot, "e")

    # A reply in full from the queue (the youngest: it ends last, so it is still there when
    # enter comes; an older one may end in between, and an ended reply has nothing to
    # open), else the held reply, if any.
    table.focus()
    await until(pilot, lambda: app.focused is table, "the queue focused")
    if table.rows:
        await tap(pilot, "end", lambda: table.selected == table.rows[-1].id, "the last row")
    if table.selected is not None or app.engine.reviews():
        await dialog(pilot, "enter", TextView, "reply #")
    # A chat line in full.
    chat = app.query_one(ChatLog)
    await until(pilot, lambda: bool(chat.lines), "a chat line")
    chat.focus()
    await tap(pilot, "up", lambda: chat.selected_line() is not None, "a chat line selected")
    await dialog(pilot, "enter", TextView, "chat line")
    await tap(pilot, "escape", lambda: chat.selected_line() is None, "the chat's selection left")

    # Keys still answer, and the dashboard is as the state left it.
    await dialog(pilot, "question_mark", HelpScreen, "emergency stop")
    assert len(app.screen_stack) == 1, app.screen_stack
    await main_frame(pilot, opened, state.shows, held)


@contextlib.asynccontextmanager
async def staged(tmp_path: Path) -> AsyncIterator[Stage]:
    async with contextlib.AsyncExitStack() as stack:
        yield Stage(tmp_path, stack)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("state", STATES, ids=[state.name for state in STATES])
async def test_the_dashboard_in_every_state(state: State, size, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-tour-test-0123456789abcdef")
    async with staged(tmp_path) as stage:
        app = await state.make(stage)
        async with app.run_test(size=size) as pilot:
            await state.reach(app, pilot, stage)
            await visit(app, pilot, state)
        assert app.return_code in (None, 0)
