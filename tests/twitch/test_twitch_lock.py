"""One `botdeck run` per channel and client id (issue 22, item 7), as a user meets it: a
second run on the same channel exits 2 naming the first one's pid; after a crash (the
first killed outright) the next run takes the lock over and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.harness.cli import run_botdeck
from tests.harness.twitch import environment, write_config


def start_run(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "botdeck", "run", "--headless", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_a_second_run_on_the_channel_exits_2_naming_the_first(threaded, tmp_path):
    fake = threaded.fake
    env = environment(tmp_path, fake)
    config = write_config(tmp_path / "botdeck.toml", fake, fake.channel.login)
    first = start_run(config, env)
    try:
        threaded.call(fake.wait_for(lambda: fake.subscriptions, within=20))
        threaded.call(fake.say("viewer", "@alpha_bot hello"))
        threaded.call(fake.wait_for(lambda: fake.sent_by("alpha_bot"), within=20))
        second = run_botdeck("run", "--headless", "--config", str(config), env=env, timeout=30)
        assert second.returncode == 2, second.stderr
        [line] = second.stderr.strip().splitlines()
        assert line.startswith("botdeck: another botdeck run is answering #streamer")
        assert f"(pid {first.pid}, started " in line
        assert first.poll() is None  # the first one runs on
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=30)
        assert first.returncode == 0, stderr
    finally:
        if first.poll() is None:
            first.kill()


def test_a_crashed_runs_lock_is_taken_over(threaded, tmp_path):
    fake = threaded.fake
    env = environment(tmp_path, fake)
    config = write_config(tmp_path / "botdeck.toml", fake, fake.channel.login)
    crashed = start_run(config, env)
    try:
        threaded.call(fake.wait_for(lambda: fake.subscriptions, within=20))
        os.kill(crashed.pid, signal.SIGKILL)  # no cleanup at all
        crashed.communicate(timeout=10)
        threaded.call(fake.wait_for(lambda: not fake.sessions, within=20))
        after = start_run(config, env)
        try:
            threaded.call(fake.wait_for(lambda: fake.subscriptions, within=20))
            threaded.call(fake.say("viewer", "@alpha_bot back again?"))
            threaded.call(fake.wait_for(lambda: fake.sent_by("alpha_bot"), within=20))
            after.send_signal(signal.SIGINT)  # it runs, and handles signals by now
            _, stderr = after.communicate(timeout=30)
            assert after.returncode == 0, stderr
        finally:
            if after.poll() is None:
                after.kill()
    finally:
        if crashed.poll() is None:
            crashed.kill()
    log = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log"))
    assert f"took over #streamer from a run that ended without closing (pid {crashed.pid}" in log
