"""`botdeck` as a user runs it: real subprocesses, real signals, the journal on stdout."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI, reply, serving_in_thread, status
from tests.harness.cli import run_botdeck
from tests.harness.journals import OUTCOMES

FAST_CONFIG = """
[router]
global_concurrency = 4
per_bot_concurrency = 2
random_reply_chance = 0.25
[router.delays]
high = [0.05, 0.2]
normal = [0.05, 0.2]
low = [0.1, 0.3]

[send_limits]
enabled = false  # these runs play chat fast; send limits have their own tests

[chat]
source = "simulated"
scenario = "{scenario}"
seed = 5
speed = {speed}

[[bots]]
name = "stickyman1776"
persona = "an upbeat hype-man"

[[bots]]
name = "geneJacqueman"
persona = "a dry, sarcastic critic"
"""


class Botdeck:
    """A running `botdeck` whose stdout lines can be awaited with a deadline."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "botdeck", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for row in self.proc.stdout:
            self._queue.put(row)
        self._queue.put(None)

    def wait_for(self, predicate, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                row = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if row is None:
                break
            self.lines.append(row)
            event = json.loads(row)
            if predicate(event):
                return event
        raise AssertionError(f"no matching journal line within {timeout}s")

    def finish(self, timeout: float = 60.0, journal: bool = True) -> tuple[int, list, str]:
        """Exit code, stdout (journal events, or raw lines if not `journal`), stderr."""
        code = self.proc.wait(timeout=timeout)
        while (row := self._queue.get(timeout=5)) is not None:
            self.lines.append(row)
        assert self.proc.stderr is not None
        stdout = [json.loads(row) for row in self.lines] if journal else self.lines
        return code, stdout, self.proc.stderr.read()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs"), "PYTHONUNBUFFERED": "1"}


def write_config(tmp_path: Path, scenario: str = "raid", speed: float = 4.0) -> Path:
    path = tmp_path / "botdeck.toml"
    path.write_text(FAST_CONFIG.format(scenario=scenario, speed=speed))
    return path


def outcomes_by_job(events: list[dict]) -> Counter:
    return Counter(e["job"] for e in events if e["event"] in OUTCOMES)


def assert_every_job_has_one_outcome(events: list[dict]) -> None:
    ends = outcomes_by_job(events)
    assert set(ends.values()) <= {1}
    assert {e["job"] for e in events if e["event"] == "enqueued"} <= set(ends)


@pytest.mark.slow
def test_headless_demo_raid_answers_every_mention(env):
    """The real demo (default delays and limits): every mention in the raid ends in `sent`."""
    run = Botdeck(["demo", "--headless", "--scenario", "raid", "--seed", "1"], env)
    code, events, stderr = run.finish(timeout=120)
    assert code == 0, stderr
    assert all({"ts", "event"} <= set(e) for e in events)
    mentions = [e for e in events if e["event"] == "enqueued" and e["priority"] == "high"]
    assert len(mentions) >= 50
    ends = {e["job"]: e["event"] for e in events if e["event"] in OUTCOMES}
    assert {ends[e["job"]] for e in mentions} == {"sent"}
    assert events[-1] == {"ts": events[-1]["ts"], "event": "state", "state": "drained"}
    assert "answered (100%)" in stderr


@pytest.mark.slow
def test_run_from_config_ends_by_itself_when_the_scenario_is_done(env, tmp_path):
    config = write_config(tmp_path, "raid", speed=4.0)
    journal = tmp_path / "journal.jsonl"
    run = Botdeck(["run", "--headless", "--config", str(config), "--journal", str(journal)], env)
    code, stdout, _ = run.finish(journal=False)
    assert code == 0
    assert stdout[0].startswith("botdeck: drained:")  # the journal went to the file
    events = [json.loads(row) for row in journal.read_text().splitlines()]
    assert_every_job_has_one_outcome(events)
    sent = [e for e in events if e["event"] == "sent"]
    assert sent and all(e["text"] and len(e["text"]) <= 450 for e in sent)
    assert {e["bot"] for e in sent} == {"stickyman1776", "genejacqueman"}


@pytest.mark.slow
@pytest.mark.parametrize(("on_timeout", "outcome"), [("reject", "skipped"), ("send", "sent")])
def test_a_headless_run_with_review_lets_on_timeout_decide_at_once(
    env, tmp_path, on_timeout, outcome
):
    """No console, nobody to approve: the run says so and ends in seconds, not after
    `[review] timeout` (here an hour) per pair of held replies."""
    config = write_config(tmp_path, "raid", speed=4.0)
    with config.open("a") as extra:
        extra.write(f'\n[review]\nbots = ["*"]\ntimeout = 3600\non_timeout = "{on_timeout}"\n')
    run = Botdeck(["run", "--headless", "--config", str(config)], env)
    code, events, stderr = run.finish(timeout=60)
    assert code == 0
    assert "a headless run has none: [review] on_timeout decides each reply at once" in stderr
    assert_every_job_has_one_outcome(events)
    verdict = "approved" if on_timeout == "send" else "rejected"
    reviewed = [e for e in events if e["event"] == "reviewed"]
    assert reviewed and {(e["verdict"], e["by"]) for e in reviewed} == {(verdict, "headless")}
    assert {e["event"] for e in events if e["event"] in OUTCOMES} == {outcome}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_first_signal_drains_and_the_run_exits_zero(env, tmp_path, sig):
    config = write_config(tmp_path, "soak", speed=1.0)
    run = Botdeck(["run", "--headless", "--config", str(config)], env)
    run.wait_for(lambda e: e["event"] == "sent")
    run.proc.send_signal(sig)
    code, events, stderr = run.finish()
    assert code == 0, stderr
    states = [e["state"] for e in events if e["event"] == "state"]
    assert states == ["draining", "drained"]
    assert_every_job_has_one_outcome(events)
    assert "drained" in stderr


@pytest.mark.slow
@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGHUP])
def test_a_second_signal_stops_at_once_with_exit_130(env, tmp_path, second):
    config = write_config(tmp_path, "soak", speed=1.0)
    slow = config.read_text().replace("high = [0.05, 0.2]", "high = [30.0, 30.0]")
    config.write_text(slow.replace("normal = [0.05, 0.2]", "normal = [30.0, 30.0]"))
    run = Botdeck(["run", "--headless", "--config", str(config)], env)
    run.wait_for(lambda e: e["event"] == "started")
    run.proc.send_signal(signal.SIGINT)
    run.wait_for(lambda e: e.get("state") == "draining")
    run.proc.send_signal(second)
    code, events, _ = run.finish(timeout=10)
    assert code == 130
    assert [e["state"] for e in events if e["event"] == "state"] == ["draining", "stopped"]
    assert_every_job_has_one_outcome(events)
    assert any(e["event"] == "cancelled" and e["reason"] == "stopped" for e in events)
    assert not any(e["event"] == "sent" for e in events)


