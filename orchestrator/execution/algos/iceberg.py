"""Iceberg: show only ``display`` at a time, as limits at the touch.

One child of ``display`` (or what remains, if less) rests at a time; when it has filled,
the next one is posted at the then-current touch (never through ``spec.limit``).
"""

from __future__ import annotations

from typing import ClassVar

from tradefleet.orchestrator.execution.algos.base import ChildSpec, MarketView, ParentState
from tradefleet.orchestrator.execution.algos.fallback import touch_price


class IcebergAlgo:
    """Slices of ``display`` posted one after another."""

    name: ClassVar[str] = "iceberg"

    def children(self, parent: ParentState, view: MarketView) -> list[ChildSpec]:
        if parent.resting or parent.remaining <= 0:
            return []
        display = parent.spec.display or parent.quantity
        return [ChildSpec(min(display, parent.remaining), "limit", touch_price(parent, view))]
