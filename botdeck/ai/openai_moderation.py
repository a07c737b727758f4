"""OpenAI's `/moderations` endpoint, through the same SDK client as the replies."""

from __future__ import annotations

from openai import AsyncOpenAI
from openai.types import ModerationCreateResponse

from botdeck.ai.moderation import ModerationUnavailable, ModerationVerdict, Moderator
from botdeck.ai.openai_errors import OpenAIErrors
from botdeck.ai.retry import CallFailed, RetryPolicy, call_with_retries, host_of


class OpenAIModerator(Moderator):
    def __init__(self, client: AsyncOpenAI, *, model: str, retry: RetryPolicy) -> None:
        self._client = client
        self._model = model
        self._retry = retry
        self._errors = OpenAIErrors(host_of(str(client.base_url)), secret=client.api_key)

    async def check(self, text: str) -> ModerationVerdict:
        async def create() -> ModerationCreateResponse:
            return await self._client.moderations.create(model=self._model, input=text)

        try:
            response = await call_with_retries(create, self._retry, self._errors)
        except CallFailed as failure:
            raise ModerationUnavailable(failure.reason) from None
        if not response.results:
            raise ModerationUnavailable("no moderation result")
        result = response.results[0]
        categories = result.categories.model_dump(by_alias=True) if result.categories else {}
        flagged_in = tuple(sorted(name for name, hit in categories.items() if hit))
        return ModerationVerdict(bool(result.flagged), flagged_in)
