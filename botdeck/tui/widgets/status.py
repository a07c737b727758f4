"""The header line, the alerts and the global queue panel: small, redrawn only on change.

What must never be cut comes first: the header starts with the router's state, and
every warning (the backlog past its threshold, each standing notice such as an AI server
down, Twitch reconnecting, reading that never started or sends failing in a row) gets a
line of its own in the alerts, shown while the condition lasts, above everything that
may shrink.
"""

from __future__ import annotations

from rich.text import Text

from botdeck.model.chat import ConnectionStatus
from botdeck.model.jobs import RouterState
from botdeck.model.live import OfflineAction, clock
from botdeck.model.room import RoomSnapshot
from botdeck.model.snapshot import EngineSnapshot
from botdeck.tui.fit import Part, fit_line
from botdeck.tui.labels import fault_label, offline_words, router_attention
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


def _ai_down(snap: EngineSnapshot) -> Part | None:
    """`AI down for 23 s` right after the router state, before anything that may give way."""
    header = snap.ai.header() if snap.ai is not None else None
    return Part.of((header, "bold reverse")) if header else None


def _raid(snap: EngineSnapshot) -> Part | None:
    """`raid: Bigstreamer (200 viewers)` while raid mode plans for it, early in the line;
    always shown whole, as the warnings before it."""
    return Part.of((snap.raid.header(), "bold reverse")) if snap.raid is not None else None


def _playing(snap: EngineSnapshot) -> Part | None:
    """The game (offline when the stream is, which pauses the timers): it gives way after
    the chat connection and the share, with the chat modes."""
    playing = stream_words(snap)
    return Part.of((playing, "dim"), rank=2) if playing else None


def stream_words(snap: EngineSnapshot) -> str:
    """What the header says of the stream: its game, and offline when Twitch says so
    (unless `[chat] on_offline`'s part says it already)."""
    stream = snap.stream
    playing = f"playing {stream.game}" if stream.game else ""
    if stream.live is False and not snap.live.offline:
        return f"{playing} (offline)" if playing else "stream offline"
    return playing


def _shared(snap: EngineSnapshot) -> Part | None:
    """A shared chat session, right after the router state: it changes who hears replies."""
    shared = " ".join(f"#{login}" for login in snap.live.shared_with)
    return Part.of(("SHARED CHAT " + shared, "bold reverse")) if shared else None


def _offline(snap: EngineSnapshot) -> Part | None:
    """`[chat] on_offline` where a stream can go offline (not a simulation or a replay,
    unless set to drain), and what it did once the stream ended (always shown then)."""
    live = snap.live
    local = snap.connection.status in (ConnectionStatus.SIMULATED, ConnectionStatus.REPLAY)
    if local and live.on_offline is OfflineAction.KEEP and not live.offline:
        return None
    words = offline_words(live.on_offline, live.offline)
    if live.offline:
        return Part.of((words, "bold reverse"))
    return Part.of(words, rank=7)  # the setting gives way first; what it did never


def share_words(room: RoomSnapshot) -> str:
    """`bots 12% of chat (random 8%/10%)`: the bots' lines against all chat lines in
    the last 5 minutes, and their random and bot-to-bot replies against `chat_share`."""
    text = f"bots {room.share:.0%} of chat"
    if room.limit is not None:
        text += f" (random {room.chance_share:.0%}/{room.limit:.0%})"
    return text


def _share(snap: EngineSnapshot) -> Part | None:
    """The bots' share of chat; it gives way before the mode, after the channel."""
    room = snap.room
    if room is None or not room.lines:
        return None
    over = room.limit is not None and room.chance_share >= room.limit
    return Part.of((share_words(room), "bold" if over else ""), rank=3)


class _Line(TextLines):
    """Lines that redraw only where their text changed, and never re-lay out."""

    def show_text(self, text: Text) -> None:
        self.set_lines(list(text.split("\n")) if text.plain else [])

    @property
    def fit_width(self) -> int | None:
        """The cells a line has: the screen's width less the padding (these lines span the
        screen; the app's size is right at once after a resize, a widget's only after the
        next layout). None before the app has a size."""
        width = self.app.size.width
        padding = self.styles.padding
        return width - padding.left - padding.right if width else None


