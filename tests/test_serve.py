"""`botdeck serve`: the dashboard in a real browser (headless Chromium over the DevTools
protocol), a key pressed there drains the bots, and who may connect."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.browser import Page, until
from tests.cli import run_botdeck
from tests.png import colour_counts

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-0123456789abcdef"
BOTS = ("stickyman1776", "genejacqueman", "pixelsage")

# Records what the page's websocket receives (the dashboard's screen updates), so the test
# can read what the terminal draws on its canvas.
RECORD_SCREEN = """
(() => {
  const Original = window.WebSocket;
  const decoder = new TextDecoder();
  window.__screen = "";
  window.WebSocket = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") {
          const text = decoder.decode(new Uint8Array(event.data), {stream: true});
          window.__screen = (window.__screen + text).slice(-400000);
        }
      });
    }
  };
})();
"""
# No request leaves this machine (the page's stylesheet names a web font).
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    logs, config = str(tmp_path / "log"), str(tmp_path / "config")
    return {**os.environ, "BOTDECK_LOG_DIR": logs, "XDG_CONFIG_HOME": config,
            "PYTHONPATH": str(ROOT), **extra}  # fmt: skip


class Served:
    """A running `botdeck serve`; its first line says where it listens."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str]) -> None:
        self.journal = tmp_path / "journal.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "botdeck", "serve", "--port", "0", "--demo",
             "--journal", str(self.journal), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.first = self.proc.stdout.readline()
        match = re.search(r"open (http://\S+)", self.first)
        assert match, (
            f"no address: {self.first!r} {self.proc.stderr.read() if self.proc.stderr else ''}"
        )
        self.url = match.group(1)
        self.base = self.url.split("?")[0]
        self.output: list[str] = [self.first]
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        self.output.extend(self.proc.stdout)

    def events(self) -> list[dict]:
        if not self.journal.exists():
            return []
        return [json.loads(line) for line in self.journal.read_text().splitlines() if line]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=30)
        assert self.proc.stderr is not None
        errors = self.proc.stderr.read()
        assert "Traceback" not in errors + "".join(self.output), errors
        return code


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Served]:
    served = Served(tmp_path, env=env_for(tmp_path))
    yield served
    assert served.stop() == 0


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Served]:
    """Bound to 127.0.0.2: another address than 127.0.0.1, so a token is required."""
    served = Served(
        tmp_path, "--host", "127.0.0.2", env=env_for(tmp_path, BOTDECK_SERVE_TOKEN=TOKEN)
    )
    yield served
    assert served.stop() == 0


async def open_dashboard(page: Page, url: str) -> None:
    await page.send("Page.enable")
    await page.send("Page.addScriptToEvaluateOnNewDocument", source=RECORD_SCREEN)
    await page.send("Page.navigate", url=url)

    async def shows_the_cards() -> bool:
        screen = await page.evaluate("window.__screen || ''")
        return all(bot in str(screen) for bot in BOTS) and "running" in str(screen)

    await until(shows_the_cards, 60, "the bot cards on the page")
    await until(lambda: page.evaluate("document.body.classList.contains('-first-byte')"), 10)


async def test_the_page_shows_the_bot_cards_and_a_key_press_drains(local: Served, tmp_path):
    assert local.base.startswith("http://127.0.0.1:")
    async with Page(tmp_path / "profile", (OFFLINE,)) as page:
        await open_dashboard(page, local.url)
        shot = await page.send("Page.captureScreenshot", format="png")
        png = tmp_path / "dashboard.png"
        png.write_bytes(base64.b64decode(shot["data"]))
        colours = colour_counts(png)
        assert len(colours) > 20 and colours.most_common(1)[0][1] < sum(colours.values()) * 0.9
        await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        await page.press("d")
        await until(
            lambda: (
                {"event": "state", "state": "draining"}.items()
                <= next((e for e in local.events() if e.get("state") == "draining"), {}).items()
            ),
            30,
            "a draining state in the journal",
        )
        await until(lambda: page.evaluate("window.__screen.includes('drain')"), 10, "drain shown")


