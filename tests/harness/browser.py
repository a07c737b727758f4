"""Headless Chromium for tests: a screenshot of a page, or a page driven over the DevTools
protocol. Debian's `chromium` (make test installs it); tests skip, saying why, without it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.harness.waiting import until

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--disable-dev-shm-usage",
)  # fmt: skip


def chromium() -> str:
    """The browser's path, or the test is skipped with the reason."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed (make test installs it with apt-get where it can)")


def _tidy(profile: Path) -> None:
    """Chromium keeps its singleton socket in a folder of its own in /tmp
    (`org.chromium.Chromium.*`) and leaves it behind when stopped: remove it."""
    link = profile / "SingletonSocket"
    if link.is_symlink():
        shutil.rmtree(Path(os.readlink(link)).parent, ignore_errors=True)


def screenshot(url: str, png: Path, profile: Path, width: int = 900, height: int = 2400) -> None:
    result = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
         f"--screenshot={png}", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    _tidy(profile)
    assert png.exists(), f"no screenshot: {result.stderr[-1500:]}"


class Page:
    """One Chromium tab driven over the DevTools protocol (aiohttp's websocket client)."""

    def __init__(self, profile: Path, extra_flags: tuple[str, ...] = ()) -> None:
        self.profile = profile
        self.flags = extra_flags
        self.proc: asyncio.subprocess.Process | None = None
        self._ids = iter(range(1, 1_000_000))
        self._session_id = ""
        self._target_id = ""

    async def __aenter__(self) -> Page:
        import aiohttp

        self.proc = await asyncio.create_subprocess_exec(
            chromium(), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
            "--window-size=1280,900", *self.flags, "about:blank",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = self.profile / "DevToolsActivePort"
        await until(
            lambda: port_file.exists() and len(port_file.read_text().split()) == 2,
            30,
            "Chromium's DevTools port",
            every=0.1,
        )
        port, path = port_file.read_text().split()
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        await self._open_tab()
        return self

    async def _open_tab(self) -> None:
        self._session_id = ""
        target = await self.send("Target.createTarget", url="about:blank")
        self._target_id = target["targetId"]
        attached = await self.send("Target.attachToTarget", targetId=self._target_id, flatten=True)
        self._session_id = attached["sessionId"]

    async def new_tab(self) -> None:
        """Close this tab (its page is gone, not kept for going back) and go on in a new,
        blank one."""
        self._session_id = ""
        await self.send("Target.closeTarget", targetId=self._target_id)
        await self._open_tab()

    async def __aexit__(self, *exc: object) -> None:
        await self._ws.close()
        await self._http.close()
        assert self.proc is not None
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        _tidy(self.profile)

    async def send(self, method: str, **params: object) -> dict[str, Any]:
        """One command; its result (events arriving meanwhile are dropped)."""
        number = next(self._ids)
        message: dict[str, object] = {"id": number, "method": method, "params": params}
        if self._session_id:
            message["sessionId"] = self._session_id
        await self._ws.send_json(message)
        while True:
            reply = await asyncio.wait_for(self._ws.receive_json(), timeout=30)
            if reply.get("id") == number:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    async def evaluate(self, expression: str) -> object:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def press(self, key: str) -> None:
        """A key typed on the keyboard (one printable character)."""
        await self.send("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
        await self.send("Input.dispatchKeyEvent", type="keyUp", key=key)
