"""Safety without a server: the blocklist, the leak guard, and the gate that applies them."""

from __future__ import annotations

import itertools
import random

import pytest

from botdeck.ai.base import ReplyRequest
from botdeck.ai.offline import OfflineResponder
from botdeck.ai.prompt import RULES
from botdeck.ai.safety import Blocked, Blocklist, BlocklistError, LeakGuard, SafetyGate
from botdeck.chat.simulated import ScriptedLine, scenario_lines
from botdeck.config import DEMO_BOTS
from botdeck.model.chat import ChatMessage
from botdeck.model.jobs import Priority

PERSONA = "a dry, sarcastic film critic who reviews everything like a movie premiere"


@pytest.mark.parametrize(
    "text",
    [
        "you are a f4gg0t",
        "what a R3TARD",
        "just kys already",
        "go kill your self",
        "ＦＡＧ",  # fullwidth letters fold to plain ones
    ],
)
def test_the_builtin_list_catches_common_spellings(text):
    assert Blocklist.build().first_match(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United won again",
        "this soup is spicy",
        "the fagottist played bassoon",
        "that was a classic speedrun",
        "retardant foam on the fire",
        "kysely is a library",
    ],
)
def test_the_builtin_list_leaves_ordinary_words_alone(text):
    assert Blocklist.build().first_match(text) is None


def test_the_builtin_list_can_be_turned_off_and_own_patterns_added():
    blocklist = Blocklist.build([r"\bspoilers?\b"], builtin=False)
    assert blocklist.first_match("kys") is None
    assert blocklist.first_match("No SPOILERS please") == 0


def test_a_blocklist_file_has_one_regex_a_line_and_comments(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("# my channel's list\n\n  \\bcasino\\b  \n# \\bignored\\b\n")
    blocklist = Blocklist.build(file=path, builtin=False)
    assert len(blocklist.patterns) == 1
    assert blocklist.first_match("best CASINO bonus") == 0
    assert blocklist.first_match("ignored") is None


def test_a_bad_regex_in_the_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("fine\n# comment\n(unclosed\n")
    with pytest.raises(BlocklistError, match=r"words\.txt:3: bad regex '\(unclosed'"):
        Blocklist.build(file=path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(BlocklistError, match=r"nope\.txt: file not found"):
        Blocklist.build(file=tmp_path / "nope.txt")


def test_the_leak_guard_catches_recited_rules_persona_and_secrets():
    guard = LeakGuard(["sk-live-0123456789abcdef", "short"])
    rules = RULES.format(bot="beta_bot", max_chars=450)
    assert guard.leaks(f"ok here goes: {rules[100:220]}", PERSONA)
    assert guard.leaks(
        "I am a dry, sarcastic film critic who reviews everything, obviously", PERSONA
    )
    assert guard.leaks("the key is sk-live-0123456789abcdef", PERSONA)
    assert guard.leaks("the key is sk-live-0123 456789abcdef", PERSONA)  # spaced out
    assert not guard.leaks("short answer: no", PERSONA)  # too short to count as a secret
    assert not guard.leaks("two stars, the critic in me wants a sequel", PERSONA)
    assert not guard.leaks("I'm a pirate", "a pirate")  # a short persona is not a leak


async def test_the_gate_says_why_a_reply_is_refused():
    gate = SafetyGate(leak_guard=LeakGuard(["sk-live-0123456789abcdef"]))
    await gate.check_reply("beta_bot", PERSONA, "two stars, sadly")
    with pytest.raises(Blocked, match=r"^leak$"):
        await gate.check_reply("beta_bot", PERSONA, "sk-live-0123456789abcdef")
    with pytest.raises(Blocked, match=r"^blocked$"):
        await gate.check_reply("beta_bot", PERSONA, "kys")


async def test_offline_replies_in_every_scenario_pass_the_default_gate():
    """The demo must never trip its own safety: no false positives on the offline voice."""
    bots = tuple(name for name, _ in DEMO_BOTS)
    personas = dict(DEMO_BOTS)
    responder = OfflineResponder(seed=3, bots=bots)
    gate = SafetyGate()
    rng = random.Random(5)
    for scenario in ("raid", "questions", "mixed", "five-bots", "soak"):
        lines = itertools.islice(scenario_lines(scenario, bots, seed=2), 150)
        for n, scripted in enumerate(line for line in lines if isinstance(line, ScriptedLine)):
            bot = rng.choice(bots)
            message = ChatMessage(f"{scenario}{n}", scripted.user, scripted.text, 0.0)
            request = ReplyRequest(bot, personas[bot], message, (), Priority.HIGH, 1)
            reply = await responder.reply(request)
            await gate.check_reply(bot, personas[bot], reply.text)
