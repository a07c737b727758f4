"""A live channel over hours (issue 22), on the engine alone and a virtual clock: follows
in followers-only mode, timeouts that end, shared chat sessions, the stream going
offline, AutoMod's holds and verdicts, reading gaps in the journal."""

from __future__ import annotations

import asyncio

from botdeck.chat.base import SendHeld
from botdeck.engine.live import LiveSettings
from botdeck.model.channel import ChatSettings, UserCleared
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import RouterState
from botdeck.model.live import (
    AutoModVerdict,
    BotFollows,
    BotRemoved,
    OfflineAction,
    ReadingGap,
    SharedChat,
    StreamOffline,
)
from botdeck.model.room import PassKind
from botdeck.tui.labels import offline_words
from tests.harness.engine import BOTS, RecordingSink, ScriptedResponder, make_engine
from tests.harness.journals import assert_one_outcome_per_job, events_of
from tests.harness.virtual_time import now, run_virtual

ALPHA, BETA, GAMMA = BOTS


def loop_clock() -> float:
    return asyncio.get_running_loop().time()


def engine_for(sink=None, **settings):
    settings.setdefault("delays", 1.0)
    return make_engine(
        BOTS,
        responder=ScriptedResponder(lambda r: f"{r.bot} answers {r.message.user}", delay=0.5),
        sink=sink or RecordingSink(),
        journal_clock=loop_clock,
        clock=loop_clock,
        **settings,
    )


def said(n: int, user: str, text: str, **kw) -> ChatMessage:
    return ChatMessage(f"m{n}", user, text, now(), **kw)


def outcomes(events: list[dict]) -> dict[str, tuple[str, str | None]]:
    """msg -> (outcome, reason) of its job."""
    found = {}
    for e in events:
        if e["event"] in ("sent", "failed", "skipped", "cancelled"):
            found[e["msg"]] = (e["event"], e.get("reason"))
    return found


# ----------------------------------------------------------------- follows
def test_in_followers_only_a_bot_that_follows_long_enough_talks_and_one_that_does_not_waits():
    async def main():
        engine, stream = engine_for()
        engine.take(ChatSettings(followers_only=True, follow_minutes=10))
        held_before = engine.snapshot().queues.bot(ALPHA).held
        engine.take(
            BotFollows({ALPHA: now() - 3600, BETA: None, GAMMA: now() - 60})  # GAMMA: 1 min
        )
        snap = engine.snapshot().queues
        engine.handle(said(1, "viewer", f"@{ALPHA} @{BETA} @{GAMMA} hello"))
        await asyncio.sleep(30)
        mid = {bot: engine.snapshot().queues.bot(bot).held for bot in BOTS}
        sent_mid = {e["bot"] for e in events_of(stream) if e["event"] == "sent"}
        await asyncio.sleep(9 * 60 + 5)  # GAMMA's follow is ten minutes old now
        late = {bot: engine.snapshot().queues.bot(bot).held for bot in BOTS}
        await engine.wait_idle()
        return held_before, snap, mid, sent_mid, late, events_of(stream)

    held_before, snap, mid, sent_mid, late, events = run_virtual(main())
    assert held_before and "have it follow" in held_before  # not checked yet: held
    assert snap.bot(ALPHA).held is None
    assert "followers-only: does not follow" in (snap.bot(BETA).held or "")
    assert "followers-only 10m: followed at" in (snap.bot(GAMMA).held or "")
    assert sent_mid == {ALPHA}
    assert mid[GAMMA] is not None and late[GAMMA] is None  # released by itself
    assert late[BETA] is not None
    assert {e["bot"] for e in events if e["event"] == "sent"} == {ALPHA, GAMMA}


