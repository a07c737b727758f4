"""The token file: where `botdeck auth` keeps the Twitch accounts' tokens.

`botdeck auth` stores each account's tokens in the user data directory, in a JSON file
only its owner may read (mode 0600, written atomically by `files.write_atomic`; a data
folder botdeck creates is 0700, one that exists keeps its mode), keyed by client id and
login; tokens twitchio refreshes during a run are written back. Whether an account takes
its token from here or from `token_env` variables is `credentials`'s to say. No function
here prints or logs a token.

The file is read like any file from outside: its whole shape is checked (a list where a
table belongs is one line naming the file and `botdeck auth`, never a traceback), and a
file other users may read is named with its fix (`permission_warning`).
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botdeck.config import ConfigError
from botdeck.storage.files import MIB, FileRefused, load_json, read_capped, write_atomic
from botdeck.storage.logs import redact
from botdeck.storage.paths import token_file
from botdeck.twitch.settings import Credentials


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


Clients = dict[str, dict[str, dict[str, Any]]]  # client id -> login -> token fields


class TokenStore:
    """The token file: {"version": 1, "clients": {client_id: {login: token}}}."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or token_file()

    def load(self, client_id: str) -> dict[str, StoredToken]:
        """The accounts stored for `client_id`; a damaged file is a ConfigError."""
        tokens = {}
        for login, raw in self._read().get(client_id, {}).items():
            token = StoredToken(
                login=login,
                user_id=str(raw["user_id"]),
                access_token=raw["access_token"],
                refresh_token=raw.get("refresh_token", ""),
                scopes=tuple(raw.get("scopes", ())),
                saved_at=float(raw.get("saved_at", 0.0)),
            )
            redact(token.access_token, token.refresh_token)
            tokens[login] = token
        return tokens

    def save(self, client_id: str, token: StoredToken) -> None:
        clients = self._read()
        stored = token if token.saved_at else _stamped(token)
        clients.setdefault(client_id, {})[token.login] = stored.as_json()
        self._write({"version": 1, "clients": clients})

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

    def permission_warning(self) -> str | None:
        """What is wrong when other users may read (or change) the token file, and the fix.
        None on Windows, where the mode bits do not say who may read."""
        if os.name == "nt":
            return None
        try:
            bits = stat.S_IMODE(self.path.stat().st_mode)
        except OSError:
            return None
        if not bits & 0o077:
            return None
        who = "other users" if bits & 0o007 else "its group"
        can = "read" if bits & 0o044 else "changed"
        return (
            f"{self.path}: the token file can be {can} by {who} (mode {bits:04o}) and holds"
            f" your accounts' Twitch tokens: run `chmod 600 {self.path}`"
        )

    def _read(self) -> Clients:
        """Every client's accounts, the file's shape checked all the way down."""
        if not self.path.exists():
            return {}
        try:
            raw = read_capped(self.path, "token file", MAX_TOKEN_FILE_BYTES)
        except FileRefused as error:
            raise ConfigError(str(error)) from None
        try:
            data = load_json(raw)
        except ValueError:  # not UTF-8, not JSON, nested too deeply
            raise ConfigError(self._damaged("not JSON")) from None
        problem = _shape_problem(data)
        if problem:
            raise ConfigError(self._damaged(problem))
        clients: Clients = data.get("clients", {})
        return clients

    def _damaged(self, why: str) -> str:
        return (
            f"{self.path}: the token file is damaged ({why}): delete it (or move it away)"
            " and run `botdeck auth`"
        )

    def _write(self, data: Mapping[str, Any]) -> None:
        text = json.dumps(data, indent=2)
        try:
            write_atomic(self.path, text, mode=0o600, what="token file")
        except FileRefused as error:
            raise ConfigError(str(error)) from None


_TOKEN_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "user_id": ((str, int), "text"),
    "access_token": ((str,), "text"),
    "refresh_token": ((str,), "text"),
    "scopes": ((list,), "a list"),
    "saved_at": ((int, float), "a number"),
}
_REQUIRED = ("user_id", "access_token")


def _shape_problem(data: object) -> str | None:
    """Where the token file's JSON is not `{"clients": {id: {login: {fields}}}}`, in a few
    words (`clients.abc: a list, not a table`), or None when it is."""
    if not isinstance(data, dict):
        return f"{_json_kind(data)} at the top, not a table"
    clients = data.get("clients", {})
    if not isinstance(clients, dict):
        return f"clients: {_json_kind(clients)}, not a table"
    for client_id, users in clients.items():
        if not isinstance(users, dict):
            return f"clients.{_key(client_id)}: {_json_kind(users)}, not a table"
        for login, token in users.items():
            where = f"clients.{_key(client_id)}.{_key(login)}"
            if not isinstance(token, dict):
                return f"{where}: {_json_kind(token)}, not a table"
            for key in _REQUIRED:
                if key not in token:
                    return f"{where}: no {key}"
            for key, (kinds, expected) in _TOKEN_FIELDS.items():
                value = token.get(key)
                if key in token and (not isinstance(value, kinds) or isinstance(value, bool)):
                    return f"{where}.{key}: {_json_kind(value)}, not {expected}"
            if not all(isinstance(scope, str) for scope in token.get("scopes", ())):
                return f"{where}.scopes: not a list of names"
    return None


def _key(key: str) -> str:
    """A key from the file as it may be shown: one line, short."""
    return key if key.isprintable() and len(key) <= 40 else json.dumps(key[:40])


def _json_kind(value: object) -> str:
    names = {dict: "a table", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _stamped(token: StoredToken) -> StoredToken:
    return StoredToken(
        token.login,
        token.user_id,
        token.access_token,
        token.refresh_token,
        token.scopes,
        time.time(),
    )
