"""Loading, validating and rendering the TOML configuration."""

from __future__ import annotations

import tomllib

import pytest

from botdeck.config import (
    DEMO_BOTS,
    ConfigError,
    auto_limits,
    demo_config,
    load_config,
    parse_config,
    render_config,
)
from botdeck.model.jobs import Priority

FULL = """
[router]
global_concurrency = 6
per_bot_concurrency = 3
random_reply_chance = 0.5
backlog_warning = 30
max_depth = 3
job_timeout = 45.0
context_lines = 10
ignore_users = ["nightbot", "moobot"]

[router.delays]
high = [0.5, 1.5]
normal = [1, 4]
low = [3.0, 6.0]

[ai]
provider = "openai"
base_url = "http://localhost:8080/v1"
model = "tiny-model"
api_key_env = "BOTDECK_TEST_API_KEY"
temperature = 0.7
max_tokens = 100
timeout = 10.0
max_reply_chars = 300

[chat]
source = "twitch"
channel = "my_channel"
scenario = "raid"
seed = 42
speed = 2.0

[twitch]
client_id = "abc123"
client_secret_env = "BOTDECK_TEST_CLIENT_SECRET"
api_url = "https://api.twitch.tv/helix/"
auth_url = "https://id.twitch.tv/"
eventsub_url = "wss://eventsub.wss.twitch.tv/ws"

[[bots]]
name = "StickyMan1776"
persona = "an upbeat hype-man"
role = "vip"
token_env = "BOTDECK_TEST_TOKEN_STICKY"
refresh_token_env = "BOTDECK_TEST_REFRESH_STICKY"

[[bots]]
name = "pixelsage"
persona = "a calm sage"
token_env = "BOTDECK_TEST_TOKEN_SAGE"
"""

ONE_BOT = '[[bots]]\nname = "pixelsage"\n'


