"""The offline responder: deterministic, varied, voice-flavoured short replies."""

from __future__ import annotations

import itertools

import pytest

from botdeck.ai.base import Reply, ReplyRequest
from botdeck.ai.offline import VOICES, OfflineResponder, classify, topic_of, voice_for
from botdeck.chat.simulated import ScriptedLine, scenario_lines
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority

BOTS = ("stickyman1776", "captainbyte", "pixelsage")
VOICE = {voice.name: voice for voice in VOICES}


def request(
    text: str,
    *,
    bot: str = "stickyman1776",
    persona: str = "a friendly regular",
    is_bot: bool = False,
    user: str = "viewer42",
    priority: Priority = Priority.HIGH,
) -> ReplyRequest:
    message = ChatMessage(
        id="m1", user=user, text=text, timestamp=0.0, is_bot=is_bot, depth=1 if is_bot else 0
    )
    return ReplyRequest(
        bot=bot,
        persona=persona,
        message=message,
        history=(),
        priority=priority,
        depth=2 if is_bot else 1,
    )


async def replies(responder: OfflineResponder, req: ReplyRequest, count: int) -> list[str]:
    return [(await responder.reply(req)).text for _ in range(count)]


# ---------------------------------------------------------------- determinism
async def test_the_same_seed_gives_the_same_replies():
    req = request("what game is this?")
    one = await replies(OfflineResponder(seed=5, bots=BOTS), req, 20)
    two = await replies(OfflineResponder(seed=5, bots=BOTS), req, 20)
    assert one == two


async def test_different_seeds_give_different_replies():
    req = request("what game is this?")
    one = await replies(OfflineResponder(seed=5, bots=BOTS), req, 20)
    two = await replies(OfflineResponder(seed=6, bots=BOTS), req, 20)
    assert one != two


def test_a_seed_gives_the_same_replies_to_a_run_of_different_lines():
    def run(seed: int, count: int = 30) -> list[str]:
        responder = OfflineResponder(seed=seed, bots=("alpha_bot", "beta_bot"))
        lines = (f"@alpha_bot what about lasagna {n}?" for n in range(count))
        return [responder.compose(request(text, bot="alpha_bot")) for text in lines]

    assert run(1) == run(1)
    assert run(1) != run(2)
    texts = run(7, count=200)
    assert all(a != b for a, b in itertools.pairwise(texts))
    assert len(set(texts)) > 20


async def test_each_bot_has_its_own_random_stream():
    interleaved = OfflineResponder(seed=3, bots=BOTS)
    alone = OfflineResponder(seed=3, bots=BOTS)
    for_a, for_b = request("gg", bot="stickyman1776"), request("gg", bot="pixelsage")
    mixed = []
    for _ in range(10):
        mixed.append((await interleaved.reply(for_a)).text)
        await interleaved.reply(for_b)
    assert mixed == await replies(alone, for_a, 10)


async def test_reply_returns_a_reply_object():
    reply = await OfflineResponder(seed=1).reply(request("hello"))
    assert isinstance(reply, Reply)
    assert reply.text
    assert OfflineResponder(seed=1).label == "offline"


@pytest.mark.parametrize("seed", [1, 2, 3, 99])
@pytest.mark.parametrize("text", ["gg", "what game is this?", "the lore is wild"])
async def test_a_bot_never_says_the_same_thing_twice_in_a_row(seed, text):
    texts = await replies(OfflineResponder(seed=seed, bots=BOTS), request(text), 200)
    assert all(a != b for a, b in itertools.pairwise(texts))
    assert len(set(texts)) > 20


# ---------------------------------------------------------------- classify
@pytest.mark.parametrize(
    ("text", "kind", "is_bot"),
    [
        ("hi @stickyman1776", "greeting", False),
        ("hello @alpha_bot", "greeting", False),
        ("@stickyman1776 hello there", "greeting", False),
        ("first time here", "greeting", False),
        ("yo stickyman1776 o7", "greeting", False),
        ("what game is this?", "question", False),
        ("how do you do this", "question", False),
        ("@stickyman1776 can you play minecraft next", "question", False),
        ("this is fine?", "question", False),
        ("@alpha_bot how do you do that?", "question", False),
        ("RAID HYPE", "raid", False),
        ("@stickyman1776 the raid has arrived", "raid", False),
        ("raiders in the house", "raid", False),
        ("RAID incoming!", "raid", False),
        ("gg", "hype", False),
        ("KEKW", "hype", False),
        ("that was insane", "hype", False),
        ("PogChamp", "hype", False),
        ("POGGERS that was clean", "hype", False),
        ("@captainbyte pineapple on pizza is good", "debate", True),
        ("what game is this?", "debate", True),
        ("nah", "debate", True),
        ("the lore in this game is wild", "remark", False),
        ("I need snacks", "remark", False),
    ],
)
def test_classify_recognises_the_kind_of_line(text, kind, is_bot):
    assert classify(request(text, is_bot=is_bot)) == kind


