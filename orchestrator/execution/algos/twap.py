"""TWAP: equal slices every ``interval_s`` over ``horizon_s``."""

from __future__ import annotations

from typing import ClassVar

from tradefleet.orchestrator.execution.algos.base import MarketView, ParentState
from tradefleet.orchestrator.execution.algos.schedule import ScheduledAlgo, cumulative


class TwapAlgo(ScheduledAlgo):
    """Time-weighted: the parent in ``horizon_s / interval_s`` equal slices."""

    name: ClassVar[str] = "twap"

    def plan(self, parent: ParentState, view: MarketView) -> tuple[float, ...]:
        return cumulative([1.0] * parent.spec.slices())