def write(tmp_path, text: str, name: str = "botdeck.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path, text: str) -> str:
    """Load `text` from a file and return the ConfigError message it must raise."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    return message


def bots_config(count: int) -> str:
    return "".join(f'[[bots]]\nname = "bot_{i:02d}"\n' for i in range(count))


# ---------------------------------------------------------------- valid files
def test_a_full_config_loads_every_section(tmp_path):
    config = load_config(write(tmp_path, FULL))
    assert config.limits() == (6, 3)
    assert config.router.random_reply_chance == 0.5
    assert config.router.max_depth == 3
    assert config.router.ignore_users == ["nightbot", "moobot"]
    assert config.router.delays.as_mapping() == {
        Priority.HIGH: (0.5, 1.5),
        Priority.NORMAL: (1.0, 4.0),
        Priority.LOW: (3.0, 6.0),
    }
    assert config.ai.provider == "openai"
    assert config.ai.adapter_options().base_url == "http://localhost:8080/v1"
    assert config.ai.max_reply_chars == 300
    assert config.chat.source == "twitch"
    assert config.chat.adapter_options("simulated").scenario == "raid"  # kept, checked
    assert config.chat.seed == 42
    assert config.twitch.client_id == "abc123"
    assert config.bot_names == ("stickyman1776", "pixelsage")  # logins are lowered
    assert config.bots[0].role == "vip"
    assert config.bots[0].token_env == "BOTDECK_TEST_TOKEN_STICKY"
    assert config.bots[1].role == "viewer"
    assert config.bots[1].refresh_token_env is None


def test_a_minimal_config_gets_the_defaults(tmp_path):
    config = load_config(write(tmp_path, ONE_BOT))
    assert config.bot_names == ("pixelsage",)
    assert config.router.random_reply_chance == 0.25
    assert config.router.max_depth == 2
    assert config.ai.provider == "offline"
    assert config.chat.source == "simulated"
    assert config.chat.adapter_options().scenario == "mixed"


def test_a_replay_source_with_a_file_loads(tmp_path):
    config = load_config(
        write(tmp_path, '[chat]\nsource = "replay"\nreplay_file = "chat.jsonl"\n' + ONE_BOT)
    )
    assert config.chat.adapter_options().replay_file == "chat.jsonl"


# ---------------------------------------------------------------- limits
@pytest.mark.parametrize(
    ("bots", "expected"),
    [(1, (5, 2)), (2, (5, 2)), (3, (8, 2)), (4, (8, 2)), (5, (8, 2)), (6, (10, 1)), (9, (10, 1))],
)
def test_auto_limits_follow_the_table(tmp_path, bots, expected):
    assert auto_limits(bots) == expected
    assert load_config(write(tmp_path, bots_config(bots))).limits() == expected


def test_explicit_limits_win_over_auto(tmp_path):
    text = "[router]\nglobal_concurrency = 3\nper_bot_concurrency = 1\n" + bots_config(6)
    assert load_config(write(tmp_path, text)).limits() == (3, 1)


def test_one_explicit_limit_leaves_the_other_auto(tmp_path):
    text = "[router]\nglobal_concurrency = 12\n" + bots_config(6)
    assert load_config(write(tmp_path, text)).limits() == (12, 1)
    text = '[router]\nper_bot_concurrency = 4\nglobal_concurrency = "auto"\n' + bots_config(3)
    assert load_config(write(tmp_path, text)).limits() == (8, 4)


# ---------------------------------------------------------------- file-level errors
def test_a_missing_file_is_a_one_line_error_naming_the_path(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "not found" in message
    assert "\n" not in message


def test_invalid_toml_names_the_line(tmp_path):
    message = config_error(tmp_path, ONE_BOT + "\n[router\nmax_depth = 1\n")
    assert "invalid TOML" in message
    assert "line 4" in message


def test_non_utf8_bytes_are_a_config_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[[bots]]\nname = "pixelsage"\npersona = "caf\xe9"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "UTF-8" in message
    assert "\n" not in message


# ---------------------------------------------------------------- key-level errors
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("bogus = 1\n" + ONE_BOT, "bogus: unknown key"),
        ("[router]\nbogus = 1\n" + ONE_BOT, "router.bogus: unknown key"),
        ("[router.delays]\nmedium = [1, 2]\n" + ONE_BOT, "router.delays.medium: unknown key"),
        ("[ai]\napi_key = 'sk-x'\n" + ONE_BOT, "ai.api_key: unknown key"),
        ('[[bots]]\nname = "pixelsage"\ncolour = "red"\n', "bots[0].colour: unknown key"),
        (
            '[[bots]]\nname = "pixelsage"\n[[bots]]\nname = "cozybean"\nhat = 1\n',
            "bots[1].hat: unknown key",
        ),
    ],
)
def test_unknown_keys_are_errors_naming_the_dotted_key(tmp_path, text, key):
    assert key in config_error(tmp_path, text)


def test_a_string_where_an_integer_belongs_is_an_error(tmp_path):
    message = config_error(tmp_path, '[router]\nglobal_concurrency = "5"\n' + ONE_BOT)
    assert "router.global_concurrency:" in message
    assert "'5'" in message


def test_a_float_where_an_integer_belongs_is_an_error(tmp_path):
    message = config_error(tmp_path, "[router]\nmax_depth = 1.5\n" + ONE_BOT)
    assert "router.max_depth:" in message


@pytest.mark.parametrize("key", ["global_concurrency", "per_bot_concurrency"])
def test_a_concurrency_of_zero_is_an_error(tmp_path, key):
    message = config_error(tmp_path, f"[router]\n{key} = 0\n" + ONE_BOT)
    assert f"router.{key}:" in message
    assert ">= 1" in message


def test_a_delay_whose_min_exceeds_its_max_is_an_error(tmp_path):
    message = config_error(tmp_path, "[router.delays]\nnormal = [5.0, 2.0]\n" + ONE_BOT)
    assert "router.delays.normal:" in message
    assert "greater than max" in message


def test_a_delay_with_one_value_is_an_error(tmp_path):
    message = config_error(tmp_path, "[router.delays]\nhigh = [1.0]\n" + ONE_BOT)
    assert "router.delays.high:" in message
    assert "[min, max]" in message


def test_a_negative_delay_is_an_error(tmp_path):
    message = config_error(tmp_path, "[router.delays]\nlow = [-1.0, 2.0]\n" + ONE_BOT)
    assert "router.delays.low:" in message


@pytest.mark.parametrize("chance", ["1.5", "-0.1"])
def test_a_reply_chance_outside_zero_to_one_is_an_error(tmp_path, chance):
    message = config_error(tmp_path, f"[router]\nrandom_reply_chance = {chance}\n" + ONE_BOT)
    assert "router.random_reply_chance:" in message
    assert chance in message


@pytest.mark.parametrize("name", ["a b", "ab", "x" * 26, "pixel-sage", "pixelsage!", ""])
def test_a_bad_bot_login_is_an_error(tmp_path, name):
    message = config_error(tmp_path, f'[[bots]]\nname = "{name}"\n')
    assert "bots[0].name:" in message


def test_a_bot_login_with_a_trailing_newline_is_an_error(tmp_path):
    message = config_error(tmp_path, '[[bots]]\nname = "pixelsage\\n"\n')
    assert "bots[0].name:" in message


def test_a_missing_bot_name_is_an_error(tmp_path):
    message = config_error(tmp_path, '[[bots]]\npersona = "nameless"\n')
    assert "bots[0].name: missing" in message


def test_duplicate_bots_are_an_error_regardless_of_case(tmp_path):
    message = config_error(tmp_path, '[[bots]]\nname = "PixelSage"\n[[bots]]\nname = "pixelsage"\n')
    assert "bots:" in message
    assert "twice" in message


def test_no_bots_is_an_error(tmp_path):
    assert "bots: missing" in config_error(tmp_path, "[router]\nmax_depth = 1\n")


def test_an_empty_bot_list_is_an_error(tmp_path):
    assert "bots:" in config_error(tmp_path, "bots = []\n")


def test_a_replay_source_without_a_replay_file_is_an_error(tmp_path):
    message = config_error(tmp_path, '[chat]\nsource = "replay"\n' + ONE_BOT)
    assert message.endswith("chat.replay_file: missing (required)")


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com", "api.openai.com/v1", ""])
def test_a_base_url_that_is_not_a_url_is_an_error(tmp_path, url):
    message = config_error(tmp_path, f'[ai]\nbase_url = "{url}"\n' + ONE_BOT)
    assert "ai.base_url:" in message


def test_an_unknown_scenario_is_an_error(tmp_path):
    message = config_error(tmp_path, '[chat]\nscenario = "brawl"\n' + ONE_BOT)
    assert "chat.scenario:" in message
    assert "'brawl'" in message


def test_an_unknown_provider_or_source_is_an_error_before_anything_runs(tmp_path):
    """Providers and sources are looked up in the adapter registry as the config is read:
    their keys are theirs to check."""
    message = config_error(tmp_path, '[ai]\nprovider = "skynet"\n' + ONE_BOT)
    assert message.endswith(
        "ai.provider: unknown provider 'skynet' (available: offline, openai; any "
        'OpenAI-compatible server is "openai" with its base_url)'
    )
    message = config_error(tmp_path, '[chat]\nsource = "irc"\n' + ONE_BOT)
    assert message.endswith(
        "chat.source: unknown source 'irc' (available: replay, simulated, twitch)"
    )


def test_a_local_server_named_as_provider_gets_a_hint(tmp_path):
    message = config_error(tmp_path, '[ai]\nprovider = "ollama"\n' + ONE_BOT)
    assert message.endswith(
        "ai.provider: 'ollama' is not a provider: "
        'use provider = "openai" with base_url = "http://localhost:11434/v1"'
    )


def test_an_adapters_keys_are_checked_whichever_adapter_is_named(tmp_path):
    """A config that switched to offline keeps its OpenAI keys, still checked; a key no
    adapter declares is unknown."""
    offline = '[ai]\nprovider = "offline"\n'
    config = load_config(
        write(tmp_path, offline + 'base_url = "http://localhost:1/v1"\n' + ONE_BOT)
    )
    assert config.ai.options == {"base_url": "http://localhost:1/v1"}
    assert "ai.max_tokens:" in config_error(tmp_path, offline + "max_tokens = 0\n" + ONE_BOT)
    assert config_error(tmp_path, offline + "colour = 1\n" + ONE_BOT).endswith(
        "ai.colour: unknown key"
    )


def test_parse_config_names_its_source():
    with pytest.raises(ConfigError, match=r"^somewhere: router\.max_depth: "):
        parse_config({"router": {"max_depth": 11}, "bots": [{"name": "pixelsage"}]}, "somewhere")


# ---------------------------------------------------------------- rendering
SECRETS = {
    "BOTDECK_TEST_API_KEY": "sk-SECRET123",
    "BOTDECK_TEST_CLIENT_SECRET": "cs-Hush456",
    "BOTDECK_TEST_TOKEN_STICKY": "oauth:Hush789",
    "BOTDECK_TEST_REFRESH_STICKY": "rt-Hush000",
}


def test_render_config_never_shows_secret_values(tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BOTDECK_TEST_TOKEN_SAGE", raising=False)
    rendered = render_config(load_config(write(tmp_path, FULL)))
    for value in SECRETS.values():
        assert value not in rendered
    assert "Hush" not in rendered
    lines = rendered.splitlines()
    assert 'api_key_env = "BOTDECK_TEST_API_KEY"  # set' in lines
    assert 'client_secret_env = "BOTDECK_TEST_CLIENT_SECRET"  # set' in lines
    assert 'token_env = "BOTDECK_TEST_TOKEN_STICKY"  # set' in lines
    assert 'refresh_token_env = "BOTDECK_TEST_REFRESH_STICKY"  # set' in lines
    assert 'token_env = "BOTDECK_TEST_TOKEN_SAGE"  # not set' in lines


def test_render_config_is_valid_toml_with_the_resolved_values(tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    config = load_config(write(tmp_path, FULL))
    data = tomllib.loads(render_config(config))
    assert data["router"]["global_concurrency"] == 6
    assert data["router"]["delays"]["high"] == [0.5, 1.5]
    assert data["ai"]["api_key_env"] == "BOTDECK_TEST_API_KEY"
    assert [bot["name"] for bot in data["bots"]] == ["stickyman1776", "pixelsage"]
    assert "refresh_token_env" not in data["bots"][1]


def test_render_config_resolves_auto_limits():
    data = tomllib.loads(render_config(demo_config(bots=6)))
    assert (data["router"]["global_concurrency"], data["router"]["per_bot_concurrency"]) == (10, 1)


def test_render_config_escapes_quotes_and_backslashes():
    config = parse_config({"bots": [{"name": "pixelsage", "persona": 'says "hi" and C:\\path'}]})
    data = tomllib.loads(render_config(config))
    assert data["bots"][0]["persona"] == 'says "hi" and C:\\path'


def test_render_config_of_a_multiline_persona_is_valid_toml(tmp_path):
    text = '[[bots]]\nname = "pixelsage"\npersona = """\nline one\nline two\n"""\n'
    config = load_config(write(tmp_path, text))
    data = tomllib.loads(render_config(config))
    assert data["bots"][0]["persona"] == "line one\nline two\n"


# ---------------------------------------------------------------- demo
@pytest.mark.parametrize("bots", range(1, 9))
def test_demo_config_works_for_one_to_eight_bots(bots):
    config = demo_config(bots=bots)
    assert config.bot_names == tuple(name for name, _ in DEMO_BOTS[:bots])
    assert config.chat.source == "simulated"
    assert config.limits() == auto_limits(bots)


def test_demo_config_passes_scenario_and_seed():
    config = demo_config(bots=2, scenario="raid", seed=9)
    assert (config.chat.adapter_options().scenario, config.chat.seed) == ("raid", 9)


@pytest.mark.parametrize("bots", [0, 9, -1])
def test_demo_config_rejects_bot_counts_outside_one_to_eight(bots):
    with pytest.raises(ConfigError, match=r"--bots"):
        demo_config(bots=bots)


def test_demo_config_rejects_an_unknown_scenario():
    with pytest.raises(ConfigError, match=r"chat\.scenario"):
        demo_config(scenario="brawl")


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('drain = "x"', "keys: drain and stop would both be 'x'"),
        ('quit = "d"', "keys: quit and drain would both be 'd'"),
        ('pause = "p,s"', "keys: pause and start would both be 's'"),
        ('drain = "ctrl+c"', "keys: drain: 'ctrl+c' is reserved (quits, draining first"),
        ('stop = "ctrl+q"', "keys: stop: 'ctrl+q' is reserved (quits, draining first)"),
        ('fly = "f"', "keys: unknown action 'fly' (actions: stop quit help drain start"),
        ('stop = "shift+ctrl x"', "keys: stop: 'shift+ctrl x' is not a key name"),
    ],
)
def test_a_remap_that_takes_another_actions_key_is_refused(tmp_path, keys, expected):
    message = config_error(tmp_path, f"[keys]\n{keys}\n" + ONE_BOT)
    assert expected in message


def test_a_swap_that_keeps_every_action_reachable_is_fine(tmp_path):
    config = load_config(write(tmp_path, '[keys]\ndrain = "x"\nstop = "d"\n' + ONE_BOT))
    assert config.keys == {"drain": "x", "stop": "d"}


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[chat]\nshared_chat = "reply"\n', "chat.shared_chat:", "'ignore' or 'answer'"),
        ("[twitch]\nreconnect_wait = 0\n", "twitch.reconnect_wait:", "greater than 0"),
        ("[twitch]\nretry_wait = -1\n", "twitch.retry_wait:", "greater than 0"),
        ("[twitch]\nsend_retries = 9\n", "twitch.send_retries:", "less than or equal to 5"),
    ],
)
def test_twitch_retry_and_shared_chat_settings_name_the_key(tmp_path, text, key, words):
    message = config_error(tmp_path, text + ONE_BOT)
    assert key in message and words in message


def test_twitch_retry_and_shared_chat_settings_have_defaults_and_can_be_set(tmp_path):
    config = load_config(write(tmp_path, ONE_BOT))
    assert config.chat.adapter_options("twitch").shared_chat == "ignore"
    assert (config.twitch.retry_wait, config.twitch.reconnect_wait) == (2.0, 5.0)
    assert config.twitch.send_retries == 1
    text = '[chat]\nshared_chat = "answer"\n[twitch]\nreconnect_wait = 20\nsend_retries = 0\n'
    config = load_config(write(tmp_path, text + ONE_BOT))
    assert (
        config.chat.adapter_options("twitch").shared_chat == "answer"
        and config.twitch.reconnect_wait == 20.0
    )
    assert config.twitch.send_retries == 0