async def test_with_a_token_the_printed_link_opens_the_dashboard(remote: Served, tmp_path):
    assert remote.url == f"{remote.base}?token={TOKEN}" and remote.base.startswith(
        "http://127.0.0.2"
    )
    async with Page(tmp_path / "profile", (OFFLINE,)) as page:
        await open_dashboard(page, remote.url)
        assert await page.evaluate("location.search") == ""  # the token left the address bar


async def test_requests_without_the_token_are_refused(remote: Served):
    jar = aiohttp.CookieJar(unsafe=True)  # keeps cookies from an IP address, as browsers do
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        for path in ("/", f"/?token={TOKEN[:-1]}x", "/static/js/textual.js"):
            async with http.get(remote.base.rstrip("/") + path) as response:
                assert response.status == 403, path
                assert (await response.text()).startswith("botdeck: wrong or missing access token")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(remote.base + "ws")
        assert refused.value.status == 403
        async with http.get(remote.base + f"?token={TOKEN}", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/"
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        async with http.get(remote.base + "static/js/textual.js") as response:
            assert response.status == 200  # the cookie now goes with every request
        with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
            await http.ws_connect(remote.base + "ws", headers={"Origin": "http://evil.example"})
        assert foreign.value.status == 403
    assert TOKEN not in "".join(remote.output[1:])  # printed once, never logged


async def test_a_second_browser_is_refused_while_one_is_open(local: Served):
    async with aiohttp.ClientSession() as http:
        first = await http.ws_connect(local.base + "ws")
        try:
            with pytest.raises(aiohttp.WSServerHandshakeError) as second:
                await http.ws_connect(local.base + "ws")
            assert second.value.status == 409
        finally:
            await first.close()
        await until(lambda: local.events() != [], 30, "the first session's journal")


async def test_only_requests_addressed_to_this_machine_are_answered(local: Served):
    port = local.base.rsplit(":", 1)[1].strip("/")
    headers = {"Host": f"rebound.example:{port}"}
    async with aiohttp.ClientSession() as http, http.get(local.base, headers=headers) as response:
        assert response.status == 403


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_botdeck("serve", "--demo", "--port", str(port), env=env_for(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"botdeck: --port: 127.0.0.1:{port} is already in use (another botdeck serve?);"
        " choose another with --port"
    )


def test_a_malformed_token_is_one_line_and_exit_2_without_echoing_it(tmp_path: Path):
    env = env_for(tmp_path, BOTDECK_SERVE_TOKEN="short secret")
    result = run_botdeck("serve", "--demo", "--host", "127.0.0.2", "--port", "0", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("botdeck: BOTDECK_SERVE_TOKEN: expected 16-128")
    assert "short secret" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_bad_config_is_refused_before_serving(tmp_path: Path):
    (tmp_path / "botdeck.toml").write_text('[ai]\nprovider = "ollama"\n[[bots]]\nname = "abot"\n')
    result = run_botdeck("serve", env=env_for(tmp_path), cwd=tmp_path, timeout=30)
    assert result.returncode == 2 and "ai.provider" in result.stderr


def dashboards_running(journal: Path) -> list[int]:
    """Processes whose command line names this journal (the served dashboards)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(journal).encode() in command:
                found.append(int(entry.name))
    return found


async def test_stopping_serve_with_a_session_open_ends_its_dashboard(tmp_path: Path):
    served = Served(tmp_path, env=env_for(tmp_path))
    async with aiohttp.ClientSession() as http:
        session = await http.ws_connect(served.base + "ws")
        try:
            await until(lambda: any(e["event"] == "chat" for e in served.events()), 30, "chat")
            assert dashboards_running(served.journal)
            assert served.stop() == 0  # no traceback either
        finally:
            await session.close()
    assert dashboards_running(served.journal) == []
    states = [e["state"] for e in served.events() if e["event"] == "state"]
    assert states[-1] == "drained"  # the dashboard was told to quit: it drained, and said so
