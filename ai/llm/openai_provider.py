"""OpenAI Chat Completions through the official ``openai`` SDK, with a strict JSON-schema
``response_format``. The same class serves OpenAI-compatible local servers (Ollama, vLLM)
by ``base_url``; those need no API key."""

from __future__ import annotations

from typing import Any

from tradefleet.ai.config import LLMConfig
from tradefleet.ai.llm.base import LLMMalformed, sdk_errors


class OpenAIProvider:
    """A :class:`~tradefleet.ai.llm.base.ChatProvider` on ``openai.OpenAI`` (SDK retries off)."""

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
        with sdk_errors(self._sdk, f"openai {self.model}", self.config.timeout_seconds):
            resp = self._client.chat.completions.create(
                model=self.model, temperature=self.config.temperature,
                max_tokens=self.config.max_tokens,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                response_format={"type": "json_schema",
                                 "json_schema": {"name": schema_name, "schema": schema, "strict": True}},
            )
        if not resp.choices:
            raise LLMMalformed(f"openai {self.model}: answer has no choices")
        message = resp.choices[0].message
        if getattr(message, "refusal", None):
            raise LLMMalformed(f"openai {self.model}: model refused: {message.refusal}")
        if not message.content:
            raise LLMMalformed(f"openai {self.model}: empty answer")
        return message.content
