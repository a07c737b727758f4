"""`[send_limits]` and the limiter the engine wires in for every source."""

from __future__ import annotations

import pytest

from botdeck.config import ConfigError, demo_config, parse_config
from botdeck.core.ratelimit import RateLimiter
from botdeck.engine import build_engine, build_limiter
from botdeck.model.chat import Role


def config(**limits: object) -> dict:
    data: dict = {
        "bots": [{"name": "viewer_bot"}, {"name": "mod_bot", "role": "moderator"}],
    }
    if limits:
        data["send_limits"] = limits
    return data


def test_every_source_gets_twitchs_limits_by_default_with_each_bots_role():
    limiter = build_limiter(demo_config(bots=2))
    assert isinstance(limiter, RateLimiter)
    engine = build_engine(demo_config(bots=2))
    assert limiter.limits.window == 30.0 and limiter.limits.viewer == 20
    budgets = engine.snapshot().budgets
    assert set(budgets) == {"stickyman1776", "genejacqueman"}
    assert all(b.limit == 20 and b.role == "viewer" for b in budgets.values())

    assert build_limiter(parse_config(config())).role("mod_bot") is Role.MODERATOR  # type: ignore[union-attr]
    assert build_engine(parse_config(config())).snapshot().budgets["mod_bot"].limit == 100


def test_a_rehearsal_may_shorten_or_switch_off_the_limits():
    limiter = build_limiter(parse_config(config(window=3.0, viewer=5, spacing=0.1)))
    assert isinstance(limiter, RateLimiter)
    assert (limiter.limits.window, limiter.limits.viewer, limiter.limits.spacing) == (3.0, 5, 0.1)
    assert build_limiter(parse_config(config(enabled=False))) is None
    assert build_engine(parse_config(config(enabled=False))).snapshot().budgets == {}


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"window": 0}, "send_limits.window: Input should be greater than 0"),
        ({"viewer": "20"}, "send_limits.viewer: Input should be a valid integer"),
        ({"burst": 3}, "send_limits.burst: unknown key"),
        ({"enabled": "no"}, "send_limits.enabled: Input should be a valid boolean"),
    ],
)
def test_bad_send_limits_name_the_key(limits, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_config(config(**limits), source="x.toml")
