"""From `[safety]` to the safety gate, and what must hold before a run starts.

The gate covers every responder: the blocklist (botdeck's and the streamer's), the leak
guard (no reply may contain the value of any variable a `*_env` key names, nor a key a
provider was given) and the moderator a provider brings (`botdeck.engine.parts`).
`preflight` is everything `build_engine` would refuse, checked without building anything,
so a missing key or a bad blocklist file fails at start, not at the first reply.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from botdeck.ai.moderation import Moderator
from botdeck.ai.safety import Blocklist, BlocklistError, LeakGuard, SafetyGate
from botdeck.config import Config, ConfigError
from botdeck.engine.parts import preflight_parts


def secret_values(config: Config, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The values of every variable a `*_env` key names (the providers' resolved keys
    included): no reply may ever contain one."""
    data = config.model_dump()
    data["ai"]["resolved"] = config.ai.adapter_options().model_dump()  # with its defaults
    names = dict.fromkeys(_env_names(data))
    return [environ[name] for name in names if environ.get(name)]


def _env_names(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and key.endswith("_env") and isinstance(value, str) and value:
                yield value
            else:
                yield from _env_names(value)
    elif isinstance(data, list):
        for item in data:
            yield from _env_names(item)


def build_blocklist(config: Config) -> Blocklist:
    safety = config.safety
    file = Path(safety.blocklist_file) if safety.blocklist_file else None
    try:
        return Blocklist.build(safety.blocklist, file, builtin=safety.builtin_blocklist)
    except BlocklistError as error:
        raise ConfigError(f"safety.blocklist_file: {error}") from None


def build_safety(
    config: Config,
    moderator: Moderator | None = None,
    secrets: Sequence[str] = (),
    environ: Mapping[str, str] = os.environ,
) -> SafetyGate:
    safety = config.safety
    if safety.moderation != "off" and moderator is None:
        raise ConfigError("safety.moderation: no provider brought a moderator (see [ai])")
    return SafetyGate(
        blocklist=build_blocklist(config),
        leak_guard=LeakGuard([*secret_values(config, environ), *secrets]),
        moderator=moderator if safety.moderation != "off" else None,
        moderate_incoming=safety.moderation == "all",
    )


def preflight(config: Config, environ: Mapping[str, str] = os.environ) -> None:
    """Everything `build_engine` would refuse, checked without building anything: the
    adapters' own checks (a key is set) and the blocklist file."""
    preflight_parts(config, environ)
    build_blocklist(config)
