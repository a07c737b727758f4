"""The `/moderations` endpoint, through the same SDK client as the replies.

A verdict is flagged or not, with the categories that flagged it (for the log). When the
endpoint cannot answer, `ModerationUnavailable` says why: the safety gate then fails
closed, because "we could not check" must never mean "send it anyway".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botdeck.ai.retry import CallFailed, RetryPolicy, call_with_retries, host_of

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types import ModerationCreateResponse


@dataclass(frozen=True, slots=True)
class ModerationVerdict:
    flagged: bool
    categories: tuple[str, ...] = ()


class ModerationUnavailable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Moderator:
    def __init__(self, client: AsyncOpenAI, *, model: str, retry: RetryPolicy) -> None:
        self._client = client
        self._model = model
        self._retry = retry
        self._host = host_of(str(client.base_url))

    async def check(self, text: str) -> ModerationVerdict:
        async def create() -> ModerationCreateResponse:
            return await self._client.moderations.create(model=self._model, input=text)

        try:
            response = await call_with_retries(
                create, self._retry, host=self._host, secret=self._client.api_key
            )
        except CallFailed as failure:
            raise ModerationUnavailable(failure.reason) from None
        if not response.results:
            raise ModerationUnavailable("no moderation result")
        result = response.results[0]
        categories = result.categories.model_dump(by_alias=True) if result.categories else {}
        flagged_in = tuple(sorted(name for name, hit in categories.items() if hit))
        return ModerationVerdict(bool(result.flagged), flagged_in)
