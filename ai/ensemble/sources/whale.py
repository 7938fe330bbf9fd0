"""Whale flow: large-order flow on a binary contract, as the whale tracker estimated it.

The prediction bots carry their snapshot's dampened large-order estimate of the contract
(:class:`~tradefleet.bots.prediction.whale.WhaleTracker`, computed for every contract of
every domain) in the signal's ``meta["flow"]``: +1 is sustained large YES buying, -1 large
NO buying. The vote is that estimate as the score (YES up = the contract's price up) with a
confidence that grows with its size, full at ``full_at``. Signals without it (every bar
bot, contracts without a recorded tape) abstain.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from tradefleet.ai.ensemble.source import SourceContext, Vote

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services


class WhaleFlowSource:
    """The whale tracker's estimate as a vote."""

    name: ClassVar[str] = "whale"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self, full_at: float = 0.4, min_flow: float = 0.01) -> None:
        self.full_at = full_at
        self.min_flow = min_flow

    @classmethod
    def build(cls, services: Services) -> WhaleFlowSource:
        return cls()

    def vote(self, ctx: SourceContext) -> Vote:
        raw = ctx.signal.meta.get("flow")
        if raw is None:
            return Vote.abstained(self.name, "unavailable: no large-order flow for this instrument")
        flow = float(raw)
        if not math.isfinite(flow):
            return Vote.abstained(self.name, f"unavailable: flow is {flow}")
        if abs(flow) < self.min_flow:
            return Vote.abstained(self.name, "no large orders lately", flow=round(flow, 6))
        flow = max(-1.0, min(1.0, flow))
        return Vote(self.name, flow, min(1.0, abs(flow) / self.full_at), detail={"flow": round(flow, 6)})
