"""LLM reviewers ``anthropic`` and ``openai`` (the latter also for Ollama / vLLM by base URL).

The model sees the compact structured context of :mod:`tradefleet.ai.llm.context` and must answer
``{approve, reason, category}``. Errors are raised to the veto gate, which applies the
fail-closed policy; they are never turned into an approval here.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tradefleet.ai.config import LLMConfig
from tradefleet.ai.llm.context import signal_context
from tradefleet.ai.veto.base import CATEGORIES, VetoVerdict
from tradefleet.orchestrator.errors import ConfigError

if TYPE_CHECKING:
    from tradefleet.ai.llm.client import LLMClient
    from tradefleet.orchestrator.domain import Signal
    from tradefleet.orchestrator.pipeline.gate import GateContext
    from tradefleet.orchestrator.services import MarketData, Services

VETO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approve": {"type": "boolean"},
        "reason": {"type": "string"},
        "category": {"type": "string", "enum": list(CATEGORIES)},
    },
    "required": ["approve", "reason", "category"],
    "additionalProperties": False,
}

VETO_SYSTEM = (
    "You are the last reviewer before an automated trading system opens a position. You get "
    "a compact JSON context: the instrument, the bot's signal and recent market statistics. "
    "Approve unless there is a concrete reason not to trade now (stale or inconsistent data, "
    "the price already moved past the entry, a known event risk, a signal fighting a strong "
    "trend without reason). Answer with approve, a one-sentence reason, and a category "
    f"from: {', '.join(CATEGORIES)} (use ok when approving)."
)


class LLMVeto:
    """Shared implementation; subclasses fix the provider name and config key."""

    name: ClassVar[str] = ""
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = True
    history_bars: ClassVar[int] = 60

    def __init__(self, client: LLMClient, data: MarketData) -> None:
        self.client = client
        self.data = data

    @classmethod
    def build(cls, services: Services) -> LLMVeto:
        cfg: LLMConfig | None = getattr(services.config.veto, cls.name)
        if cfg is None:
            raise ConfigError(f"veto provider {cls.name} is listed in [veto].providers "
                              f"but [veto.{cls.name}] is not configured")
        if cfg.provider != cls.name:
            raise ConfigError(f"[veto.{cls.name}].provider must be {cls.name!r}, got {cfg.provider!r}")
        from tradefleet.ai.llm.client import build_client

        sleep = services.extras.get("ai.sleep", time.sleep)
        return cls(build_client(cfg, services.clock, sleep=sleep), services.data)

    def review(self, signal: Signal, ctx: GateContext) -> VetoVerdict:
        frame = self.data.frame(signal.instrument, bars=self.history_bars)
        closes = frame["close"].to_numpy(dtype=np.float64)
        answer, cached = self.client.ask_json(VETO_SYSTEM, signal_context(signal, ctx, closes), VETO_SCHEMA, "veto")
        approve = bool(answer["approve"])
        return VetoVerdict(self.name, approve, "ok" if approve else "llm_veto", str(answer["category"]),
                           str(answer["reason"])[:300], {"model": self.client.provider.model, "cached": cached})


class AnthropicVeto(LLMVeto):
    """Veto provider ``anthropic`` (config ``[veto.anthropic]``)."""

    name: ClassVar[str] = "anthropic"


class OpenAIVeto(LLMVeto):
    """Veto provider ``openai`` (config ``[veto.openai]``; Ollama / vLLM via ``base_url``)."""

    name: ClassVar[str] = "openai"
