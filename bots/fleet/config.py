"""``[fleet]``: the Thompson-sampling controller's settings."""

from __future__ import annotations

from pydantic import Field

from tradefleet.orchestrator.sections import Section


class FleetConfig(Section):
    """Which sub-bots the controller allocates between, and how it learns."""

    enabled: bool = True
    name: str = "fleet"
    members: list[str] | None = Field(None, description="sub-bots by name; default: every bot of the families below")
    families: list[str] = Field(default_factory=lambda: ["equities", "crypto", "forex", "prediction", "options"],
                                description="families whose bots the controller allocates between (one fleet "
                                "per family unless [risk].fleet_of groups them otherwise)")
    decay: float = Field(0.98, gt=0, le=1, description="per-trade discount of past outcomes")
    floor: float = Field(0.02, ge=0, lt=1, description="minimum allocation per sub-bot (exploration)")
    cap: float = Field(0.6, gt=0, le=1, description="maximum share of its fleet's capital per sub-bot")
    samples: int = Field(1000, ge=50, le=100_000, description="posterior draws per allocation")
    seed: int = 0
