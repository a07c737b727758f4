"""`botdeck check`'s words: one finding per thing `botdeck run` needs (the config, each
secret, each account's token, the files it reads, and with `--probe` the AI server and
the channel), whether it holds, and the one thing to do when it does not.

Plain data: the adapters say what they found, the engine gathers every finding (never
stopping at the first problem), the command prints them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the checklist: `what` names the key or account first
    ("twitch.client_secret_env: TWITCH_CLIENT_SECRET is not set"); `fix` is one line
    saying what to run or set, when `what` does not already say it."""

    what: str
    ok: bool = True
    fix: str = ""

    @classmethod
    def problem(cls, what: str, fix: str = "") -> Finding:
        return cls(what, ok=False, fix=fix)


@dataclass(frozen=True, slots=True)
class Readiness:
    """Everything `botdeck check` found: `run` would start when every finding holds.
    Warnings (a token file others may read, lines a replay skips) do not stop a run."""

    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()
    unasked: tuple[str, ...] = ()  # what `--probe` did not ask: its own findings failed

    @property
    def problems(self) -> int:
        return sum(not finding.ok for finding in self.findings)

    @property
    def ready(self) -> bool:
        return self.problems == 0

    def after(self, findings: Sequence[Finding]) -> Readiness:
        """These findings first (the config's own), then this one's."""
        return Readiness((*findings, *self.findings), self.warnings, self.unasked)
