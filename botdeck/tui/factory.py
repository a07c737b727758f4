"""The app factory shared by the CLI and the tests: same wiring, same app."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from botdeck.chat.base import ChatSource
from botdeck.chat.scenarios import MixedParams
from botdeck.chat.simulated import SimulatedChat, endless_mixed
from botdeck.config import Config, ConfigError
from botdeck.engine import build_engine
from botdeck.tui.app import BotdeckApp
from botdeck.tui.themes import SHIPPED_DIR, ThemeSet, discover_themes, user_theme_dir


def available_themes() -> ThemeSet:
    return discover_themes(SHIPPED_DIR, user_theme_dir())


def check_theme(name: str | None, themes: ThemeSet) -> None:
    if name is not None and name not in themes.names:
        available = ", ".join(themes.names) or "none"
        raise ConfigError(f"--theme: unknown theme {name!r} (available: {available})")


def create_app(
    config: Config,
    *,
    demo: bool,
    theme: str | None = None,
    journal_stream: TextIO | None = None,
    source: ChatSource | None = None,
    themes: ThemeSet | None = None,
    clock: Callable[[], float] = time.time,
    app_class: type[BotdeckApp] = BotdeckApp,
) -> BotdeckApp:
    """Build the engine and the dashboard around it.

    The demo plays endless mixed chat (a key injects raids), one `duration` after
    another, unless the config names another scenario, which then plays once.
    """
    themes = themes if themes is not None else available_themes()
    check_theme(theme, themes)
    spec = config.chat.scenario_spec
    if source is None and demo and isinstance(spec.params, MixedParams):
        source = SimulatedChat(
            endless_mixed(config.bot_names, config.chat.seed, spec.params), speed=config.chat.speed
        )
    engine = build_engine(
        config, journal_stream=journal_stream, source=source, keep_open=demo, clock=clock
    )
    return app_class(
        engine,
        demo=demo,
        themes=themes,
        theme=theme,
        keymap=config.keys.keymap(),
        clock=clock,
    )
