"""The README's path from zero to live, run as written.

Every ```sh block in the README is preceded by a `<!-- readme-test: ... -->` marker that
says how it is tested; the "offline" ones are run here in order, as a streamer would type
them: `pipx install .` in a fresh copy of the checkout (into a pipx home of the test's
own), then each command with only that install on PATH, in an empty folder that holds
nothing but a downloaded chat log. The dashboard runs in a real terminal (tmux) and is
quit with `q`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness.cli import copy_checkout

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKED = re.compile(r"<!-- readme-test: (?P<how>[^>]+?) -->\n```sh\n(?P<body>.*?)```", re.S)
HOW = {"offline", "offline, in the checkout", "offline, dashboard", "needs Twitch",
       "make (CI runs make test)", "offline, exits 2 until step 6",
       "an example (your own log)"}  # fmt: skip
EXITS = re.compile(r"exits (?P<code>\d+)")  # a block run before its step's prerequisites
SHOWN = re.compile(r"-->\n```sh\n(?P<command>[^`]*?)\n```\n\n```text\n(?P<shown>.*?)```", re.S)


def blocks() -> list[tuple[str, list[str]]]:
    """(how, commands) for each marked block, in README order; a command's `\\` lines are
    joined, comments and blank lines dropped."""
    found = []
    for match in MARKED.finditer(README.read_text(encoding="utf-8")):
        joined = match["body"].replace("\\\n", " ")
        commands = [line.strip() for line in joined.splitlines()]
        found.append((match["how"], [c for c in commands if c and not c.startswith("#")]))
    return found


def test_every_shell_block_says_how_it_is_tested():
    text = README.read_text(encoding="utf-8")
    assert len(blocks()) == text.count("```sh\n")
    assert {how for how, _ in blocks()} <= HOW


def test_the_offline_path_names_every_step():
    offline = [" ".join(c) for how, c in blocks() if how.startswith("offline")]
    for command in ("pipx install .", "botdeck demo", "botdeck init", "botdeck check",
                    "botdeck rehearse", "botdeck report"):  # fmt: skip
        assert any(command in block for block in offline), command


def shown(command: str) -> list[str]:
    """The output the README shows under `command`'s block (a ```text block after it)."""
    for match in SHOWN.finditer(README.read_text(encoding="utf-8")):
        if match["command"].strip() == command:
            return match["shown"].splitlines()
    raise AssertionError(f"the README shows no output for {command!r}")


def keys(lines: list[str]) -> list[str]:
    """What each line of a checklist is about ("✗ pixelsage (bot)", "  fix"), without the
    details that differ from machine to machine (folders)."""
    return [line.split(":")[0] for line in lines]


def vod_chat(path: Path) -> None:
    """A past stream's chat as TwitchDownloader writes it: 40 lines in two minutes, some
    mentioning the bots that the README's init block creates."""
    comments = []
    for i in range(40):
        bot = ("stickyman1776", "pixelsage")[i % 2]
        body = f"@{bot} what do you think of run {i}?" if i % 4 == 0 else f"line {i} PogChamp"
        comments.append({"content_offset_seconds": i * 3.0,
                         "commenter": {"name": f"viewer{i % 7}", "display_name": f"Viewer{i % 7}"},
                         "message": {"body": body}})  # fmt: skip
    path.write_text(json.dumps({"video": {"id": "1"}, "comments": comments}))


@pytest.mark.slow
def test_the_offline_path_runs_as_written(tmp_path: Path):
    pipx = Path(sys.executable).with_name("pipx")
    if not pipx.exists():
        pytest.skip("pipx is not in the venv (make venv installs it with the dev extras)")
    tools = tmp_path / "tools"  # pipx alone: the checkout's own botdeck must not be found
    tools.mkdir()
    (tools / "pipx").symlink_to(pipx)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(
        PATH=f"{tmp_path / 'pipx-bin'}:{tools}:/usr/bin:/bin",
        PIPX_HOME=str(tmp_path / "pipx-home"),
        PIPX_BIN_DIR=str(tmp_path / "pipx-bin"),
        PIPX_MAN_DIR=str(tmp_path / "pipx-man"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        BOTDECK_LOG_DIR=str(tmp_path / "log"),
        BOTDECK_DATA_DIR=str(tmp_path / "data"),
    )
    clone = copy_checkout(ROOT, tmp_path / "clone")
    stream = tmp_path / "stream"
    stream.mkdir()
    vod_chat(stream / "vod.json")
    ran = []
    for how, commands in blocks():
        if not how.startswith("offline"):
            continue
        for command in commands:
            if how == "offline, dashboard":
                run_in_terminal(command, stream, env, tmp_path)
            else:
                cwd = clone if how == "offline, in the checkout" else stream
                result = subprocess.run(["bash", "-c", command], cwd=cwd, env=env,
                                        capture_output=True, text=True, timeout=600)  # fmt: skip
                exits = EXITS.search(how)
                expected = int(exits["code"]) if exits else 0
                said = f"{command}:\n{result.stdout}\n{result.stderr}"
                assert result.returncode == expected, said
                if exits:  # what it says is what the README shows
                    assert keys(result.stdout.splitlines()) == keys(shown(command)), said
            ran.append(command)
    assert shutil.which("botdeck", path=env["PATH"]) == str(tmp_path / "pipx-bin" / "botdeck")
    assert "rehearsal.html" in ran[-1] and (stream / "rehearsal.html").stat().st_size > 5000
    assert (stream / "botdeck.toml").exists() and (stream / "rehearsal.jsonl").exists()


def run_in_terminal(command: str, cwd: Path, env: dict[str, str], tmp_path: Path) -> None:
    """A dashboard command in tmux: wait for its first frame, press q, expect exit 0."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (make test installs it with apt-get where it can)")
    socket_name = f"botdeck-readme-{os.getpid()}"  # a server of our own, with our env
    exit_file = tmp_path / "dashboard-exit"
    script = f"cd {shlex.quote(str(cwd))} && {command}; echo $? > {shlex.quote(str(exit_file))}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket_name, *args], env=env, check=True,
                              capture_output=True, text=True).stdout  # fmt: skip

    tmux("new-session", "-d", "-s", "readme", "-x", "120", "-y", "40", "bash", "-c", script)
    try:
        deadline = time.monotonic() + 30
        screen = ""
        while "router: running" not in screen:
            assert time.monotonic() < deadline, f"{command}: no dashboard:\n{screen}"
            screen = tmux("capture-pane", "-p", "-t", "readme")
            time.sleep(0.1)
        tmux("send-keys", "-t", "readme", "q")
        deadline = time.monotonic() + 40
        while not exit_file.exists():
            assert time.monotonic() < deadline, f"{command}: did not quit"
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "-L", socket_name, "kill-server"], capture_output=True)
