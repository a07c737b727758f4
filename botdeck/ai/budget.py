"""A per-session token budget around a paid responder: runaway API costs end at a number.

It counts the tokens every reply costs (failed requests too: they are billed). Once the
budget is spent, bots either fall back to the fallback responder (the offline one) or
stop answering (each job ends `skipped`: "token budget reached"). The budget is checked
before each request, so replies already in flight may overshoot it by a few replies.
"""

from __future__ import annotations

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.core.jobs import JobSkipped

REASON = "token budget reached"


class BudgetedResponder(Responder):
    def __init__(self, inner: Responder, budget: int, fallback: Responder | None = None) -> None:
        if budget < 1:
            raise ValueError(f"a token budget must be >= 1, got {budget}")
        self._inner = inner
        self._fallback = fallback
        self._budget = budget
        self.spent = 0

    @property
    def exhausted(self) -> bool:
        return self.spent >= self._budget

    @property
    def label(self) -> str:
        if not self.exhausted:
            return self._inner.label
        return self._fallback.label if self._fallback else "stopped"

    @property
    def notices(self) -> tuple[str, ...]:
        inner = self._inner.notices
        if not self.exhausted:
            return inner
        then = f"{self._fallback.label} replies" if self._fallback else "replies stopped"
        return (f"{REASON} ({self.spent:,} of {self._budget:,} tokens): {then}", *inner)

    async def reply(self, request: ReplyRequest) -> Reply:
        if self.exhausted:
            if self._fallback is None:
                raise JobSkipped(REASON)
            return await self._fallback.reply(request)
        try:
            reply = await self._inner.reply(request)
        except ResponderError as error:
            self.spent += error.tokens_in + error.tokens_out
            raise
        self.spent += reply.tokens_in + reply.tokens_out
        return reply
