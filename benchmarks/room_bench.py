"""Room benchmark: what the bots say in a busy chat, with the room rules and without.

A generated 30-minute busy chat (`tests/fakes/busy_chat.py`: about 8 lines a second, a
third emote walls, copypasta waves every minute or two, questions, chatter, one-word
lines and spam, 5% mentions of three viewer-role bots) is written as raw Twitch IRC with
tags, read back by the replay reader, and played on the virtual clock through the
engine as `botdeck rehearse` builds it: offline replies, Twitch's send limits, the
shipped config. botdeck runs with `[filters]` and `[router] chat_share` at their
defaults; the baseline is the same engine with the filters and the share off (the room
rules this issue added; everything else as shipped).

Measured from the event stream: the bots' share of all chat lines, the most random and
bot-to-bot replies in any five minutes against the viewers' lines then, random replies
to emote-only lines (and to copypasta, one-word spam, short lines), mentions answered.

A quieter chat at 1 line a second (the same mix) shows the share: there the baseline's
random and bot-to-bot replies pass `chat_share`.

    python -m benchmarks.room_bench [MINUTES] [CHANCE] -> JSON
"""

from __future__ import annotations

import asyncio
import bisect
import json
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

from botdeck.ai.offline import OfflineResponder
from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import load_replay
from botdeck.config import parse_config
from botdeck.engine import EngineSettings, SourceParts, assemble, build_limiter
from botdeck.engine.room import RoomSettings
from botdeck.model.events import ChatSeen, EngineEvent, JobChanged
from botdeck.model.jobs import JobStage, Outcome, Priority
from tests.fakes.busy_chat import CHANNEL_EMOTES, Said, busy_chat, irc_log
from tests.harness.virtual_time import VirtualTimeLoop

BOTS = ("alpha_bot", "beta_bot", "gamma_bot")
RATE = 8.0  # lines a second
WINDOW = 300.0


async def play(path: Path, ids: dict[str, Said], rules: bool, chance: float) -> dict:
    loop = asyncio.get_running_loop()
    config = parse_config(
        {
            "router": {"random_reply_chance": chance},
            "filters": {"emotes": list(CHANNEL_EMOTES)},  # the channel's 7TV emotes, as listed
            "bots": [{"name": bot} for bot in BOTS],
        }
    )
    settings = EngineSettings.from_config(config)
    if not rules:
        settings = replace(settings, room=RoomSettings.off())
    log = load_replay(path)
    source = ReplayChat(log, bots=BOTS, speed=1.0, clock=loop.time)
    engine = assemble(
        settings,
        personas={bot: f"persona of {bot}" for bot in BOTS},
        responder=OfflineResponder(seed=7, bots=BOTS),
        source=SourceParts(source),
        limiter=build_limiter(config),
    )
    viewers: list[float] = []
    bot_lines = 0
    chance_jobs: list[float] = []
    mentions: dict[str, Outcome | None] = {}
    random_to: Counter[str] = Counter()  # random replies sent, by the kind of line answered

    def listen(event: EngineEvent) -> None:
        nonlocal bot_lines
        if isinstance(event, ChatSeen):
            if event.message.is_bot:
                bot_lines += 1
            else:
                viewers.append(loop.time())
        elif isinstance(event, JobChanged):
            job = event.job
            said = ids.get(job.context.message.id)
            if job.priority is Priority.HIGH:
                if event.stage is JobStage.FINISHED:
                    mentions[job.context.message.id] = job.outcome
            elif event.stage is JobStage.ENQUEUED and not job.requeued:
                chance_jobs.append(loop.time())
            elif event.stage is JobStage.FINISHED and job.outcome is Outcome.SENT and said:
                random_to[said.kind] += 1

    engine.subscribe(listen)
    await engine.run_chat()
    await engine.wait_idle()
    worst = 0.0
    full = (viewers[0] if viewers else 0.0) + WINDOW  # whole windows only: the first
    for at in chance_jobs:  # replies of a stream are a large part of its first lines
        if at < full:
            continue
        taken = bisect.bisect_right(chance_jobs, at) - bisect.bisect_right(chance_jobs, at - WINDOW)
        seen = bisect.bisect_right(viewers, at) - bisect.bisect_right(viewers, at - WINDOW)
        worst = max(worst, taken / seen)
    said_mentions = [msg for msg, line in ids.items() if line.kind == "mention"]
    answered = sum(1 for msg in said_mentions if mentions.get(msg) is Outcome.SENT)
    lines = len(viewers) + bot_lines
    room = engine.snapshot().room
    passed: Counter[str] = Counter()
    if room is not None:
        for bot in BOTS:
            passed.update({kind.value: count for kind, count in room.passed(bot).items()})
    return {
        "chat_lines": lines,
        "bot_lines": bot_lines,
        "bots_share_pct": round(100.0 * bot_lines / lines, 1),
        "random_share_worst_5min_pct": round(100.0 * worst, 1),
        "random_share_pct": round(100.0 * len(chance_jobs) / len(viewers), 1),
        "random_replies_sent": sum(random_to.values()),
        "random_replies_to": dict(random_to),
        "mentions": len(said_mentions),
        "mentions_answered_pct": round(100.0 * answered / len(said_mentions), 1),
        "passed": dict(passed),
    }


def run(minutes: float, chance: float, rate: float = RATE) -> dict:
    said = busy_chat(minutes, BOTS, seed=24, rate=rate, mention_share=0.05)
    text, ids = irc_log(said)
    kinds = Counter(line.kind for line in said)
    result: dict = {"minutes": minutes, "rate": rate, "lines": len(said), "kinds": dict(kinds)}
    result["chance"] = chance
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "busy.irc"
        path.write_text(text, encoding="utf-8")
        for name, rules in (("botdeck", True), ("baseline", False)):
            loop = VirtualTimeLoop()
            try:
                result[name] = loop.run_until_complete(play(path, ids, rules, chance))
            finally:
                loop.close()
    return result


def main() -> None:
    """The busy chat, and a quieter one (1 line a second) where the bots' share would
    otherwise pass `chat_share`."""
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    chance = float(sys.argv[2]) if len(sys.argv) > 2 else 0.25
    print(json.dumps({"busy": run(minutes, chance), "quiet": run(minutes, chance, 1.0)}))


if __name__ == "__main__":
    main()