@pytest.mark.slow
def test_without_journal_a_run_keeps_one_in_the_data_dir_and_report_reads_the_latest(
    env, tmp_path, user_data_dir
):
    config = write_config(tmp_path, "raid", speed=4.0)
    code, events, stderr = Botdeck(["run", "--headless", "--config", str(config)], env).finish()
    assert code == 0, stderr
    [kept] = (user_data_dir / "botdeck" / "journal").iterdir()
    assert kept.name.startswith("botdeck_demo-") and kept.suffix == ".jsonl"
    assert f"journal: {kept}" in stderr  # the summary says where it is
    in_file = [json.loads(row) for row in kept.read_text().splitlines()]
    assert in_file == events  # the same journal on stdout (the contract) and in the file

    result = run_botdeck("report", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["journal"] == str(kept)
    assert f"the latest run: {kept}" in result.stderr


def test_report_without_any_journal_yet_says_so(env):
    result = run_botdeck("report", env=env)
    assert result.returncode == 2
    assert "no journal in" in result.stderr and "botdeck report JOURNAL" in result.stderr


def test_a_journal_dir_that_cannot_be_written_exits_2_naming_it(env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = write_config(tmp_path, "raid")
    config.write_text(config.read_text() + f'\n[journal]\ndir = "{blocker}/journal"\n')
    for args in (["run", "--headless"], ["run"]):
        result = run_botdeck(*args, "--config", str(config), env=env, timeout=30)
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"botdeck: journal.dir: cannot write {blocker}/journal: ")


@pytest.mark.slow
def test_duration_drains_then_exits_zero(env, tmp_path):
    config = write_config(tmp_path, "soak", speed=1.0)
    run = Botdeck(["run", "--headless", "--config", str(config), "--duration", "1.5"], env)
    code, events, _ = run.finish(timeout=30)
    assert code == 0
    assert [e["state"] for e in events if e["event"] == "state"] == ["draining", "drained"]
    assert_every_job_has_one_outcome(events)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["demo", "--headless", "--duration", "-1"], "--duration"),
        (["demo", "--headless", "--scenario", "nope"], "--scenario"),
        (["demo", "--bots", "0"], "--bots"),
        (["run", "--headless", "--config", "/nonexistent/botdeck.toml"], "file not found"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_line(env, args, needle):
    result = run_botdeck(*args, env=env)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("[router]\nglobal_concurrency = 0", "router.global_concurrency: expected an integer >= 1"),
        ("[router.delays]\nhigh = [3.0, 1.0]", "router.delays.high: min 3 is greater than max 1"),
        ("[router]\nrandom_reply_chance = 2", "router.random_reply_chance"),
        ("[router]\nbogus = 1", "router.bogus: unknown key"),
        ("[router\n", "invalid TOML"),
    ],
)
def test_bad_config_exits_2_naming_the_file_and_key(env, tmp_path, snippet, message):
    path = tmp_path / "bad.toml"
    path.write_text(snippet + '\n\n[[bots]]\nname = "somebot"\n')
    for command in (["check"], ["run", "--headless"]):
        result = run_botdeck(*command, "--config", str(path), env=env)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and message in lines[0]


