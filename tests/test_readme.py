"""The README's tables and example config are copies of the code's single sources: checked."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from botdeck.adapters import RESPONDERS, registry
from botdeck.config import Config
from botdeck.model.journal import FIELDS, LINES, JournalEvent
from botdeck.model.journal_check import field_types
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


def journal_tables() -> str:
    """The README's journal tables, drawn from the schema (`botdeck/model/journal.py`):
    one row per event, then one per field. On a mismatch, paste this into the README."""
    events = ["| event | fields (*optional* ones in italics) | what it records |", "|---|---|---|"]
    types: dict[str, list[str]] = {}
    for kind in JournalEvent:
        cells = []
        for name, (shown, required) in field_types(kind).items():
            if name not in ("ts", "event"):
                cells.append(f"`{name}`" if required else f"*`{name}`*")
                types.setdefault(name, []).append(shown)
        doc = " ".join((LINES[kind].line.__doc__ or "").split())
        events.append(f"| `{kind}` | {', '.join(cells)} | {doc} |")
    fields = ["| field | type | meaning |", "|---|---|---|"]
    types = {"ts": ["number"], "event": ["one of the events above"], **types}
    for name, shown in types.items():
        bases = {kind.removesuffix(" or null") for kind in shown}
        nullable = " or null" if any(kind.endswith(" or null") for kind in shown) else ""
        kind = next(iter(bases)) + nullable if len(bases) == 1 else " / ".join(dict.fromkeys(shown))
        fields.append(f"| `{name}` | {kind} | {FIELDS[name]} |")
    return "\n".join(events) + "\n\n" + "\n".join(fields) + "\n"


def test_the_journal_tables_are_the_schema():
    """Every event and field the journal defines, as the README shows them."""
    expected = journal_tables()
    assert expected in README, "README.md's journal tables differ; they should be:\n" + expected


def test_the_readme_says_where_a_headless_journal_goes():
    """As `tests/test_cli.py` runs it: with `--journal PATH` the journal goes to PATH only
    (the summary to stdout); without, to stdout and a file per run."""
    [row] = [line for line in README.splitlines() if line.startswith("| `botdeck demo --headless")]
    assert "with `--journal PATH` the journal goes to PATH only" in row
    assert "without it, to stdout and a file per run" in row
    assert "journal on stdout (and PATH" not in README


def test_the_fire_drill_table_names_every_fault_kind():
    from botdeck.chaos import KINDS

    start = README.index("| kind | what happens | keys (default) |")
    rows = README[start:].split("\n\n", 1)[0].splitlines()[2:]
    assert [row.split("|")[1].strip().strip("`") for row in rows] == list(KINDS)
