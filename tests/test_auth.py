"""`botdeck auth`: the console guide, the OAuth round trip through twitchio's adapter (with
the fake standing in for Twitch and the browser), the token file, and `--status`."""

from __future__ import annotations

import asyncio
import io
import os
import queue
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from botdeck.commands.auth import status
from botdeck.config import ConfigError, parse_config
from botdeck.twitch.auth import authorize
from botdeck.twitch.device_auth import authorize_device
from botdeck.twitch.settings import BROADCASTER_SCOPES
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.fakes.twitch_server import BOT_SCOPES, FakeTwitch
from tests.fakes.twitch_thread import ThreadedFake
from tests.harness.cli import run_botdeck


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwitch]:
    server = FakeTwitch()
    await server.start()
    for bot in ("alpha_bot", "beta_bot"):
        server.add_user(bot)
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BOTDECK_DATA_DIR", str(tmp_path / "data"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config_for(fake: FakeTwitch, events: dict | None = None, **bots: dict) -> object:
    entries = [{"name": name, **extra} for name, extra in (bots or {"alpha_bot": {}}).items()]
    return parse_config(
        {
            "events": events or {},
            "chat": {"source": "twitch", "channel": fake.channel.login},
            "twitch": {
                "client_id": fake.client_id,
                "api_url": fake.api_url,
                "auth_url": fake.auth_url,
                "eventsub_url": fake.eventsub_url,
                "redirect_uri": f"http://127.0.0.1:{free_port()}/oauth/callback",
            },
            "bots": entries,
        }
    )


def secrets_of(fake: FakeTwitch) -> list[str]:
    values = [fake.client_secret] + [t.value for t in fake.tokens.values()]
    return values + [t.refresh for t in fake.tokens.values() if t.refresh]


class Browser:
    """Logs in as the given accounts in turn, approves, follows the redirect back."""

    def __init__(self, *logins: str) -> None:
        self.logins = list(logins)
        self.pages: list[str] = []

    async def __call__(self, login: str, url: str) -> None:
        who = self.logins.pop(0) if self.logins else login
        async with aiohttp.ClientSession() as session, session.get(f"{url}&login={who}") as page:
            self.pages.append(await page.text())


