"""Scheduled algorithms: a cumulative plan of the parent's quantity over its slices.

A plan is a non-decreasing tuple of fractions, one per slice, ending at 1: by the start
of slice ``k`` (``k * interval_s`` after the parent began) the parent should have sent
``plan[k]`` of its quantity. The plan is computed once, when the parent starts, and stored
with it, so a parent resumed after a restart follows the same schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
import itertools
import math
from decimal import ROUND_DOWN, Decimal
from typing import ClassVar

from tradefleet.orchestrator.execution.algos.base import ChildSpec, MarketView, ParentState


def cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Return the cumulative plan of non-negative slice ``weights`` (normalised to end at 1)."""
    w = [float(x) for x in weights]
    total = sum(w)
    if not w or any(not (x >= 0) or math.isinf(x) for x in w) or not total > 0:
        raise ValueError(f"schedule: slice weights must be finite, >= 0 and not all 0, got {w[:5]}")
    c = [x / total for x in itertools.accumulate(w)]
    c[-1] = 1.0
    return tuple(c)


def due_fraction(plan: Sequence[float], elapsed_s: float, interval_s: float) -> float:
    """Return the share of the parent due by ``elapsed_s`` (slice 0 is due at once)."""
    k = min(len(plan) - 1, max(0, int(elapsed_s // interval_s)))
    return plan[k]


class ScheduledAlgo:
    """Send, at each bar, what the plan says is due and has not been sent yet."""

    name: ClassVar[str] = ""

    def plan(self, parent: ParentState, view: MarketView) -> tuple[float, ...]:
        """Return the parent's cumulative plan (called once, when it starts)."""
        raise NotImplementedError

    def children(self, parent: ParentState, view: MarketView) -> list[ChildSpec]:
        if not parent.plan:
            parent.plan = self.plan(parent, view)
        elapsed = parent.elapsed_s(view.ts_ns)
        interval = parent.spec.interval_s
        due = parent.quantity * Decimal(repr(due_fraction(parent.plan, elapsed, interval)))
        want = (due - parent.sent).quantize(parent.lot, rounding=ROUND_DOWN)
        if elapsed >= parent.spec.horizon_s:
            want = parent.quantity - parent.sent  # the horizon is over: the rest goes now
        else:  # nothing more falls due before the next slice starts
            parent.next_due_ns = parent.start_ns + int((elapsed // interval + 1) * interval * 1e9)
        return [ChildSpec(want)] if want > 0 else []
