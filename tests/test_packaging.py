"""An installed botdeck, not the checkout: build the wheel, install it into a fresh venv and
run it from a folder that has nothing of the project in it.

pip's own cache keeps the second and later runs quick; a first run on a fresh machine
downloads the dependencies from PyPI once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from botdeck import __version__
from botdeck.twitch.settings import BOT_SCOPES
from botdeck.twitch.tokens import StoredToken, TokenStore
from tests.harness.cli import copy_checkout

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(*args: str | Path, timeout: float = 600, **options) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                            timeout=timeout, check=False, **options)  # fmt: skip
    assert result.returncode == 0, f"{args}: {result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv holding botdeck as built from this checkout."""
    where = tmp_path_factory.mktemp("wheel")
    source = copy_checkout(ROOT, where / "source")
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", where / "dist", source)
    (wheel,) = (where / "dist").glob("botdeck-*.whl")
    venv.EnvBuilder(with_pip=True).create(where / "venv")
    bin_dir = where / "venv" / "bin"
    _run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel)
    return bin_dir


@pytest.fixture
def elsewhere(tmp_path: Path, installed: Path) -> dict[str, str]:
    """An environment that sees only the installed botdeck: no checkout on the path, no
    user config, logs in the test's folder."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(
        PATH=f"{installed}:/usr/bin:/bin",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        BOTDECK_LOG_DIR=str(tmp_path / "log"),
        BOTDECK_DATA_DIR=str(tmp_path / "data"),
    )
    return env


def botdeck(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["botdeck", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120, check=False)  # fmt: skip


def test_the_wheel_runs_from_any_folder(tmp_path: Path, installed: Path, elsewhere):
    where = _run(installed / "python", "-c", "import botdeck; print(botdeck.__file__)",
                 cwd=tmp_path, env=elsewhere).stdout  # fmt: skip
    assert str(installed.parent) in where and str(ROOT) not in where

    version = botdeck(elsewhere, tmp_path, "--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"botdeck {__version__}")

    demo = botdeck(elsewhere, tmp_path, "demo", "--headless", "--duration", "3", "--theme",
                   "twitch")  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    events = [json.loads(line) for line in demo.stdout.splitlines()]
    assert any(e["event"] == "sent" for e in events)
    assert events[-1] == {**events[-1], "event": "state", "state": "drained"}
    assert "Traceback" not in demo.stderr


def test_the_shipped_themes_are_found_by_an_installed_botdeck(tmp_path: Path, elsewhere):
    result = botdeck(elsewhere, tmp_path, "demo", "--headless", "--theme", "sparkles")
    assert result.returncode == 2
    assert "(available: high-contrast, low-glare, twitch)" in result.stderr


def test_init_then_check_on_the_example_config(tmp_path: Path, elsewhere):
    flags = ("--channel", "mychannel", "--client-id", "abc123", "--provider", "openai")
    init = botdeck(elsewhere, tmp_path, "init", *flags, "--bot", "stickyman1776: a hype-man")
    assert init.returncode == 0, init.stderr
    elsewhere["OPENAI_API_KEY"] = "sk-test-not-a-real-key"
    check = botdeck(elsewhere, tmp_path, "check")
    assert check.returncode == 2, check.stderr  # before `botdeck auth`: what is missing
    assert "✗ stickyman1776 (bot): no token" in check.stdout
    elsewhere["TWITCH_CLIENT_SECRET"] = "client-secret-not-real"
    store = TokenStore(Path(elsewhere["BOTDECK_DATA_DIR"]) / "tokens.json")
    store.save("abc123", StoredToken("stickyman1776", "1", "at-not-real", "", BOT_SCOPES, 1e9))
    check = botdeck(elsewhere, tmp_path, "check", "--print")
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'api_key_env = "OPENAI_API_KEY"  # set' in check.stdout
    assert check.stderr.splitlines()[-1].startswith("botdeck check: ready")
    for secret in ("sk-test", "client-secret-not-real", "at-not-real"):
        assert secret not in check.stdout + check.stderr