async def test_authorize_stores_every_account_with_its_scopes(fake, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    config = config_for(fake, alpha_bot={}, beta_bot={})
    out = io.StringIO()
    # The first login is the wrong account: botdeck says so and asks again.
    browser = Browser("beta_bot", "alpha_bot", "beta_bot", "streamer")
    assert await authorize(config, out=out, open_url=browser) == 0
    stored = TokenStore().load(fake.client_id)
    assert set(stored) == {"alpha_bot", "beta_bot", "streamer"}
    assert set(stored["alpha_bot"].scopes) == set(BOT_SCOPES)
    assert set(stored["streamer"].scopes) == {  # it reads best, and says who follows
        "channel:bot", "user:read:chat", "moderator:read:followers", "moderation:read",
    }  # fmt: skip
    assert stored["alpha_bot"].user_id == fake.users["alpha_bot"].id
    assert stored["alpha_bot"].access_token == fake.token_of("alpha_bot").value
    assert stat.S_IMODE(TokenStore().path.stat().st_mode) == 0o600
    text = out.getvalue()
    assert "that was beta_bot, not alpha_bot" in text
    assert browser.pages[-1] == "botdeck: authorized. You can close this tab."
    assert not [s for s in secrets_of(fake) if s in text]


EVENTS_ON = {"follow": {"enabled": True}, "cheer": {"enabled": True},
             "redeem": {"enabled": True}}  # fmt: skip


async def test_authorize_asks_the_broadcaster_for_what_the_events_need(fake, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    config = config_for(fake, events=EVENTS_ON)
    out = io.StringIO()
    assert await authorize(config, out=out, open_url=Browser(), only=["streamer"]) == 0
    stored = TokenStore().load(fake.client_id)
    assert set(stored["streamer"].scopes) == {
        "channel:bot", "user:read:chat", "moderator:read:followers", "moderation:read",
        "bits:read", "channel:manage:redemptions",
    }  # fmt: skip


async def test_status_says_which_event_misses_which_scope(fake, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    for login, scopes in (("alpha_bot", BOT_SCOPES), ("streamer", ("channel:bot", "bits:read"))):
        token = fake._token(fake.users[login].id, scopes)
        TokenStore().save(
            fake.client_id,
            StoredToken(login, fake.users[login].id, token.value, token.refresh, scopes),
        )
    out = io.StringIO()
    assert await status(config_for(fake, events=EVENTS_ON), out=out) == 1
    [row] = [line for line in out.getvalue().splitlines() if "streamer" in line]
    assert row.startswith("!! ")
    assert "follows need moderator:read:followers" in row
    assert "channel points need channel:manage:redemptions" in row
    assert "cheers need" not in row  # granted
    out = io.StringIO()
    assert await status(config_for(fake), out=out) == 0  # no event asks for more


async def test_a_redirect_this_run_did_not_issue_is_refused(fake, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    config = config_for(fake)

    async def forged_then_real(login: str, url: str) -> None:
        callback = config.twitch.redirect_uri  # type: ignore[attr-defined]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{callback}?code=stolen&state=guessed") as page:
                assert page.status == 400
            async with session.get(f"{url}&login={login}") as page:
                assert page.status == 200

    out = io.StringIO()
    assert await authorize(config, out=out, open_url=forged_then_real, only=["alpha_bot"]) == 0
    assert set(TokenStore().load(fake.client_id)) == {"alpha_bot"}


async def test_status_lists_scopes_and_expiry_and_never_a_token(fake, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    fake.add_user("gamma_bot", scopes=BOT_SCOPES)
    for login in ("alpha_bot", "streamer"):
        scopes = BOT_SCOPES if login == "alpha_bot" else ("channel:bot",)
        token = fake._token(fake.users[login].id, scopes)
        TokenStore().save(
            fake.client_id,
            StoredToken(login, fake.users[login].id, token.value, token.refresh, scopes),
        )
    fake.expire("alpha_bot")  # expired, refreshable: refreshed and saved back
    monkeypatch.setenv("GAMMA_TOKEN", fake.token_of("gamma_bot").value)
    config = config_for(fake, alpha_bot={}, beta_bot={}, gamma_bot={"token_env": "GAMMA_TOKEN"})
    out = io.StringIO()
    assert await status(config, out=out) == 1  # beta_bot has no token
    lines = out.getvalue().splitlines()
    row = {line.split()[1]: line for line in lines if line[:3] in ("ok ", "!! ")}
    assert row["alpha_bot"].startswith("ok ") and "refreshed and saved" in row["alpha_bot"]
    assert "user:write:chat" in row["alpha_bot"] and "expires in 3h 53m" in row["alpha_bot"]
    assert row["beta_bot"].startswith("!! ") and "not authorized: no token" in row["beta_bot"]
    assert row["gamma_bot"].startswith("ok ") and "env GAMMA_TOKEN" in row["gamma_bot"]
    assert row["streamer"].startswith("ok ") and "channel:bot" in row["streamer"]
    assert lines[0].split() == ["account", "role", "token", "from", "scopes", "and", "expiry"]
    assert TokenStore().load(fake.client_id)["alpha_bot"].access_token == (
        fake.token_of("alpha_bot").value
    )
    assert not [s for s in secrets_of(fake) if s in out.getvalue()]


async def test_without_a_client_id_auth_explains_the_console_step():
    bare = parse_config(
        {"twitch": {"client_id": ""}, "bots": [{"name": "alpha_bot"}]}, twitch_ready=False
    )
    out = io.StringIO()
    with pytest.raises(ConfigError, match=r"twitch\.client_id: missing"):
        await authorize(bare, out=out)
    assert "dev.twitch.tv/console/apps" in out.getvalue()
    assert "OAuth Redirect URLs: http://localhost:4343/oauth/callback" in out.getvalue()


def test_the_auth_command_guides_and_exits_2(tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text('[chat]\nsource = "twitch"\nchannel = "streamer"\n\n[[bots]]\nname = "abot"\n')
    env = {**os.environ, "BOTDECK_DATA_DIR": str(tmp_path / "data")}
    env.pop("TWITCH_CLIENT_SECRET", None)
    result = run_botdeck("auth", "--config", str(path), env=env, timeout=30)
    assert result.returncode == 2
    assert "Register Your Application" in result.stdout
    assert result.stderr.strip() == "botdeck: twitch.client_id: missing (see the steps above)"
    assert not Path(tmp_path / "data").exists()


# ------------------------------------------------------------ device code flow
async def test_device_login_authorizes_every_account_and_stores_its_tokens(fake, monkeypatch):
    monkeypatch.delenv("TWITCH_CLIENT_SECRET", raising=False)  # a device login needs none
    config = config_for(fake, alpha_bot={}, beta_bot={})
    shown: list[tuple[str, str, str]] = []

    def approve_later(login: str, code: str, url: str) -> None:
        shown.append((login, code, url))  # the person types the code on their phone...
        asyncio.get_running_loop().call_later(0.05, fake.approve, code, login)

    out = io.StringIO()
    assert await authorize_device(config, out=out, on_code=approve_later, poll_every=0.01) == 0
    stored = TokenStore().load(fake.client_id)
    assert set(stored) == {"alpha_bot", "beta_bot", "streamer"}
    assert stored["beta_bot"].access_token == fake.token_of("beta_bot").value
    assert set(stored["streamer"].scopes) == set(BROADCASTER_SCOPES)
    text = out.getvalue()
    for login, code, url in shown:
        assert f"log in to Twitch as {login}, enter the code {code}" in text and url in text
    assert fake.requests.count(("POST", "/oauth2/token")) > len(shown)  # it polled
    assert not [s for s in secrets_of(fake) if s in text]


class DeviceRun:
    """`botdeck auth --device` as a subprocess, its output read line by line as it comes."""

    def __init__(self, tmp_path: Path, fake: FakeTwitch) -> None:
        config = tmp_path / "botdeck.toml"
        config.write_text(
            f'[chat]\nsource = "twitch"\nchannel = "{fake.channel.login}"\n'
            f'[twitch]\nclient_id = "{fake.client_id}"\napi_url = "{fake.api_url}"\n'
            f'auth_url = "{fake.auth_url}"\neventsub_url = "{fake.eventsub_url}"\n'
            '[[bots]]\nname = "alpha_bot"\n'
        )
        env = {**os.environ, "BOTDECK_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "botdeck", "auth", "--device", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for row in self.proc.stdout:
            self.lines.put(row)

    def code(self, within: float = 20) -> str:
        """The user code printed for the first account."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            row = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if "enter the code" in row:
                return row.split("enter the code ")[1].split()[0]
        raise AssertionError("no code shown")

    def finish(self, within: float = 30) -> tuple[int, str]:
        try:
            _, stderr = self.proc.communicate(timeout=within)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return self.proc.returncode, stderr


@pytest.fixture
def device_fake(tmp_path):
    """A fake Twitch on its own thread, with a token already stored for alpha_bot."""
    with ThreadedFake() as fake:
        fake.add_user("alpha_bot")
        fake.device_interval = 0.05
        token = fake._token(fake.users["alpha_bot"].id, BOT_SCOPES)
        store = TokenStore(tmp_path / "data" / "tokens.json")
        store.save(
            fake.client_id,
            StoredToken("alpha_bot", fake.users["alpha_bot"].id, token.value, token.refresh),
        )
        yield fake, store, token.value


def test_a_device_code_approved_by_the_wrong_account_exits_2_and_keeps_the_old_token(
    tmp_path, device_fake
):
    fake, store, old = device_fake
    fake.add_user("beta_bot")
    run = DeviceRun(tmp_path, fake)
    fake.approve(run.code(), "beta_bot")
    code, stderr = run.finish()
    assert code == 2
    assert stderr.strip() == (
        "botdeck: alpha_bot: the code was approved by beta_bot, not alpha_bot; nothing was"
        " saved for alpha_bot: log in to Twitch as alpha_bot (log out of beta_bot first) and"
        " run `botdeck auth --device` again"
    )
    assert store.load(fake.client_id)["alpha_bot"].access_token == old


def test_a_device_code_that_expires_exits_2_and_keeps_the_old_token(tmp_path, device_fake):
    fake, store, old = device_fake
    fake.device_expires_in = 1
    run = DeviceRun(tmp_path, fake)
    shown = run.code()
    code, stderr = run.finish()
    assert code == 2
    assert stderr.strip() == (
        f"botdeck: alpha_bot: the code {shown} expired before it was approved; run `botdeck"
        " auth --device` again and approve the new code within 1 min"
    )
    assert store.load(fake.client_id)["alpha_bot"].access_token == old


def test_a_client_without_the_device_flow_exits_2_and_keeps_the_old_token(tmp_path, device_fake):
    fake, store, old = device_fake
    fake.device_flow = False
    code, stderr = DeviceRun(tmp_path, fake).finish()
    assert code == 2
    assert stderr.strip() == (
        "botdeck: twitch.client_id: Twitch will not run the Device Code Flow for this client"
        " (HTTP 400: invalid client type for device code flow): check the client id, or use"
        " `botdeck auth` in a browser on this machine"
    )
    assert store.load(fake.client_id)["alpha_bot"].access_token == old


# ------------------------------------------------------------ the token file as a secret
MALFORMED = {
    '{"clients": []}': "clients: a list, not a table",
    '{"clients": {"cid": []}}': "clients.cid: a list, not a table",
    '{"clients": "x"}': "clients: text, not a table",
    '{"clients": {"cid": {"abot": []}}}': "clients.cid.abot: a list, not a table",
    '{"clients": {"cid": {"abot": {"user_id": "1"}}}}': "clients.cid.abot: no access_token",
    '{"clients": {"cid": {"abot": {"user_id": "1", "access_token": 5}}}}': (
        "clients.cid.abot.access_token: a number, not text"
    ),
    '{"clients": {"cid": {"abot": {"user_id": "1", "access_token": "t", "scopes": [1]}}}}': (
        "clients.cid.abot.scopes: not a list of names"
    ),
    "[]": "a list at the top, not a table",
}


@pytest.mark.parametrize("text", list(MALFORMED))
def test_a_token_file_of_another_shape_is_one_line_and_is_never_overwritten(tmp_path, text):
    store = TokenStore(tmp_path / "tokens.json")
    store.path.write_text(text)
    expected = (
        f"{store.path}: the token file is damaged ({MALFORMED[text]}): delete it (or move it"
        " away) and run `botdeck auth`"
    )
    with pytest.raises(ConfigError) as damaged:
        store.load("cid")
    assert str(damaged.value) == expected
    with pytest.raises(ConfigError):  # a save would drop what the file held: it stops too
        store.save("cid", StoredToken("abot", "1", "access-token-1", "refresh-token-1"))
    assert store.path.read_text() == text


def twitch_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    """A Twitch config whose Twitch is a port nobody listens on."""
    path = tmp_path / "botdeck.toml"
    path.write_text(
        f'[chat]\nsource = "twitch"\nchannel = "streamer"\n[twitch]\nclient_id = "cid"\n'
        f'api_url = "http://127.0.0.1:{port}/helix/"\nauth_url = "http://127.0.0.1:{port}/"\n'
        f'eventsub_url = "ws://127.0.0.1:{port}/ws"\n[[bots]]\nname = "abot"\n{extra}'
    )
    return path


def cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BOTDECK_DATA_DIR": str(tmp_path / "data"),
        "BOTDECK_LOG_DIR": str(tmp_path / "logs"),
        "TWITCH_CLIENT_SECRET": "client-secret-1",
    }


@pytest.mark.parametrize("command", [["auth", "--status"], ["check"], ["run", "--headless"]])
def test_a_damaged_token_file_stops_status_check_and_run_with_one_line(tmp_path, command):
    config = twitch_config(tmp_path, free_port())
    tokens = tmp_path / "data" / "tokens.json"
    tokens.parent.mkdir()
    tokens.write_text('{"clients": {"cid": []}}')
    result = run_botdeck(*command, "--config", str(config), env=cli_env(tmp_path), timeout=30)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    damaged = (
        f"{tokens}: the token file is damaged (clients.cid: a list, not a table):"
        " delete it (or move it away) and run `botdeck auth`"
    )
    if command == ["check"]:  # a line of its checklist, in place of the token's
        assert f"✗ {damaged}" in result.stdout.splitlines()
        assert "abot (bot)" not in result.stdout
    else:
        assert result.stderr.strip().splitlines() == [f"botdeck: {damaged}"]


def store_token(
    path: Path,
    login: str = "abot",
    mode: int = 0o600,
    scopes: tuple[str, ...] = ("user:read:chat",),
) -> None:
    TokenStore(path).save(
        "cid", StoredToken(login, "1", "access-token-1", "refresh-token-1", scopes, 1e9)
    )
    path.chmod(mode)


@pytest.mark.skipif(os.name == "nt", reason="mode bits say who may read on POSIX only")
def test_a_token_file_others_can_read_gets_a_warning_and_the_fix(tmp_path):
    tokens = tmp_path / "data" / "tokens.json"
    store_token(tokens, mode=0o644, scopes=BOT_SCOPES)
    fix = f"run `chmod 600 {tokens}`"
    checked = run_botdeck("check", "--config", str(twitch_config(tmp_path, free_port())),
                          env=cli_env(tmp_path), timeout=30)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == (
        f"botdeck: warning: {tokens}: the token file can be read by other users (mode 0644)"
        f" and holds your accounts' Twitch tokens: {fix}"
    )
    status_run = run_botdeck("auth", "--status", "--config", str(tmp_path / "botdeck.toml"),
                             env=cli_env(tmp_path), timeout=30)  # fmt: skip
    assert (
        f"can be read by other users (mode 0644) and holds your accounts' Twitch tokens: {fix}"
        in (status_run.stdout)
    )
    tokens.chmod(0o640)
    assert "can be read by its group (mode 0640)" in str(TokenStore(tokens).permission_warning())
    tokens.chmod(0o600)
    assert TokenStore(tokens).permission_warning() is None


def test_status_without_twitch_shows_what_is_known_and_exits_3(tmp_path):
    store_token(tmp_path / "data" / "tokens.json")
    result = run_botdeck("auth", "--status", "--config", str(twitch_config(tmp_path, free_port())),
                         env=cli_env(tmp_path), timeout=60)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert result.stderr == "" and "access-token-1" not in result.stdout
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if line[:3] == "?? "}
    saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(1e9))
    assert rows["abot"].endswith(
        f"not validated (Twitch unreachable); saved {saved} with user:read:chat"
    )
    assert result.stdout.splitlines()[-1] == (
        "could not reach Twitch (127.0.0.1: Connection refused): the tokens marked ?? were not"
        " validated; what is shown is what the token file says"
    )


async def test_status_when_twitch_does_not_resolve_asks_once_and_exits_3(monkeypatch, tmp_path):
    import socket
    import types

    from twitchio.authentication import OAuth

    asked: list[str] = []

    async def no_dns(self, token: str) -> None:
        asked.append(token)
        key = types.SimpleNamespace(host="id.twitch.tv", port=443, ssl=True)
        raise aiohttp.ClientConnectorDNSError(key, socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(OAuth, "validate_token", no_dns)
    store_token(tmp_path / "data" / "tokens.json", "abot")
    store_token(tmp_path / "data" / "tokens.json", "streamer")
    config = parse_config(
        {
            "chat": {"source": "twitch", "channel": "streamer"},
            "twitch": {"client_id": "cid"},
            "bots": [{"name": "abot"}],
        }
    )
    out = io.StringIO()
    assert await status(config, out=out) == 3
    assert len(asked) == 1  # once Twitch does not answer, the next account does not wait
    text = out.getvalue()
    marked = [line.split()[1] for line in text.splitlines() if line.startswith("?? ")]
    assert marked == ["abot", "streamer"] and "id.twitch.tv: Name or service not known" in text


async def test_status_says_which_bots_do_not_follow(fake, monkeypatch):
    """Followers-only mode holds a bot that does not follow: said before going live."""
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", fake.client_secret)
    for login in ("alpha_bot", "beta_bot", "streamer"):
        scopes = ("channel:bot", "moderator:read:followers") if login == "streamer" else BOT_SCOPES
        token = fake._token(fake.users[login].id, scopes)
        TokenStore().save(
            fake.client_id,
            StoredToken(login, fake.users[login].id, token.value, token.refresh, scopes),
        )
    fake.follow("alpha_bot", minutes_ago=60 * 24)
    config = config_for(fake, alpha_bot={}, beta_bot={})
    out = io.StringIO()
    assert await status(config, out=out) == 0
    text = out.getvalue()
    assert "   alpha_bot follows #streamer since " in text
    assert "   beta_bot does not follow #streamer: followers-only mode would hold it" in text
    assert not [s for s in secrets_of(fake) if s in text]
