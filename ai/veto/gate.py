"""The veto gate: every configured reviewer looks at the signal, in order; the first
"no" rejects it. An LLM reviewer that fails (timeout, 429, malformed answer, budget)
rejects in live mode and passes elsewhere (``[veto].on_error = "auto"``), or as configured.
Exits (flat signals) are never vetoed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.ai.config import VetoConfig
from tradefleet.ai.llm.base import LLMError
from tradefleet.ai.veto.base import VetoProvider
from tradefleet.orchestrator.domain import Decision, Direction, Signal

if TYPE_CHECKING:
    from tradefleet.orchestrator.pipeline.gate import GateContext
    from tradefleet.orchestrator.services import Services

log = logging.getLogger(__name__)


def builtin_vetoes() -> dict[str, type]:
    from tradefleet.ai.veto.llm import AnthropicVeto, OpenAIVeto
    from tradefleet.ai.veto.rules import RulesVeto

    return {c.name: c for c in (RulesVeto, AnthropicVeto, OpenAIVeto)}


class VetoGate:
    """Pipeline stage ``veto``."""

    name: ClassVar[str] = "veto"
    api_version: ClassVar[int] = 1

    def __init__(self, config: VetoConfig, providers: list[VetoProvider], live: bool) -> None:
        self.config = config
        self.providers = providers
        self.fail_closed = config.on_error == "reject" or (config.on_error == "auto" and live)

    @classmethod
    def build(cls, services: Services) -> VetoGate:
        cfg: VetoConfig = services.config.veto
        registered = services.registry.ok("vetoes") if services.registry is not None else {}
        fallback = builtin_vetoes()
        providers = []
        for name in cfg.providers:
            provider_cls = registered.get(name) or fallback.get(name)
            if provider_cls is None:
                from tradefleet.orchestrator.errors import PluginError

                raise PluginError(f"veto provider {name!r} in [veto].providers is not registered")
            providers.append(provider_cls.build(services))
        return cls(cfg, providers, live=services.config.mode == "live")

    def evaluate(self, signal: Signal, ctx: GateContext) -> Decision:
        """Ask each reviewer in turn; reject on the first veto."""
        if signal.direction is Direction.FLAT:
            return Decision.passed(self.name, "exit_allowed", "exits are never vetoed")
        reviews: list[dict[str, Any]] = []
        for provider in self.providers:
            try:
                verdict = provider.review(signal, ctx)
            except LLMError as exc:
                reviews.append({"provider": provider.name, "error": f"{type(exc).__name__}: {exc}"})
                if self.fail_closed:
                    return Decision.rejected(self.name, "veto_unavailable", f"{provider.name}: {exc}",
                                             {"reviews": reviews, "fail_closed": True})
                log.warning("veto provider %s failed, passing (fail open): %s", provider.name, exc)
                continue
            reviews.append(verdict.as_data())
            if not verdict.approve:
                return Decision.rejected(self.name, verdict.reason, verdict.detail,
                                         {"reviews": reviews, "category": verdict.category})
        return Decision.passed(self.name, "approved", "", {"reviews": reviews})
