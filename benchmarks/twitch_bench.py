"""Twitch benchmark: mentions answered over 10 minutes with a reader ban and an outage.

`botdeck run --headless` runs as a subprocess, exactly as a streamer runs it, with the
real twitchio client against the loopback fake Twitch (tests/fakes/twitch_server.py) and
the offline responder. Three bots are mentioned in turn, one mention every 10 s; a
fourth bot, alpha_bot, reads chat (no broadcaster token, so a bot reads). At minute 2
Twitch bans alpha_bot (its subscription is revoked, `chat_user_banned`); from minute 5
EventSub is down for 90 s (every websocket cut, new ones refused; Helix still answers).

Time is compressed 10x: every duration in the scenario, and every botdeck setting that
sets a duration (reply delays, `retry_wait`, `reconnect_wait`), is divided by 10, so the
10 minutes take one. The send limits are not (Twitch's 20 per 30 s per bot stays), which
only makes it harder. Today's code is main before issue 12 was merged (`BASE`), extracted
with `git archive` and run the same way in the same run; its fixed timings (replies wait
30 s for the socket, 2-30 s between resubscriptions, twitchio's own 3-90 s reconnect
backoff) cannot be scaled.

Mentions said while EventSub was down reach no client, so they are counted apart;
"answered" is out of the mentions said while Twitch could deliver them.

    python -m benchmarks.twitch_bench -> JSON (both sides)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from botdeck.config import TwitchConfig
from tests.fakes.twitch_server import BOT_SCOPES, FakeTwitch

ROOT = Path(__file__).resolve().parent.parent
BASE = "f3f0f93"  # main before issue 12 was merged: "today's code"
SCALE = 10.0  # simulated seconds per real second
MINUTES = 10
MENTION_EVERY = 10.0  # simulated seconds
BAN_AT = 120.0
OUTAGE = (300.0, 390.0)
READER = "alpha_bot"
ANSWERING = ("beta_bot", "gamma_bot", "delta_bot")


@dataclass
class Side:
    label: str
    said: int = 0
    said_while_down: int = 0
    answered: int = 0  # of those said while Twitch could deliver them
    answered_pct: float = 0.0
    phases: dict[str, str] = field(default_factory=dict)  # phase -> "answered/said"
    failover_s: float | None = None  # simulated seconds from the ban to reading again
    back_after_outage_s: float | None = None  # simulated seconds from the outage's end
    exit_code: int | None = None


def config_text(fake: FakeTwitch, *, current: bool) -> str:
    bots = "".join(
        f'[[bots]]\nname = "{bot}"\ntoken_env = "TOKEN_{bot.upper()}"\n'
        f'refresh_token_env = "REFRESH_{bot.upper()}"\n\n'
        for bot in (READER, *ANSWERING)
    )
    defaults = TwitchConfig()
    scaled = (
        f"retry_wait = {defaults.retry_wait / SCALE:g}\n"
        f"reconnect_wait = {defaults.reconnect_wait / SCALE:g}\n"
    )
    return (
        "[router]\nrandom_reply_chance = 0.0\n"
        f"[router.delays]\nhigh = [{1.0 / SCALE:g}, {3.0 / SCALE:g}]\n\n"
        '[ai]\nprovider = "offline"\n\n'
        f'[chat]\nsource = "twitch"\nchannel = "{fake.channel.login}"\n\n'
        f'[twitch]\nclient_id = "{fake.client_id}"\napi_url = "{fake.api_url}"\n'
        f'auth_url = "{fake.auth_url}"\neventsub_url = "{fake.eventsub_url}"\n'
        + (scaled if current else "")
        + "\n"
        + bots
    )


def old_tree(into: Path) -> Path | None:
    """The botdeck package as it was before issue 12, or None without git history."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASE, "botdeck"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


async def one_side(label: str, package_root: Path, current: bool, work: Path) -> Side:
    fake = FakeTwitch(keepalive_every=1.0)
    await fake.start()
    try:
        return await _run(label, package_root, current, work, fake)
    finally:
        await fake.stop()


async def _run(label: str, root: Path, current: bool, work: Path, fake: FakeTwitch) -> Side:
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "TWITCH_CLIENT_SECRET": fake.client_secret,
        "BOTDECK_DATA_DIR": str(work / "data"),
        "BOTDECK_LOG_DIR": str(work / "logs"),
    }
    for bot in (READER, *ANSWERING):
        token = fake.add_user(bot, scopes=BOT_SCOPES) and fake.token_of(bot)
        env[f"TOKEN_{bot.upper()}"] = token.value
        env[f"REFRESH_{bot.upper()}"] = token.refresh
    config = work / "botdeck.toml"
    config.write_text(config_text(fake, current=current))
    journal = work / "journal.jsonl"
    with _log_file(work / "stderr.txt") as errors:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "botdeck", "run", "--headless", "--config", str(config),
            "--journal", str(journal),
            cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        try:
            await fake.wait_for(lambda: fake.subscriptions, within=60)
            said, times = await _scenario(fake)
            await _settle(journal, said, within=15)
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGINT)  # drain, then exit
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.wait(), 30)
            if child.returncode is None:
                child.kill()
                await child.wait()
    return _tally(label, said, times, _sent_ids(journal), child.returncode)


