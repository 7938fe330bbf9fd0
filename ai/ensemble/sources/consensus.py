"""Bot consensus: what the other bots want on the same instrument right now."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from tradefleet.ai.ensemble.source import SourceContext, Vote
from tradefleet.orchestrator.clock import NS

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services


class BotConsensusSource:
    """Mean of the other bots' latest directions (weighted by their confidence) within the
    window; confidence grows with how many bots spoke (full at three)."""

    name: ClassVar[str] = "consensus"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self, window_hours: float) -> None:
        self.window_ns = int(window_hours * 3600 * NS)

    @classmethod
    def build(cls, services: Services) -> BotConsensusSource:
        return cls(services.config.ensemble.consensus_window_hours)

    def vote(self, ctx: SourceContext) -> Vote:
        sig = ctx.signal
        others = ctx.tracker.recent(sig.instrument, ctx.now_ns, self.window_ns, exclude_bot=sig.bot)
        if not others:
            return Vote.abstained(self.name, "no other bot signalled this instrument in the window")
        score = sum(s.direction.sign * s.confidence for s in others) / len(others)
        return Vote(self.name, max(-1.0, min(1.0, score)), min(1.0, len(others) / 3.0),
                    detail={"bots": {s.bot: s.direction.value for s in others}})
