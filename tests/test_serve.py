"""`botdeck serve`: the dashboard in a real browser (headless Chromium over the DevTools
protocol), a key pressed there drains the bots, who may connect, and a run that outlives
its pages (closed, reloaded, dropped, or sending frames that make no sense)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSMsgType

from tests.harness.browser import Page
from tests.harness.cli import run_botdeck
from tests.harness.journals import OUTCOMES
from tests.harness.png import colour_counts
from tests.harness.waiting import until

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
    """A running `botdeck serve` (of the demo unless `source` says otherwise); its first
    line says where it listens."""

    def __init__(
        self, tmp_path: Path, *args: str, env: dict[str, str], source: tuple[str, ...] = ("--demo",)
    ) -> None:
        self.journal = tmp_path / "journal.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "botdeck", "serve", "--port", "0", *source,
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

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Stop serving (the dashboard drains first); its exit code. Its stderr is kept in
        `errors`, and neither output may hold a traceback."""
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # leave nothing running on a shared machine
            for pid in [*dashboards(self), self.proc.pid]:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise
        assert self.proc.stderr is not None
        self.errors = self.proc.stderr.read()
        assert "Traceback" not in self.errors + "".join(self.output), self.errors
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


async def shows_the_cards(page: Page) -> bool:
    """The whole dashboard is on this page: every bot's card and the header's state (a
    partial repaint would redraw only what changed, not the bots' names)."""
    screen = str(await page.evaluate("window.__screen || ''"))
    return all(bot in screen for bot in BOTS) and "running" in screen


class RawPage:
    """The page as a bare websocket client: it reads what the dashboard draws (answering
    pings, as a browser does) and sends frames as the page's script would."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.screen = ""
        self.texts: list[str] = []
        self.reason = ""  # why the server closed it, as the page would show
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message.type is WSMsgType.BINARY:
                text = message.data.decode("utf-8", "replace")
                self.screen = (self.screen + text)[-400_000:]
            elif message.type is WSMsgType.TEXT:
                self.texts.append(message.data)
            else:
                if message.type is WSMsgType.CLOSE:
                    self.reason = message.extra or ""
                return

    @property
    def closed(self) -> bool:
        return self._reader.done()

    def shows_the_cards(self) -> bool:
        return all(bot in self.screen for bot in BOTS) and "running" in self.screen

    async def send(self, frame: object) -> None:
        await self.websocket.send_str(json.dumps(frame))

    async def pong(self, tag: str) -> None:
        """Ping through the page's own command and wait for the answer: every frame sent
        before it has been read, and the socket still works."""
        await self.send(["ping", tag])
        await until(lambda: json.dumps(["pong", tag]) in self.texts, 10, f"pong {tag}")

    async def close(self) -> None:
        await self.websocket.close()
        await self._reader


@asynccontextmanager
async def raw_page(served: Served, http: aiohttp.ClientSession) -> AsyncIterator[RawPage]:
    page = RawPage(await http.ws_connect(served.base + "ws?width=120&height=40"))
    try:
        await until(page.shows_the_cards, 60, "the bot cards on the raw page")
        yield page
    finally:
        await page.close()


async def was_dropped(websocket: aiohttp.ClientWebSocketResponse) -> bool:
    """Reads what the socket was sent; then it must end (answering the server's ping on
    a connection it dropped fails too)."""
    try:
        while (await websocket.receive(timeout=10)).type in (WSMsgType.BINARY, WSMsgType.TEXT):
            pass
    except ConnectionError:
        return True
    return websocket.closed


def mention_outcomes(events: list[dict]) -> dict[int, str | None]:
    """Each mention's job (high priority) and how it ended so far (None: still open)."""
    jobs: dict[int, str | None] = {
        e["job"]: None for e in events if e["event"] == "enqueued" and e["priority"] == "high"
    }
    for event in events:
        if event["event"] in OUTCOMES and event.get("job") in jobs:
            jobs[event["job"]] = event["event"]
    return jobs


def sent_count(served: Served) -> int:
    return sum(1 for e in served.events() if e["event"] == "sent")


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
    async with aiohttp.ClientSession() as http, raw_page(local, http):
        started = time.monotonic()
        with pytest.raises(aiohttp.WSServerHandshakeError) as second:
            await http.ws_connect(local.base + "ws")
        assert second.value.status == 409
        assert time.monotonic() - started < 5  # the open page answered its ping at once


