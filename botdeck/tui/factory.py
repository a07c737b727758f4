"""The app factory shared by the CLI and the tests: same wiring, same app.

The run comes from the engine (`open_run`, or `new_session` in tests); the factory puts
the dashboard around it with the config's keys and themes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from botdeck.config import Config, ConfigError
from botdeck.engine import RunSession
from botdeck.storage.paths import themes_dir
from botdeck.tui.app import BotdeckApp
from botdeck.tui.themes import SHIPPED_DIR, ThemeSet, discover_themes


def available_themes() -> ThemeSet:
    return discover_themes(SHIPPED_DIR, themes_dir())


def check_theme(name: str | None, themes: ThemeSet) -> None:
    if name is not None and name not in themes.names:
        available = ", ".join(themes.names) or "none"
        raise ConfigError(f"--theme: unknown theme {name!r} (available: {available})")


def create_app(
    session: RunSession,
    config: Config,
    *,
    demo: bool,
    theme: str | None = None,
    themes: ThemeSet | None = None,
    clock: Callable[[], float] = time.time,
    app_class: type[BotdeckApp] = BotdeckApp,
) -> BotdeckApp:
    """The dashboard on `session`'s run. The demo adds its keys (a raid on demand)."""
    themes = themes if themes is not None else available_themes()
    check_theme(theme, themes)
    return app_class(
        session.engine,
        session=session,
        demo=demo,
        themes=themes,
        theme=theme,
        keymap=config.keys,
        backlog_warning=config.router.backlog_warning,
        clock=clock,
    )
