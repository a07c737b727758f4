"""`botdeck rewards create`: the command's front end. It prints one line per "Ask <bot>"
reward and turns them into an exit code; making them is `botdeck.twitch.reward_setup`'s,
so this module never sees twitchio.

Exit 0 when every reward the config asks for is botdeck's own on Twitch afterwards (made
now or before), 1 when one could not be (a reward of that title made elsewhere, Twitch's
refusal), 2 for what the config or the broadcaster's token must fix first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from botdeck.chat.base import ChatSetupError
from botdeck.config import Config, ConfigError, find_config, load_config
from botdeck.twitch.reward_setup import Made, create_rewards

EXIT_OK = 0
EXIT_NOT_ALL = 1

_MARKS = {Made.CREATED: "ok ", Made.THERE: "ok ", Made.TAKEN: "!! ", Made.REFUSED: "!! "}


def rewards_command(args: argparse.Namespace) -> int:
    """`botdeck rewards create` (ConfigError propagates: exit 2)."""
    return run_rewards_create(load_config(find_config(args.config)))


def run_rewards_create(config: Config, *, out: TextIO | None = None) -> int:
    """The `botdeck rewards create` command (ConfigError propagates: exit 2)."""
    stream = out or sys.stdout
    try:
        outcomes = asyncio.run(create_rewards(config))
    except ChatSetupError as error:  # the Twitch config is not complete
        raise ConfigError(str(error)) from None
    for outcome in outcomes:
        spec = outcome.spec
        print(
            f"{_MARKS[outcome.made]}{spec.title!r}: {outcome.made} ({outcome.detail})", file=stream
        )
    if all(o.made in (Made.CREATED, Made.THERE) for o in outcomes):
        print(
            "viewers can ask the bots with channel points; botdeck answers or refunds each",
            file=stream,
        )
        return EXIT_OK
    return EXIT_NOT_ALL
