"""Headless runs: the whole engine without a screen, ending by itself.

A run ends when the chat source is exhausted and every job has an outcome, or after
`duration` seconds (then it drains). Quit signals and exit codes are the run's
(`RunSession`, `SignalRoute`, `EXIT_OK`/`EXIT_STOPPED` in `botdeck.engine`), the same for
the dashboard and `botdeck serve`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from botdeck.engine import Engine, RunSession
from botdeck.model.room import RoomSnapshot, describe_passes
from botdeck.model.snapshot import EventCounts, Percentiles

log = logging.getLogger(__name__)

__all__ = ["print_summary", "print_warnings", "run_headless"]


async def run_headless(session: RunSession) -> int:
    """The whole run with nobody at a console (see `botdeck.engine.session`)."""
    engine = session.engine
    try:
        await session.connect()  # a refused Twitch setup raises ConfigError here: exit 2
        if engine.snapshot().reviewing:  # nobody could ever approve: no 2-minute waits
            print(
                "botdeck: warning: [review] holds replies for an operator, and a headless run"
                " has none: [review] on_timeout decides each reply at once",
                file=sys.stderr,
            )
        return await session.run_unattended()
    finally:
        await session.close()


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
    room = engine_snap.room
    for lane in snap.bots:
        hits = engine_snap.cooldown_hits.get(lane.bot, 0)
        passes = describe_passes(room.passed(lane.bot)) if room is not None else ""
        print(
            f"  {lane.bot}: sent {lane.sent}, failed {lane.failed}, cancelled {lane.cancelled}, "
            f"skipped {lane.skipped}; latency {_latency(lane.latency)}"
            + (f"; cooldown hits {hits}" if hits else "")
            + (f"; passed: {passes}" if passes else "")
            + (f"; paused: {lane.held}" if lane.held else ""),
            file=out,
        )
    if room is not None and room.total_lines:
        print(f"  {share_line(room)}", file=out)
    happened = engine_snap.events
    if happened.events or happened.reactions:
        print(f"  {channel_line(happened)}", file=out)
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


def channel_line(counts: EventCounts) -> str:
    """The channel's events, the reactions, and the channel-point questions' fates."""
    events, reactions = counts.events, counts.reactions
    line = f"channel: {events} event{'s' * (events != 1)}, {reactions} reaction"
    line += "s" * (reactions != 1)
    if counts.unsupported:
        line += f", {counts.unsupported} unsupported"
    if counts.fulfilled or counts.refunded or counts.open_redemptions:
        line += (
            f"; channel-point questions fulfilled {counts.fulfilled},"
            f" refunded {counts.refunded}"
            + (f", {counts.open_redemptions} still open" if counts.open_redemptions else "")
        )
    return line


def share_line(room: RoomSnapshot) -> str:
    """The bots' part of the chat over the whole run, and the random replies' limit."""
    share = room.total_bot_lines / room.total_lines
    viewers = room.total_lines - room.total_bot_lines
    chance = room.total_chance_replies / viewers if viewers else 0.0
    limit = f" (limit {room.limit:.0%} per 5 min)" if room.limit is not None else ""
    return (
        f"chat share: the bots wrote {room.total_bot_lines:,} of {room.total_lines:,} lines"
        f" ({share:.1%}); random and bot-to-bot replies {chance:.1%} of the others'{limit}"
    )


def exit_line(engine: Engine) -> str | None:
    """The last line of a run that read no chat and knows why (every EventSub subscription
    refused, say): "0 chat lines" alone reads like a quiet channel. None otherwise."""
    snap = engine.snapshot()
    why = snap.connection.never_read
    if snap.chat.lines or not why:
        return None
    return f"0 chat lines: {why}"
