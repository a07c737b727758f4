"""From config to AI parts: where the key comes from, and what must fail at start."""

from __future__ import annotations

import asyncio

import pytest

from botdeck.ai.openai_adapter import NO_KEY, resolve_api_key
from botdeck.config import ConfigError, parse_config
from botdeck.engine import preflight
from botdeck.engine.ai_setup import secret_values
from botdeck.engine.parts import build_ai, responder_context


def config(ai: dict | None = None, safety: dict | None = None, bot: dict | None = None):
    return parse_config(
        {
            "ai": {"provider": "openai", **(ai or {})},
            "safety": safety or {},
            "bots": [{"name": "alpha_bot", **(bot or {})}],
        }
    )


def key_of(cfg, environ):
    return resolve_api_key(responder_context(cfg, "openai", environ=environ))


def test_the_key_comes_from_the_named_variable():
    assert key_of(config({"api_key_env": "MY_KEY"}), {"MY_KEY": "sk-1"}) == "sk-1"


def test_an_unset_key_for_a_remote_server_is_an_error_naming_the_variable():
    with pytest.raises(ConfigError) as error:
        preflight(config({"api_key_env": "MY_KEY"}), {})
    message = str(error.value)
    assert message.startswith("ai.api_key_env: the environment variable MY_KEY is not set")
    assert "provider openai needs a key" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "base_url",
    ["http://localhost:11434/v1", "http://127.0.0.1:8080/v1", "http://[::1]:1234/v1"],
)
def test_a_server_on_this_machine_needs_no_key(base_url):
    assert key_of(config({"base_url": base_url}), {}) == NO_KEY


def test_an_empty_api_key_env_means_the_server_needs_no_key():
    lan = config({"base_url": "http://192.168.1.20:11434/v1", "api_key_env": ""})
    assert key_of(lan, {"OPENAI_API_KEY": "sk-not-used"}) == NO_KEY


def test_moderation_needs_a_key_even_with_offline_replies():
    offline = config({"provider": "offline"}, safety={"moderation": "replies"})
    with pytest.raises(ConfigError, match="moderation needs a key"):
        preflight(offline, {})
    preflight(config({"provider": "offline"}), {})  # offline alone needs nothing


def test_offline_replies_with_moderation_take_the_moderator_from_the_provider_that_can():
    offline = config({"provider": "offline"}, safety={"moderation": "replies"})
    parts = build_ai(offline, environ={"OPENAI_API_KEY": "sk-moderation"})
    try:
        assert parts.responder is not None and parts.responder.label == "offline"
        assert parts.moderator is not None
        assert parts.secrets == ("sk-moderation",)  # the leak guard knows the key
    finally:
        for close in parts.closers:
            asyncio.run(close())


def test_no_client_is_built_when_nothing_calls_an_api():
    parts = build_ai(config({"provider": "offline"}), environ={})
    assert parts.closers == () and parts.moderator is None and parts.secrets == ()


def test_every_variable_named_by_an_env_key_is_a_secret():
    cfg = config({"api_key_env": "AI_KEY"}, bot={"token_env": "BOT_TOKEN"})
    environ = {"AI_KEY": "sk-a", "BOT_TOKEN": "oauth:b", "TWITCH_CLIENT_SECRET": "c", "PATH": "/"}
    assert sorted(secret_values(cfg, environ)) == ["c", "oauth:b", "sk-a"]


def test_the_providers_default_key_variable_is_a_secret_too():
    cfg = config()  # api_key_env not written: the provider's default, OPENAI_API_KEY
    assert secret_values(cfg, {"OPENAI_API_KEY": "sk-default"}) == ["sk-default"]


def test_a_missing_blocklist_file_fails_at_start(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(ConfigError, match=f"safety.blocklist_file: {missing}: file not found"):
        preflight(config({"provider": "offline"}, safety={"blocklist_file": str(missing)}), {})
