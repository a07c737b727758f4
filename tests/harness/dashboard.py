"""Building dashboards for tests: scripted chat, a frozen clock, fast delays."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib.resources.abc import Traversable
from typing import Any

from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.events import Key
from textual.pilot import Pilot
from textual.screen import Screen

from botdeck.chat.base import ChatSink
from botdeck.chat.simulated import Scripted, ScriptedLine, SimulatedChat
from botdeck.chat.simulated_adapter import SimulatedOptions, scripted
from botdeck.config import Config, parse_config
from botdeck.engine import ResumePlan, RunOptions, SourceParts, new_session
from botdeck.model.chat import ConnectionState
from botdeck.tui.app import BotdeckApp
from botdeck.tui.factory import create_app
from botdeck.tui.themes import SHIPPED_DIR, ThemeSet, discover_themes

FROZEN = 1_795_000_000.0  # a fixed wall clock: 2026-11-19, for stable screens
BOTS = ("stickyman1776", "genejacqueman", "pixelsage")
FIVE_BOTS = (*BOTS, "quietlynx", "captainbyte")


def frozen_clock() -> float:
    return FROZEN


def app_for(
    config: Config,
    *,
    demo: bool = False,
    source: SourceParts | None = None,
    journal: io.StringIO | None = None,
    themes: ThemeSet | None = None,
    clock: Callable[[], float] = time.time,
    app_class: type[BotdeckApp] = BotdeckApp,
    resume: ResumePlan | None = None,
) -> BotdeckApp:
    """The dashboard on a run the engine composed as the CLI's would be (watched), with
    a journal in memory and, if given, a chat source of the test's."""
    options = RunOptions(demo=demo, watched=True, clock=clock)
    session = new_session(config, options, journal_stream=journal, source=source, resume=resume)
    themes = themes if themes is not None else discover_themes(SHIPPED_DIR)
    return create_app(session, config, demo=demo, themes=themes, clock=clock, app_class=app_class)


def make_app(
    lines: Sequence[Scripted],
    *,
    delays: float = 0.0,
    router: dict[str, Any] | None = None,
    chat: dict[str, Any] | None = None,
    keys: dict[str, str] | None = None,
    journal: io.StringIO | None = None,
    themes_dir: Traversable = SHIPPED_DIR,
    demo: bool = True,
    keep_open: bool = True,
    send_limits: dict[str, Any] | None = None,
    review: dict[str, Any] | None = None,
    notices: Sequence[str] = (),
    monotonic: Callable[[], float] | None = None,
    app_class: type[BotdeckApp] = BotdeckApp,
    resume: ResumePlan | None = None,
    ai: dict[str, Any] | None = None,
    roles: Mapping[str, str] | None = None,
    reading: ConnectionState | None = None,
    sink: ChatSink | None = None,
    events: dict[str, Any] | None = None,
    timers: list[dict[str, Any]] | None = None,
    bots: Sequence[str] = BOTS,
) -> BotdeckApp:
    """`sink`: where replies go (they stay in the process by default)."""
    config = parse_config(
        {
            "router": {
                "random_reply_chance": 0.0,
                "max_depth": 0,
                "delays": {p: [delays, delays] for p in ("high", "normal", "low")},
                "chat_share": 1.0,  # the room's share is off unless a test is about it
                **(router or {}),
            },
            "chat": {"seed": 3, "scenario": "raid", **(chat or {})},
            # Off unless a test is about them: they would pace every reply by a second.
            "send_limits": send_limits or {"enabled": False},
            "keys": keys or {},
            "review": review or {},
            "ai": ai or {},
            "events": events or {},
            "timers": timers or [],
            "bots": [
                {
                    "name": bot,
                    "persona": f"persona of {bot}",
                    "role": (roles or {}).get(bot, "viewer"),
                }
                for bot in bots
            ],
        },
        source="test",
    )
    source = NoticingChat(lines, keep_open=keep_open, clock=frozen_clock, speed=1.0)
    source.standing = list(notices)
    source.reading = reading
    options = config.chat.adapter_options()
    assert isinstance(options, SimulatedOptions)
    parts = scripted(source, options, config.bot_names, config.chat.seed)
    app = app_for(
        config,
        demo=demo,
        source=parts if sink is None else replace(parts, sink=sink),
        journal=journal,
        themes=discover_themes(themes_dir),
        clock=frozen_clock,
        app_class=app_class,
        resume=resume,
    )
    app._monotonic = monotonic
    return app


class NoticingChat(SimulatedChat):
    """Simulated chat with standing notices a test sets (say, Twitch reconnecting), and
    the reading state it reports, if a test sets one (a source reconnecting or failed)."""

    standing: list[str]
    reading: ConnectionState | None = None

    @property
    def notices(self) -> tuple[str, ...]:
        return tuple(self.standing)

    @property
    def connection(self) -> ConnectionState:
        return self.reading or super().connection


def mentions(count: int, at: float = 0.0, bots: Sequence[str] = BOTS) -> list[ScriptedLine]:
    return [
        ScriptedLine(at, f"viewer{i}", f"@{bots[i % len(bots)]} hello {i}") for i in range(count)
    ]


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], within: float = 10.0
) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await pilot.pause(0.02)


# What a terminal sends with these keys (Textual's driver makes the same events).
_CHARACTERS = {"enter": "\r", "tab": "\t", "escape": "\x1b", "space": " ", "question_mark": "?"}


async def mash(pilot: Pilot[Any], *keys: str, within: float = 10.0) -> None:
    """Keys typed faster than the app handles them, as a terminal hands over keys that
    arrived in one read: all queued at once (`Pilot.press` settles after each key, so it
    never races). Returns once the app has taken every one of them; what they set off
    (a dialog's answer, a screen leaving) may still be on its way: wait on the outcome."""
    app = pilot.app
    for key in keys:
        event = Key(key, key if len(key) == 1 else _CHARACTERS.get(key))
        event.set_sender(app)
        app.post_message(event)
    taken = asyncio.Event()
    app.call_later(taken.set)  # queued after the keys
    await asyncio.wait_for(taken.wait(), within)


async def gone(pilot: Pilot[Any], screen: Screen[object], within: float = 10.0) -> None:
    """Wait until `screen` has left the app (removed: nothing queued for it runs any more),
    and check the app is still running."""
    await wait_until(pilot, lambda: not screen.is_attached, within)
    await pilot.pause()
    assert pilot.app.is_running, "the app ended"


def screen_text(app: BotdeckApp) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      force_terminal=True, legacy_windows=False, safe_box=False)  # fmt: skip
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text()


async def from_palette(app: BotdeckApp, pilot: Pilot[Any], title: str) -> None:
    """Choose `title` in the command palette the way a person does, and wait until its
    action has run (the palette awaits it)."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
    palette = app.screen
    await pilot.press(*title)
    found = palette.query_one(CommandList)

    def hit() -> bool:  # the palette's search runs in a worker: wait for its best hit
        if found.option_count == 0:
            return False
        best: Any = found.get_option_at_index(0)  # a palette hit: its `hit` holds the title
        return str(best.hit.text) == title

    await wait_until(pilot, hit)
    for _ in range(3):
        await pilot.press("enter")
        if app.screen is not palette:
            break
        await wait_until(pilot, lambda: found.highlighted is not None or app.screen is not palette)
    await wait_until(pilot, lambda: app.screen is not palette)
    await pilot.pause()  # the chosen action runs next, after the palette closes


def titles(app: BotdeckApp) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]
