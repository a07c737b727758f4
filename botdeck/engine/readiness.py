"""`botdeck check`'s verdict: would `botdeck run` start with this config, here, now?

Everything a run would refuse is asked of the adapters' hooks (`botdeck.engine.parts`):
the providers' `check` (or `preflight`) for their keys, the blocklist file, the source's
`preflight` and `check` (Twitch: the secret, the token file, each account's token and
its scopes; a replay: the whole log). Each answer is a finding, and every problem is
collected: a refusal is one ✗ finding, never the end of the check. With `probe`, the AI
server and the chat source are asked once, each only when its own findings hold (a
probe without the key would only say the same again).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botdeck.chat.adapter import Checked
from botdeck.config import Config, ConfigError
from botdeck.engine.ai_setup import build_blocklist
from botdeck.engine.parts import (
    check_source,
    moderating,
    preflight_source,
    probe,
    probe_source,
    responder_check,
)
from botdeck.model.readiness import Finding, Readiness


async def check_run(
    config: Config, *, probing: bool = False, environ: Mapping[str, str] = os.environ
) -> Readiness:
    """Every finding about this config (see the module docstring)."""
    unasked: list[str] = []
    ai = _ai(config, environ)
    if probing and _hold(ai):
        ai = [*ai, await _probe_ai(config, environ)]
    elif probing:
        unasked.append("the AI server")
    source = _source(config)
    findings = source.findings
    if probing and _hold(findings):
        findings = (*findings, *await _probe_source(config))
    elif probing:
        unasked.append("the chat source")
    return Readiness((*ai, *_blocklist(config), *findings), source.warnings, tuple(unasked))


def _hold(findings: Sequence[Finding]) -> bool:
    return all(finding.ok for finding in findings)


def _refused(call: Callable[[], Any]) -> Finding | None:
    """A hook's refusal as a ✗ finding (its one line says what to fix); None if it passed."""
    try:
        call()
    except ConfigError as error:
        return Finding.problem(str(error))
    return None


# ------------------------------------------------------------------ the AI
def _ai(config: Config, environ: Mapping[str, str]) -> list[Finding]:
    """The provider's findings, and the moderating provider's when another one moderates."""
    try:
        names = [config.ai.provider]
        other = moderating(config)
    except ConfigError as error:
        return [Finding.problem(str(error))]
    if other is not None and other != config.ai.provider:
        names.append(other)
    found: list[Finding] = []
    for name in names:
        replies = name == config.ai.provider
        try:
            found += responder_check(config, name, replies=replies, environ=environ)
        except ConfigError as error:
            found.append(Finding.problem(str(error)))
    return found


async def _probe_ai(config: Config, environ: Mapping[str, str]) -> Finding:
    started = time.monotonic()
    try:
        probed = await probe(config, environ)
    except ConfigError as error:
        return Finding.problem(f"{error} (--probe)")
    if probed is None:
        return Finding(f"ai.provider: {config.ai.provider} has no server to ask (--probe)")
    took = time.monotonic() - started
    return Finding(f"ai: {probed.where} answered in {took:.2f} s: {probed.answer[:60]!r}")


# ------------------------------------------------------------------ the blocklist
def _blocklist(config: Config) -> list[Finding]:
    """`[safety] blocklist_file` reads (the built-in list and `blocklist` are the config's)."""
    file = config.safety.blocklist_file
    if not file:
        return []
    refused = _refused(lambda: build_blocklist(config))
    return [refused or Finding(f"safety.blocklist_file: {file} reads")]


# ------------------------------------------------------------------ the chat source
def _source(config: Config) -> Checked:
    refused = _refused(lambda: preflight_source(config))
    if refused is not None:
        return Checked((refused,))
    try:
        return check_source(config)
    except ConfigError as error:
        return Checked((Finding.problem(str(error)),))


async def _probe_source(config: Config) -> tuple[Finding, ...]:
    """The source's answer, one finding a line (Twitch: the channel, then each bot's
    follow)."""
    try:
        answer = await probe_source(config)
    except ConfigError as error:
        return (Finding.problem(f"{error} (--probe)"),)
    if answer is None:
        return (Finding(f"chat.source: {config.chat.source} has nothing to ask (--probe)"),)
    return tuple(Finding(f"chat: {line}") for line in answer.splitlines() if line.strip())
