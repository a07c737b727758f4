"""Simulated chat: seeded scenarios, and their playback on a virtual clock."""

from __future__ import annotations

import asyncio
import itertools
import re

import pytest

from botdeck.chat.simulated import ScriptedLine, SimulatedChat, scenario_lines
from tests.harness.virtual_time import now, run_virtual

BOTS = ("stickyman1776", "genejacqueman", "pixelsage", "captainbyte", "datadrake")
FINITE = ("raid", "questions", "mixed", "five-bots")


def mentions(text: str, bots=BOTS) -> list[str]:
    return [bot for bot in bots if re.search(rf"(?<!\w)@?{bot}(?!\w)", text, re.IGNORECASE)]


def take(name: str, seed: int = 1, bots=BOTS, count: int = 500) -> list[ScriptedLine]:
    """A scenario's chat lines (a raid's event, told first, is not one)."""
    lines = itertools.islice(scenario_lines(name, bots, seed), count)
    return [line for line in lines if isinstance(line, ScriptedLine)]


async def collect(chat: SimulatedChat, limit: int = 1000) -> list[tuple[float, object]]:
    received = []
    async for message in chat:
        received.append((now(), message))
        if len(received) >= limit:
            break
    return received


# ---------------------------------------------------------------- scenarios
@pytest.mark.parametrize("name", [*FINITE, "soak"])
def test_scenarios_are_deterministic_for_a_seed(name):
    assert take(name, seed=3) == take(name, seed=3)
    assert take(name, seed=3) != take(name, seed=4)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_raid_is_fifty_plus_mentions_within_two_seconds_in_time_order(seed):
    lines = take("raid", seed=seed)
    times = [line.at for line in lines]
    assert times == sorted(times)
    assert max(times) - min(times) <= 2.0
    assert sum(1 for line in lines if mentions(line.text)) >= 50
    assert len({line.user for line in lines}) == len(lines)  # every raider is a new viewer


def test_questions_all_ask_the_first_bot():
    lines = take("questions", seed=2)
    assert lines
    for line in lines:
        assert "?" in line.text
        assert mentions(line.text)[0] == "stickyman1776"
    assert [line.at for line in lines] == sorted(line.at for line in lines)


def test_five_bots_has_one_line_mentioning_all_five_bots():
    lines = take("five-bots", seed=1)
    full = [line for line in lines if mentions(line.text) == list(BOTS)]
    assert len(full) == 1


def test_five_bots_calls_only_the_first_five_of_more_bots():
    bots = (*BOTS, "cozybean", "mossmonk")
    lines = take("five-bots", seed=1, bots=bots)
    assert max(len(mentions(line.text, bots)) for line in lines) == 5


def test_mixed_lines_are_within_sixty_seconds():
    for seed in range(1, 6):
        lines = take("mixed", seed=seed)
        assert len(lines) > 10
        assert all(0 <= line.at < 60.0 for line in lines)
        assert [line.at for line in lines] == sorted(line.at for line in lines)


def test_mixed_with_one_bot_only_mentions_that_bot():
    lines = take("mixed", seed=1, bots=("pixelsage",))
    assert all(mentions(line.text) in ([], ["pixelsage"]) for line in lines)


def test_soak_is_endless_at_five_lines_per_second():
    lines = take("soak", seed=1, count=1000)
    assert len(lines) == 1000
    for i, line in enumerate(lines):
        assert line.at == pytest.approx(0.1 + i / 5)


def test_an_unknown_scenario_raises():
    with pytest.raises(ValueError, match="brawl"):
        scenario_lines("brawl", BOTS, 1)


# ---------------------------------------------------------------- playback
SCRIPT = [
    ScriptedLine(0.5, "PixelFox1", "hello chat"),
    ScriptedLine(1.25, "MossOtter2", "\x1b[31mred\x1b[0m text\nhere"),
    ScriptedLine(4.0, "NeonGecko3", "@stickyman1776 hi"),
]


def test_messages_arrive_at_their_scripted_offsets():
    received = run_virtual(collect(SimulatedChat(SCRIPT, speed=1.0)))
    assert [at for at, _ in received] == [0.5, 1.25, 4.0]


def test_messages_carry_unique_ids_lowered_users_and_kept_display_names():
    received = run_virtual(collect(SimulatedChat(SCRIPT, speed=1.0)))
    messages = [message for _, message in received]
    assert len({message.id for message in messages}) == 3
    assert [message.user for message in messages] == ["pixelfox1", "mossotter2", "neongecko3"]
    assert [message.display_name for message in messages] == [
        "PixelFox1",
        "MossOtter2",
        "NeonGecko3",
    ]
    assert all(not message.is_bot and message.depth == 0 for message in messages)


def test_message_text_is_cleaned():
    received = run_virtual(collect(SimulatedChat(SCRIPT, speed=1.0)))
    assert [message.text for _, message in received] == [
        "hello chat",
        "red text here",
        "@stickyman1776 hi",
    ]


