"""Limit with fallback: rest at the touch, cross after a timeout.

The parent first rests whole as a limit at its own side of the touch (a buy at the bid, a
sell at the ask, never through ``spec.limit``). If any of it is still open ``timeout_s``
later, the resting child is canceled and the rest goes as a market order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from tradefleet.orchestrator.execution.algos.base import ChildSpec, MarketView, ParentState


def touch_price(parent: ParentState, view: MarketView) -> Decimal:
    """Return the passive price on the parent's side, capped by the spec's limit."""
    price = Decimal(repr(view.bid if parent.buy else view.ask))
    limit = parent.spec.limit
    if limit is not None:
        price = min(price, limit) if parent.buy else max(price, limit)
    return price


class LimitFallbackAlgo:
    """Post at the touch; after ``timeout_s`` cancel and cross."""

    name: ClassVar[str] = "limit-fallback"

    def children(self, parent: ParentState, view: MarketView) -> list[ChildSpec]:
        if parent.resting:
            oldest = min(parent.resting_since.values(), default=view.ts_ns)
            if (view.ts_ns - oldest) / 1e9 < parent.spec.timeout_s:
                return []
            open_qty = sum(parent.resting.values(), Decimal(0))
            return [ChildSpec(open_qty + parent.remaining, "market", cancel=tuple(parent.resting))]
        if parent.children == 0 and parent.remaining > 0:
            return [ChildSpec(parent.remaining, "limit", touch_price(parent, view))]
        if parent.remaining > 0:  # a child was canceled or expired elsewhere: finish at market
            return [ChildSpec(parent.remaining, "market")]
        return []