def test_check_print_shows_the_resolved_config_without_secrets(env, tmp_path):
    path = tmp_path / "botdeck.toml"
    path.write_text(
        '[ai]\napi_key_env = "MY_KEY"\n\n[[bots]]\nname = "somebot"\ntoken_env = "BOT_TOKEN"\n'
    )
    secrets = {"MY_KEY": "sk-live-SECRET-1", "BOT_TOKEN": "oauth-SECRET-2"}
    result = run_botdeck("check", "--print", "--config", str(path), env={**env, **secrets})
    assert result.returncode == 0
    assert tomllib.loads(result.stdout)["bots"][0]["name"] == "somebot"  # stdout is TOML
    assert "botdeck check: ready" in result.stderr  # the checklist beside it
    assert "global_concurrency = 5" in result.stdout  # "auto" resolved for one bot
    assert 'api_key_env = "MY_KEY"  # set' in result.stdout
    for value in secrets.values():
        assert value not in result.stdout + result.stderr


# ------------------------------------------------------------------ AI replies
OPENAI_CONFIG = """
[router]
global_concurrency = 4
per_bot_concurrency = 2
[router.delays]
high = [0.01, 0.02]
normal = [0.01, 0.02]
low = [0.01, 0.02]

[send_limits]
enabled = false  # chat plays 8x fast; send limits have their own tests

[ai]
provider = "openai"
base_url = "{base_url}"
api_key_env = "BOTDECK_CLI_TEST_KEY"
timeout = 0.5
max_retries = {max_retries}
{extra}

[chat]
source = "simulated"
scenario = "raid"
seed = 3
speed = 8.0

[[bots]]
name = "stickyman1776"
persona = "an upbeat hype-man"

[[bots]]
name = "genejacqueman"
persona = "a dry, sarcastic critic"
"""
CLI_KEY = "sk-cli-test-0f9e8d7c6b5a4SECRET"