# ----------------------------------------------------------------- timeouts
def test_a_timed_out_bot_resumes_by_itself_when_its_timeout_ends_and_a_banned_one_waits():
    async def main():
        engine, stream = engine_for()
        engine.take(UserCleared(ALPHA))
        engine.take(UserCleared(BETA))
        engine.take(BotRemoved(ALPHA, now() + 600))  # a ten-minute timeout
        engine.take(BotRemoved(BETA, None))  # a ban
        notices = engine.snapshot().notices
        engine.handle(said(1, "viewer", f"@{ALPHA} @{BETA} are you there?"))
        await asyncio.sleep(599)
        during = engine.snapshot()
        await asyncio.sleep(10)
        after = engine.snapshot()
        await asyncio.sleep(10)
        return notices, during, after, events_of(stream)

    notices, during, after, events = run_virtual(main())
    assert any(f"{ALPHA} timed out until" in n and "resumes by itself" in n for n in notices)
    assert any(f"{BETA} was banned" in n for n in notices)
    assert during.queues.bot(ALPHA).paused and during.live.removed[ALPHA].until is not None
    assert not after.queues.bot(ALPHA).paused and ALPHA not in after.live.removed
    assert after.queues.bot(BETA).paused  # a ban waits for the operator
    sent = [e for e in events if e["event"] == "sent"]
    assert [e["bot"] for e in sent] == [ALPHA]
    assert sent[0]["ts"] >= 600  # not before the timeout ended


def test_a_timeout_already_over_resumes_at_once():
    async def main():
        engine, _ = engine_for()
        engine.take(UserCleared(ALPHA))
        engine.take(BotRemoved(ALPHA, now() - 1))
        return engine.snapshot()

    snap = run_virtual(main())
    assert not snap.queues.bot(ALPHA).paused and not snap.notices


def test_a_timeout_found_over_for_a_bot_that_talks_again_changes_nothing(caplog):
    """Looked up again after its end (or after the operator's `b`): not paused again (a
    pause recalls what the bot is writing), no notice."""

    async def main():
        engine, _ = engine_for()
        engine.take(UserCleared(ALPHA))
        engine.take(BotRemoved(ALPHA, now() + 60))
        engine.take(BotRemoved(ALPHA, now()))  # a moderator lifted it: over now
        resumed = engine.snapshot()
        engine.take(BotRemoved(ALPHA, now() - 1))  # and looked up once more
        return resumed, engine.snapshot()

    resumed, again = run_virtual(main())
    for snap in (resumed, again):
        assert not snap.queues.bot(ALPHA).paused and ALPHA not in snap.live.removed
    assert not again.notices
    paused = [r for r in caplog.records if "was banned or timed out: paused" in r.getMessage()]
    assert len(paused) == 1


# ----------------------------------------------------------------- shared chat
def test_a_shared_chat_session_holds_random_replies_and_answers_mentions():
    async def main():
        engine, stream = engine_for(chance=1.0, max_depth=0, delays=30.0)
        engine.handle(said(1, "viewer", "what a great stream this is tonight"))  # random
        await asyncio.sleep(1)
        engine.take(SharedChat(("partner_one", "partner_two")))
        banner = engine.snapshot().live.shared_banner()
        engine.handle(said(2, "viewer", "another long line of ordinary chat here"))
        engine.handle(said(3, "viewer", f"@{ALPHA} hello there"))
        await asyncio.sleep(60)
        engine.take(SharedChat(()))
        engine.handle(said(4, "viewer", "and a third line of chat after the end"))
        await engine.wait_idle()
        return banner, events_of(stream), engine.snapshot()

    banner, events, snap = run_virtual(main())
    assert banner == (
        "SHARED CHAT with #partner_one, #partner_two: random and bot-to-bot replies held"
    )
    done = outcomes(events)
    assert {done["m1"]} == {("skipped", "shared_chat")}  # waiting when the session began
    assert "m2" not in done  # passed up: no job
    assert done["m3"] == ("sent", None)  # a mention is answered
    assert done["m4"][0] == "sent"  # the session ended
    shared = [e["partners"] for e in events if e["event"] == "shared_chat"]
    assert shared == ["partner_one,partner_two", ""]
    assert snap.room is not None
    assert sum(p.get(PassKind.SHARED_CHAT, 0) for p in snap.room.passes.values()) >= 1


def test_shared_chat_replies_allowed_by_the_config_go_on():
    async def main():
        engine, stream = engine_for(
            chance=1.0, max_depth=0, live=LiveSettings(OfflineAction.KEEP, shared_chat_replies=True)
        )
        engine.take(SharedChat(("partner_one",)))
        engine.handle(said(1, "viewer", "what a great stream this is tonight"))
        await engine.wait_idle()
        return events_of(stream)

    assert outcomes(run_virtual(main()))["m1"][0] == "sent"


