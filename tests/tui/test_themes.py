"""Theme files: the shipped ones load; a bad one is one warning naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from botdeck.tui.themes import SHIPPED_DIR, ThemeError, discover_themes, load_theme
from tests.harness.cli import run_botdeck
from tests.harness.dashboard import make_app


def test_three_shipped_themes_load():
    themes = discover_themes(SHIPPED_DIR)
    assert set(themes.names) == {"twitch", "low-glare", "high-contrast"}
    assert themes.warnings == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name = "x"\nprimary = "#fff"\nglitter = true', "glitter: unknown key"),
        ('primary = "#fff"', "name: missing"),
        ('name = "x"', "primary: missing"),
        ('name = "x"\nprimary = "not-a-colour"', "primary: not a colour"),
        ('name = "x"\nprimary = 12', "primary: expected a colour string"),
        ('name = "x"\nprimary = "#fff"\ntext_alpha = 3', "text_alpha: expected a number"),
        ('name = "x"\nprimary = "#fff"\ndark = "yes"', "dark: expected true or false"),
        ("name = ", "invalid TOML"),
    ],
)
def test_a_bad_theme_file_names_the_file_and_key(tmp_path: Path, content: str, message: str):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ThemeError) as raised:
        load_theme(path)
    text = str(raised.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_a_bad_theme_is_skipped_with_a_warning_and_the_app_starts_with_the_default(tmp_path):
    for shipped in SHIPPED_DIR.iterdir():
        (tmp_path / shipped.name).write_text(shipped.read_text())
    (tmp_path / "broken.toml").write_text('name = "broken"\nprimary = "#zzz"')
    themes = discover_themes(tmp_path)
    assert "broken" not in themes.names
    assert len(themes.warnings) == 1 and "broken.toml: primary" in themes.warnings[0]

    async def run() -> None:
        app = make_app([], themes_dir=tmp_path)
        async with app.run_test() as pilot:
            await pilot.pause()
            assert app.theme == "twitch"
            notices = [n.message for n in app._notifications]
            assert any("broken.toml: primary" in message for message in notices)

    import asyncio

    asyncio.run(run())


def test_an_unknown_theme_on_the_command_line_exits_2(tmp_path):
    result = run_botdeck(
        "demo",
        "--theme",
        "sparkles",
        env={"BOTDECK_LOG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "--theme: unknown theme 'sparkles'" in result.stderr
    assert "twitch" in result.stderr
