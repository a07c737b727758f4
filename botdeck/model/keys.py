"""The dashboard's key table: one row per action, the single source for the bindings, the
`[keys]` config section, the command palette, the help screen and the README's table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyAction:
    id: str  # the binding id, and the `[keys]` name that remaps it
    key: str  # the default key (a Textual key name)
    label: str  # short, for the footer and the palette
    help: str  # one line, for the palette, the help screen and the README


KEY_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction(
        "drain",
        "d",
        "Drain",
        "graceful drain: finish what is queued, accept nothing new (state: draining, then drained)",
    ),
    KeyAction(
        "stop",
        "x",
        "Stop",
        "emergency stop, after confirming with `y` (`n` or escape cancels): cancels everything now",
    ),
    KeyAction("start", "s", "Start", "start accepting again after a drain or a stop"),
    KeyAction("pause", "p", "Pause", "pause / resume starting replies"),
    KeyAction("limit_up", "plus", "Limit +", "raise the global concurrency limit live"),
    KeyAction("limit_down", "minus", "Limit -", "lower the global concurrency limit live"),
    KeyAction("theme", "t", "Theme", "next theme"),
    KeyAction("raid", "r", "Raid", "(demo) a raid arrives"),
    KeyAction(
        "quit",
        "q",
        "Quit",
        "quit: drains first and quits when drained; a second `q` stops at once",
    ),
)

KEY_ACTION_IDS: tuple[str, ...] = tuple(action.id for action in KEY_ACTIONS)

_SHOWN = {"plus": "+", "minus": "-"}


def key_display(key: str) -> str:
    """How a Textual key name is written for people (`plus` is `+`)."""
    return ",".join(_SHOWN.get(part, part) for part in key.split(","))
