"""The dashboard's key table: one row per action, the single source for the bindings, the
`[keys]` config section, the command palette, the help screen and the README's table.

Also the rules a remap must keep (`check_keymap`): every key name is one the terminal can
send, no key does two things, nothing takes a key the dashboard or Textual already uses
(`RESERVED`), and the actions that must always work (`PROTECTED`: stop, drain, quit) keep
a key of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class When(StrEnum):
    """When an action applies (the footer shows it then, the palette offers it then)."""

    ALWAYS = "always"
    DEMO = "demo"  # only on simulated chat
    BOT = "bot"  # a bot is selected (its queue is open)
    JOB = "job"  # a reply is selected in the queue
    REVIEW = "review"  # a reply waits for review


@dataclass(frozen=True, slots=True)
class KeyAction:
    id: str  # the binding id, and the `[keys]` name that remaps it
    key: str  # the default key (a Textual key name; several joined by ",")
    label: str  # short, for the footer and the palette
    help: str  # one line, for the palette, the help screen and the README
    when: When = When.ALWAYS
    footer: bool = False  # shown in the footer (the rest: `?` and the palette)
    remappable: bool = True


KEY_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction(
        "stop",
        "x",
        "Stop",
        "emergency stop, after confirming with `y` (`n` or escape cancels): nothing is sent"
        " from the key on; `y` cancels everything now",
        footer=True,
    ),
    KeyAction(
        "quit",
        "q",
        "Quit",
        "quit (also `ctrl+q`, `ctrl+c`, SIGTERM, and a closed terminal): drains first and"
        " quits when drained; a second one stops at once",
        footer=True,
    ),
    KeyAction("help", "question_mark", "Help", "every key and what it does", footer=True),
    KeyAction(
        "drain",
        "d",
        "Drain",
        "graceful drain: finish what is queued, accept nothing new (state: draining, then drained)",
        footer=True,
    ),
    KeyAction("start", "s", "Start", "start accepting again after a drain or a stop"),
    KeyAction("pause", "p", "Pause", "pause / resume starting replies", footer=True),
    KeyAction("say", "i", "Say", "type a line and send it as a bot", footer=True),
    KeyAction(
        "approve",
        "a",
        "Approve",
        "send the reply selected in the review panel as it is",
        When.REVIEW,
        footer=True,
    ),
    KeyAction(
        "edit",
        "e",
        "Edit",
        "edit the reply selected in the review panel (the edit is shaped and checked again)",
        When.REVIEW,
        footer=True,
    ),
    KeyAction(
        "reject",
        "z",
        "Reject",
        "do not send the reply selected in the review panel (skipped: rejected)",
        When.REVIEW,
        footer=True,
    ),
    KeyAction(
        "approve_all",
        "A",
        "Approve all",
        "send every reply held for review, as it is (`shift+a`)",
        When.REVIEW,
        footer=True,
    ),
    KeyAction(
        "select",
        "1,2,3,4,5,6,7,8,9",
        "Bot",
        "open bot 1-9's queue (or click its card, or tab to it); escape closes it",
        remappable=False,
    ),
    KeyAction(
        "cancel_job",
        "c",
        "Cancel",
        "cancel the selected reply (skipped: operator)",
        When.JOB,
        footer=True,
    ),
    KeyAction(
        "to_front",
        "f",
        "Front",
        "send the selected reply to the front of its priority",
        When.JOB,
        footer=True,
    ),
    KeyAction(
        "cancel_viewer",
        "u",
        "Viewer",
        "cancel every reply to the selected reply's viewer, for every bot",
        When.JOB,
        footer=True,
    ),
    KeyAction(
        "bot_pause",
        "b",
        "Hold bot",
        "pause / resume the selected bot only (its replies wait)",
        When.BOT,
        footer=True,
    ),
    KeyAction(
        "mute",
        "m",
        "Mute",
        "mute / unmute the selected bot: it takes no new replies; with mentions queued it"
        " first asks whether another bot answers them, it answers them first, or they end",
        When.BOT,
        footer=True,
    ),
    KeyAction(
        "review",
        "v",
        "Review",
        "review mode on / off: the selected bot, or every bot when none is selected (off"
        " sends what it held, through the safety gate again)",
    ),
    KeyAction(
        "event",
        "g",
        "Event",
        "fire a test event (raid, sub, gift, follow, cheer, channel-point question,"
        " announcement): the bots react as to a real one; journaled as a test",
    ),
    KeyAction(
        "open",
        "enter",
        "Open",
        "open the selected chat line or reply in full (up / down select in the chat)",
    ),
    KeyAction("close", "escape", "Close", "close the queue, or leave the chat's selection"),
    KeyAction("limit_up", "plus", "Limit +", "raise the global concurrency limit live"),
    KeyAction("limit_down", "minus", "Limit -", "lower the global concurrency limit live"),
    KeyAction("theme", "t", "Theme", "next theme"),
    KeyAction("raid", "r", "Raid", "(demo) a raid arrives", When.DEMO),
)

# Keys that always quit (drain first), whatever `[keys]` says: a terminal user's reflex
# (ctrl+c) and Textual's own quit key (ctrl+q) must never cancel queued replies at once.
# In a text field ctrl+c still copies (the field has it first).
FIXED_QUIT_KEYS: tuple[str, ...] = ("ctrl+q", "ctrl+c")

KEY_ACTION_IDS: tuple[str, ...] = tuple(action.id for action in KEY_ACTIONS)
REMAPPABLE_IDS: tuple[str, ...] = tuple(a.id for a in KEY_ACTIONS if a.remappable)
ACTIONS_BY_ID: Mapping[str, KeyAction] = {action.id: action for action in KEY_ACTIONS}

# Never without a key of their own: the levers a streamer reaches for in a hurry.
PROTECTED: tuple[str, ...] = ("stop", "drain", "quit")

# Keys the dashboard or Textual itself uses: a binding here would never fire, or would
# take the key from what needs it.
RESERVED: Mapping[str, str] = {
    "tab": "moves the focus",
    "shift+tab": "moves the focus",
    "ctrl+p": "opens the command palette",
    "ctrl+c": "quits, draining first (copies in a text field)",
    "ctrl+q": "quits, draining first",
    "up": "moves the selection",
    "down": "moves the selection",
    "left": "scrolls",
    "right": "scrolls",
    "pageup": "scrolls",
    "pagedown": "scrolls",
    "home": "moves the selection",
    "end": "moves the selection",
    "ctrl+i": "the terminal sends it as tab",
    "ctrl+m": "the terminal sends it as enter",
    "ctrl+left_square_bracket": "the terminal sends it as escape",
}

_NAMED = frozenset(
    """
    escape enter tab space backspace delete insert home end pageup pagedown up down left right
    plus minus slash backslash at underscore question_mark exclamation_mark number_sign
    dollar_sign percent_sign ampersand asterisk full_stop comma colon semicolon equals_sign
    less_than_sign greater_than_sign apostrophe quotation_mark grave_accent tilde
    circumflex_accent vertical_line left_parenthesis right_parenthesis left_square_bracket
    right_square_bracket left_curly_bracket right_curly_bracket
    """.split()  # noqa: SIM905 - a word list reads best as words
) | {f"f{n}" for n in range(1, 25)}
_KEY = re.compile(r"^(?:(?:ctrl|shift|alt)\+)*(?P<base>[a-z0-9_]+|[A-Z])$")

_SHOWN = {"plus": "+", "minus": "-", "question_mark": "?", "escape": "esc"}


class KeymapError(ValueError):
    """A `[keys]` remap that would leave an action without a working key of its own."""


def key_problem(key: str) -> str | None:
    """Why `key` cannot be bound, or None: a name the terminal cannot send, or reserved."""
    match = _KEY.match(key)
    base = match.group("base") if match else ""
    if not match or not (len(base) == 1 or base in _NAMED):
        return f'{key!r} is not a key name (such as "d", "ctrl+d", "f5", "question_mark")'
    if key in RESERVED:
        return f"{key!r} is reserved ({RESERVED[key]})"
    return None


def check_keymap(remaps: Mapping[str, str]) -> dict[str, str]:
    """`[keys]`: action = "key" (Textual key names; several joined by ","). Raises
    KeymapError naming the action(s) and key when a remap would let a key do two
    things, shadow a reserved key, or leave stop, drain or quit without a key."""
    for action, keys in remaps.items():
        if action not in ACTIONS_BY_ID or not ACTIONS_BY_ID[action].remappable:
            raise KeymapError(f"unknown action {action!r} (actions: {' '.join(REMAPPABLE_IDS)})")
        if not keys.strip():
            what = "must keep a key" if action in PROTECTED else "needs a key"
            raise KeymapError(f"{action}: {what} (an empty remap would remove it)")
        for key in keys.split(","):
            problem = key_problem(key.strip())
            if problem:
                raise KeymapError(f"{action}: {problem}")
    owner: dict[str, str] = {}
    for entry in KEY_ACTIONS:
        for key in remaps.get(entry.id, entry.key).split(","):
            key = key.strip()
            if key in owner:
                first, second = entry.id, owner[key]  # the remapped action named first
                if second in remaps and first not in remaps:
                    first, second = second, first
                raise KeymapError(f"{first} and {second} would both be {key!r}")
            owner[key] = entry.id
    return dict(remaps)


def keys_of(action: str, keymap: Mapping[str, str] | None = None) -> str:
    """The key(s) an action has under this keymap (Textual key names, "," between)."""
    return (keymap or {}).get(action, ACTIONS_BY_ID[action].key)


def key_display(key: str) -> str:
    """How a Textual key name is written for people (`plus` is `+`, 1-9 a range)."""
    if key == "1,2,3,4,5,6,7,8,9":
        return "1-9"
    return ",".join(_SHOWN.get(part, part) for part in key.split(","))