def test_a_bot_name_containing_a_keyword_does_not_change_the_kind():
    assert classify(request("@raidboss_99 the lore is deep")) == "remark"


# ---------------------------------------------------------------- voices
@pytest.mark.parametrize(
    ("persona", "voice"),
    [
        ("a pirate captain who treats the stream like a voyage", "pirate"),
        ("a pirate captain", "pirate"),
        ("A SAILOR at heart", "pirate"),
        ("an upbeat hype-man", "hype"),
        ("a dry, sarcastic film critic", "dry"),
        ("a calm, wise gamer", "sage"),
        ("a data nerd who quotes stats", "nerd"),
        ("a mysterious stranger", "friendly"),
        ("someone nice", "friendly"),
        ("", "friendly"),
    ],
)
def test_voice_for_picks_the_voice_from_persona_keywords(persona, voice):
    assert voice_for(persona).name == voice


@pytest.mark.parametrize("persona", ["a friendly narrator", "a kind soul who loves research"])
def test_voice_keywords_inside_unrelated_words_do_not_pick_a_voice(persona):
    assert voice_for(persona).name == "friendly"


async def test_a_pirate_personas_replies_start_with_a_pirate_opener():
    persona = "a pirate captain who treats the stream like a voyage"
    responder = OfflineResponder(seed=2, bots=BOTS)
    texts = await replies(responder, request("@captainbyte hi", persona=persona), 50)
    openers = VOICE["pirate"].openers
    assert all(text.startswith(openers) for text in texts)
    assert {text.split(",")[0] for text in texts} > {"Arr"}  # several openers are used


async def test_an_unknown_persona_replies_with_friendly_openers():
    responder = OfflineResponder(seed=2, bots=BOTS)
    texts = await replies(responder, request("nice", persona="a mysterious stranger"), 50)
    assert all(text.startswith(VOICE["friendly"].openers) for text in texts)


# ---------------------------------------------------------------- topics
def test_topic_of_picks_the_longest_non_filler_word():
    assert topic_of("what game is this?") == "game"
    assert topic_of("the SOUNDTRACK in this game") == "soundtrack"


def test_topic_of_skips_mentions_and_bot_names():
    assert topic_of("@stickyman1776 hi") == "that"
    assert topic_of("stickyman1776 and pixelsage boss", BOTS) == "boss"
    assert topic_of("StickyMan1776 what", BOTS) == "that"


def test_topic_of_returns_that_when_only_filler_is_left():
    assert topic_of("") == "that"
    assert topic_of("is it just me or what") == "that"
    assert topic_of("ok lol hi") == "that"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("@stickyman1776 which character is best?", "character"),
        ("@alpha_bot is lasagna better than pizza?", "lasagna"),
    ],
)
async def test_question_replies_pick_up_the_topic(text, topic):
    responder = OfflineResponder(seed=4, bots=BOTS)
    texts = await replies(responder, request(text), 30)
    assert all(topic in reply for reply in texts)


# ---------------------------------------------------------------- shape of replies
async def test_replies_are_short_single_lines():
    responder = OfflineResponder(seed=11, bots=BOTS)
    played = [*scenario_lines("mixed", BOTS, seed=3), *scenario_lines("raid", BOTS, seed=3)]
    lines = [line.text for line in played if isinstance(line, ScriptedLine)]
    personas = ["a pirate captain", "a dry critic", "a calm sage", "a data nerd", "a fan", "hype"]
    for i, text in enumerate(lines):
        req = request(text, persona=personas[i % len(personas)], is_bot=i % 7 == 0)
        reply = (await responder.reply(req)).text
        assert 0 < len(reply) <= 200
        assert "\n" not in reply
        assert reply == reply.strip()


def test_one_reply_to_several_viewers_answers_them_together():
    responder = OfflineResponder(seed=4, bots=("stickyman1776",))
    lines = [
        ChatMessage(f"m{i}", f"raider{i}", f"@stickyman1776 the raid has arrived {i}", 0)
        for i in range(5)
    ]
    request = ReplyRequest(
        bot="stickyman1776", persona="an upbeat hype-man", message=lines[0], history=(),
        priority=Priority.HIGH, depth=1, also=tuple(lines[1:]),
    )  # fmt: skip
    text = responder.compose(request)
    assert any(word in text for word in ("raiders", "all of you", "every one of you"))
