"""Tokens spent per bot, as the responder reports them (billed even when a reply fails)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from botdeck.core.jobs import Job
from botdeck.model.jobs import ReplyContext
from botdeck.model.snapshot import BotUsage


class UsageMeter:
    def __init__(self, bots: Iterable[str]) -> None:
        self._usage: dict[str, BotUsage] = {bot: BotUsage() for bot in bots}

    @property
    def per_bot(self) -> Mapping[str, BotUsage]:
        return self._usage

    def count(self, job: Job[ReplyContext], tokens_in: int, tokens_out: int) -> None:
        if tokens_in or tokens_out:
            job.tokens_in += tokens_in
            job.tokens_out += tokens_out
            spent = self._usage[job.bot]
            self._usage[job.bot] = BotUsage(
                spent.tokens_in + tokens_in, spent.tokens_out + tokens_out
            )