def test_speed_ten_plays_ten_times_faster():
    received = run_virtual(collect(SimulatedChat(SCRIPT, speed=10)))
    assert [at for at, _ in received] == pytest.approx([0.05, 0.125, 0.4])


@pytest.mark.parametrize("speed", [0, -1])
def test_speed_must_be_positive(speed):
    with pytest.raises(ValueError, match="speed"):
        SimulatedChat(SCRIPT, speed=speed)


def test_the_iterator_ends_after_the_script():
    async def main():
        received = await collect(SimulatedChat(SCRIPT, speed=1.0))
        return received, now()

    received, ended_at = run_virtual(main())
    assert len(received) == 3
    assert ended_at == 4.0


def test_an_empty_script_ends_at_once():
    assert run_virtual(collect(SimulatedChat([], speed=1.0))) == []


def test_keep_open_does_not_end_after_the_script():
    async def main():
        chat = SimulatedChat(SCRIPT, keep_open=True, speed=1.0)
        received = []

        async def consume():
            async for message in chat:
                received.append(message)

        task = asyncio.create_task(consume())
        await asyncio.sleep(100)
        still_running = not task.done()
        task.cancel()
        return received, still_running

    received, still_running = run_virtual(main())
    assert len(received) == 3
    assert still_running


def test_a_scenario_plays_through_the_chat():
    lines = take("questions", seed=2)
    received = run_virtual(collect(SimulatedChat(iter(lines), speed=1.0)))
    assert [at for at, _ in received] == [line.at for line in lines]
    assert [message.text for _, message in received] == [line.text for line in lines]


def test_injected_lines_are_timed_from_the_injection_moment():
    async def main():
        chat = SimulatedChat(SCRIPT, speed=1.0)
        received = []
        async for message in chat:
            received.append((now(), message.text))
            if message.text == "red text here":
                chat.inject([ScriptedLine(0.5, "Raider1", "RAID"), ScriptedLine(5.0, "R2", "o7")])
        return received

    received = run_virtual(main())
    assert received == [
        (0.5, "hello chat"),
        (1.25, "red text here"),
        (1.75, "RAID"),
        (4.0, "@stickyman1776 hi"),
        (6.25, "o7"),
    ]


def test_injected_lines_have_fresh_ids():
    async def main():
        chat = SimulatedChat(SCRIPT[:1], speed=1.0)
        ids = []
        async for message in chat:
            ids.append(message.id)
            if len(ids) == 1:
                chat.inject([ScriptedLine(0.0, "a_b1", "x"), ScriptedLine(0.0, "c_d2", "y")])
        return ids

    ids = run_virtual(main())
    assert len(ids) == 3
    assert len(set(ids)) == 3


def test_injected_lines_play_at_the_chats_speed():
    async def main():
        chat = SimulatedChat(SCRIPT, speed=10)
        received = []
        async for message in chat:
            received.append((now(), message.text))
            if len(received) == 1:
                chat.inject([ScriptedLine(1.0, "Raider1", "RAID")])
        return received

    received = {text: at for at, text in run_virtual(main())}
    assert received["RAID"] == pytest.approx(0.05 + 0.1)


def test_with_keep_open_a_line_injected_after_the_script_is_delivered():
    async def main():
        chat = SimulatedChat(SCRIPT, keep_open=True, speed=1.0)
        loop = asyncio.get_running_loop()
        loop.call_later(10.0, chat.inject, [ScriptedLine(2.0, "LateRaider", "we made it")])
        received = []
        async for message in chat:
            received.append((now(), message.user, message.text))
            if message.user == "lateraider":
                break
        return received

    received = run_virtual(main())
    assert len(received) == 4
    assert received[-1] == (12.0, "lateraider", "we made it")


def test_a_drain_stops_a_finite_script_but_not_the_demos_endless_chat():
    lines = [ScriptedLine(float(t), f"viewer{t}", f"line {t}") for t in range(10)]

    async def finite() -> tuple[list[float], float]:
        chat = SimulatedChat(lines, speed=1.0)
        asyncio.get_running_loop().call_later(3.5, chat.stop_playing)
        times = [at for at, _ in await collect(chat)]
        return times, now()

    assert run_virtual(finite()) == ([0.0, 1.0, 2.0, 3.0], 3.5)

    async def demo() -> list[float]:
        chat = SimulatedChat(lines, keep_open=True, speed=1.0)  # the operator may start it again
        asyncio.get_running_loop().call_later(3.5, chat.stop_playing)
        return [at for at, _ in await collect(chat, limit=10)]

    assert run_virtual(demo()) == [float(t) for t in range(10)]


def test_a_script_stopped_before_it_began_plays_nothing():
    async def main() -> list[tuple[float, object]]:
        chat = SimulatedChat([ScriptedLine(0.0, "viewer", "hi")], speed=1.0)
        chat.stop_playing()  # a drain before the feed started
        return await collect(chat)

    assert run_virtual(main()) == []
