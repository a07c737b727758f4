"""Helix requests whose answers botdeck reads itself, tolerantly: Get Channel Followers
and Get Banned Users.

twitchio's models read Twitch's answers strictly (a field missing or renamed is a
`KeyError` deep inside it), and these answers decide whether a bot may talk. So the raw
JSON is taken through twitchio's own HTTP client (its token handling, refreshes and
botdeck's traced session) and read here: a row without what is needed, or an answer of
another shape, is logged once per endpoint and ignored; it never disables a bot or the
reader. A request goes out only with the token of the account named: twitchio would use
the app token without a word when it holds none.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import twitchio
from twitchio.http import Route

from botdeck.core.text import clean_text

log = logging.getLogger(__name__)


class Helix:
    """Raw Helix GETs as one account, and the endpoints that answered oddly (logged once)."""

    def __init__(self) -> None:
        self._odd: set[str] = set()

    async def rows(
        self, client: twitchio.Client, path: str, params: dict[str, str], *, as_user: str
    ) -> list[dict[str, Any]] | None:
        """The `data` rows of GET `path` as `as_user`; None when that account's token is not
        held or the answer has no rows list. Request failures propagate (twitchio's)."""
        if as_user not in client.tokens:
            return None
        route = Route("GET", path, params=dict(params), token_for=as_user)
        answer = await client._http.request_json(route)
        rows = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            self.odd(path, "no `data` list")
            return None
        return [row for row in rows if isinstance(row, dict)]

    def odd(self, endpoint: str, what: str) -> None:
        """An answer botdeck cannot use: said once per endpoint, then ignored."""
        if endpoint not in self._odd:
            self._odd.add(endpoint)
            log.warning("twitch: %s answered unexpectedly (%s): ignored", endpoint, what)


def timestamp(value: Any) -> float | None:
    """An RFC 3339 time from Helix (`2024-05-01T12:00:00Z`) as Unix seconds; None if it is
    not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def text(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    return clean_text(value, max_chars=100) if isinstance(value, str) else None
