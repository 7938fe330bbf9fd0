"""Anthropic Messages API through the official ``anthropic`` SDK, with structured output
(``output_config.format`` = the answer's JSON schema)."""

from __future__ import annotations

from typing import Any

from tradefleet.ai.config import LLMConfig
from tradefleet.ai.llm.base import LLMMalformed, sdk_errors


class AnthropicProvider:
    """A :class:`~tradefleet.ai.llm.base.ChatProvider` on ``anthropic.Anthropic``. The SDK's own retries
    are off: :class:`~tradefleet.ai.llm.client.LLMClient` retries with the clock-free sleeper it is given."""

    name = "anthropic"

    def __init__(self, config: LLMConfig, api_key: str | None) -> None:
        import anthropic

        self.model = config.model
        self.config = config
        self._sdk = anthropic
        self._client = anthropic.Anthropic(
            api_key=api_key or "missing", base_url=config.base_url, timeout=config.timeout_seconds,
            max_retries=0)

    def complete(self, system: str, user: str, schema: dict[str, Any], schema_name: str) -> str:
        with sdk_errors(self._sdk, f"anthropic {self.model}", self.config.timeout_seconds):
            msg = self._client.messages.create(
                model=self.model, max_tokens=self.config.max_tokens, system=system,
                messages=[{"role": "user", "content": user}],
                output_config={"format": {"type": "json_schema", "schema": schema}},
            )
        texts = [getattr(b, "text", "") for b in msg.content if getattr(b, "type", "") == "text"]
        if not texts:
            raise LLMMalformed(f"anthropic {self.model}: no text block in the answer (stop={msg.stop_reason})")
        return "".join(texts)
