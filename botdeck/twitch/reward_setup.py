"""`botdeck rewards create`: botdeck's "Ask <bot>" channel-point rewards, made on Twitch.

Twitch lets only the client id that created a reward fulfil or refund its redemptions, so
the rewards botdeck answers must be made by botdeck's own client id (Create Custom
Rewards, the broadcaster's token with `channel:manage:redemptions`). For each bot
`[events.redeem]` names (every bot for "any" or "rotate"): a reward titled `title`, at
`cost` points, with `reward_prompt` shown to the viewer (their question is required), the
per-stream limits and, as its global cooldown, `cooldown`. A reward already there is left
as it is: botdeck's own is said so; one made elsewhere (Twitch's dashboard, another bot)
with the same title is one botdeck cannot settle, and the line says to delete it first.
The command's front end (`botdeck.commands.rewards`) prints the lines and turns them into an exit
code; nothing here prints, and no token is ever shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import twitchio

from botdeck.config import Config, ConfigError
from botdeck.storage.logs import redact
from botdeck.twitch.credentials import (
    broadcaster_credentials,
    console_guide,
    run_secret,
    twitch_endpoints,
)
from botdeck.twitch.endpoints import use_endpoints
from botdeck.twitch.http import REQUEST_ERRORS, classify
from botdeck.twitch.settings import MANAGE_REDEMPTIONS_SCOPE
from botdeck.twitch.tokens import TokenStore


class Made(StrEnum):
    CREATED = "created"
    THERE = "already there"  # botdeck's own, from an earlier run of the command
    TAKEN = "taken"  # a reward of that title made elsewhere: botdeck cannot settle it
    REFUSED = "refused"  # Twitch said no


@dataclass(frozen=True, slots=True)
class RewardSpec:
    """A reward to make: what viewers see and the limits Twitch keeps."""

    title: str
    bot: str
    cost: int
    prompt: str
    max_per_stream: int  # 0: no limit
    max_per_user_per_stream: int  # 0: no limit
    global_cooldown: int  # seconds; 0: none


@dataclass(frozen=True, slots=True)
class Outcome:
    spec: RewardSpec
    made: Made
    detail: str = ""


def reward_specs(config: Config) -> list[RewardSpec]:
    """The rewards `[events.redeem]` asks for, one per bot it names."""
    redeem = config.events.redeem
    return [
        RewardSpec(
            title=title,
            bot=bot,
            cost=redeem.cost,
            prompt=redeem.reward_prompt.format(bot=bot)[:200],
            max_per_stream=redeem.max_per_stream,
            max_per_user_per_stream=redeem.max_per_user_per_stream,
            global_cooldown=int(redeem.cooldown),
        )
        for title, bot in redeem.asks(config.bot_names).items()
    ]


async def create_rewards(config: Config) -> list[Outcome]:
    """Make every reward the config asks for that the channel lacks (ConfigError, one line
    saying what to do, when the config or the broadcaster's token cannot)."""
    if not config.events.redeem.enabled:
        raise ConfigError(
            "events.redeem.enabled: false; a reward would take points nobody answers"
            " (set [events.redeem] enabled = true first)"
        )
    if not config.twitch.client_id.strip():
        raise ConfigError("twitch.client_id: missing\n" + console_guide(config))
    secret = run_secret(config)
    channel = config.chat.channel.lower()
    credentials = broadcaster_credentials(config, TokenStore())
    if credentials is None:
        raise ConfigError(
            f"{channel} (the broadcaster) has not authorized botdeck: run `botdeck auth`"
        )
    redact(secret, credentials.access_token, credentials.refresh_token)
    with use_endpoints(twitch_endpoints(config)):
        client = twitchio.Client(client_id=config.twitch.client_id, client_secret=secret)
        try:
            await client.login(load_tokens=False, save_tokens=False)
            user_id = await _broadcaster(client, channel, credentials.access_token)
            return await _make_all(client, user_id, reward_specs(config))
        except REQUEST_ERRORS as error:
            raise ConfigError(f"Twitch did not answer as expected: {_why(error)}") from None
        finally:
            await client.close(save_tokens=False)


async def _broadcaster(client: twitchio.Client, channel: str, access_token: str) -> str:
    """The broadcaster's user id, once its token is checked to be theirs and to allow it."""
    try:
        valid = await client.add_token(access_token, "")
    except twitchio.HTTPException as error:
        raise ConfigError(
            f"{channel}'s token was refused by Twitch (HTTP {error.status}): run `botdeck auth`"
        ) from None
    if (valid.login or "").lower() != channel or not valid.user_id:
        raise ConfigError(f"the broadcaster's token is not {channel}'s: run `botdeck auth`")
    if MANAGE_REDEMPTIONS_SCOPE not in valid.scopes:
        raise ConfigError(
            f"{channel} has not granted {MANAGE_REDEMPTIONS_SCOPE}: run `botdeck auth`"
            " (with [events.redeem] enabled it asks for it)"
        )
    return valid.user_id


async def _make_all(
    client: twitchio.Client, user_id: str, specs: list[RewardSpec]
) -> list[Outcome]:
    http: Any = client._http
    every = await http.get_custom_reward(broadcaster_id=user_id, token_for=user_id)
    ours = await http.get_custom_reward(broadcaster_id=user_id, token_for=user_id, manageable=True)
    mine = {str(r.get("title", "")).casefold() for r in ours.get("data") or []}
    taken = {str(r.get("title", "")).casefold() for r in every.get("data") or []} - mine
    outcomes = []
    for spec in specs:
        key = spec.title.casefold()
        if key in mine:
            outcomes.append(Outcome(spec, Made.THERE, "botdeck's own"))
            continue
        if key in taken:
            outcomes.append(
                Outcome(
                    spec,
                    Made.TAKEN,
                    "a reward of this title was made elsewhere (Twitch's dashboard?): botdeck"
                    " cannot fulfil or refund it; delete it there and run this again",
                )
            )
            continue
        try:
            await http.post_custom_reward(
                broadcaster_id=user_id,
                token_for=user_id,
                title=spec.title,
                cost=spec.cost,
                prompt=spec.prompt,
                max_per_stream=spec.max_per_stream or None,
                max_per_user=spec.max_per_user_per_stream or None,
                global_cooldown=spec.global_cooldown or None,
            )
        except REQUEST_ERRORS as error:
            outcomes.append(Outcome(spec, Made.REFUSED, _why(error)))
            continue
        outcomes.append(Outcome(spec, Made.CREATED, f"{spec.cost} points, for {spec.bot}"))
    return outcomes


def _why(error: BaseException) -> str:
    return classify(error, what="the reward request").reason
