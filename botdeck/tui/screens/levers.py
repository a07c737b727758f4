"""Stop and quit from inside every dialog.

A dialog is modal: the dashboard's keys do not reach through it, so while one was open the
footer offered only its own keys (`esc`) and the emergency stop was out of reach. The app
opens every dialog through one place, which adds the two levers to it: the stop key (the
stop dialog itself has `y` instead) and the quit key, as `[keys]` has them, each closing the
dialog as its escape would before acting. Where the dialog has a line to type in (say,
edit), a key that types a character cannot be a lever: a letter becomes ctrl+letter there
(`x` is ctrl+x, which the field would otherwise take to cut), and quitting is ctrl+q, the
fixed quit key; ctrl+c copies in a field, as everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.binding import Binding
from textual.keys import key_to_character
from textual.screen import Screen

from botdeck.model.keys import FIXED_QUIT_KEYS, RESERVED, key_display, keys_of

STOP_ACTION = "app.request_stop"
QUIT_ACTION = "app.quit_botdeck"


def _types(key: str) -> bool:
    """True when a text field would take this key as a character."""
    character = key_to_character(key)
    return character is not None and character.isprintable()


def lever_keys(keys: str, *, typing: bool, taken: set[str]) -> list[str]:
    """The keys a lever has in a dialog: its own (`keys`, as remapped), or in a dialog
    with a text field, ctrl+letter for a letter; never one the dialog already uses."""
    found: list[str] = []
    for key in (part.strip() for part in keys.split(",")):
        if typing and _types(key):
            if not (len(key) == 1 and key.isalpha()):
                continue  # "+" or "?": no control form a terminal sends
            key = f"ctrl+{key.lower()}"
            if key in RESERVED:
                continue  # ctrl+i is tab, ctrl+m is enter, ctrl+q/ctrl+c quit already
        if key not in taken and key not in found:
            found.append(key)
    return found


def add_levers(
    screen: Screen[Any],
    keymap: Mapping[str, str],
    *,
    typing: bool = False,
    stop: bool = True,
) -> tuple[list[str], list[str]]:
    """Bind the stop and quit keys on this dialog (after its own keys in the footer);
    the keys bound for each."""
    bindings = screen._bindings.key_to_bindings
    taken = set(bindings)
    stops = lever_keys(keys_of("stop", keymap), typing=typing, taken=taken) if stop else []
    taken |= set(stops)
    quits = lever_keys(keys_of("quit", keymap), typing=typing, taken=taken)
    # The fixed quit keys: ctrl+q always; ctrl+c where no field copies with it.
    quits += [key for key in FIXED_QUIT_KEYS if key not in taken | set(quits)]
    if typing:
        quits = [key for key in quits if key != "ctrl+c"]
    for keys, action, label in ((stops, STOP_ACTION, "Stop"), (quits, QUIT_ACTION, "Quit")):
        for index, key in enumerate(keys):
            how = f"({key_display(key)!r})" if action == QUIT_ACTION else ""
            binding = Binding(
                key,
                action + how,
                label,
                show=index == 0,
                key_display=key_display(key),
                priority=True,  # before a field's own use of the key (ctrl+x cuts)
            )
            bindings.setdefault(key, []).append(binding)
    return stops, quits
