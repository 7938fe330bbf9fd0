"""POV: trade a fixed share of the market's volume until the parent is done.

At each bar the parent should have sent ``participation`` times the volume traded since it
began (the bars' volume, which in replay includes nothing of ours). The layer's
participation cap keeps any one child within the same share of its bar.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import ClassVar

from tradefleet.orchestrator.execution.algos.base import ChildSpec, MarketView, ParentState


class PovAlgo:
    """Percentage of volume."""

    name: ClassVar[str] = "pov"

    def children(self, parent: ParentState, view: MarketView) -> list[ChildSpec]:
        rate = parent.spec.participation or 0.1
        target = Decimal(repr(rate * parent.volume_seen))
        want = (min(target, parent.quantity) - parent.sent).quantize(parent.lot, rounding=ROUND_DOWN)
        if parent.elapsed_s(view.ts_ns) >= parent.spec.horizon_s:
            want = parent.quantity - parent.sent  # past the horizon the rest goes (capped per bar)
        return [ChildSpec(want)] if want > 0 else []
