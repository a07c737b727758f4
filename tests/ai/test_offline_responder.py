"""The offline responder: deterministic for a seed, varied, in the persona's voice."""

from __future__ import annotations

import itertools

from botdeck.ai.base import ReplyRequest
from botdeck.ai.offline import OfflineResponder, classify, voice_for
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority

BOTS = ("alpha_bot", "beta_bot")


def request(text: str, bot: str = "alpha_bot", persona: str = "a pirate captain", **kw):
    message = ChatMessage(id="m", user=kw.pop("user", "viewer"), text=text, timestamp=0.0, **kw)
    return ReplyRequest(bot, persona, message, (), Priority.HIGH, 1)


def replies(seed: int, count: int = 30) -> list[str]:
    responder = OfflineResponder(seed=seed, bots=BOTS)
    return [responder.compose(request(f"@alpha_bot what about lasagna {n}?")) for n in range(count)]


def test_the_same_seed_gives_the_same_replies_and_another_seed_differs():
    assert replies(1) == replies(1)
    assert replies(1) != replies(2)


def test_a_bot_never_says_the_same_thing_twice_in_a_row():
    texts = replies(7, count=200)
    assert all(a != b for a, b in itertools.pairwise(texts))
    assert len(set(texts)) > 20


def test_the_kind_of_line_and_the_voice_are_recognised():
    assert classify(request("@alpha_bot how do you do that?")) == "question"
    assert classify(request("hello @alpha_bot")) == "greeting"
    assert classify(request("RAID incoming!")) == "raid"
    assert classify(request("POGGERS that was clean")) == "hype"
    assert classify(request("nah", user="beta_bot", is_bot=True, depth=1)) == "debate"
    assert voice_for("a pirate captain").name == "pirate"
    assert voice_for("someone nice").name == "friendly"


def test_a_question_reply_picks_up_its_topic():
    responder = OfflineResponder(seed=1, bots=BOTS)
    text = responder.compose(request("@alpha_bot is lasagna better than pizza?"))
    assert "lasagna" in text
