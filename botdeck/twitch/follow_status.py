"""Which bots follow the channel, for `botdeck auth --status` and `botdeck check --probe`.

In followers-only mode a bot that does not follow (or has not for the mode's minutes) is
held all stream; the streamer should hear that before going live. Get Channel Followers
with `user_id`, asked with the broadcaster's stored token (`moderator:read:followers`,
which `botdeck auth` asks for). Answers are read tolerantly: one that cannot be used says
so in its line, never a traceback.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from botdeck.config import Config, ConfigError
from botdeck.twitch.credentials import credentials_of
from botdeck.twitch.helix import timestamp
from botdeck.twitch.settings import FOLLOWERS_SCOPE
from botdeck.twitch.tokens import TokenStore

WAIT = 15.0  # seconds for each answer


async def follow_lines(config: Config) -> list[str]:
    """One line per bot: whether it follows the channel; or one line saying why nobody
    could be asked."""
    channel = config.chat.channel.lower()
    try:
        broadcaster = credentials_of(config, TokenStore(), channel)
    except ConfigError as error:
        return [f"follows not checked: {error}"]
    if broadcaster is None:
        return [
            f"follows not checked: no token of {channel} stored (`botdeck auth` asks the"
            f" broadcaster for {FOLLOWERS_SCOPE})"
        ]
    api = config.twitch.api_url.rstrip("/") + "/"
    headers = {
        "Client-Id": config.twitch.client_id,
        "Authorization": f"Bearer {broadcaster.access_token}",
    }
    bots = [bot.name for bot in config.bots if bot.name != channel]
    try:
        async with aiohttp.ClientSession(headers=headers) as session:
            users = await _rows(session, f"{api}users", [("login", n) for n in [channel, *bots]])
            if users is None:
                return ["follows not checked: Twitch did not look the accounts up"]
            ids = {str(u.get("login", "")).lower(): str(u.get("id", "")) for u in users}
            if not ids.get(channel):
                return [f"follows not checked: there is no Twitch channel {channel!r}"]
            lines = []
            for bot in bots:
                if not ids.get(bot):
                    lines.append(f"{bot}: no such Twitch account")
                    continue
                query = [("broadcaster_id", ids[channel]), ("user_id", ids[bot])]
                rows = await _rows(session, f"{api}channels/followers", query)
                lines.append(_said(bot, channel, rows, ids[bot]))
            return lines
    except _Refused as refused:
        return [f"follows not checked: {refused}"]
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return [f"follows not checked: cannot reach Twitch ({type(error).__name__})"]


class _Refused(Exception):
    pass


async def _rows(
    session: aiohttp.ClientSession, url: str, query: list[tuple[str, str]]
) -> list[dict[str, Any]] | None:
    async with asyncio.timeout(WAIT), session.get(url, params=query) as response:
        if response.status in (401, 403):
            raise _Refused(
                f"Twitch refused the broadcaster's token (HTTP {response.status}; it needs"
                f" {FOLLOWERS_SCOPE}: run `botdeck auth`)"
            )
        if response.status != 200:
            return None
        try:
            answer = await response.json()
        except (aiohttp.ContentTypeError, ValueError):
            return None
    rows = answer.get("data") if isinstance(answer, dict) else None
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else None


def _said(bot: str, channel: str, rows: list[dict[str, Any]] | None, user_id: str) -> str:
    if rows is None:
        return f"{bot}: not checked (Twitch's answer could not be read)"
    row = next((r for r in rows if str(r.get("user_id")) == user_id), None)
    if row is None:
        return f"{bot} does not follow #{channel}: followers-only mode would hold it"
    since = timestamp(row.get("followed_at"))
    when = "" if since is None else f" since {_date(since)}"
    return f"{bot} follows #{channel}{when}"


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(ts))
