"""`send_as = "app"`: the grants the app token's sends need, checked at start.

With the app token a bot's line needs `user:bot` from that bot and `channel:bot` from the
broadcaster (or the bot being a moderator there). Without them every reply fails 403, one
by one, all stream; so the start stops instead, with one line per missing grant saying
whose `botdeck auth` gives it.
"""

from __future__ import annotations

from collections.abc import Collection

from botdeck.twitch.link import Link
from botdeck.twitch.settings import BOT_SCOPE, CHANNEL_BOT_SCOPE


def missing_app_grants(link: Link, moderators: Collection[str]) -> list[str]:
    """One line per grant the app token's sends lack (none: all there)."""
    channel = link.settings.channel.lower()
    broadcaster = link.accounts[channel]
    channel_bot = broadcaster.token_ok and CHANNEL_BOT_SCOPE in broadcaster.scopes
    lines = []
    for bot in link.bots:
        if not bot.token_ok:
            lines.append(
                f"bots: {bot.login}: {BOT_SCOPE} not confirmed (no usable token):"
                f" run `botdeck auth` for {bot.login}"
            )
        elif BOT_SCOPE not in bot.scopes:
            lines.append(f"bots: {bot.login} has not granted {BOT_SCOPE}: run `botdeck auth`")
        if not channel_bot and bot.login not in moderators and bot.login != channel:
            lines.append(
                f"chat.channel: #{channel} has not granted {CHANNEL_BOT_SCOPE} and {bot.login}"
                f" is no moderator there: run `botdeck auth` as {channel}, or make it a moderator"
            )
    return lines
