"""Moderators and the channel on Twitch: the real twitchio client and botdeck's engine
against the loopback fake, which sends `channel.chat.message_delete`,
`channel.chat.clear_user_messages`, `channel.chat.clear` and
`channel.chat_settings.update`, answers Get Chat Settings, and drops what its chat modes
forbid. Waiting is on the fake's or the engine's state, never by sleeping and hoping."""

from __future__ import annotations

import re
import time

from botdeck.core.ratelimit import RateLimiter
from botdeck.model.chat import Role
from botdeck.model.defaults import SendLimits
from botdeck.model.events import StateChanged
from botdeck.model.jobs import Phase, RouterState
from tests.fakes.twitch_server import BOT_SCOPES
from tests.harness.twitch import BOTS, Echo, engine_for, make_config
from tests.harness.waiting import until

ALPHA, BETA = BOTS
FOLLOW_REASON = "followers-only: make this bot a VIP or moderator, or have it follow"


def config_with(fake, *, delay: float = 0.0, **sections) -> dict:
    """Both bots; beta_bot is a moderator (config and badges); mention delays `delay`."""
    config = make_config(fake)
    config["router"]["delays"]["high"] = [delay, delay]
    config["bots"][1]["role"] = "moderator"
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    if BETA not in fake.users:
        fake.add_user(BETA, scopes=BOT_SCOPES, badges=("moderator",))
    return config


def running(run, phase: Phase):
    return [job for job in run.engine.running_jobs() if job.phase is phase]


# ------------------------------------------------------------------ moderation
async def test_a_deleted_line_whose_reply_is_in_its_delay_is_never_sent(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, config=config_with(fake, delay=3.0))
    async with run:
        msg = await fake.say("troll", "@alpha_bot say something awful")
        await until(lambda: running(run, Phase.DELAYING), what="the reply in its delay")
        await fake.delete_message(msg, "troll")
        assert await run.outcome_of(msg) == ("skipped", "deleted_by_moderator")
        later = await fake.say("viewer", "@alpha_bot what happened?")
        assert await run.outcome_of(later) == ("sent", None)
        [moderation] = run.events("moderation")
    assert [s.text.split()[0] for s in fake.sent_by(ALPHA)] == ["@Viewer"]
    assert (moderation["action"], moderation["msg"], moderation["ended"]) == ("delete", msg, 1)
    assert "awful" not in str(moderation)


async def test_a_ban_while_a_merged_raid_reply_waits_removes_just_that_viewer(fake, monkeypatch):
    # One message per 3 s for alpha_bot and a 2 s target: a raid merges at once.
    limiter = RateLimiter({ALPHA: Role.VIEWER, BETA: Role.MODERATOR}, SendLimits(3.0, viewer=1))
    config = config_with(fake, router={"ack_target": 2.0})
    run = engine_for(fake, monkeypatch, config=config, limiter=limiter)
    async with run:
        first = await fake.say("regular", "@alpha_bot hi")
        await run.outcome_of(first)  # the bot's window is used for the next 3 s
        for i in range(5):
            await fake.say(f"raider{i}", "@alpha_bot hello from the raid!")
        await until(
            lambda: (
                run.engine.snapshot().queues.bot(ALPHA).size == 0 and running(run, Phase.SENDING)
            ),
            what="one merged reply waiting for its send window",
        )
        await fake.clear_user("raider2")
        await until(lambda: len(fake.sent_by(ALPHA)) == 2, what="the merged reply")
        removed = await until(lambda: [e for e in run.events() if e.get("reason")])
    named = re.findall(r"@(\w+)", fake.sent_by(ALPHA)[1].text.lower())
    assert named == ["raider0", "raider1", "raider3", "raider4"]
    assert [(e["event"], e["reason"]) for e in removed] == [("skipped", "user_removed")]
    assert not fake.violations


async def test_a_cleared_user_and_a_cleared_chat_reach_the_journal(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, config=config_with(fake))
    async with run:
        await fake.say("spammer", "buy followers")
        await fake.clear_user("spammer")
        await fake.clear_chat()
        await fake.delete_message("never-seen", "spammer")
        actions = await until(
            lambda: len(run.events("moderation")) == 3 and run.events("moderation")
        )
        quiet = await fake.say("spammer", "@alpha_bot hello again")
        ok = await fake.say("viewer", "@alpha_bot hi")
        assert await run.outcome_of(ok) == ("sent", None)
        assert run.outcome(quiet) is None  # never became a job
    assert [(e["action"], e.get("user"), e.get("unknown")) for e in actions] == [
        ("clear_user", "spammer", None),
        ("clear", None, None),
        ("delete", None, True),
    ]