async def test_a_page_that_no_longer_answers_gives_way_to_a_new_one(local: Served):
    """A dropped connection the server has not noticed yet (a tablet's Wi-Fi gone): it
    does not answer a ping, so a new page takes over instead of getting 409."""
    async with aiohttp.ClientSession() as http:
        silent = await http.ws_connect(local.base + "ws")  # never read: never answers
        await until(lambda: local.events() != [], 30, "the run's journal")
        async with raw_page(local, http) as page:
            await page.send(["stdin", "d"])
            await until(lambda: any(e.get("state") == "draining" for e in local.events()), 30)
        assert await was_dropped(silent)


async def test_the_page_closes_its_socket_when_left_and_says_why_it_closed(local: Served):
    async with aiohttp.ClientSession() as http, http.get(local.base) as response:
        page = await response.text()
    head = page[page.index("<head>") : page.index("textual.js")]
    assert 'addEventListener("pagehide"' in head  # before textual.js opens the socket
    assert "Disconnected: the bots are still running." in head and "event.reason" in head


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


SLOW_REPLIES = """
[router]
global_concurrency = 1
per_bot_concurrency = 1
random_reply_chance = 0.0

[router.delays]
high = [1.0, 1.0]

[chat]
source = "simulated"
scenario = "questions"

[chat.scenario_params]
count = 20
within = 2
""" + "".join(f'\n[[bots]]\nname = "{bot}"\n' for bot in BOTS)


