"""The LLM market analyst: one schema-constrained opinion per signal through the shared
provider layer (cache, budget, retries). Any LLM failure is an abstention, never a score."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.ai.ensemble.source import SourceContext, Vote
from tradefleet.ai.llm.base import LLMError
from tradefleet.ai.llm.context import signal_context

if TYPE_CHECKING:
    from tradefleet.ai.llm.client import LLMClient
    from tradefleet.orchestrator.services import Services

ANALYST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "number", "minimum": -1, "maximum": 1},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "rationale": {"type": "string"},
    },
    "required": ["score", "confidence", "rationale"],
    "additionalProperties": False,
}

ANALYST_SYSTEM = (
    "You are a market analyst for an automated trading system. Given a compact JSON summary "
    "of an instrument's recent prices and a bot's proposed trade, give your outlook for the "
    "instrument over the bot's timeframe: score -1 (strongly down) to 1 (strongly up), "
    "confidence 0 to 1, and a one-sentence rationale. Judge only from the data given."
)


class LLMAnalystSource:
    """Source ``llm_analyst``: abstains unless ``[ensemble.analyst]`` configures an LLM."""

    name: ClassVar[str] = "llm_analyst"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = True

    def __init__(self, client: LLMClient | None) -> None:
        self.client = client

    @classmethod
    def build(cls, services: Services) -> LLMAnalystSource:
        cfg = services.config.ensemble.analyst
        if cfg is None:
            return cls(None)
        from tradefleet.ai.llm.client import build_client

        sleep = services.extras.get("ai.sleep", time.sleep)
        return cls(build_client(cfg, services.clock, sleep=sleep))

    def vote(self, ctx: SourceContext) -> Vote:
        if self.client is None:
            return Vote.abstained(self.name, "unavailable: no [ensemble.analyst] LLM configured")
        prompt = signal_context(ctx.signal, ctx.gate, ctx.closes[-60:])
        try:
            answer, cached = self.client.ask_json(ANALYST_SYSTEM, prompt, ANALYST_SCHEMA, "market_outlook")
        except LLMError as exc:
            return Vote.abstained(self.name, f"unavailable: {exc}")
        return Vote(self.name, float(answer["score"]), float(answer["confidence"]),
                    detail={"rationale": str(answer["rationale"])[:200], "cached": cached,
                            "model": self.client.provider.model})