# ------------------------------------------------------------------ chat modes
async def test_slow_mode_at_start_spaces_a_viewer_bots_messages_with_no_drop(fake, monkeypatch):
    fake.chat_settings.update(slow_mode=True, slow_mode_wait_time=10)
    fake.chat_settings["shiny_new_field"] = {"twitch": "may add fields"}  # tolerated
    run = engine_for(fake, monkeypatch, config=config_with(fake))
    async with run:
        await until(lambda: run.engine.snapshot().chat_mode == "slow 10s", what="the mode")
        one = await fake.say("viewer1", "@alpha_bot first question")
        two = await fake.say("viewer2", "@alpha_bot second question")
        assert await run.outcome_of(one) == ("sent", None)
        assert await run.outcome_of(two, within=20) == ("sent", None)
    first, second = fake.sent_by(ALPHA)
    assert second.at - first.at >= 10.0
    assert not fake.violations  # nothing dropped


async def test_followers_only_pauses_a_viewer_bot_and_it_resumes_when_the_mode_ends(
    fake, monkeypatch
):
    responder = Echo()
    run = engine_for(fake, monkeypatch, config=config_with(fake), responder=responder)
    async with run:
        await fake.set_chat_settings(follower_mode=True, follower_mode_duration=10)
        await until(lambda: run.engine.snapshot().queues.bot(ALPHA).held, what="the hold")
        msg = await fake.say("viewer", "@alpha_bot @beta_bot are you there?")
        await until(lambda: run.outcome(msg), what="the moderator bot's answer")
        snap = run.engine.snapshot()
        assert snap.queues.bot(ALPHA).held == FOLLOW_REASON
        assert (snap.queues.bot(ALPHA).size, snap.queues.bot(ALPHA).pending) == (1, 0)
        assert snap.chat_mode == "followers-only 10m"
        assert not fake.sent_by(ALPHA)
        await fake.set_chat_settings(follower_mode=False, follower_mode_duration=None)
        await until(lambda: fake.sent_by(ALPHA), what="the viewer bot's answer")
        assert run.engine.snapshot().queues.bot(ALPHA).held is None
    assert [s.sender for s in fake.sent if s.status == 200] == [BETA, ALPHA]
    assert not fake.violations


# ------------------------------------------------------------------ chat control
async def test_a_non_moderator_typing_botdeck_stop_changes_nothing(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, config=config_with(fake, delay=0.5))
    async with run:
        await fake.say("viewer", "!botdeck stop")
        await fake.say("moderator", "!botdeck stop")  # a viewer who picked the name
        await fake.say("fan", "!botdeck stop", badges=("vip", "subscriber"))
        await fake.say("fan", "!botdeck stop moderator/1 broadcaster/1")
        msg = await fake.say("viewer", "@alpha_bot still there?")
        assert await run.outcome_of(msg) == ("sent", None)
        assert run.engine.state is RouterState.RUNNING
        assert run.events("state") == []


async def test_a_moderators_stop_stops_within_100_ms_of_the_line(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, config=config_with(fake, delay=5.0))
    stopped: list[float] = []
    run.engine.subscribe(
        lambda e: (
            isinstance(e, StateChanged)
            and e.state is RouterState.STOPPED
            and stopped.append(time.monotonic())
        )
    )
    async with run:
        for i in range(3):
            await fake.say(f"viewer{i}", "@alpha_bot @beta_bot hello")
        await until(lambda: len(running(run, Phase.DELAYING)) == 4, what="replies delaying")
        said = time.monotonic()
        await fake.say("mod_jane", "!botdeck stop", badges=("moderator",))
        await until(lambda: stopped, within=2, what="the stop")
        [state] = run.events("state")
    assert stopped[0] - said < 0.1
    assert (state["state"], state["by"], state["command"]) == ("stopped", "mod_jane", "stop")
    assert not [s for s in fake.sent if s.status == 200]


async def test_status_is_answered_once_by_the_first_bot_that_can_talk(fake, monkeypatch):
    run = engine_for(fake, monkeypatch, config=config_with(fake))
    async with run:
        await fake.set_chat_settings(emote_mode=True)  # only beta_bot, a moderator, can talk
        await until(lambda: run.engine.snapshot().queues.bot(ALPHA).held)
        await fake.say("the_streamer", "!botdeck status", badges=("broadcaster",))
        [answer] = await until(lambda: fake.sent_by(BETA))
        await until(lambda: [m for m in run.lines if m.user == BETA], what="its echo")
        await fake.say("viewer", "ok")  # anything that would answer the echo has happened
    assert answer.text == (
        "botdeck is running: 0 replies waiting, 0 in progress; chat: emote-only; held: alpha_bot"
    )
    assert len([s for s in fake.sent if s.status == 200]) == 1
