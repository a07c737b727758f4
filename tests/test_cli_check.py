"""`botdeck check` gives a verdict: a ✓ or ✗ line for everything `botdeck run` needs, the
fix under each ✗, every problem at once, exit 0 only when a run would start (2 otherwise).

Run as a streamer runs it (a subprocess), against the loopback fakes for `--probe`: the
OpenAI-compatible server (`tests/fakes/openai_server.py`) and Twitch
(`tests/fakes/twitch_server.py`).
"""

from __future__ import annotations

import io
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from botdeck.commands.check import verdict
from botdeck.model.readiness import Finding, Readiness
from botdeck.twitch.settings import BOT_SCOPES
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.fakes.openai_server import FakeOpenAI, reply, serving_in_thread
from tests.fakes.twitch_server import FakeTwitch
from tests.fakes.twitch_thread import ThreadedFake
from tests.harness.cli import run_botdeck

SECRET = "fake-client-secret-value"  # what the fake Twitch takes
AI_KEY = "sk-check-test-SECRET-0f9e8d"
UNUSED = "http://127.0.0.1:9"  # no Twitch needed without --probe: nobody listens here


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Data, logs and the user config in the test's folder; the secret and the AI key
    set, as after the README's steps 4 and 6 (tests take away what they test)."""
    base = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "TWITCH_TOKEN")}
    return {
        **base,
        "BOTDECK_DATA_DIR": str(tmp_path / "data"),
        "BOTDECK_LOG_DIR": str(tmp_path / "logs"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "TWITCH_CLIENT_SECRET": SECRET,
        "CHECK_AI_KEY": AI_KEY,
    }


@pytest.fixture
def twitch() -> Iterator[FakeTwitch]:
    with ThreadedFake() as fake:
        assert fake.client_secret == SECRET
        yield fake


def config(
    tmp_path: Path,
    *,
    twitch_at: str = UNUSED,
    ai_url: str = "https://api.openai.com/v1",
    channel: str = "streamer",
    extra: str = "",
) -> Path:
    """A Twitch config with two bots and an OpenAI-compatible server."""
    path = tmp_path / "botdeck.toml"
    path.write_text(
        f'[chat]\nsource = "twitch"\nchannel = "{channel}"\n'
        f'[twitch]\nclient_id = "fake-client-id"\napi_url = "{twitch_at}/helix/"\n'
        f'auth_url = "{twitch_at}/"\neventsub_url = "ws://127.0.0.1:9/ws"\n'
        f'[ai]\nprovider = "openai"\nbase_url = "{ai_url}"\napi_key_env = "CHECK_AI_KEY"\n'
        f"timeout = 2\nmax_retries = 0\n"
        f'[[bots]]\nname = "alpha_bot"\n[[bots]]\nname = "beta_bot"\n{extra}'
    )
    return path


def authorize(env: dict[str, str], *logins: str, scopes: tuple[str, ...] = BOT_SCOPES) -> None:
    """What `botdeck auth` leaves: each account's token in the token file, with its scopes."""
    store = TokenStore(Path(env["BOTDECK_DATA_DIR"]) / "tokens.json")
    for login in logins:
        token = StoredToken(login, "1", f"access-SECRET-{login}", "refresh-SECRET", scopes, 1e9)
        store.save("fake-client-id", token)


def check(path: Path, env: dict[str, str], *flags: str):
    result = run_botdeck("check", "--config", str(path), *flags, env=env, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    for secret in (SECRET, AI_KEY, "access-SECRET", "refresh-SECRET"):
        assert secret not in result.stdout + result.stderr  # never printed
    return result


def crossed(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("✗")]


# ------------------------------------------------------------------ ✗, one line each
def test_before_auth_every_problem_is_listed_with_its_fix(tmp_path, env):
    """A config `init` just wrote: no secret, no token, no AI key. All of it, at once."""
    for name in ("TWITCH_CLIENT_SECRET", "CHECK_AI_KEY"):
        del env[name]
    path = config(tmp_path)
    result = check(path, env)
    assert result.returncode == 2
    tokens = tmp_path / "data" / "tokens.json"
    assert result.stdout.splitlines() == [
        f"✓ config: {path} is valid (2 bots; chat: twitch; replies: openai)",
        "✗ ai.api_key_env: CHECK_AI_KEY is not set (provider openai needs a key for"
        " https://api.openai.com/v1)",
        '  fix: export CHECK_AI_KEY=... (your API key), or api_key_env = "" for a server that'
        " needs none",
        "✗ twitch.client_secret_env: TWITCH_CLIENT_SECRET is not set (your Twitch application's"
        " client secret)",
        "  fix: export TWITCH_CLIENT_SECRET=... (at https://dev.twitch.tv/console/apps: your"
        " application, Manage, New Secret)",
        f"✗ alpha_bot (bot): no token in {tokens}",
        "  fix: botdeck auth (log in as alpha_bot when it asks; --device without a browser here)",
        f"✗ beta_bot (bot): no token in {tokens}",
        "  fix: botdeck auth (log in as beta_bot when it asks; --device without a browser here)",
        "✓ streamer (broadcaster): no token; none needed (the bots read chat; `botdeck auth`"
        " adds one, which reads best)",
        "botdeck check: 4 problems: `botdeck run` would not start",
    ]
    assert result.stderr == ""


def test_the_client_secret_unset(tmp_path, env):
    authorize(env, "alpha_bot", "beta_bot")
    del env["TWITCH_CLIENT_SECRET"]
    result = check(config(tmp_path), env)
    assert result.returncode == 2
    assert crossed(result.stdout) == [
        "✗ twitch.client_secret_env: TWITCH_CLIENT_SECRET is not set (your Twitch application's"
        " client secret)"
    ]
    assert "botdeck check: 1 problem: `botdeck run` would not start" in result.stdout


def test_a_bot_without_a_token(tmp_path, env):
    authorize(env, "alpha_bot")
    result = check(config(tmp_path), env)
    assert result.returncode == 2
    assert crossed(result.stdout) == [
        f"✗ beta_bot (bot): no token in {tmp_path / 'data' / 'tokens.json'}"
    ]
    assert "✓ alpha_bot (bot): token saved by `botdeck auth` with" in result.stdout


def test_a_token_env_that_is_not_set(tmp_path, env):
    authorize(env, "alpha_bot")
    path = config(tmp_path)
    path.write_text(path.read_text() + 'token_env = "BETA_TOKEN"\n')  # beta_bot's
    result = check(path, env)
    assert result.returncode == 2
    assert crossed(result.stdout) == ["✗ beta_bot (bot): $BETA_TOKEN is not set (its token_env)"]
    result = check(path, {**env, "BETA_TOKEN": "access-SECRET-beta"})
    assert result.returncode == 0, result.stdout
    assert "✓ beta_bot (bot): token from $BETA_TOKEN" in result.stdout


def test_a_token_missing_a_scope_the_config_needs(tmp_path, env):
    authorize(env, "alpha_bot")
    authorize(env, "beta_bot", scopes=("user:read:chat", "user:bot"))
    result = check(config(tmp_path), env)
    assert result.returncode == 2
    assert crossed(result.stdout) == ["✗ beta_bot (bot): the token lacks user:write:chat"]
    assert (
        "  fix: botdeck auth (log in as beta_bot again: it asks for every scope botdeck needs)"
        in result.stdout.splitlines()
    )


def test_sending_as_the_app_needs_the_broadcasters_channel_bot_grant(tmp_path, env):
    authorize(env, "alpha_bot", "beta_bot")
    path = config(tmp_path)
    path.write_text(path.read_text().replace("[twitch]\n", '[twitch]\nsend_as = "app"\n'))
    result = check(path, env)
    assert result.returncode == 2
    assert crossed(result.stdout) == [
        f"✗ streamer (broadcaster): no token in {tmp_path / 'data' / 'tokens.json'}"
    ]
    authorize(env, "streamer", scopes=("user:read:chat",))
    assert crossed(check(path, env).stdout) == [
        '✗ streamer (broadcaster): the token lacks channel:bot (send_as = "app")'
    ]


def test_a_blocklist_file_that_does_not_read(tmp_path, env):
    authorize(env, "alpha_bot", "beta_bot")
    words = tmp_path / "words.txt"
    path = config(tmp_path, extra=f'[safety]\nblocklist_file = "{words}"\n')
    result = check(path, env)
    assert result.returncode == 2
    assert crossed(result.stdout) == [f"✗ safety.blocklist_file: {words}: file not found"]
    words.write_text("spoiler\n")
    result = check(path, env)
    assert result.returncode == 0, result.stdout
    assert f"✓ safety.blocklist_file: {words} reads" in result.stdout.splitlines()


def test_a_twitch_config_without_a_client_id_is_a_problem_not_the_end(tmp_path, env):
    path = config(tmp_path)
    path.write_text(path.read_text().replace('client_id = "fake-client-id"\n', ""))
    result = check(path, env)
    assert result.returncode == 2
    assert crossed(result.stdout)[0].startswith("✗ twitch.client_id: missing")
    assert "✗ alpha_bot (bot): no token" in result.stdout  # the rest is still checked


# ------------------------------------------------------------------ --probe
@pytest.fixture
def ai() -> Iterator[tuple[FakeOpenAI, str]]:
    server = FakeOpenAI()
    server.chat_default = reply("OK")
    with serving_in_thread(server) as base_url:
        yield server, base_url


def test_the_ai_unreachable_with_probe(tmp_path, env):
    """The fake answers the probe, then stops listening: the probe says so, and only it."""
    path = tmp_path / "botdeck.toml"
    server = FakeOpenAI()
    server.chat_default = reply("OK")
    with serving_in_thread(server) as base_url:
        path.write_text(
            f'[ai]\nprovider = "openai"\nbase_url = "{base_url}"\napi_key_env = "CHECK_AI_KEY"\n'
            '[chat]\nsource = "simulated"\n[[bots]]\nname = "alpha_bot"\n'
        )
        result = check(path, env, "--probe")
        assert result.returncode == 0, result.stdout
        assert f"✓ ai: gpt-4o-mini at {base_url} answered in" in result.stdout
        assert len(server.chats) == 1
    assert check(path, env).returncode == 0  # without --probe nobody is asked
    result = check(path, env, "--probe")
    assert result.returncode == 2
    host = base_url.split("//")[1].split("/")[0]
    assert crossed(result.stdout) == [f"✗ ai: cannot reach {host}: connection refused (--probe)"]
    assert len(server.chats) == 1


def test_an_unknown_channel_with_probe(tmp_path, env, twitch, ai):
    _, base_url = ai
    authorize(env, "alpha_bot", "beta_bot")
    path = config(tmp_path, twitch_at=twitch.base, ai_url=base_url, channel="nosuchchannel")
    result = check(path, env, "--probe")
    assert result.returncode == 2
    assert crossed(result.stdout) == [
        "✗ chat.channel: there is no Twitch channel 'nosuchchannel' (--probe)"
    ]
    assert ("GET", "/helix/users") in twitch.requests


def test_a_refused_client_secret_with_probe(tmp_path, env, twitch, ai):
    _, base_url = ai
    authorize(env, "alpha_bot", "beta_bot")
    path = config(tmp_path, twitch_at=twitch.base, ai_url=base_url)
    result = check(path, {**env, "TWITCH_CLIENT_SECRET": "not-the-secret"}, "--probe")
    assert result.returncode == 2
    assert crossed(result.stdout) == [
        "✗ twitch.client_id: Twitch refused the client id or secret (HTTP 403: invalid client"
        " secret) (--probe)"
    ]


def test_a_probe_waits_until_its_own_findings_hold(tmp_path, env, twitch, ai):
    """No secret: Twitch is not asked (it would only refuse again); the AI still is."""
    server, base_url = ai
    authorize(env, "alpha_bot", "beta_bot")
    del env["TWITCH_CLIENT_SECRET"]
    path = config(tmp_path, twitch_at=twitch.base, ai_url=base_url)
    result = check(path, env, "--probe")
    assert result.returncode == 2
    assert len(crossed(result.stdout)) == 1 and len(server.chats) == 1
    assert twitch.requests == []
    assert result.stdout.splitlines()[-1] == (
        "botdeck check: 1 problem: `botdeck run` would not start (--probe asks the chat source"
        " once the ✗ above are fixed)"
    )


def test_everything_there_exits_0(tmp_path, env, twitch, ai):
    server, base_url = ai
    authorize(env, "alpha_bot", "beta_bot")
    path = config(tmp_path, twitch_at=twitch.base, ai_url=base_url)
    result = check(path, env, "--probe")
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert crossed(result.stdout) == []
    assert f"✓ ai: gpt-4o-mini at {base_url} answered in" in result.stdout
    channel_id = twitch.channel.id
    assert f"✓ chat: the channel streamer exists on Twitch (id {channel_id})" in lines
    assert lines[-1] == "botdeck check: ready: `botdeck run` would start"
    assert len(server.chats) == 1


# ------------------------------------------------------------------ --print
def test_print_shows_the_resolved_config_with_secrets_masked(tmp_path, env):
    authorize(env, "alpha_bot", "beta_bot")
    path = config(tmp_path)
    result = check(path, env, "--print")  # `check` asserts no secret is printed
    assert result.returncode == 0, result.stderr
    resolved = tomllib.loads(result.stdout)  # stdout is the config alone
    assert resolved["twitch"]["client_secret_env"] == "TWITCH_CLIENT_SECRET"
    assert resolved["ai"]["api_key_env"] == "CHECK_AI_KEY"
    assert 'client_secret_env = "TWITCH_CLIENT_SECRET"  # set' in result.stdout
    assert [b["name"] for b in resolved["bots"]] == ["alpha_bot", "beta_bot"]
    assert result.stderr.splitlines()[-1] == (
        "botdeck check: ready: `botdeck run` would start (--probe also asks the AI server and"
        " the chat source once)"
    )


def test_a_config_that_does_not_read_is_one_line_as_for_every_command(tmp_path, env):
    path = tmp_path / "botdeck.toml"
    path.write_text('[router]\nbogus = 1\n[[bots]]\nname = "abot"\n')
    result = check(path, env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"botdeck: {path}: router.bogus: unknown key\n"


def test_plain_marks_where_the_output_cannot_encode_them():
    """A Windows console redirected to a file (cp1252) gets "ok" and "!!", not a crash."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    findings = (Finding("config: fine"), Finding.problem("twitch.client_id: missing", "set it"))
    assert verdict(Readiness(findings), out, probed=True) == 2
    out.seek(0)
    assert out.read().splitlines() == [
        "ok config: fine",
        "!! twitch.client_id: missing",
        "  fix: set it",
        "botdeck check: 1 problem: `botdeck run` would not start",
    ]


def test_events_the_broadcasters_token_cannot_hear_are_warned_of_not_refused(tmp_path, env):
    """A run starts without them (and says so), so check still exits 0, naming each event
    and the scope it needs."""
    authorize(env, "alpha_bot", "beta_bot")
    extra = "[events.follow]\nenabled = true\n[events.cheer]\nenabled = true\n"
    path = config(tmp_path, extra=extra)
    result = check(path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert (
        "streamer (broadcaster): cheers need bits:read; follows need moderator:read:followers"
        " (no token): run `botdeck auth` and log in as streamer" in said
    )
    authorize(env, "streamer", scopes=("user:read:chat", "bits:read"))
    again = check(path, env)
    said = again.stdout + again.stderr
    assert "follows need moderator:read:followers (the token lacks them)" in said
    assert "cheers need" not in said
