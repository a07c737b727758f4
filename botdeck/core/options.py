"""The base of an adapter's config table: as strict as the rest of the config.

An adapter (a responder provider, a chat source) declares the keys it reads from `[ai]`
or `[chat]` as a pydantic model with its defaults. Subclassing `AdapterOptions` gives it
the config's rules: an unknown key, a value of the wrong type ("5" for 5), inf or nan is
an error naming the key, never a silent default.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

# What every table of the config is validated with (`botdeck.config` uses it too).
STRICT = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class AdapterOptions(BaseModel):
    """An adapter's keys, with their defaults (none: an adapter that reads no key)."""

    model_config = STRICT


def http_url(value: str) -> str:
    """A key that holds an http(s) URL (a field validator)."""
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value
