"""`[keys]` cannot betray the operator: no key does two things, nothing shadows a key the
dashboard needs, and stop, drain and quit always keep a key (`botdeck check` exits 2)."""

from __future__ import annotations

import os

import pytest

from botdeck.config import ConfigError, parse_config
from botdeck.model.keys import KEY_ACTIONS, RESERVED, check_keymap, key_display, key_problem
from tests.harness.cli import run_botdeck


def refused(keys: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as error:
        parse_config({"keys": keys, "bots": [{"name": "somebot"}]}, source="botdeck.toml")
    message = str(error.value)
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"drain": "x"}, "keys: drain and stop would both be 'x'"),
        ({"stop": "1"}, "keys: stop and select would both be '1'"),
        ({"quit": "d"}, "keys: quit and drain would both be 'd'"),
        ({"pause": "p,s"}, "keys: pause and start would both be 's'"),
        ({"drain": "ctrl+c"}, "keys: drain: 'ctrl+c' is reserved (quits, draining first"),
        ({"stop": "ctrl+q"}, "keys: stop: 'ctrl+q' is reserved (quits, draining first)"),
        ({"quit": "enter"}, "keys: quit and open would both be 'enter'"),
        ({"stop": "tab"}, "keys: stop: 'tab' is reserved (moves the focus)"),
        ({"drain": "ctrl+p"}, "keys: drain: 'ctrl+p' is reserved (opens the command palette)"),
        ({"quit": "ctrl+m"}, "keys: quit: 'ctrl+m' is reserved (the terminal sends it as enter)"),
        ({"stop": "down"}, "keys: stop: 'down' is reserved (moves the selection)"),
        ({"stop": ""}, "keys: stop: must keep a key (an empty remap would remove it)"),
        ({"quit": "  "}, "keys: quit: must keep a key"),
        ({"theme": ""}, "keys: theme: needs a key"),
        ({"stop": "shift+ctrl x"}, "keys: stop: 'shift+ctrl x' is not a key name"),
        ({"stop": "foo"}, "keys: stop: 'foo' is not a key name"),
        ({"drain": "f25"}, "keys: drain: 'f25' is not a key name"),
        ({"select": "f1"}, "keys: unknown action 'select'"),
        ({"fly": "f"}, "keys: unknown action 'fly' (actions: stop quit help drain start"),
    ],
)
def test_a_remap_that_would_betray_the_operator_is_a_config_error(keys, expected):
    message = refused(keys)
    assert message.startswith("botdeck.toml: ") and expected in message


@pytest.mark.parametrize(
    "keys",
    [
        {"stop": "f12", "drain": "ctrl+d", "quit": "ctrl+x"},
        {"drain": "x", "stop": "d"},  # a swap keeps both
        {"help": "f1,h", "say": "ctrl+t", "reject": "delete"},
        {"limit_up": "equals_sign", "limit_down": "underscore"},
    ],
)
def test_remaps_that_keep_every_action_reachable_are_fine(keys):
    config = parse_config({"keys": keys, "bots": [{"name": "somebot"}]})
    assert config.keys == keys


def test_the_default_table_is_a_valid_keymap_and_uses_no_reserved_key():
    assert check_keymap({}) == {}
    for action in KEY_ACTIONS:
        for key in action.key.split(","):
            assert key_problem(key) is None, (action.id, key)
            assert key not in RESERVED


def test_key_display_is_how_people_write_keys():
    assert [key_display(k) for k in ("plus", "question_mark", "escape", "ctrl+d")] == [
        "+", "?", "esc", "ctrl+d",
    ]  # fmt: skip
    assert key_display("1,2,3,4,5,6,7,8,9") == "1-9"


def test_botdeck_check_exits_2_naming_both_actions(tmp_path):
    config = tmp_path / "botdeck.toml"
    config.write_text('[keys]\ndrain = "x"\n\n[[bots]]\nname = "somebot"\n')
    env = {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}
    result = run_botdeck("check", "--config", str(config), env=env)
    assert result.returncode == 2
    assert "keys: drain and stop would both be 'x'" in result.stderr
