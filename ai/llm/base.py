"""Provider contract and errors of the LLM layer.

A provider sends one system+user prompt with a JSON schema for the answer and returns the
raw text the model produced; parsing, validation, caching, budget and retries live in
:class:`tradefleet.ai.llm.client.LLMClient`, so every provider gets them the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from typing import Any, Protocol

from tradefleet.orchestrator.errors import TradefleetError


class LLMError(TradefleetError):
    """An LLM call did not produce a usable answer."""

    retryable = False


class LLMTimeout(LLMError):
    """The provider did not answer within the timeout."""

    retryable = True


class LLMRateLimited(LLMError):
    """The provider answered 429; ``retry_after`` seconds if it said so."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMUnavailable(LLMError):
    """Connection failure or a 5xx: may succeed on retry."""

    retryable = True


class LLMRefused(LLMError):
    """A 4xx other than 429 (bad key, bad request): retrying cannot help."""


class LLMMalformed(LLMError):
    """The answer is not JSON or does not match the schema."""


class LLMBudgetExceeded(LLMError):
    """Today's call budget for this provider is spent."""


class ChatProvider(Protocol):
    """One LLM endpoint."""

    name: str
    model: str

    def complete(self, system: str, user: str, schema: dict[str, Any], schema_name: str) -> str:
        """Return the model's raw answer text (expected to be JSON matching ``schema``)."""
        ...


def retry_after_seconds(headers: Any) -> float | None:
    """Read ``retry-after-ms`` or ``retry-after`` (seconds) from response headers."""
    if headers is None:
        return None
    for key, factor in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(key)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) * factor)
        except ValueError:
            continue
    return None


@contextmanager
def sdk_errors(sdk: Any, label: str, timeout_seconds: float) -> Iterator[None]:
    """Translate the official SDKs' errors (anthropic and openai share one hierarchy) into
    the LLM error tree: timeouts, 429s with their Retry-After, unreachable or 5xx, refusals."""
    try:
        yield
    except sdk.APITimeoutError as exc:
        raise LLMTimeout(f"{label}: no answer within {timeout_seconds}s") from exc
    except sdk.RateLimitError as exc:
        raise LLMRateLimited(f"{label}: 429 rate limited", retry_after_seconds(exc.response.headers)) from exc
    except sdk.APIConnectionError as exc:
        raise LLMUnavailable(f"{label}: connection failed ({exc})") from exc
    except sdk.APIStatusError as exc:
        if exc.status_code >= 500:
            raise LLMUnavailable(f"{label}: HTTP {exc.status_code}") from exc
        raise LLMRefused(f"{label}: HTTP {exc.status_code}: {exc.message}") from exc
