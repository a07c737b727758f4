"""What a failure of the OpenAI SDK means: the OpenAI adapter's error classification.

Whether another attempt may help (timeouts, connection errors, 5xx, 408/409/429 but never
`insufficient_quota`), how long the server asks to wait (`retry-after-ms`,
`retry-after`), and for a setup problem what to fix (a refused key, a model the server
does not have, an empty account). The reason is one line, the key redacted if a server
echoes it. `botdeck.ai.retry` runs the retries; this module only reads the errors. The
SDK is imported on first use, so the offline demo starts without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botdeck.ai.retry import Failure, cause_of
from botdeck.core.text import clean_text

if TYPE_CHECKING:
    import openai

_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
_RETRYABLE_STATUS = frozenset({408, 409, 429})
_MESSAGE_CHARS = 120


@dataclass(frozen=True, slots=True)
class OpenAIErrors:
    """A classifier for one server (`botdeck.ai.retry.Classifier`). `key_source` (where
    the key comes from, e.g. "OPENAI_API_KEY") and `model` only word what to fix."""

    host: str
    secret: str = ""
    key_source: str = ""
    model: str = ""

    def __call__(self, error: Exception) -> Failure | None:
        import openai

        if not isinstance(error, openai.OpenAIError):
            return None
        return classify(
            error,
            host=self.host,
            secret=self.secret,
            key_source=self.key_source,
            model=self.model,
        )


def classify(
    error: openai.OpenAIError, *, host: str, secret: str = "", key_source: str = "", model: str = ""
) -> Failure:
    """What went wrong, whether another attempt may help, how long the server asks to wait,
    and for a setup problem what to fix."""
    import openai

    if isinstance(error, openai.APITimeoutError):
        return Failure(f"timeout: no answer from {host}", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return Failure(f"cannot reach {host}: {cause_of(error)}", retryable=True)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        detail = _detail(error, secret)
        if isinstance(error, openai.RateLimitError) and error.code in _QUOTA_CODES:
            return Failure(
                f"quota exceeded ({error.code}): check the account's plan",
                retryable=False,
                fix=f"{host} says the account's quota is spent ({error.code}): "
                "add credit or raise its limit",
            )
        if isinstance(error, openai.AuthenticationError):
            where = f" in {key_source}" if key_source else ""
            return Failure(
                "authentication failed (401): check the API key",
                retryable=False,
                fix=f"{host} refused the API key (401): check the key{where}",
            )
        if status >= 500 or status in _RETRYABLE_STATUS:
            label = "rate limited" if status == 429 else "server error"
            return Failure(f"{label} ({status})", True, _retry_after(error))
        labels = {400: "bad request", 403: "permission denied", 404: "not found"}
        label = labels.get(status, "HTTP error")
        reason = f"{label} ({status}){': ' + detail if detail else ''}"
        fix = None
        named = f"model {model!r}" if model else "the model"
        if status == 404:
            fix = f"{host} has no {named} (404): check [ai] model and base_url"
        elif status == 403:
            fix = f"{host} does not let this key use {named} (403): check the key's access"
        return Failure(reason, retryable=False, fix=fix)
    if isinstance(error, openai.APIResponseValidationError):
        return Failure("invalid response from the server", retryable=False)
    return Failure(f"API error: {type(error).__name__}", retryable=False)


def _detail(error: openai.APIStatusError, secret: str) -> str:
    """The server's own message, cleaned, cut short, with the key redacted if echoed."""
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return ""
    if secret:
        message = message.replace(secret, "***")
    return clean_text(message, max_chars=_MESSAGE_CHARS)


def _retry_after(error: openai.APIStatusError) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (numeric forms only)."""
    headers = error.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if 0 <= seconds < float("inf"):
            return seconds
    return None
