"""The config errors a new user meets first: no config anywhere, a provider named after a
server rather than its API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from botdeck.config import ConfigError, parse_config
from tests.cli import run_botdeck


def test_no_config_names_both_places_and_init(tmp_path: Path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip
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
        ("ollama", 'use provider = "openai" with base_url = "http://localhost:11434/v1"'),
        ("LM Studio", 'base_url = "http://localhost:1234/v1"'),
        ("llama.cpp", 'base_url = "http://localhost:8080/v1"'),
        ("vllm", 'base_url = "http://localhost:8000/v1"'),
        ("anthropic", "got 'anthropic': any OpenAI-compatible server (Ollama, LM Studio"),
    ],
)
def test_an_unknown_provider_gets_a_one_line_hint(provider: str, hint: str):
    with pytest.raises(ConfigError) as raised:
        parse_config({"ai": {"provider": provider}, "bots": [{"name": "abot"}]}, source="b.toml")
    message = str(raised.value)
    assert message.startswith("b.toml: ai.provider: ") and "\n" not in message
    assert hint in message
