"""Scenario parameters: parsed from the command line and config, and what they change."""

from __future__ import annotations

import itertools
import re

import pytest

from botdeck.chat.scenarios import (
    MixedParams,
    QuestionsParams,
    RaidParams,
    Scenario,
    ScenarioError,
    SoakParams,
)
from botdeck.chat.simulated import ScriptedEvent, ScriptedLine, scenario_lines
from botdeck.model.stream import ChannelEvent, EventKind

BOTS = ("stickyman1776", "genejacqueman", "pixelsage")


def take(scenario: Scenario | str, seed: int = 1, count: int = 100_000) -> list[ScriptedLine]:
    """A scenario's chat lines (a raid's event, told first, is not one)."""
    lines = itertools.islice(scenario_lines(scenario, BOTS, seed), count)
    return [line for line in lines if isinstance(line, ScriptedLine)]


def mentions(line: ScriptedLine) -> bool:
    return any(re.search(rf"(?<!\w)@?{bot}(?!\w)", line.text, re.I) for bot in BOTS)


# ------------------------------------------------------------------ parsing
def test_a_bare_name_has_the_defaults():
    scenario = Scenario.parse("raid")
    assert scenario.params == RaidParams(viewers=60, within=2.0, mention_share=0.9)
    assert scenario.given == {}
    assert scenario.describe() == "raid"


def test_parameters_after_a_colon():
    scenario = Scenario.parse("raid:viewers=300, within=2.5,mention_share=0.5")
    assert scenario.params == RaidParams(viewers=300, within=2.5, mention_share=0.5)
    assert scenario.describe() == "raid:viewers=300,within=2.5,mention_share=0.5"
    assert Scenario.parse(scenario.describe()) == scenario


def test_each_scenario_has_its_own_parameters():
    assert Scenario.parse("questions:count=40,within=3").params == QuestionsParams(40, 3.0)
    assert Scenario.parse("mixed:duration=30,every=0.5").params == MixedParams(30.0, 0.5)
    assert Scenario.parse("soak:rate=50,duration=600").params == SoakParams(50.0, 600.0)
    assert Scenario.parse("soak").params.duration is None  # endless
    assert Scenario.parse("five-bots").name == "five-bots"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("brawl", "unknown scenario 'brawl'"),
        ("raid:crowd=3", "crowd: unknown parameter for raid (expected viewers, within"),
        ("raid:viewers=lots", "viewers: expected an integer, got 'lots'"),
        ("raid:viewers=2.5", "viewers: expected an integer"),
        ("raid:viewers=0", "viewers: expected >= 1"),
        ("raid:mention_share=1.5", "mention_share: expected >= 0 and <= 1, got 1.5"),
        ("raid:within=nan", "within: expected >= 0"),
        ("raid:viewers", "'viewers': expected key=value"),
        ("raid:viewers=", "expected key=value"),
        ("raid:viewers=3,viewers=4", "viewers: given twice"),
        ("soak:rate=0", "rate: expected > 0"),
        ("mixed:duration=-1", "duration: expected > 0"),
        ("five-bots:bots=5", "five-bots takes none"),
    ],
)
def test_bad_parameters_say_which_and_why(text, needle):
    with pytest.raises(ScenarioError) as caught:
        Scenario.parse(text)
    assert needle in str(caught.value)
    assert "\n" not in str(caught.value)


def test_typed_values_from_config_must_have_the_right_type():
    assert Scenario.build("raid", {"within": 3}).params.within == 3.0  # an int is a number
    with pytest.raises(ScenarioError, match="viewers: expected an integer"):
        Scenario.build("raid", {"viewers": 3.0})
    with pytest.raises(ScenarioError, match="within: expected a number"):
        Scenario.build("raid", {"within": True})


# ------------------------------------------------------------------ scripts
@pytest.mark.parametrize("name", ["raid", "questions", "mixed", "five-bots", "soak"])
def test_defaults_play_exactly_what_the_bare_name_always_played(name):
    explicit = {
        "raid": "raid:viewers=60,within=2,mention_share=0.9",
        "questions": "questions:count=12,within=4",
        "mixed": "mixed:duration=60,every=1.5",
        "five-bots": "five-bots",
        "soak": "soak:rate=5,mention_share=0.1",
    }[name]
    assert take(name, count=500) == take(Scenario.parse(explicit), count=500)


def test_a_raid_of_300_viewers_within_5_seconds():
    lines = take(Scenario.parse("raid:viewers=300,within=5,mention_share=0.5"), seed=4)
    assert len(lines) == 300
    assert len({line.user for line in lines}) == 300
    times = [line.at for line in lines]
    assert times == sorted(times)
    assert min(times) >= 0.5 and max(times) <= 5.5
    assert 0.4 <= sum(map(mentions, lines)) / 300 <= 0.6


def test_a_raid_is_told_first_as_twitch_tells_it_then_its_viewers_arrive():
    first, *rest = scenario_lines(Scenario.parse("raid:viewers=300"), BOTS, 4)
    assert isinstance(first, ScriptedEvent) and first.at == 0.0
    event = first.event
    assert isinstance(event, ChannelEvent) and (event.kind, event.count) == (EventKind.RAID, 300)
    assert event.user and all(line.at > first.at for line in rest)
    again = next(scenario_lines(Scenario.parse("raid:viewers=300"), BOTS, 4))
    assert again == first  # the same seed tells the same raid


@pytest.mark.parametrize(("share", "expected"), [(0, 0), (1, 40)])
def test_the_mention_share_of_a_raid(share, expected):
    lines = take(Scenario.parse(f"raid:viewers=40,mention_share={share}"))
    assert sum(map(mentions, lines)) == expected


def test_questions_count_and_window():
    lines = take(Scenario.parse("questions:count=30,within=3"))
    assert len(lines) == 30
    assert lines[0].at == 0.5 and lines[-1].at == pytest.approx(0.5 + 29 * 0.1)


def test_mixed_duration_and_pace():
    lines = take(Scenario.parse("mixed:duration=20,every=0.2"), seed=2)
    assert all(line.at < 20 for line in lines)
    assert 60 <= len(lines) <= 140  # about one line per 0.2 s


def test_soak_with_a_duration_ends():
    lines = take(Scenario.parse("soak:rate=20,duration=5"))
    assert len(lines) == 98  # 0.1 + i/20 < 5
    assert lines[-1].at == pytest.approx(0.1 + 97 / 20)


def test_soak_without_a_duration_is_endless():
    assert len(take("soak", count=5000)) == 5000


def test_parameters_keep_determinism():
    scenario = Scenario.parse("raid:viewers=100,within=1")
    assert take(scenario, seed=7) == take(scenario, seed=7)
    assert take(scenario, seed=7) != take(scenario, seed=8)
