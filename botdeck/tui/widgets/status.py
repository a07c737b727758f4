"""The header line and the global queue panel: small, re-rendered only when they change."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from botdeck.model.jobs import RouterState
from botdeck.model.snapshot import EngineSnapshot


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


class _Line(Static):
    """A one-line widget that redraws only when its text changes, and never re-lays out."""

    _shown: str | None = None

    def show_text(self, text: Text) -> None:
        if text.plain != self._shown:
            self._shown = text.plain
            self.update(text, layout=False)


class StatusBar(_Line):
    """Channel, chat connection, router state, responder, uptime."""

    def show(self, snap: EngineSnapshot, uptime: float) -> None:
        text = Text.assemble(
            ("botdeck", "bold"),
            "  #",
            snap.channel,
            "  chat: ",
            snap.connection.describe(),
            "  router: ",
            (router_label(snap), "bold"),
            "  responder: ",
            snap.responder,
            "  up ",
            _duration(uptime),
        )
        self.set_class(snap.queues.state is not RouterState.RUNNING, "-attention")
        self.show_text(text)


class Overview(_Line):
    """Global size (waiting), pending (running), limit, replies per minute, backlog warning."""

    def show(self, snap: EngineSnapshot, backlog_warning: int) -> None:
        queues = snap.queues
        tokens = sum(usage.tokens_in + usage.tokens_out for usage in snap.usage.values())
        parts: list[str | tuple[str, str]] = [
            ("size ", "dim"),
            (f"{queues.size}", "bold"),
            ("  pending ", "dim"),
            (f"{queues.pending}/{queues.limit}", "bold"),
            ("  replies/min ", "dim"),
            f"{queues.replies_per_minute:.0f}",
            ("  sent ", "dim"),
            f"{queues.sent}",
            ("  failed ", "dim"),
            f"{queues.failed}",
            ("  skipped ", "dim"),
            f"{queues.skipped}",
            ("  p50 ", "dim"),
            _latency(queues.latency.p50),
            ("  p95 ", "dim"),
            _latency(queues.latency.p95),
        ]
        if tokens:
            parts += [("  tokens ", "dim"), f"{tokens}"]
        backlog = queues.size > backlog_warning
        if backlog:
            parts += ["  ", (f" BACKLOG {queues.size} > {backlog_warning} ", "bold reverse")]
        for notice in snap.notices:
            parts += ["  ", (notice, "italic")]
        self.set_class(backlog, "-backlog")
        self.show_text(Text.assemble(*parts))