def dashboards(served: Served) -> list[int]:
    """The served dashboard processes: their command lines name this journal (so does
    serve's own, which is not one of them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != served.proc.pid:
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(served.journal).encode() in command:
                found.append(int(entry.name))
    return found


def the_dashboard(served: Served) -> int:
    (pid,) = dashboards(served)
    return pid


async def test_a_closed_or_reloaded_page_leaves_the_run_going_and_a_new_one_reattaches(
    tmp_path: Path,
):
    (tmp_path / "botdeck.toml").write_text(SLOW_REPLIES)
    served = Served(tmp_path, env=env_for(tmp_path), source=("--config", "botdeck.toml"))

    async def goes_on_without_a_page() -> None:
        before = sent_count(served)
        await until(lambda: sent_count(served) >= before + 2, 30, "replies with no page")
        assert the_dashboard(served) == dashboard
        assert None in mention_outcomes(served.events()).values()  # still queued

    try:
        async with Page(tmp_path / "profile", (OFFLINE,)) as page:
            await open_dashboard(page, served.url)
            await until(lambda: sent_count(served) >= 1, 30, "a first reply sent")
            dashboard = the_dashboard(served)

            await page.send("Page.reload")  # the old page's socket closes as the new one opens
            await until(lambda: shows_the_cards(page), 30, "the cards after a reload")
            assert the_dashboard(served) == dashboard

            await page.send("Page.navigate", url="about:blank")  # left (kept for going back)
            await goes_on_without_a_page()
            await page.send("Page.navigate", url=served.url)  # opened again: reattached
            await until(lambda: shows_the_cards(page), 30, "the whole screen on the new page")

            await page.new_tab()  # the tab is closed
            await goes_on_without_a_page()
            await open_dashboard(page, served.url)  # in a new tab: reattached
            assert the_dashboard(served) == dashboard
            await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
            await page.press("d")
            await until(
                lambda: any(e.get("state") == "drained" for e in served.events()), 60, "drained"
            )
            await page.press("q")  # drained, so the dashboard quits: the page says so
            message = "document.querySelector('.closed-dialog .message').textContent"
            await until(
                lambda: page.evaluate(f"{message}.startsWith('The dashboard has closed')"), 30
            )
            await until(lambda: dashboards(served) == [], 30, "the dashboard gone")
        outcomes = mention_outcomes(served.events())
        assert len(outcomes) == 20 and set(outcomes.values()) == {"sent"}, outcomes
        assert not [e for e in served.events() if e["event"] == "cancelled"]
    finally:
        assert served.stop() == 0
    assert dashboards(served) == []


async def test_frames_that_make_no_sense_are_ignored_and_the_page_stays(local: Served):
    nonsense = [
        "[]", "notjson", '["resize", {}]', '{"stdin": "d"}', "42", '"stdin"', "[" * 50_000,
        '["resize", {"width": "80", "height": 24}]', '["resize", {"width": true, "height": 2}]',
        '["stdin", 5]', '["stdin"]', '["stdin", "\\ud800"]', '["nonsense", 1]', '["ping"]', "[]",
        json.dumps(["stdin", "x" * (8 * 1024 * 1024)]),  # over 64 KiB (aiohttp's cap is 4 MiB)
    ]  # fmt: skip
    async with aiohttp.ClientSession() as http, raw_page(local, http) as page:
        dashboard = the_dashboard(local)
        for number, frame in enumerate(nonsense):
            await page.websocket.send_str(frame)
            await page.pong(str(number))
        await page.websocket.send_bytes(os.urandom(4096))
        await page.pong("binary")
        await page.websocket.send_frame(b"\xff\xfe not UTF-8", WSMsgType.TEXT)
        await page.pong("not UTF-8")
        await page.send(["resize", {"width": 10**9, "height": 10**9}])  # clamped, not obeyed
        await page.pong("huge size")
        assert the_dashboard(local) == dashboard and not page.closed
        await page.send(["stdin", "d"])
        await until(lambda: any(e.get("state") == "draining" for e in local.events()), 30)
        assert all(text.startswith('["pong"') for text in page.texts)  # nothing else shown
    assert local.stop() == 0  # no traceback either
    warnings = local.errors.splitlines()
    assert len(warnings) == len(set(warnings)) == 10, warnings  # once per kind
    assert all(line.startswith("botdeck serve: ignored ") for line in warnings)
    assert "xxxx" not in local.errors


async def test_a_dropped_connection_or_an_oversized_frame_ends_only_that_page(local: Served):
    async with aiohttp.ClientSession() as http:
        async with raw_page(local, http) as page:
            dashboard = the_dashboard(local)
            assert page.websocket._response.connection is not None
            page.websocket._response.connection.transport.abort()  # no closing handshake
        before = len(local.events())
        await until(lambda: len(local.events()) > before, 30, "the run going on")
        async with raw_page(local, http) as page:
            assert the_dashboard(local) == dashboard
            with suppress(ConnectionError):  # refused from its header on: 1009 and closed
                await page.websocket.send_str("x" * (17 * 1024 * 1024))  # over MAX_FRAME
            await until(lambda: page.closed, 10, "the socket closed")
        async with raw_page(local, http) as page:
            assert the_dashboard(local) == dashboard
            await page.send(["stdin", "d"])
            await until(lambda: any(e.get("state") == "draining" for e in local.events()), 30)
    assert not [e for e in local.events() if e["event"] == "cancelled"]


async def test_a_page_that_stops_reading_is_dropped_and_the_run_never_waits_for_it(
    local: Served,
):
    """A page that takes nothing (a frozen tab, a stalled link): the run's output piles up
    in the page's queue, not in the dashboard's pipe, and 4 MiB behind the page is dropped."""
    async with aiohttp.ClientSession() as http:
        stuck = await http.ws_connect(local.base + "ws?width=120&height=40")  # never read
        await until(lambda: local.events() != [], 30, "the run's journal")
        dashboard, before = the_dashboard(local), len(local.events())
        deadline = time.monotonic() + 60
        with suppress(ConnectionError):  # writing to a dropped connection fails
            for n in itertools.count():  # each resize repaints up to 500,000 cells
                assert time.monotonic() < deadline, "the stuck page was never dropped"
                size = {"width": 1000 - n % 2, "height": 500}
                await stuck.send_str(json.dumps(["resize", size]))
                await asyncio.sleep(0.5)  # paced: Textual merges resizes closer together
        assert await was_dropped(stuck)
        assert len(local.events()) > before  # the run went on while the page was stuck
        async with raw_page(local, http):
            assert the_dashboard(local) == dashboard
    assert local.stop() == 0
    assert "fell more than 4 MiB behind; the run goes on" in local.errors


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_stopping_serve_with_no_page_drains_the_run(tmp_path: Path, signum: int):
    served = Served(tmp_path, env=env_for(tmp_path))
    async with aiohttp.ClientSession() as http, raw_page(served, http):
        await until(lambda: mention_outcomes(served.events()), 30, "a mention")
        assert the_dashboard(served)
    before = len(served.events())
    await until(lambda: len(served.events()) > before, 30, "the run going on with no page")
    assert served.stop(signum) == 0
    assert dashboards(served) == []
    states = [e["state"] for e in served.events() if e["event"] == "state"]
    assert states[-2:] == ["draining", "drained"], states
    assert not [e for e in served.events() if e["event"] == "cancelled"]
    assert None not in mention_outcomes(served.events()).values()
    assert "drain" in "".join(served.output)  # serve said what it was waiting for


async def test_a_second_ctrl_c_stops_the_bots_at_once(tmp_path: Path):
    (tmp_path / "botdeck.toml").write_text(SLOW_REPLIES)  # twenty mentions, one a second
    served = Served(tmp_path, env=env_for(tmp_path), source=("--config", "botdeck.toml"))
    async with aiohttp.ClientSession() as http, raw_page(served, http):
        await until(lambda: sent_count(served) >= 1, 30, "a first reply sent")
    served.proc.send_signal(signal.SIGINT)
    await until(lambda: "finish their queued replies" in "".join(served.output), 10)
    assert served.stop() == 0  # the second Ctrl+C
    assert "stopping the bots at once" in "".join(served.output)
    assert dashboards(served) == []
    states = [e["state"] for e in served.events() if e["event"] == "state"]
    assert states[-2:] == ["draining", "stopped"], states
    outcomes = mention_outcomes(served.events())
    assert "cancelled" in outcomes.values() and None not in outcomes.values()


async def test_quitting_on_the_page_ends_the_run_and_the_next_page_starts_a_new_one(
    local: Served,
):
    async with aiohttp.ClientSession() as http:
        async with raw_page(local, http) as page:
            first = the_dashboard(local)
            await page.send(["stdin", "q"])  # drains, then quits
            await until(lambda: page.closed, 60, "the page told the session ended")
            assert page.websocket.close_code == 1000
        await until(lambda: dashboards(local) == [], 30, "the first dashboard gone")
        async with raw_page(local, http):
            assert the_dashboard(local) != first
    states = [e["state"] for e in local.events() if e["event"] == "state"]
    assert "drained" in states


# Makes the served dashboard fail as a widget bug would, once the file BOTDECK_TEST_FAIL
# names exists (a process started with this folder on PYTHONPATH loads it first).
FAIL_ON_FLAG = """
import os
from pathlib import Path

