"""Who answers what: mentions, random replies, ignored users and bot-to-bot depth."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from botdeck.engine.orchestrator import Orchestrator, ReplyPlan
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority
from tests.harness.engine import orchestrator_settings

BOTS = ("stickyman1776", "genejacqueman", "pixelsage")


def make(bots=BOTS, seed=1, **settings) -> Orchestrator:
    return Orchestrator(bots, orchestrator_settings(**settings), random.Random(seed))


def viewer(text: str, user: str = "viewer42", mentions=(), msg_id: str = "m1") -> ChatMessage:
    return ChatMessage(id=msg_id, user=user, text=text, timestamp=0.0, mentions=tuple(mentions))


def bot_line(text: str, bot: str = "stickyman1776", depth: int = 1, mentions=()) -> ChatMessage:
    return ChatMessage(
        id="b1",
        user=bot,
        text=text,
        timestamp=0.0,
        is_bot=True,
        depth=depth,
        mentions=tuple(mentions),
    )


def bots_of(plans: list[ReplyPlan]) -> list[str]:
    return [plan.bot for plan in plans]


# ---------------------------------------------------------------- mentions
def test_an_at_mention_gives_that_bot_one_high_plan():
    plans = make(random_reply_chance=0.0).plan(viewer("@stickyman1776 hello there"))
    assert len(plans) == 1
    assert plans[0].bot == "stickyman1776"
    assert plans[0].priority is Priority.HIGH


@pytest.mark.parametrize(
    "text",
    [
        "hey StickyMan1776 hi",
        "@STICKYMAN1776",
        "stickyman1776",
        "what do you think, @StickyMan1776?",
        "(stickyman1776) is great",
    ],
)
def test_mentions_are_case_insensitive_with_or_without_at(text):
    plans = make(random_reply_chance=0.0).plan(viewer(text))
    assert bots_of(plans) == ["stickyman1776"]
    assert plans[0].priority is Priority.HIGH


@pytest.mark.parametrize(
    "text", ["stickyman1776x", "xstickyman1776", "hey @stickyman1776_fan", "stickyman17766"]
)
def test_a_bot_name_inside_a_longer_word_is_not_a_mention(text):
    orchestrator = make(random_reply_chance=0.0)
    assert orchestrator.mentioned_bots(viewer(text)) == []
    assert orchestrator.plan(viewer(text)) == []


def test_several_mentioned_bots_get_one_high_plan_each_in_order_of_first_mention():
    text = "@pixelsage and genejacqueman, also @PixelSage again and stickyman1776 pixelsage"
    plans = make(random_reply_chance=1.0).plan(viewer(text))
    assert bots_of(plans) == ["pixelsage", "genejacqueman", "stickyman1776"]
    assert all(plan.priority is Priority.HIGH for plan in plans)


def test_mentions_reported_by_the_source_count_too():
    orchestrator = make(random_reply_chance=0.0)
    message = viewer("hello friends", mentions=("GeneJacqueman",))
    plans = orchestrator.plan(message)
    assert bots_of(plans) == ["genejacqueman"]
    assert plans[0].priority is Priority.HIGH


def test_source_mentions_are_merged_with_text_mentions_without_duplicates():
    orchestrator = make()
    message = viewer("@pixelsage hi", mentions=("pixelsage", "stickyman1776", "someone_else"))
    assert orchestrator.mentioned_bots(message) == ["pixelsage", "stickyman1776"]


# ---------------------------------------------------------------- random replies
def test_a_line_without_mentions_never_gets_a_plan_at_chance_zero():
    orchestrator = make(random_reply_chance=0.0)
    for i in range(500):
        assert orchestrator.plan(viewer(f"just chatting {i}")) == []


def test_a_line_without_mentions_always_gets_one_normal_plan_at_chance_one():
    orchestrator = make(random_reply_chance=1.0)
    seen = Counter()
    for i in range(300):
        plans = orchestrator.plan(viewer(f"just chatting {i}"))
        assert len(plans) == 1
        assert plans[0].priority is Priority.NORMAL
        assert plans[0].bot in BOTS
        seen[plans[0].bot] += 1
    assert set(seen) == set(BOTS)  # the bot is picked at random, not always the same


def test_random_reply_rate_follows_the_configured_chance():
    orchestrator = make(seed=1234, random_reply_chance=0.25)
    answered = sum(bool(orchestrator.plan(viewer(f"line {i}"))) for i in range(4000))
    assert 0.22 <= answered / 4000 <= 0.28


def test_the_same_seed_replays_the_same_plans():
    lines = [viewer(f"line {i}") for i in range(200)] + [viewer("@pixelsage @stickyman1776")]
    one, two, other = make(seed=7), make(seed=7), make(seed=8)
    first = [one.plan(line) for line in lines]
    assert first == [two.plan(line) for line in lines]
    assert first != [other.plan(line) for line in lines]


# ---------------------------------------------------------------- delays
DELAYS = {Priority.HIGH: (0.5, 0.75), Priority.NORMAL: (10.0, 11.0), Priority.LOW: (20.0, 30.0)}


def test_high_plan_delays_are_drawn_within_the_configured_range():
    orchestrator = make(delays=DELAYS)
    delays = [orchestrator.plan(viewer("@pixelsage hi"))[0].delay for _ in range(300)]
    assert all(0.5 <= delay <= 0.75 for delay in delays)
    assert len(set(delays)) > 1


def test_normal_plan_delays_are_drawn_within_the_configured_range():
    orchestrator = make(delays=DELAYS, random_reply_chance=1.0)
    delays = [orchestrator.plan(viewer("hello"))[0].delay for _ in range(300)]
    assert all(10.0 <= delay <= 11.0 for delay in delays)
    assert len(set(delays)) > 1


def test_low_plan_delays_are_drawn_within_the_configured_range():
    orchestrator = make(delays=DELAYS)
    delays = [orchestrator.plan(bot_line("@pixelsage no way"))[0].delay for _ in range(300)]
    assert all(20.0 <= delay <= 30.0 for delay in delays)
    assert len(set(delays)) > 1


def test_default_delays_apply_when_none_are_configured():
    orchestrator = make(random_reply_chance=1.0)
    for _ in range(200):
        assert 1.0 <= orchestrator.plan(viewer("@pixelsage hi"))[0].delay <= 3.0
        assert 2.0 <= orchestrator.plan(viewer("hello"))[0].delay <= 5.0
        assert 4.0 <= orchestrator.plan(bot_line("@pixelsage ok"))[0].delay <= 8.0


# ---------------------------------------------------------------- ignored and empty
@pytest.mark.parametrize("user", ["nightbot", "Nightbot", "NIGHTBOT", "StreamElements"])
def test_ignored_users_get_nothing_even_when_mentioning_a_bot(user):
    orchestrator = make(random_reply_chance=1.0)
    assert orchestrator.plan(viewer("@stickyman1776 !commands", user=user)) == []
    assert orchestrator.plan(viewer("some line", user=user)) == []


def test_custom_ignore_list_replaces_the_default():
    orchestrator = make(random_reply_chance=1.0, ignore_users=frozenset({"grumpy_mod"}))
    assert orchestrator.plan(viewer("@pixelsage hi", user="Grumpy_Mod")) == []
    assert bots_of(orchestrator.plan(viewer("@pixelsage hi", user="nightbot"))) == ["pixelsage"]


def test_empty_text_gets_nothing():
    orchestrator = make(random_reply_chance=1.0)
    assert orchestrator.plan(viewer("")) == []
    assert orchestrator.plan(viewer("", mentions=("pixelsage",))) == []


# ---------------------------------------------------------------- bot lines and depth
def test_a_viewer_lines_plans_have_depth_one():
    orchestrator = make(random_reply_chance=1.0)
    assert [plan.depth for plan in orchestrator.plan(viewer("@pixelsage @genejacqueman"))] == [
        1,
        1,
    ]
    assert [plan.depth for plan in orchestrator.plan(viewer("nothing to see"))] == [1]


def test_a_bot_line_gives_low_plans_to_the_other_bots_it_mentions():
    orchestrator = make(random_reply_chance=0.0)
    plans = orchestrator.plan(bot_line("@pixelsage and @genejacqueman, thoughts?", depth=1))
    assert bots_of(plans) == ["pixelsage", "genejacqueman"]
    assert all(plan.priority is Priority.LOW for plan in plans)
    assert all(plan.depth == 2 for plan in plans)


def test_a_bot_never_answers_itself():
    orchestrator = make(random_reply_chance=1.0)
    line = bot_line("@stickyman1776 talking to myself", bot="stickyman1776", depth=0)
    for _ in range(100):
        assert "stickyman1776" not in bots_of(orchestrator.plan(line))
    both = bot_line("@stickyman1776 @pixelsage", bot="stickyman1776", depth=0)
    assert bots_of(orchestrator.plan(both)) == ["pixelsage"]


def test_a_bot_line_is_recognised_by_its_author_even_in_another_case():
    orchestrator = make(random_reply_chance=0.0)
    plans = orchestrator.plan(bot_line("@pixelsage hm", bot="StickyMan1776", depth=0))
    assert [(p.bot, p.priority) for p in plans] == [("pixelsage", Priority.LOW)]


def test_max_depth_zero_answers_no_bot_line():
    orchestrator = make(random_reply_chance=1.0, max_depth=0)
    assert orchestrator.plan(bot_line("@pixelsage hi", depth=0)) == []
    assert orchestrator.plan(bot_line("@pixelsage hi", depth=1)) == []
    assert orchestrator.plan(bot_line("no mention", depth=0)) == []


def test_max_depth_zero_still_answers_viewers():
    orchestrator = make(max_depth=0)
    plans = orchestrator.plan(viewer("@pixelsage hi"))
    assert [(p.bot, p.depth) for p in plans] == [("pixelsage", 1)]


def test_max_depth_one_answers_a_depth_zero_bot_line_but_not_depth_one():
    orchestrator = make(random_reply_chance=1.0, max_depth=1)
    plans = orchestrator.plan(bot_line("@pixelsage hi", depth=0))
    assert [(p.bot, p.priority, p.depth) for p in plans] == [("pixelsage", Priority.LOW, 1)]
    assert orchestrator.plan(bot_line("@pixelsage hi", depth=1)) == []


def test_max_depth_two_answers_a_depth_one_bot_line_at_depth_two():
    orchestrator = make(random_reply_chance=1.0, max_depth=2)
    plans = orchestrator.plan(bot_line("@pixelsage hi", depth=1))
    assert [(p.bot, p.priority, p.depth) for p in plans] == [("pixelsage", Priority.LOW, 2)]


def test_max_depth_two_does_not_answer_a_depth_two_bot_line():
    orchestrator = make(random_reply_chance=1.0, max_depth=2)
    assert orchestrator.plan(bot_line("@pixelsage hi", depth=2)) == []
    assert orchestrator.plan(bot_line("no mentions here", depth=2)) == []


def test_a_bot_line_without_mentions_gets_one_low_plan_for_another_bot_at_chance_one():
    orchestrator = make(random_reply_chance=1.0)
    seen = set()
    for i in range(200):
        plans = orchestrator.plan(bot_line(f"ambient chatter {i}", bot="pixelsage", depth=1))
        assert len(plans) == 1
        assert plans[0].bot != "pixelsage"
        assert plans[0].priority is Priority.LOW
        assert plans[0].depth == 2
        seen.add(plans[0].bot)
    assert seen == {"stickyman1776", "genejacqueman"}


def test_a_bot_line_without_mentions_gets_nothing_at_chance_zero():
    orchestrator = make(random_reply_chance=0.0)
    for i in range(200):
        assert orchestrator.plan(bot_line(f"ambient chatter {i}", depth=1)) == []


def test_a_bot_line_with_a_single_bot_configured_gets_nothing():
    orchestrator = make(bots=("stickyman1776",), random_reply_chance=1.0)
    for i in range(50):
        line = bot_line(f"ambient {i} @stickyman1776", bot="stickyman1776", depth=0)
        assert orchestrator.plan(line) == []


# ---------------------------------------------------------------- construction
def test_the_orchestrator_needs_at_least_one_bot():
    with pytest.raises(ValueError, match="at least one bot"):
        Orchestrator((), orchestrator_settings(), random.Random(1))


def test_bot_names_are_lowered_and_recognised_case_insensitively():
    orchestrator = Orchestrator(("PixelSage",), orchestrator_settings(), random.Random(1))
    assert orchestrator.bots == ("pixelsage",)
    assert orchestrator.is_bot("PIXELSAGE")
    assert not orchestrator.is_bot("pixelsage2")


def test_an_address_like_foo_at_botname_is_not_a_mention():
    orch = Orchestrator(["stickyman1776"], orchestrator_settings(random_reply_chance=0.0),
                        random.Random(1))  # fmt: skip
    message = ChatMessage(id="e1", user="viewer", text="mail me at foo@stickyman1776", timestamp=0)
    assert orch.plan(message) == []
