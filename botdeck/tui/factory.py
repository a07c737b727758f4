"""The app factory shared by the CLI and the tests: same wiring, same app."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TextIO

from botdeck.config import Config, ConfigError
from botdeck.engine import ResumePlan, RunSession, SourceParts, build_engine
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
    journal_stream: TextIO | Sequence[TextIO] | None = None,
    source: SourceParts | None = None,
    themes: ThemeSet | None = None,
    clock: Callable[[], float] = time.time,
    app_class: type[BotdeckApp] = BotdeckApp,
    resume: ResumePlan | None = None,
    duration: float | None = None,
) -> BotdeckApp:
    """Build the engine and the dashboard around it.

    The demo plays endless mixed chat (a key injects raids), one `duration` after
    another, unless the config names another scenario, which then plays once.
    """
    themes = themes if themes is not None else available_themes()
    check_theme(theme, themes)
    engine = build_engine(
        config,
        journal_stream=journal_stream,
        source=source,
        keep_open=demo,
        endless=demo,
        clock=clock,
        resume=resume,
    )
    session = RunSession(engine, duration=duration, ends_with_source=False)
    return app_class(
        engine,
        session=session,
        demo=demo,
        themes=themes,
        theme=theme,
        keymap=config.keys,
        backlog_warning=config.router.backlog_warning,
        clock=clock,
    )
