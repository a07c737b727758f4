"""Twitch's emote fragments reach botdeck's chat line, and an emote wall gets no random
reply (the real twitchio client against the loopback fake, see `tests/harness/twitch.py`)."""

from __future__ import annotations

from botdeck.model.room import PassKind
from tests.harness.twitch import engine_for, make_config


async def test_an_emote_wall_is_known_from_its_fragments_and_gets_no_random_reply(
    fake, monkeypatch
):
    fake.emotes = {"Kappa": "25", "PogChamp": "88"}
    config = make_config(fake)
    config["router"].update(random_reply_chance=1.0, chat_share=1.0)
    config["cooldowns"] = {"per_user": 0, "per_bot": 0}
    config["filters"] = {"builtin_emotes": False}  # only Twitch's fragments say so
    run = engine_for(fake, monkeypatch, config=config)
    async with run:
        wall = await fake.say("viewer_one", "Kappa PogChamp Kappa")
        talk = await fake.say("viewer_two", "what a great run that was")
        assert (await run.outcome_of(talk))[0] == "sent"  # the line after it was answered
        seen = {line.id: line for line in run.lines}
        assert seen[wall].emotes == ("Kappa", "PogChamp")
        assert seen[talk].emotes == ()
        assert run.outcome(wall) is None  # no job at all
        room = run.engine.snapshot().room
        assert room is not None
        assert sum(room.passed(bot).get(PassKind.EMOTES, 0) for bot in fake.users) == 1
