"""The header line, the alerts and the global queue panel: small, redrawn only on change.

What must never be cut comes first: the header starts with the router's state, and
every warning (the backlog past its threshold, each standing notice such as an AI server
down, Twitch reconnecting, reading that never started or sends failing in a row) gets a
line of its own in the alerts, shown while the condition lasts, above everything that
may shrink.
"""

from __future__ import annotations

from rich.text import Text

from botdeck.model.jobs import RouterState
from botdeck.model.room import RoomSnapshot
from botdeck.model.snapshot import EngineSnapshot
from botdeck.tui.labels import router_attention
from botdeck.tui.widgets.text_lines import TextLines

MAX_ALERT_LINES = 4


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _latency(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def router_label(snap: EngineSnapshot) -> str:
    queues = snap.queues
    if queues.state is RouterState.DRAINING:
        return f"draining ({queues.size + queues.pending} left)"
    return queues.state.value


def _ai_down(snap: EngineSnapshot) -> tuple[str | tuple[str, str], ...]:
    """`AI down for 23 s` right after the router state, before anything that may be cut."""
    header = snap.ai.header() if snap.ai is not None else None
    return ("  ", (header, "bold reverse")) if header else ()


def _raid(snap: EngineSnapshot) -> tuple[str | tuple[str, str], ...]:
    """`raid: Bigstreamer (200 viewers)` while raid mode plans for it, early in the line."""
    return ("  ", (snap.raid.header(), "bold reverse")) if snap.raid is not None else ()


def stream_words(snap: EngineSnapshot) -> str:
    """What the header says of the stream: its game, and offline when Twitch says so."""
    stream = snap.stream
    playing = f"playing {stream.game}" if stream.game else ""
    if stream.live is False:
        return f"{playing} (offline)" if playing else "stream offline"
    return playing


def share_words(room: RoomSnapshot) -> str:
    """`bots 12% of chat (random 8%/10%)`: the bots' lines against all chat lines in
    the last 5 minutes, and their random and bot-to-bot replies against `chat_share`."""
    text = f"bots {room.share:.0%} of chat"
    if room.limit is not None:
        text += f" (random {room.chance_share:.0%}/{room.limit:.0%})"
    return text


def _share(snap: EngineSnapshot) -> tuple[tuple[str, str], ...]:
    room = snap.room
    if room is None or not room.lines:
        return ()
    over = room.limit is not None and room.chance_share >= room.limit
    return (("  ", ""), (share_words(room), "bold" if over else ""))


class _Line(TextLines):
    """Lines that redraw only where their text changed, and never re-lay out."""

    def show_text(self, text: Text) -> None:
        self.set_lines(list(text.split("\n")) if text.plain else [])


class StatusBar(_Line):
    """Router state first (with `AI down for 23 s` while it is, and a raid raid mode plans
    for), the game (offline when the stream is), then chat connection, the channel's chat
    modes, channel, responder, review, uptime."""

    def show(self, snap: EngineSnapshot, uptime: float) -> None:
        playing = stream_words(snap)
        parts: list[str | tuple[str, str]] = [
            ("router: ", "bold"),
            (router_label(snap), "bold"),
            *(("  ", ("sends held: stop?", "bold reverse")) if snap.sends_held else ()),
            *_ai_down(snap),
            *_raid(snap),
            *(("  ", (playing, "dim")) if playing else ()),
            "  chat: ",
            snap.connection.describe(),
            *((("  mode: ", "dim"), (snap.chat_mode, "bold")) if snap.chat_mode else ()),
            *_share(snap),
            "  #",
            snap.channel,
            "  responder: ",
            snap.responder,
        ]
        if snap.reviewing:
            every = len(snap.reviewing) == len(snap.queues.bots)
            parts += ["  review: ", "all bots" if every else ", ".join(sorted(snap.reviewing))]
        parts += ["  up ", _duration(uptime), "  botdeck"]
        text = Text.assemble(*parts, no_wrap=True, overflow="ellipsis")
        ai_down = snap.ai is not None and snap.ai.down_for is not None
        attention = router_attention(snap.queues.state) or ai_down or snap.sends_held
        self.set_class(attention, "-attention")
        self.show_text(text)


def alert_lines(snap: EngineSnapshot, backlog_warning: int) -> list[Text]:
    """One line per standing condition: the backlog past its threshold, chat connection
    trouble (reading down or never started, sends failing in a row: the same words as the
    header), each bot a chat mode keeps from talking, each notice."""
    lines = []
    queues = snap.queues
    if queues.size > backlog_warning:
        lines.append(
            Text.assemble(
                (f" BACKLOG {queues.size} > {backlog_warning} ", "bold reverse"),
                f" replies waiting (threshold {backlog_warning})",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
    if snap.connection.troubled:  # the header may be cut on a small terminal; this is not
        notice = f"chat: {snap.connection.describe()}"
        lines.append(Text.assemble(("! ", "bold"), notice, no_wrap=True, overflow="ellipsis"))
    for lane in queues.bots:
        if lane.held is not None:  # a chat mode keeps this bot from talking
            notice = f"{lane.bot} paused by the chat mode: {lane.held}"
            lines.append(Text.assemble(("! ", "bold"), notice, no_wrap=True, overflow="ellipsis"))
    for notice in snap.notices:
        lines.append(Text.assemble(("! ", "bold"), notice, no_wrap=True, overflow="ellipsis"))
    return lines


class AlertBar(_Line):
    """The alerts, a line each; takes no room when there are none."""

    def show(self, snap: EngineSnapshot, backlog_warning: int) -> int:
        """Update; returns how many lines it takes now."""
        lines = alert_lines(snap, backlog_warning)
        if len(lines) > MAX_ALERT_LINES:
            more = len(lines) - MAX_ALERT_LINES + 1
            lines = [*lines[: MAX_ALERT_LINES - 1], Text(f"! … and {more} more notices")]
        height = len(lines)
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height
        self.set_class(snap.queues.size > backlog_warning, "-backlog")
        self.show_text(Text("\n").join(lines))
        return height


class Overview(_Line):
    """Global size (waiting), pending (running), limit, rate, what was sent, latency."""

    def show(self, snap: EngineSnapshot, backlog_warning: int) -> None:
        queues = snap.queues
        tokens = sum(usage.tokens_in + usage.tokens_out for usage in snap.usage.values())
        parts: list[str | tuple[str, str]] = [
            ("size ", "dim"),
            (f"{queues.size}", "bold"),
            ("  pending ", "dim"),
            (f"{queues.pending}/{queues.limit}", "bold"),
            ("  msgs/min ", "dim"),
            f"{queues.replies_per_minute:.0f}",
            ("  msgs ", "dim"),
            f"{queues.messages}",
            ("  answered ", "dim"),
            f"{snap.chat.mentions_answered}/{snap.chat.mentions}",
            ("  failed ", "dim"),
            f"{queues.failed}",
            ("  skipped ", "dim"),
            f"{queues.skipped}",
            ("  p50 ", "dim"),
            _latency(queues.latency.p50),
            ("  p95 ", "dim"),
            _latency(queues.latency.p95),
        ]
        if snap.reviews:
            parts += [("  in review ", "dim"), (f"{snap.reviews}", "bold")]
        if tokens:
            parts += [("  tokens ", "dim"), f"{tokens}"]
        if snap.resume is not None and snap.resume.resumed:
            parts += [("  resumed ", "dim"), f"{snap.resume.resumed}"]
        events = snap.events
        if events.events:
            parts += [("  events ", "dim"), f"{events.events}"]
            parts += [("  reactions ", "dim"), f"{events.reactions}"]
        if events.fulfilled or events.refunded or events.open_redemptions:
            parts += [("  points: fulfilled ", "dim"), f"{events.fulfilled}"]
            parts += [("  refunded ", "dim"), f"{events.refunded}"]
        self.show_text(Text.assemble(*parts, no_wrap=True, overflow="ellipsis"))
