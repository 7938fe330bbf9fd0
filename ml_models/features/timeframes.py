"""Timeframes and causal resampling of bar frames.

Bars are stamped at their CLOSE time. A higher-timeframe bar of period ``p`` collects the
base bars whose close time lies in ``(L - p, L]`` and is labelled ``L``; it is complete at
``L``. A base row at time ``t`` sees only higher-timeframe bars with ``L <= t``, so the
partial bar in progress never leaks into a feature. Weekly bars end on Saturday 00:00 UTC,
daily bars at 00:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradefleet.ml_models.errors import TrainingError
from tradefleet.orchestrator.duration import parse_timeframe

MINUTE_NS = 60 * 1_000_000_000
# the timeframes features support, with their lengths from the kernel's one parser
TIMEFRAMES: dict[str, int] = {tf: parse_timeframe(tf).ns for tf in ("1m", "5m", "15m", "1h", "4h", "1d", "1w")}
# weekly buckets: the epoch is a Thursday; shift bucket ends to Saturday 00:00 UTC
_OFFSETS: dict[str, int] = {"1w": 2 * 1440 * MINUTE_NS}
# higher timeframes used above each base timeframe
LADDERS: dict[str, tuple[str, ...]] = {
    "1m": ("1m", "5m", "15m", "1h", "1d"),
    "5m": ("5m", "15m", "1h", "1d"),
    "15m": ("15m", "1h", "4h", "1d"),
    "1h": ("1h", "4h", "1d"),
    "4h": ("4h", "1d", "1w"),
    "1d": ("1d", "1w"),
}


def period_ns(tf: str) -> int:
    """Return the period of timeframe ``tf`` in nanoseconds."""
    try:
        return TIMEFRAMES[tf]
    except KeyError:
        raise TrainingError(f"timeframe {tf!r} is not supported (supported: {', '.join(TIMEFRAMES)})") from None


def infer_timeframe(index_ns: np.ndarray) -> str:
    """Return the supported timeframe nearest the median bar spacing (daily bars skip weekends)."""
    if index_ns.shape[0] < 3:
        raise TrainingError("cannot infer the timeframe of fewer than 3 bars")
    spacing = float(np.median(np.diff(index_ns)))
    best = min(TIMEFRAMES, key=lambda tf: abs(np.log(spacing / TIMEFRAMES[tf])))
    if abs(np.log(spacing / TIMEFRAMES[best])) > np.log(1.5):
        raise TrainingError(f"bar spacing {spacing / MINUTE_NS:.0f} min matches no supported timeframe "
                            f"({', '.join(TIMEFRAMES)})")
    return best


@dataclass(frozen=True)
class Bars:
    """OHLCV arrays of one timeframe with their close-time stamps (int ns)."""

    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def resample(bars: Bars, tf: str) -> Bars:
    """Aggregate ``bars`` into timeframe ``tf``, each bar labelled with its period end.

    The last bucket may be partial; :func:`align` never exposes it before its label.
    Bucket edges are found by binary search over the sorted stamps (O(buckets log n)),
    so only the OHLCV reductions touch every bar.
    """
    n = len(bars)
    p = period_ns(tf)
    off = _OFFSETS.get(tf, 0)
    if n == 0:
        return bars

    def ceil(t: int) -> int:
        return -((-(t - off)) // p) * p + off

    first, last = ceil(int(bars.ts[0])), ceil(int(bars.ts[-1]))
    count = (last - first) // p + 1
    if count <= 2 * n:
        labels = first + p * np.arange(count, dtype=np.int64)  # (np.arange(first, last, p) rounds via float)
        starts = np.searchsorted(bars.ts, labels - p, side="right")
        stops = np.searchsorted(bars.ts, labels, side="right")
        keep = stops > starts
        labels, starts, stops = labels[keep], starts[keep], stops[keep]
    else:  # sparse stamps over a long span: label every bar instead
        label = -((-(bars.ts - off)) // p) * p + off
        starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
        labels = label[starts]
        stops = np.r_[starts[1:], n]
    return Bars(
        ts=labels,
        open=bars.open[starts],
        high=np.maximum.reduceat(bars.high, starts),
        low=np.minimum.reduceat(bars.low, starts),
        close=bars.close[stops - 1],
        volume=np.add.reduceat(bars.volume, starts),
    )


def align(base_ts: np.ndarray, htf_ts: np.ndarray, values: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out[:, i]`` with ``values[:, j]`` of the last higher bar ``j`` labelled ``<= base_ts[i]``.

    ``values`` and ``out`` are feature-major (one row per feature); rows before the first
    completed higher bar get NaN.
    """
    from tradefleet.ml_models.features.fused import gather_into

    gather_into(values, np.searchsorted(htf_ts, base_ts, side="right") - 1, out)
