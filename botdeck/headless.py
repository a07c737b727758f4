"""Headless runs: the whole engine without a screen, ending by itself.

A run ends when the chat source is exhausted and every job has an outcome, or after
`duration` seconds (then it drains). The first SIGINT, SIGTERM or SIGHUP drains; a
second stops at once. Exit code 0 after a drain or a finished source, 130 after an
emergency stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

from botdeck.engine import Engine, QuitRequests
from botdeck.model.events import AIAvailability, EngineEvent, StateChanged
from botdeck.model.jobs import RouterState
from botdeck.model.review import HEADLESS
from botdeck.model.snapshot import Percentiles

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_STOPPED = 130
QUIT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


async def run_headless(engine: Engine, *, duration: float | None = None) -> int:
    await engine.connect()  # a refused Twitch setup raises ConfigError here: exit 2
    if engine.snapshot().reviewing:  # nobody could ever approve: no 2-minute waits for nothing
        engine.settle_reviews(HEADLESS)
        print(
            "botdeck: warning: [review] holds replies for an operator, and a headless run has"
            " none: [review] on_timeout decides each reply at once",
            file=sys.stderr,
        )
    if engine.resumed is not None and engine.resumed.worth_saying:
        print(f"botdeck: {engine.resumed.describe()}", file=sys.stderr)
    try:
        return await _run(engine, duration)
    finally:
        await engine.close()


async def _run(engine: Engine, duration: float | None) -> int:
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()

    def on_event(event: EngineEvent) -> None:
        if isinstance(event, StateChanged) and event.state.ended:
            ended.set()
        elif isinstance(event, AIAvailability):  # the journal is on stdout: say it here
            print(f"botdeck: {event.describe()}", file=sys.stderr)

    engine.subscribe(on_event)
    quits = QuitRequests(engine)

    def on_signal(sig: signal.Signals) -> None:
        log.info(quits.request(signal.Signals(sig).name).describe())

    for sig in QUIT_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)

    async def feed_then_finish() -> None:
        try:
            await engine.run_chat()
        except Exception:
            log.exception("chat source failed; draining")
        await engine.wait_idle()  # replies to replies may still come: wait for all of them
        engine.drain()

    feeder = asyncio.create_task(feed_then_finish())
    timer = loop.call_later(duration, engine.drain) if duration is not None else None
    try:
        await ended.wait()
        await engine.wait_idle()  # a stop's cancelled workers unwind
    finally:
        if timer is not None:
            timer.cancel()
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder
        for sig in QUIT_SIGNALS:
            loop.remove_signal_handler(sig)
    return EXIT_STOPPED if engine.state is RouterState.STOPPED else EXIT_OK


def print_warnings(warnings: Sequence[str], out: TextIO, limit: int = 5) -> None:
    """The first few warnings, one line each; the log file has them all."""
    for warning in warnings[:limit]:
        print(f"botdeck: warning: {warning}", file=out)
    if len(warnings) > limit:
        print(f"botdeck: ... and {len(warnings) - limit} more warnings (see the log)", file=out)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _latency(p: Percentiles) -> str:
    return f"p50 {_seconds(p.p50)} p95 {_seconds(p.p95)} max {_seconds(p.max)}"


def print_summary(engine: Engine, out: TextIO) -> None:
    """A few plain lines a person reads at the end of a run."""
    engine_snap = engine.snapshot()
    snap, counts = engine_snap.queues, engine_snap.chat
    share = 100.0 * counts.mentions_answered / counts.mentions if counts.mentions else 100.0
    print(
        f"botdeck: {snap.state}: {counts.lines} chat lines, {counts.mentions} mentions, "
        f"{counts.mentions_answered} answered ({share:.0f}%)",
        file=out,
    )
    print(
        f"  replies: sent {snap.sent}, failed {snap.failed}, cancelled {snap.cancelled}, "
        f"skipped {snap.skipped}; latency {_latency(snap.latency)}",
        file=out,
    )
    for lane in snap.bots:
        hits = engine_snap.cooldown_hits.get(lane.bot, 0)
        print(
            f"  {lane.bot}: sent {lane.sent}, failed {lane.failed}, cancelled {lane.cancelled}, "
            f"skipped {lane.skipped}; latency {_latency(lane.latency)}"
            + (f"; cooldown hits {hits}" if hits else "")
            + (f"; paused: {lane.held}" if lane.held else ""),
            file=out,
        )
    if engine_snap.connection.troubled:  # the dashboard's alert line, in the same words
        print(f"  chat: {engine_snap.connection.describe()}", file=out)
    if engine_snap.chat_mode:
        print(f"  chat mode: {engine_snap.chat_mode}", file=out)
    usage = engine_snap.usage.values()
    tokens_in, tokens_out = sum(u.tokens_in for u in usage), sum(u.tokens_out for u in usage)
    if tokens_in or tokens_out:
        print(f"  tokens: in {tokens_in:,}, out {tokens_out:,}", file=out)
    for notice in engine_snap.notices:
        print(f"  notice: {notice}", file=out)


def exit_line(engine: Engine) -> str | None:
    """The last line of a run that read no chat and knows why (every EventSub subscription
    refused, say): "0 chat lines" alone reads like a quiet channel. None otherwise."""
    snap = engine.snapshot()
    why = snap.connection.never_read
    if snap.chat.lines or not why:
        return None
    return f"0 chat lines: {why}"
