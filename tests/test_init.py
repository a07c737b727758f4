"""`botdeck init` as a streamer uses it: asked in a terminal (a real pty) or with flags,
a config that `botdeck check` accepts once the secret and the tokens are there, never an
overwrite without --force."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from botdeck.commands.init import Answers, render
from botdeck.config import parse_config
from botdeck.model.presets import PRESETS
from botdeck.twitch.settings import BOT_SCOPES
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.harness.cli import run_botdeck


def env_for(tmp_path: Path) -> dict[str, str]:
    """No user config to find, logs and data kept in the test's folder."""
    return {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "BOTDECK_LOG_DIR": str(tmp_path / "log"),
        "BOTDECK_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def authorized(env: dict[str, str], *bots: str, client_id: str = "abc123xyz") -> dict[str, str]:
    """What steps 4 and 6 of the README give a streamer: the client secret in the
    environment and each bot's token in the token file (`botdeck auth`)."""
    store = TokenStore(Path(env["BOTDECK_DATA_DIR"]) / "tokens.json")
    for bot in bots:
        store.save(client_id, StoredToken(bot, "1", f"access-{bot}", "refresh", BOT_SCOPES, 1e9))
    return {**env, "TWITCH_CLIENT_SECRET": "client-secret-1"}


SCRIPTED = (
    "init", "--channel", "MyChannel", "--client-id", "abc123xyz",
    "--bot", "stickyman1776: an upbeat hype-man who loves speedruns",
    "--bot", "pixelsage=a calm old gamer: speaks in proverbs",
)  # fmt: skip


def test_the_values_and_comments_init_writes_are_the_schemas_defaults(monkeypatch):
    """Nothing in the template restates a default: the values it shows are the schema's,
    the "auto" table is `auto_limits`, and the send limits in the comment are Twitch's as
    `model.defaults` states them (here replaced, to see that they follow)."""
    import botdeck.commands.init
    from botdeck.config import Config, auto_limits
    from botdeck.model.defaults import SendLimits

    monkeypatch.setattr(botdeck.commands.init, "TWITCH_SEND_LIMITS", SendLimits(7.0, 3, 33))
    text = render(Answers("mychannel", (("botone", "x"),), PRESETS["offline"], client_id="a"))
    written = tomllib.loads(text)
    defaults = Config.model_validate({"bots": [{"name": "someone"}]})
    for key, value in written["router"].items():
        assert value == getattr(defaults.router, key), key
    assert written["twitch"]["redirect_uri"] == defaults.twitch.redirect_uri
    assert written["bots"][0]["role"] == defaults.bots[0].role
    assert "it may then send 33 messages per 7 s, not 3" in text
    small, mid, large = auto_limits(1), auto_limits(4), auto_limits(50)
    assert f"1-2 bots {small[0]} replies at once and {small[1]} per bot," in text
    assert f"3-5 bots {mid[0]} and {mid[1]}, more {large[0]} and {large[1]}" in text


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_renders_a_config_the_parser_accepts(preset: str):
    answers = Answers("mychannel", (("botone", 'says "hi" \\ a lot'),), PRESETS[preset],
                      client_id="abc")  # fmt: skip
    config = parse_config(tomllib.loads(render(answers)), source="init")
    assert config.chat.source == "twitch" and config.chat.channel == "mychannel"
    assert config.ai.provider == PRESETS[preset].provider
    assert config.bots[0].persona == 'says "hi" \\ a lot'
    if preset != "offline":
        assert config.ai.adapter_options().base_url == PRESETS[preset].base_url
        assert config.ai.adapter_options().model == PRESETS[preset].model


@pytest.mark.parametrize("preset", [key for key, preset in PRESETS.items() if preset.model])
def test_the_comment_above_the_model_names_the_model_written(preset: str):
    """`--model llama3.1:8b` with Ollama once wrote "`ollama pull llama3.2` first" above
    `model = "llama3.1:8b"`: the comment is rendered from the model written."""
    chosen = "some-model:8b"
    text = render(Answers("mychannel", (("botone", "x"),), PRESETS[preset], model=chosen))
    ai = text[text.index("[ai]") : text.index("[router]")]
    assert f'model = "{chosen}"' in ai
    note = ai.splitlines()[1].removeprefix(f"# {PRESETS[preset].label}: ")
    assert PRESETS[preset].model not in note  # the preset's own model is not named
    assert ("{model}" in PRESETS[preset].note) == (chosen in note)  # the chosen one is
    default = render(Answers("mychannel", (("botone", "x"),), PRESETS["ollama"]))
    assert "# Ollama (local): `ollama pull llama3.2` first" in default


def test_scripted_init_writes_a_config_that_check_accepts(tmp_path: Path):
    env = env_for(tmp_path)
    result = run_botdeck(*SCRIPTED, "--provider", "ollama", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "botdeck.toml").read_text()
    assert 'base_url = "http://localhost:11434/v1"' in text and "# " in text
    assert 'persona = "a calm old gamer: speaks in proverbs"' in text
    lines = result.stdout.splitlines()
    steps = lines[lines.index("next:") + 1 :]
    assert [step.split()[:2] for step in steps] == [
        ["botdeck", "auth"], ["botdeck", "rehearse"], ["botdeck", "run"]
    ]  # fmt: skip
    check = run_botdeck("check", env=env, cwd=tmp_path)  # before `botdeck auth`
    assert check.returncode == 2, check.stderr
    assert "✓ config: botdeck.toml is valid" in check.stdout
    assert [line.split(":")[0] for line in check.stdout.splitlines() if line[0] == "✗"] == [
        "✗ twitch.client_secret_env", "✗ stickyman1776 (bot)", "✗ pixelsage (bot)"
    ]  # fmt: skip
    env = authorized(env, "stickyman1776", "pixelsage")
    check = run_botdeck("check", "--print", env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'channel = "mychannel"' in check.stdout and "pixelsage" in check.stdout
    assert "botdeck check: ready" in check.stderr


def test_init_never_overwrites_without_force(tmp_path: Path):
    env = env_for(tmp_path)
    target = tmp_path / "botdeck.toml"
    target.write_text("# mine\n")
    result = run_botdeck(*SCRIPTED, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "botdeck: botdeck.toml: already exists; `botdeck init --force` replaces it"
    )
    assert target.read_text() == "# mine\n"
    forced = run_botdeck(*SCRIPTED, "--force", env=env, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "stickyman1776" in target.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".botdeck-init-")]


def test_a_config_elsewhere_is_named_in_the_next_commands(tmp_path: Path):
    env = env_for(tmp_path)
    result = run_botdeck(*SCRIPTED, "--config", "conf/live.toml", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "botdeck run --config conf/live.toml" in result.stdout
    env = authorized(env, "stickyman1776", "pixelsage")
    assert run_botdeck("check", "--config", "conf/live.toml", env=env, cwd=tmp_path).returncode == 0


def test_user_flag_writes_to_the_user_config_directory_which_check_then_finds(tmp_path: Path):
    env = env_for(tmp_path)
    result = run_botdeck(*SCRIPTED, "--user", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xdg-config" / "botdeck" / "config.toml").exists()
    env = authorized(env, "stickyman1776", "pixelsage")
    checked = run_botdeck("check", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "xdg-config/botdeck/config.toml is valid" in checked.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("init", "--bot", "abot"), "init: --channel: required when not run in a terminal"),
        (("init", "--channel", "chan"), "init: --bot: required when not run in a terminal"),
        (("init", "--channel", "no way", "--bot", "abot"), "init: --channel: expected a Twitch"),
        (("init", "--channel", "chan", "--bot", "abot", "--bot", "ABot"), "listed twice"),
        (("init", "--channel", "chan", "--bot", "abot", "--base-url", "localhost"), "--base-url"),
        # a model or server without a provider would be dropped without a word
        (("init", "--channel", "chan", "--bot", "abot", "--model", "llama3.2"),
         "botdeck: init: --model: needs --provider (e.g. --provider openai;"),
        (("init", "--channel", "chan", "--bot", "abot", "--base-url", "http://pc:11434/v1"),
         "botdeck: init: --base-url: needs --provider"),
        (("init", "--channel", "chan", "--bot", "abot", "--provider", "offline", "--model", "m"),
         "botdeck: init: --model: --provider offline has no model or server to set"),
    ],
)  # fmt: skip
def test_bad_flags_are_one_line_and_write_nothing(tmp_path: Path, args, message):
    result = run_botdeck(*args, env=env_for(tmp_path), cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "botdeck.toml").exists()


def test_without_a_client_id_init_says_what_check_will_ask_for(tmp_path: Path):
    env = env_for(tmp_path)
    args = [a for a in SCRIPTED if a not in ("--client-id", "abc123xyz")]
    result = run_botdeck(*args, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "twitch.client_id is empty" in result.stdout
    check = run_botdeck("check", env=env, cwd=tmp_path)
    assert check.returncode == 2 and "✗ twitch.client_id: missing" in check.stdout


# ---------------------------------------------------------------- in a terminal
class Terminal:
    """`botdeck init` on a pseudo-terminal: read until a prompt, type an answer."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "botdeck", "init"],
            stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.screen = ""

    def expect(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"never saw {text!r}; screen:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"ended before {text!r}; screen:\n{self.screen}")
                self.screen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")

    def type(self, answer: str) -> None:
        os.write(self.master, answer.encode() + b"\n")

    def close(self) -> int:
        code = self.proc.wait(timeout=20)
        os.close(self.master)
        return code


def test_init_in_a_terminal_asks_re_asks_and_writes(tmp_path: Path):
    env = env_for(tmp_path)
    term = Terminal(tmp_path, env)
    try:
        term.expect("Your channel (the broadcaster's Twitch login):")
        term.type("not a login!")
        term.expect("channel: expected a Twitch login")
        term.type("MyChannel")
        term.expect("Bot account login:")
        term.type("stickyman1776")
        term.expect("persona, one line [a friendly regular in this chat]:")
        term.type("an upbeat hype-man")
        term.expect("Bot account login; Enter when done:")
        term.type("")
        term.expect("4) LM Studio (local)  http://localhost:1234/v1")
        term.expect("Choose [1]:")
        term.type("4")
        term.expect("Model [qwen2.5-7b-instruct]:")
        term.type("")
        term.expect("Server URL [http://localhost:1234/v1]:")
        term.type("http://192.168.1.20:1234/v1")
        term.expect("Client ID (Enter to add it later):")
        term.type("abc123xyz")
        term.expect("botdeck run")
    finally:
        code = term.close()
    assert code == 0, term.screen
    config = parse_config(tomllib.loads((tmp_path / "botdeck.toml").read_text()))
    assert config.ai.adapter_options().base_url == "http://192.168.1.20:1234/v1"
    assert (
        config.ai.adapter_options().model == "qwen2.5-7b-instruct"
        and config.ai.adapter_options().api_key_env == ""
    )
    assert [(b.name, b.persona) for b in config.bots] == [("stickyman1776", "an upbeat hype-man")]
    assert run_botdeck("check", env=authorized(env, "stickyman1776"), cwd=tmp_path).returncode == 0


def test_init_in_a_terminal_refuses_before_asking_when_the_file_exists(tmp_path: Path):
    (tmp_path / "botdeck.toml").write_text("# mine\n")
    term = Terminal(tmp_path, env_for(tmp_path))
    try:
        term.expect("already exists; `botdeck init --force` replaces it")
    finally:
        code = term.close()
    assert code == 2 and "Your channel" not in term.screen
