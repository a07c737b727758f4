"""`botdeck run` on Twitch as a user runs it: a subprocess against the fake in a thread."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.harness.cli import run_botdeck
from tests.harness.twitch import environment, write_config


def test_a_channel_that_does_not_exist_exits_2_with_one_line(threaded, tmp_path):
    fake = threaded.fake
    env = environment(tmp_path, fake)
    config = write_config(tmp_path / "botdeck.toml", fake, "nobody_here")
    result = run_botdeck("run", "--headless", "--config", str(config), env=env, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "botdeck: chat.channel: there is no Twitch channel 'nobody_here'"
    )


def test_a_missing_client_secret_exits_2_naming_the_key(threaded, tmp_path):
    fake = threaded.fake
    env = environment(tmp_path, fake)
    del env["TWITCH_CLIENT_SECRET"]
    config = write_config(tmp_path / "botdeck.toml", fake, fake.channel.login)
    result = run_botdeck("run", "--headless", "--config", str(config), env=env, timeout=30)
    assert result.returncode == 2
    assert "twitch.client_secret_env" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_run_headless_answers_a_mention_on_twitch_and_drains(threaded, tmp_path):
    fake = threaded.fake
    env = environment(tmp_path, fake)
    config = write_config(tmp_path / "botdeck.toml", fake, fake.channel.login)
    proc = subprocess.Popen(
        [sys.executable, "-m", "botdeck", "run", "--headless", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        threaded.call(fake.wait_for(lambda: fake.subscriptions, within=20))
        threaded.call(fake.say("viewer", "@alpha_bot hello from the CLI test"))
        threaded.call(fake.wait_for(lambda: fake.sent_by("alpha_bot"), within=20))
        proc.send_signal(signal.SIGINT)  # drain and exit 0
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    events = [json.loads(row) for row in stdout.splitlines()]
    sent = [e for e in events if e["event"] == "sent"]
    assert len(sent) == 1 and sent[0]["bot"] == "alpha_bot"
    assert fake.sent_by("alpha_bot")[0].token == fake.token_of("alpha_bot").value
    assert [e["state"] for e in events if e["event"] == "state"] == ["draining", "drained"]
    assert not fake.sessions or threaded.call(fake.wait_for(lambda: not fake.sessions))


def test_a_journal_dir_that_cannot_be_written_stops_the_run_before_twitch(threaded, tmp_path):
    fake = threaded.fake
    env = environment(tmp_path, fake)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = write_config(tmp_path / "botdeck.toml", fake, fake.channel.login)
    config.write_text(config.read_text() + f'\n[journal]\ndir = "{blocker}/journal"\n')
    result = run_botdeck("run", "--headless", "--config", str(config), env=env, timeout=30)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"botdeck: journal.dir: cannot write {blocker}/journal")
    assert fake.requests == []  # nothing reached Twitch


@pytest.mark.slow
def test_a_run_whose_every_subscription_is_refused_says_why_not_only_0_chat_lines(
    threaded, tmp_path
):
    fake = threaded.fake
    env = environment(tmp_path, fake)
    fake.refuse_subscriptions = (400, "The subscription type and version are not supported")
    config = write_config(tmp_path / "botdeck.toml", fake, fake.channel.login)
    proc = subprocess.Popen(
        [sys.executable, "-m", "botdeck", "run", "--headless", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        # The second attempt comes from the watcher, once the run handles signals.
        threaded.call(fake.wait_for(lambda: len(fake.subscribe_attempts) >= 2, within=20))
        proc.send_signal(signal.SIGINT)  # drain and exit 0
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert {status for _, status in fake.subscribe_attempts} == {400}
    why = (
        "every EventSub subscription was refused:"
        " HTTP 400: The subscription type and version are not supported"
    )
    lines = stderr.splitlines()
    assert lines[0].startswith("botdeck: drained: 0 chat lines")
    assert f"  chat: never started: {why}" in lines  # the summary
    assert lines[-1] == f"botdeck: 0 chat lines: {why}"  # the last word of the run
    assert not fake.subscriptions and "Traceback" not in stderr
    events = [json.loads(row) for row in stdout.splitlines()]  # the journal
    assert [e["state"] for e in events if e["event"] == "state"] == ["draining", "drained"]
    assert not [e for e in events if e["event"] == "chat"]
