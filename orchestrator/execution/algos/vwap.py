"""VWAP: slices in proportion to a volume profile of the instrument.

The profile is the mean volume of each ``interval_s`` bucket of the trading day over the
instrument's recent history (:func:`volume_profile`), measured when the parent starts and
stored with it. Without history (or with bars as long as the horizon) the profile is flat
and VWAP equals TWAP: the plan says so in ``profile_source``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from tradefleet.orchestrator.execution.algos.base import MarketView, ParentState
from tradefleet.orchestrator.execution.algos.schedule import ScheduledAlgo, cumulative

DAY_S = 86_400


def volume_profile(ts_ns: Sequence[int], volume: Sequence[float], start_ns: int, interval_s: float,
                   slices: int) -> list[float]:
    """Return the mean historical volume of each of ``slices`` buckets that follow ``start_ns``'s
    time of day, from bars strictly before ``start_ns`` (flat when there is no such history)."""
    ts = np.asarray(ts_ns, dtype=np.int64)
    vol = np.asarray(volume, dtype=np.float64)
    keep = (ts < start_ns) & np.isfinite(vol) & (vol >= 0)
    ts, vol = ts[keep], vol[keep]
    if ts.size == 0:
        return [1.0] * slices
    tod = (ts // 1_000_000_000) % DAY_S
    start_tod = (start_ns // 1_000_000_000) % DAY_S
    bucket = (((tod - start_tod) % DAY_S) // interval_s).astype(np.int64)
    out = []
    for k in range(slices):
        sel = vol[bucket == k]
        out.append(float(sel.mean()) if sel.size else 0.0)
    return out if sum(out) > 0 else [1.0] * slices


class VwapAlgo(ScheduledAlgo):
    """Volume-weighted: each slice in proportion to that bucket's historical volume."""

    name: ClassVar[str] = "vwap"

    def plan(self, parent: ParentState, view: MarketView) -> tuple[float, ...]:
        profile = parent.profile or [1.0] * parent.spec.slices()
        return cumulative(profile)
