"""OpenAI Chat Completions through the official ``openai`` SDK, with a strict JSON-schema
``response_format``. The same class serves OpenAI-compatible local servers (Ollama, vLLM)
by ``base_url``; those need no API key."""

from __future__ import annotations

from typing import Any

from ai.config import LLMConfig
from ai.llm.base import (
    LLMMalformed,
    LLMRateLimited,
    LLMRefused,
    LLMTimeout,
    LLMUnavailable,
    retry_after_seconds,
)


class OpenAIProvider:
    """A :class:`~ai.llm.base.ChatProvider` on ``openai.OpenAI`` (SDK retries off)."""

    name = "openai"

    def __init__(self, config: LLMConfig, api_key: str | None) -> None:
        import openai

        self.model = config.model
        self.config = config
        self._sdk = openai
        self._client = openai.OpenAI(
            api_key=api_key or "not-needed-for-local-servers", base_url=config.base_url,
            timeout=config.timeout_seconds, max_retries=0)

    def complete(self, system: str, user: str, schema: dict[str, Any], schema_name: str) -> str:
        sdk = self._sdk
        try:
            resp = self._client.chat.completions.create(
                model=self.model, temperature=self.config.temperature,
                max_tokens=self.config.max_tokens,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                response_format={"type": "json_schema",
                                 "json_schema": {"name": schema_name, "schema": schema, "strict": True}},
            )
        except sdk.APITimeoutError as exc:
            raise LLMTimeout(f"openai {self.model}: no answer within {self.config.timeout_seconds}s") from exc
        except sdk.RateLimitError as exc:
            raise LLMRateLimited(f"openai {self.model}: 429 rate limited",
                                 retry_after_seconds(exc.response.headers)) from exc
        except sdk.APIConnectionError as exc:
            raise LLMUnavailable(f"openai {self.model}: connection failed ({exc})") from exc
        except sdk.APIStatusError as exc:
            if exc.status_code >= 500:
                raise LLMUnavailable(f"openai {self.model}: HTTP {exc.status_code}") from exc
            raise LLMRefused(f"openai {self.model}: HTTP {exc.status_code}: {exc.message}") from exc
        if not resp.choices:
            raise LLMMalformed(f"openai {self.model}: answer has no choices")
        message = resp.choices[0].message
        if getattr(message, "refusal", None):
            raise LLMMalformed(f"openai {self.model}: model refused: {message.refusal}")
        if not message.content:
            raise LLMMalformed(f"openai {self.model}: empty answer")
        return message.content
