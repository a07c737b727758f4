"""A long, busy journal made up on the fly, for measuring the report's memory and time.

It reads like a real stream's: a `run` line, viewers' chat (36-character ids, as Twitch's),
mentions of five bots answered with latency, send waits and tokens, the bots' replies seen
back in chat, random replies (some skipped as stale), a failure now and then, moderation
and state changes. Lines are formatted directly rather than through `json.dumps`, so a
gibibyte takes seconds to write. Deterministic for a seed.

    python -m tests.fakes.big_journal PATH MEGABYTES
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

BOTS = ("pixelsage", "stickyman1776", "quietfox", "lorekeeper", "emberbot")
PHRASES = (
    "hello chat what is going on tonight that play was great can you explain the build how "
    "long have you been streaming which game is next gg wp lol that boss again why is the "
    "music so loud first time here love the overlay where do I get that emote"
)
WORDS = tuple(PHRASES.split(" "))
T0 = 1_795_000_000.0


def _text(rng: random.Random, words: int) -> str:
    return json.dumps(" ".join(rng.choice(WORDS) for _ in range(words)))[1:-1]


def write_journal(path: Path, size: int, *, seed: int = 1, viewers: int = 50_000) -> int:
    """Write about `size` bytes of journal to `path`; returns the number of lines."""
    rng = random.Random(seed)
    lines = 0
    written = 0
    job = 0
    ts = T0
    with path.open("w", encoding="utf-8") as out:
        out.write(f'{{"ts": {ts}, "event": "run", "channel": "bigchannel", "source": "twitch"}}\n')
        out.write(f'{{"ts": {ts}, "event": "state", "state": "running"}}\n')
        while written < size:
            batch: list[str] = []
            for _ in range(200):
                ts += rng.expovariate(8.0)  # about 8 lines a second
                msg = f"{rng.getrandbits(128):032x}"
                msg = f"{msg[:8]}-{msg[8:12]}-{msg[12:16]}-{msg[16:20]}-{msg[20:]}"
                user = f"viewer{rng.randrange(viewers)}"
                roll = rng.random()
                bot = rng.choice(BOTS)
                words = rng.randint(3, 14)
                if roll < 0.05:  # a mention
                    text = f"@{bot} {_text(rng, words)}"
                    priority = "high"
                elif roll < 0.12:  # a random reply
                    text = _text(rng, words)
                    priority = "normal"
                else:
                    batch.append(
                        f'{{"ts": {ts:.3f}, "event": "chat", "msg": "{msg}", "user": "{user}", '
                        f'"text": "{_text(rng, words)}"}}\n'
                    )
                    continue
                job += 1
                head = f'"job": {job}, "bot": "{bot}", "priority": "{priority}", "msg": "{msg}"'
                delay = rng.uniform(1.0, 3.0)
                start = ts + rng.uniform(0.0, 2.0)
                done = start + delay + rng.uniform(0.3, 4.0)
                wait = rng.choice((0.0, 0.0, 0.0, rng.uniform(0.0, 6.0)))
                batch.append(
                    f'{{"ts": {ts:.3f}, "event": "chat", "msg": "{msg}", "user": "{user}", '
                    f'"text": "{text}"}}\n'
                    f'{{"ts": {ts:.3f}, "event": "enqueued", {head}, "delay": {delay:.3f}}}\n'
                    f'{{"ts": {start:.3f}, "event": "started", {head}}}\n'
                )
                outcome = rng.random()
                tokens = f'"tokens_in": {rng.randint(200, 900)}, "tokens_out": {words * 3}'
                if priority == "normal" and outcome < 0.3:
                    batch.append(
                        f'{{"ts": {done:.3f}, "event": "skipped", {head}, "reason": "stale"}}\n'
                    )
                elif outcome < 0.01:
                    batch.append(
                        f'{{"ts": {done:.3f}, "event": "failed", {head}, '
                        f'"reason": "AI server error (HTTP 500)", {tokens}}}\n'
                    )
                else:
                    reply = f"@{user} {_text(rng, rng.randint(4, 20))}"
                    batch.append(
                        f'{{"ts": {done:.3f}, "event": "sent", {head}, "text": "{reply}", '
                        f'"latency": {done - ts:.3f}, "send_wait": {wait:.3f}, {tokens}}}\n'
                        f'{{"ts": {done:.3f}, "event": "chat", "msg": "reply-{job}", '
                        f'"user": "{bot}", "text": "{reply}", "is_bot": true, "depth": 1}}\n'
                    )
                if rng.random() < 0.002:
                    batch.append(
                        f'{{"ts": {ts:.3f}, "event": "moderation", "action": "delete", '
                        f'"msg": "{msg}", "ended": 1}}\n'
                    )
            chunk = "".join(batch)
            out.write(chunk)
            written += len(chunk)
            lines += chunk.count("\n")
        out.write(f'{{"ts": {ts + 10:.3f}, "event": "state", "state": "drained"}}\n')
    return lines + 3


if __name__ == "__main__":
    count = write_journal(Path(sys.argv[1]), int(float(sys.argv[2]) * (1 << 20)))
    print(f"{count:,} lines")