# ----------------------------------------------------------------- offline
def test_the_stream_going_offline_drains_when_asked_and_keeps_talking_by_default():
    async def main(action):
        engine, stream = engine_for(live=LiveSettings(action, shared_chat_replies=False))
        header = offline_words(engine.snapshot().live.on_offline, engine.snapshot().live.offline)
        engine.take(StreamOffline())
        await asyncio.sleep(0)
        return (
            header,
            engine.state,
            offline_words(engine.snapshot().live.on_offline, engine.snapshot().live.offline),
            events_of(stream),
        )

    header, state, after, events = run_virtual(main(OfflineAction.DRAIN))
    assert header == "on offline: drain" and after == "stream offline: draining"
    assert state is RouterState.DRAINED
    assert [(e["state"], e.get("by")) for e in events if e["event"] == "state"] == [
        ("draining", "stream.offline"),
        ("drained", "stream.offline"),
    ]
    header, state, after, events = run_virtual(main(OfflineAction.KEEP))
    assert header == "on offline: keep" and after == "stream offline: bots keep talking"
    assert state is RouterState.RUNNING and not [e for e in events if e["event"] == "state"]


# ----------------------------------------------------------------- automod
class HoldingSink(RecordingSink):
    """Twitch's AutoMod: the first `holds` lines are held for the moderators."""

    def __init__(self, holds: int) -> None:
        super().__init__()
        self.holds = holds
        self.held: list[tuple[str, str]] = []

    async def send(self, bot: str, text: str, reply_to: str | None = None) -> str:
        if self.holds:
            self.holds -= 1
            self.held.append((bot, text))
            raise SendHeld("msg_rejected: Your message is being checked by mods")
        return await super().send(bot, text, reply_to)


def test_automod_holds_are_their_own_outcome_then_sent_late_or_skipped_denied():
    sink = HoldingSink(holds=3)

    async def main():
        engine, stream = engine_for(sink=sink, b=1)
        for n in (1, 2, 3):
            engine.handle(said(n, f"viewer{n}", f"@{ALPHA} question {n}"))
        await asyncio.sleep(20)
        held = engine.snapshot().queues.bot(ALPHA)
        (bot1, text1), (bot2, text2), _ = sink.held
        engine.take(AutoModVerdict(bot1, text1, "approved-id", approved=True))
        engine.take(AutoModVerdict(bot2, "  " + text2.replace(" ", "  "), "", approved=False))
        engine.handle(said(4, "viewer4", f"@{ALPHA} a fourth one"))
        await engine.wait_idle()
        after = engine.snapshot().queues.bot(ALPHA)
        await engine.close()  # the third is still held: it gets an outcome
        return held, after, events_of(stream)

    held, after, events = run_virtual(main())
    # Three held, one at a time through one slot: a held reply does not block its bot.
    assert held.parked == 3 and held.pending == 0 and held.failed == 0
    assert [e["reason"] for e in events if e["event"] == "held"] == ["automod"] * 3
    assert {e["text"] for e in events if e["event"] == "held"} == {t for _, t in sink.held}
    done = outcomes(events)
    assert done["m1"] == ("sent", None)
    assert done["m2"] == ("skipped", "automod_denied")
    assert done["m4"] == ("sent", None)
    assert done["m3"] == ("skipped", "automod")  # undecided when the run ended
    approved = next(e for e in events if e["event"] == "sent" and e["msg"] == "m1")
    assert approved["latency"] >= 19  # late: when the moderators approved it
    assert after.parked == 1 and after.answered == 2
    assert_one_outcome_per_job(events)


# ----------------------------------------------------------------- reading gaps
def test_a_reading_gap_is_journaled_from_its_start_to_its_end():
    async def main():
        engine, stream = engine_for()
        engine.take(ReadingGap(1000.0, 1020.5))
        return events_of(stream), engine.snapshot().live

    events, live = run_virtual(main())
    assert [e for e in events if e["event"] == "reading_gap"] == [
        {"ts": 1000.0, "event": "reading_gap", "until": 1020.5}
    ]
    assert live.gaps == 1 and live.blind_for == 20.5
