"""Where the bots' Twitch tokens live: botdeck's token file, or the environment.

`botdeck auth` stores each account's tokens in the user data directory, in a JSON file
only its owner may read (mode 0600, written atomically), keyed by client id and login;
tokens twitchio refreshes during a run are written back. For servers and tests a bot's
config entry may name environment variables instead (`token_env`, `refresh_token_env`),
which then win. No function here prints or logs a token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botdeck.chat.twitch import Credentials
from botdeck.config import Config, ConfigError
from botdeck.files import MIB, FileRefused, load_json, read_capped
from botdeck.logs import redact
from botdeck.paths import data_dir


@dataclass(frozen=True, slots=True)
class StoredToken:
    login: str
    user_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    saved_at: float = 0.0  # Unix seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "scopes": list(self.scopes),
            "saved_at": self.saved_at,
        }


MAX_TOKEN_FILE_BYTES = MIB  # a few hundred bytes per account


class TokenStore:
    """The token file: {"version": 1, "clients": {client_id: {login: token}}}."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "tokens.json"

    def load(self, client_id: str) -> dict[str, StoredToken]:
        users = self._read().get("clients", {}).get(client_id, {})
        tokens = {}
        for login, raw in users.items():
            try:
                token = StoredToken(
                    login=login,
                    user_id=str(raw["user_id"]),
                    access_token=str(raw["access_token"]),
                    refresh_token=str(raw.get("refresh_token", "")),
                    scopes=tuple(raw.get("scopes", ())),
                    saved_at=float(raw.get("saved_at", 0.0)),
                )
            except (KeyError, TypeError, ValueError):
                continue  # a damaged entry counts as no token: `botdeck auth` rewrites it
            redact(token.access_token, token.refresh_token)
            tokens[login] = token
        return tokens

    def save(self, client_id: str, token: StoredToken) -> None:
        data = self._read()
        clients = data.setdefault("clients", {})
        stored = token if token.saved_at else _stamped(token)
        clients.setdefault(client_id, {})[token.login] = stored.as_json()
        data["version"] = 1
        self._write(data)

    def update_tokens(self, client_id: str, login: str, credentials: Credentials) -> None:
        """Write back tokens twitchio refreshed (scopes and user id stay as stored)."""
        current = self.load(client_id).get(login)
        if current is None:
            return
        self.save(
            client_id,
            StoredToken(
                login,
                current.user_id,
                credentials.access_token,
                credentials.refresh_token,
                current.scopes,
                time.time(),
            ),
        )

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            raw = read_capped(self.path, "token file", MAX_TOKEN_FILE_BYTES)
        except FileRefused as error:
            raise ConfigError(str(error)) from None
        try:
            data = load_json(raw)
        except ValueError:  # not UTF-8, not JSON, nested too deeply
            raise ConfigError(
                f"{self.path}: the token file is damaged: delete it and run `botdeck auth`"
            ) from None
        return data if isinstance(data, dict) else {}

    def _write(self, data: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            self.path.parent.chmod(0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tokens.", dir=self.path.parent)
        try:
            if hasattr(os, "fchmod"):  # POSIX (mkstemp's 0600 already; said explicitly)
                os.fchmod(fd, 0o600)  # before a single byte of a token is written
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(data, stream, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _stamped(token: StoredToken) -> StoredToken:
    return StoredToken(
        token.login,
        token.user_id,
        token.access_token,
        token.refresh_token,
        token.scopes,
        time.time(),
    )


def bot_credentials(config: Config, store: TokenStore) -> dict[str, Credentials | None]:
    """Each bot's tokens: from its `token_env` variables when named, else from the store."""
    return {bot.name: credentials_of(config, store, bot.name) for bot in config.bots}


def broadcaster_credentials(config: Config, store: TokenStore) -> Credentials | None:
    """The broadcaster's tokens from the store (`botdeck auth` asks for them). They are
    optional (the bots can read), so a token file that cannot be read is only logged."""
    try:
        return credentials_of(config, store, config.chat.channel.lower())
    except ConfigError as error:
        logging.getLogger(__name__).warning("the broadcaster's token is not used: %s", error)
        return None


def credentials_of(config: Config, store: TokenStore, login: str) -> Credentials | None:
    """One account's tokens as they are now: from its bot's `token_env` variables when
    named, else from the store, read afresh (so a token that `botdeck auth` saved in
    another terminal is seen by a running botdeck)."""
    bot = next((b for b in config.bots if b.name == login), None)
    if bot is not None and bot.token_env:
        access = os.environ.get(bot.token_env, "").strip()
        refresh = os.environ.get(bot.refresh_token_env or "", "").strip()
        redact(access, refresh)
        return Credentials(access, refresh, f"env:{bot.token_env}") if access else None
    token = store.load(config.twitch.client_id).get(login)
    return Credentials(token.access_token, token.refresh_token, "store") if token else None
