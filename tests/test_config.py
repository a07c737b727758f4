"""Loading, validating and rendering the TOML configuration: every refusal is one line
naming the file and the key, extreme values and hostile files included, and the first
errors a new user meets say what to do (`botdeck check`, a subprocess)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from botdeck.config import (
    DEMO_BOTS,
    MAX_CONFIG_BYTES,
    ConfigError,
    auto_limits,
    demo_config,
    load_config,
    parse_config,
    render_config,
)
from botdeck.model.jobs import Priority
from tests.harness.cli import run_botdeck

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


def refused(path: Path) -> str:
    """The one-line ConfigError, naming `path`, that loading `path` must raise."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    return message


def config_error(tmp_path, text: str) -> str:
    """Load `text` from a file and return the ConfigError message it must raise."""
    return refused(write(tmp_path, text))


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


# ---------------------------------------------------------------- extreme values, hostile files
# Refused by the loader with one line (issue 16).
@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ("[router]\njob_timeout = inf", "router.job_timeout"),
        ("[router.delays]\nhigh = [1.0, inf]", "router.delays.high[1]"),
        ("[router.delays]\nhigh = [nan, 2.0]", "router.delays.high[0]"),
        ("[router]\nack_target = inf", "router.ack_target"),
        ("[router]\nmax_age = inf", "router.max_age"),
        ("[router]\nrandom_reply_chance = nan", "router.random_reply_chance"),
        ("[chat]\nreplay_start = inf", "chat.replay_start"),
        ("[chat]\nspeed = -inf", "chat.speed"),
        ("[send_limits]\nspacing = nan", "send_limits.spacing"),
        ("[ai]\ntimeout = inf", "ai.timeout"),
        ("[chat.scenario_params]\nwithin = inf", "chat.scenario_params.within"),
    ],
)
def test_inf_and_nan_are_refused_naming_the_key(tmp_path, snippet, key):
    message = config_error(tmp_path, snippet + "\n" + ONE_BOT)
    assert f"{key}: " in message and "finite" in message


def test_inf_in_extra_body_is_refused(tmp_path):
    message = config_error(tmp_path, "[ai.extra_body]\noptions = { top_k = inf }\n" + ONE_BOT)
    assert "ai.extra_body: " in message and "finite" in message


@pytest.mark.parametrize(
    ("snippet", "key", "bound"),
    [
        ("[router.delays]\nnormal = [1.0, 601]", "router.delays.normal", "600"),
        ("[router]\njob_timeout = 3601", "router.job_timeout", "3600"),
        ("[router]\nack_target = 1e9", "router.ack_target", "3600"),
        ("[router]\nmax_age = 86400", "router.max_age", "3600"),
        ("[router]\nbacklog_warning = 1000000", "router.backlog_warning", "100000"),
        ("[router]\nper_user_cap = 5000", "router.per_user_cap", "1000"),
        ("[router]\nglobal_concurrency = 1001", "router.global_concurrency", "1000"),
        ("[send_limits]\nwindow = 7200", "send_limits.window", "3600"),
        ("[send_limits]\nviewer = 1000000", "send_limits.viewer", "100000"),
        ("[chat]\nreplay_start = 1e11", "chat.replay_start", "10000000000"),
        ("[ai]\ntoken_budget = 10000000000000", "ai.token_budget", "1000000000000"),
    ],
)
def test_durations_and_counts_have_an_upper_bound(tmp_path, snippet, key, bound):
    message = config_error(tmp_path, snippet + "\n" + ONE_BOT)
    assert f"{key}: " in message and bound in message


def test_more_than_a_hundred_bots_is_refused(tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text("".join(f'[[bots]]\nname = "bot_{i:03d}"\n' for i in range(101)))
    assert "bots: " in refused(path)


def test_the_bounds_themselves_are_accepted(tmp_path):
    config = load_config(
        write(
            tmp_path,
            "[router]\njob_timeout = 3600\nack_target = 3600\nmax_age = 3600\n"
            "[router.delays]\nlow = [600, 600]\n" + ONE_BOT,
        )
    )
    assert config.router.job_timeout == 3600 and config.router.delays.low == [600, 600]


def test_a_device_is_refused_before_it_is_read():
    message = refused(Path("/dev/zero"))
    assert "is a device" in message


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "botdeck.toml"
    os.mkfifo(path)
    assert "FIFO" in refused(path)


def test_a_config_over_1_mib_is_refused_before_parsing(tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text("\n" + ONE_BOT + "#" * MAX_CONFIG_BYTES)
    assert "larger than 1 MiB" in refused(path)


def test_deeply_nested_toml_is_one_line(tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text("x = " + "[" * 5000 + "\n" + ONE_BOT)
    assert "nested too deeply" in refused(path)


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_check_refuses_a_device_or_fifo_with_one_line(tmp_path, target):
    if target == "fifo":
        target = str(tmp_path / "fifo")
        os.mkfifo(target)
    env = {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}
    result = run_botdeck("check", "--config", target, env=env, timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and target in result.stderr
    assert "Traceback" not in result.stderr


def test_check_refuses_an_infinite_delay(tmp_path):
    path = write(tmp_path, "[router.delays]\nhigh = [1.0, inf]\n" + ONE_BOT)
    env = {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs")}
    result = run_botdeck("check", "--config", str(path), env=env, timeout=30)
    assert result.returncode == 2
    assert "router.delays.high[1]" in result.stderr and result.stderr.count("\n") == 1


# ---------------------------------------------------------- first errors, as `botdeck` says them
# The config errors a new user meets first: no config anywhere, a provider named after a
# server rather than its API.
def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip


def test_no_config_names_both_places_and_init(tmp_path: Path):
    env = _env(tmp_path)
    for command in ("check", "run", "auth"):
        result = run_botdeck(command, env=env, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "botdeck: no config file: looked for ./botdeck.toml and "
            f"{tmp_path / 'xdg' / 'botdeck' / 'config.toml'}; create one with `botdeck init`"
        )


@pytest.mark.parametrize(
    ("provider", "hint"),
    [
        ("ollama", "'ollama' is not a provider: use provider = \"openai\" with base_url = "
                   "\"http://localhost:11434/v1\""),
        ("LM Studio", 'base_url = "http://localhost:1234/v1"'),
        ("llama.cpp", 'base_url = "http://localhost:8080/v1"'),
        ("vllm", 'base_url = "http://localhost:8000/v1"'),
        ("anthropic", 'any OpenAI-compatible server is "openai" with its base_url'),
    ],
)  # fmt: skip
def test_an_unknown_provider_gets_a_one_line_hint(tmp_path: Path, provider: str, hint: str):
    path = tmp_path / "b.toml"
    path.write_text(f'[ai]\nprovider = "{provider}"\n[[bots]]\nname = "abot"\n')
    result = run_botdeck("check", "--config", str(path), env=_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"botdeck: {path}: ai.provider: ")
    assert hint in result.stderr and len(result.stderr.splitlines()) == 1
