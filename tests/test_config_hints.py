"""The config errors a new user meets first: no config anywhere, a provider named after a
server rather than its API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.harness.cli import run_botdeck


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip


def test_no_config_names_both_places_and_init(tmp_path: Path):
    env = _env(tmp_path)
    for command in ("check", "run", "auth"):
        result = run_botdeck(command, env=env, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "botdeck: no config file: looked for ./botdeck.toml and "
            f"{tmp_path / 'xdg' / 'botdeck' / 'config.toml'}; create one with `botdeck init`"
        )


@pytest.mark.parametrize(
    ("provider", "hint"),
    [
        ("ollama", "'ollama' is not a provider: use provider = \"openai\" with base_url = "
                   "\"http://localhost:11434/v1\""),
        ("LM Studio", 'base_url = "http://localhost:1234/v1"'),
        ("llama.cpp", 'base_url = "http://localhost:8080/v1"'),
        ("vllm", 'base_url = "http://localhost:8000/v1"'),
        ("anthropic", 'any OpenAI-compatible server is "openai" with its base_url'),
    ],
)  # fmt: skip
def test_an_unknown_provider_gets_a_one_line_hint(tmp_path: Path, provider: str, hint: str):
    path = tmp_path / "b.toml"
    path.write_text(f'[ai]\nprovider = "{provider}"\n[[bots]]\nname = "abot"\n')
    result = run_botdeck("check", "--config", str(path), env=_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"botdeck: {path}: ai.provider: ")
    assert hint in result.stderr and len(result.stderr.splitlines()) == 1