class StatusBar(_Line):
    """Router state first (with `AI down for 23 s` while it is, a shared chat session and
    the raid that raid mode plans for), the game (offline when the stream is), then chat
    connection, the channel's chat modes, `[chat] on_offline`, channel, responder, review,
    uptime. The state, the warnings that follow it and the uptime always show whole; the
    rest gives way on a narrow terminal (chat trouble is an alert line of its own too)."""

    def show(self, snap: EngineSnapshot, uptime: float) -> None:
        parts = [
            Part.of(("router: ", "bold"), (router_label(snap), "bold")),
            Part.of(("sends held: stop?", "bold reverse")) if snap.sends_held else None,
            _ai_down(snap),
            _shared(snap),
            _raid(snap),
            _playing(snap),
            Part.of("chat: ", snap.connection.describe(), rank=3),
            Part.of(("mode: ", "dim"), (snap.chat_mode, "bold"), rank=2)
            if snap.chat_mode
            else None,
            _offline(snap),
            _share(snap),
            Part.of("#", snap.channel, rank=4),
            Part.of("responder: ", snap.responder, rank=5),
        ]
        if snap.reviewing:
            every = len(snap.reviewing) == len(snap.queues.bots)
            who = "all bots" if every else ", ".join(sorted(snap.reviewing))
            parts.append(Part.of("review: ", who, rank=3))
        parts += [Part.of("up ", _duration(uptime)), Part.of("botdeck", rank=6)]
        text = fit_line([part for part in parts if part is not None], self.fit_width)
        ai_down = snap.ai is not None and snap.ai.down_for is not None
        live = snap.live
        attention = router_attention(snap.queues.state) or ai_down or snap.sends_held
        attention = attention or bool(live.shared_with) or live.offline
        self.set_class(attention, "-attention")
        self.show_text(text)


def alert_lines(snap: EngineSnapshot, backlog_warning: int) -> list[Text]:
    """One line per standing condition: the backlog past its threshold, chat connection
    trouble (reading down or never started, sends failing in a row: the same words as the
    header), each bot a chat mode keeps from talking, each notice."""
    lines = []
    for fault in snap.faults:  # a drill's fault under way: what the operator practises on
        edge, _ = fault_label(fault.edge)
        lines.append(
            Text.assemble(
                (f" DRILL {edge} ", "bold reverse"),
                " ",
                fault.summary(),
                no_wrap=True,
                overflow="ellipsis",
            )
        )
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
    for notice in live_alerts(snap):
        lines.append(Text.assemble(("! ", "bold"), notice, no_wrap=True, overflow="ellipsis"))
    for lane in queues.bots:
        if lane.held is not None:  # a chat mode keeps this bot from talking
            notice = f"{lane.bot} paused by the chat mode: {lane.held}"
            lines.append(Text.assemble(("! ", "bold"), notice, no_wrap=True, overflow="ellipsis"))
    for notice in snap.notices:
        lines.append(Text.assemble(("! ", "bold"), notice, no_wrap=True, overflow="ellipsis"))
    return lines


def live_alerts(snap: EngineSnapshot) -> list[str]:
    """A reading gap while it lasts, a shared chat session, the run's lock taken over."""
    found = []
    blind = snap.connection.blind_since
    if blind is not None:
        found.append(f"reading gap since {clock(blind)}: mentions in it may be missed")
    if (banner := snap.live.shared_banner()) is not None:
        found.append(banner)
    if snap.live.lock is not None:
        found.append(snap.live.lock)
    return found


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
    """Global size (waiting), pending (running), what was sent, mentions answered, failed,
    skipped, latency p50/p95, and what is in review; the rate, tokens and what a restart
    resumed give way first on a narrow terminal, the latencies never."""

    def show(self, snap: EngineSnapshot, backlog_warning: int) -> None:
        queues = snap.queues
        tokens = sum(usage.tokens_in + usage.tokens_out for usage in snap.usage.values())
        parts = [
            Part.of(("size ", "dim"), (f"{queues.size}", "bold")),
            Part.of(("pending ", "dim"), (f"{queues.pending}/{queues.limit}", "bold")),
            Part.of(("msgs/min ", "dim"), f"{queues.replies_per_minute:.0f}", rank=4),
            Part.of(("msgs ", "dim"), f"{queues.messages}", rank=2),
            Part.of(("answered ", "dim"), f"{snap.chat.mentions_answered}/{snap.chat.mentions}"),
            Part.of(("failed ", "dim"), f"{queues.failed}", rank=1),
            Part.of(("skipped ", "dim"), f"{queues.skipped}", rank=1),
            Part.of(("p50 ", "dim"), _latency(queues.latency.p50)),
            Part.of(("p95 ", "dim"), _latency(queues.latency.p95)),
        ]
        if snap.reviews:
            parts.append(Part.of(("in review ", "dim"), (f"{snap.reviews}", "bold")))
        if tokens:
            parts.append(Part.of(("tokens ", "dim"), f"{tokens}", rank=5))
        if snap.resume is not None and snap.resume.resumed:
            parts.append(Part.of(("resumed ", "dim"), f"{snap.resume.resumed}", rank=3))
        events = snap.events
        if events.events:
            parts.append(Part.of(("events ", "dim"), f"{events.events}", rank=2))
            parts.append(Part.of(("reactions ", "dim"), f"{events.reactions}", rank=2))
        if events.fulfilled or events.refunded or events.open_redemptions:
            parts.append(
                Part.of(
                    ("points: fulfilled ", "dim"), f"{events.fulfilled}",
                    ("  refunded ", "dim"), f"{events.refunded}",
                )
            )  # fmt: skip
        self.show_text(fit_line(parts, self.fit_width))
