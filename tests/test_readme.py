"""The README's tables and example config are copies of the code's single sources: checked."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from botdeck.adapters import RESPONDERS, registry
from botdeck.config import Config
from botdeck.model.keys import KEY_ACTIONS, REMAPPABLE_IDS, key_display

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def key_table() -> list[tuple[str, str]]:
    start = README.index("| key | action |")
    rows = README[start:].split("\n\n", 1)[0].splitlines()[2:]
    return [tuple(cell.strip() for cell in row.strip("|").split("|", 1)) for row in rows]  # type: ignore[misc]


def config_example() -> dict[str, Any]:
    section = README[README.index("## Configuration") :]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    return tomllib.loads(block.group(1))


def test_the_key_table_is_the_bindings():
    assert key_table() == [(f"`{key_display(a.key)}`", a.help) for a in KEY_ACTIONS]


def test_the_keys_example_names_every_action():
    assert f"actions: {' '.join(REMAPPABLE_IDS)}" in README


def test_the_example_config_shows_the_defaults():
    """Every value the example gives in a section of settings (not of names) is the
    default; the example itself is a valid config."""
    example = config_example()
    Config.model_validate(example)
    plain = Config.model_validate({"bots": [{"name": "someone"}]})
    defaults = plain.model_dump(by_alias=True)
    for name in registry().own(RESPONDERS):  # `[ai]` also shows the providers' own keys
        defaults["ai"].update(plain.ai.adapter_options(name).model_dump(by_alias=True))
    sections = (
        "router", "ai", "safety", "moderation", "chat_control", "cooldowns", "review",
        "send_limits", "journal",
    )  # fmt: skip
    for section in sections:
        for key, value in example[section].items():
            default = defaults[section][key]
            if key == "extra_body" or default is None:
                continue  # an example value for an optional setting
            if isinstance(value, dict):
                assert value == {k: default[k] for k in value}, f"{section}.{key}"
            else:
                assert value == default, f"{section}.{key}: README {value!r}, code {default!r}"