def openai_config(tmp_path: Path, base_url: str, max_retries: int = 0, extra: str = "") -> Path:
    path = tmp_path / "botdeck.toml"
    path.write_text(OPENAI_CONFIG.format(base_url=base_url, max_retries=max_retries, extra=extra))
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unset_api_key_stops_check_and_run_naming_it(env, tmp_path):
    path = openai_config(tmp_path, "https://api.openai.com/v1")
    env.pop("BOTDECK_CLI_TEST_KEY", None)
    result = run_botdeck("run", "--headless", "--config", str(path), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(path) in lines[0]
    assert "ai.api_key_env" in lines[0] and "BOTDECK_CLI_TEST_KEY is not set" in lines[0]
    assert result.stdout == ""
    checked = run_botdeck("check", "--config", str(path), env=env)
    assert checked.returncode == 2
    assert (
        "✗ ai.api_key_env: BOTDECK_CLI_TEST_KEY is not set (provider openai needs a key for"
        " https://api.openai.com/v1)\n  fix: export BOTDECK_CLI_TEST_KEY=..."
    ) in checked.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[safety]\nblocklist = ["ok", "(unclosed"]', "safety.blocklist[1]: bad regex '(unclosed'"),
        ('[safety]\nmoderation = "sometimes"', "safety.moderation: Input should be 'off'"),
        ('[[bots]]\nname = "thirdbot"\ntemperature = 5', "bots[2].temperature"),
    ],
)
def test_bad_safety_and_model_settings_exit_2_naming_the_key(env, tmp_path, extra, message):
    path = openai_config(tmp_path, "http://127.0.0.1:9/v1")
    path.write_text(path.read_text() + "\n" + extra + "\n")
    result = run_botdeck(
        "check", "--config", str(path), env={**env, "BOTDECK_CLI_TEST_KEY": CLI_KEY}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


@pytest.mark.slow
def test_an_unreachable_server_is_waited_out_then_replies_fail_and_the_run_ends_normally(
    env, tmp_path
):
    port = closed_port()
    path = openai_config(tmp_path, f"http://127.0.0.1:{port}/v1", extra="outage_wait = 1")
    run = Botdeck(
        ["run", "--headless", "--config", str(path)], {**env, "BOTDECK_CLI_TEST_KEY": CLI_KEY}
    )
    code, events, stderr = run.finish(timeout=60)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert_every_job_has_one_outcome(events)
    failed = [e for e in events if e["event"] == "failed"]
    assert len(failed) >= 30
    assert {e["reason"] for e in failed} == {"ai_unavailable"}
    assert events[-1]["event"] == "state" and events[-1]["state"] == "drained"
    refused = f"cannot reach 127.0.0.1:{port}: connection refused"
    assert f"botdeck: AI down: {refused}" in stderr  # said when it happened
    assert re.search(rf"notice: AI down for \d+ s: {refused}", stderr)  # and in the summary


def test_check_probe_asks_the_server_once(env, tmp_path):
    server = FakeOpenAI()
    server.chat_default = reply("OK")
    key_env = {**env, "BOTDECK_CLI_TEST_KEY": CLI_KEY}
    with serving_in_thread(server) as base_url:
        path = openai_config(tmp_path, base_url)
        result = run_botdeck("check", "--probe", "--config", str(path), env=key_env)
        assert result.returncode == 0, result.stdout
        assert re.search(
            rf"^✓ ai: gpt-4o-mini at {base_url} answered in [\d.]+ s: 'OK'$", result.stdout, re.M
        )
        assert len(server.chats) == 1 and server.chats[0].body["max_tokens"] == 5
        server.chat_default = status(
            401, {"message": "Incorrect API key", "code": "invalid_api_key"}
        )
        result = run_botdeck("check", "--probe", "--config", str(path), env=key_env)
        host = base_url.split("//")[1].split("/")[0]
        assert result.returncode == 2
        assert (
            f"✗ ai: {host} refused the API key (401): check the key in BOTDECK_CLI_TEST_KEY"
            " (--probe)"
        ) in result.stdout.splitlines()
        assert CLI_KEY not in result.stdout + result.stderr


@pytest.mark.slow
def test_a_headless_run_against_an_openai_compatible_server(env, tmp_path):
    server = FakeOpenAI(bots=("stickyman1776", "genejacqueman"))
    server.chat_default = reply("let's go, what a raid!", usage=(40, 8))
    with serving_in_thread(server) as base_url:
        path = openai_config(tmp_path, base_url)
        run = Botdeck(
            ["run", "--headless", "--config", str(path)], {**env, "BOTDECK_CLI_TEST_KEY": CLI_KEY}
        )
        code, events, stderr = run.finish(timeout=60)
    assert code == 0, stderr
    assert_every_job_has_one_outcome(events)
    sent = [e for e in events if e["event"] == "sent"]
    assert len(sent) >= 30 and all(e["text"].endswith("let's go, what a raid!") for e in sent)
    assert len(server.chats) == len(sent)
    assert all(r.headers["Authorization"] == f"Bearer {CLI_KEY}" for r in server.chats)
    assert CLI_KEY not in "".join(run.lines) + stderr
    assert f"tokens: in {40 * len(sent):,}, out {8 * len(sent):,}" in stderr