def _log_file(path: Path) -> TextIO:
    """The child's stderr, kept for a look when a side goes wrong."""
    return path.open("w")


async def _scenario(fake: FakeTwitch) -> tuple[list[tuple[float, str, bool]], dict[str, float]]:
    """Play the 10 minutes: mentions, the ban, the outage. Returns (sim time, message id,
    said while EventSub was down) per mention, and when reading came back."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    def sim() -> float:
        return (loop.time() - start) * SCALE

    async def until(at: float) -> None:
        await asyncio.sleep(max(0.0, start + at / SCALE - loop.time()))

    said: list[tuple[float, str, bool]] = []
    times: dict[str, float] = {}
    watcher = asyncio.create_task(_watch_reading(fake, sim, times))
    events = [(BAN_AT, "ban"), (OUTAGE[0], "down"), (OUTAGE[1], "up")]
    n = 0
    at = MENTION_EVERY / 2
    while at < MINUTES * 60:
        while events and events[0][0] <= at:
            when, what = events.pop(0)
            await until(when)
            if what == "ban":
                fake.ban(READER)
            else:
                await fake.outage(what == "down")
        await until(at)
        bot = ANSWERING[n % len(ANSWERING)]
        message_id = await fake.say(f"viewer{n}", f"@{bot} question number {n}?")
        said.append((at, message_id, fake.ws_down))
        n += 1
        at += MENTION_EVERY
    await until(MINUTES * 60)
    watcher.cancel()
    return said, times


async def _watch_reading(fake: FakeTwitch, sim, times: dict[str, float]) -> None:
    """When reading came back after the ban and after the outage (a live subscription)."""
    while True:
        now = sim()
        if fake.subscriptions and not fake.ws_down:
            if now >= BAN_AT and "ban" not in times:
                times["ban"] = now - BAN_AT
            if now >= OUTAGE[1] and "outage" not in times:
                times["outage"] = now - OUTAGE[1]
        await asyncio.sleep(0.02)


async def _settle(journal: Path, said: list[tuple[float, str, bool]], within: float) -> None:
    """Give the last replies time to go out: until every mention heard has an outcome."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        events = _events(journal)
        heard = {e.get("id") for e in events if e["event"] == "chat"}
        ended = {e.get("msg") for e in events if e["event"] in ("sent", "failed", "skipped")}
        if {m for _, m, _ in said if m in heard} <= ended:
            return
        await asyncio.sleep(0.2)


def _events(journal: Path) -> list[dict]:
    if not journal.exists():
        return []
    rows = []
    for row in journal.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            rows.append(json.loads(row))
    return rows


def _sent_ids(journal: Path) -> set[str]:
    return {e["msg"] for e in _events(journal) if e["event"] == "sent" and "msg" in e}


def _tally(
    label: str,
    said: list[tuple[float, str, bool]],
    times: dict[str, float],
    sent: set[str],
    exit_code: int | None,
) -> Side:
    side = Side(label, said=len(said), exit_code=exit_code)
    countable = [(at, m) for at, m, down in said if not down]
    side.said_while_down = len(said) - len(countable)
    side.answered = sum(1 for _, m in countable if m in sent)
    side.answered_pct = round(100.0 * side.answered / max(1, len(countable)), 1)
    phases = {
        "before the ban (0-2 min)": (0.0, BAN_AT),
        "after the ban (2-5 min)": (BAN_AT, OUTAGE[0]),
        "after the outage (6:30-10 min)": (OUTAGE[1], MINUTES * 60.0),
    }
    for name, (low, high) in phases.items():
        inside = [m for at, m in countable if low <= at < high]
        side.phases[name] = f"{sum(1 for m in inside if m in sent)}/{len(inside)}"
    side.failover_s = round(times["ban"], 1) if "ban" in times else None
    side.back_after_outage_s = round(times["outage"], 1) if "outage" in times else None
    return side


async def main() -> dict[str, dict]:
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="botdeck-twitch-bench-") as tmp:
        base = Path(tmp)
        (base / "new").mkdir()
        results["botdeck"] = asdict(await one_side("botdeck", ROOT, True, base / "new"))
        old_root = base / "old-code"
        old_root.mkdir()
        if old_tree(old_root) is not None:
            (base / "old").mkdir()
            results["today"] = asdict(await one_side("today", old_root, False, base / "old"))
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