flag = os.environ.get("BOTDECK_TEST_FAIL")
if flag:
    from botdeck.tui.widgets import status

    shown = status.Overview.show

    def show(self, *args, **kwargs):
        if Path(flag).exists():
            raise RuntimeError("a widget bug (a test's)")
        return shown(self, *args, **kwargs)

    status.Overview.show = show
"""


async def test_a_dashboard_that_fails_carries_its_run_on_and_no_second_run_starts(
    tmp_path: Path,
):
    """The dashboard's process carries a run on without a screen when the app fails
    (botdeck.tui.run): a new page must not start a second run beside it, which would answer
    chat twice; it is told why, and stopping serve drains the screenless run."""
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(FAIL_ON_FLAG)
    flag = tmp_path / "fail-now"
    env = env_for(tmp_path, BOTDECK_TEST_FAIL=str(flag))
    env["PYTHONPATH"] = f"{tmp_path / 'inject'}{os.pathsep}{env['PYTHONPATH']}"
    served = Served(tmp_path, env=env)
    try:
        async with aiohttp.ClientSession() as http:
            async with raw_page(served, http) as page:
                dashboard = the_dashboard(served)
                flag.touch()
                await until(lambda: page.closed, 30, "the page closed when the screen went")
                assert page.reason == "The dashboard has closed. Reconnect to open it again."
            before = len(served.events())
            await until(lambda: len(served.events()) > before, 30, "the run going on")
            again = RawPage(await http.ws_connect(served.base + "ws"))
            await until(lambda: again.closed, 60, "the new page refused")
            assert again.reason.startswith("The dashboard failed; its bots carry on")
            assert dashboards(served) == [dashboard]  # no second run
    finally:
        assert served.stop() == 0
    assert dashboards(served) == []
    states = [e["state"] for e in served.events() if e["event"] == "state"]
    assert states[-2:] == ["draining", "drained"], states
    assert None not in mention_outcomes(served.events()).values()


async def test_stopping_serve_with_a_page_open_drains_its_dashboard(tmp_path: Path):
    served = Served(tmp_path, env=env_for(tmp_path))
    async with aiohttp.ClientSession() as http, raw_page(served, http) as page:
        await until(lambda: any(e["event"] == "chat" for e in served.events()), 30, "chat")
        assert dashboards(served)
        assert served.stop() == 0  # no traceback either
        await until(lambda: page.closed, 10, "the page closed")
        assert page.websocket.close_code == 1001  # going away
    assert dashboards(served) == []
    states = [e["state"] for e in served.events() if e["event"] == "state"]
    assert states[-1] == "drained"  # the dashboard drained as on SIGTERM, and said so
