"""A versioned, hashable set of point-in-time features over several timeframes.

``FeatureSet.for_timeframe("1h").compute(frame)`` returns one row per bar of ``frame``;
the row at time ``t`` reads only bars closed at or before ``t`` (base bars directly,
higher timeframes through :func:`~tradefleet.ml_models.features.timeframes.align`). The feature
set's ``hash`` covers its spec and :data:`FEATURE_CODE_VERSION`; bump that constant
whenever a formula changes, so every model trained on the old formulas refuses to
predict (:class:`~tradefleet.ml_models.errors.FeatureSetMismatch`) until it is retrained.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.ml_models.errors import MissingFeatures, TrainingError
# the numba kernels (``fused``, ``indicators``) are imported where they run: loading the
# model registry (an engine start with the ML vote source) must not pay numba's import
from tradefleet.ml_models.features.timeframes import LADDERS, Bars, align, infer_timeframe, period_ns, resample

if TYPE_CHECKING:
    import pandas as pd

FEATURE_CODE_VERSION = 1
PER_TIMEFRAME = (
    "ret_1", "ret_5", "ret_20", "ma_ratio_10", "ma_ratio_50", "rsi_14", "macd", "macd_hist",
    "atr_14", "bb_width_20", "adx_14", "di_diff_14", "rel_volume_20", "obv_flow_20",
    "rvol_20", "vol_regime",
)
CALENDAR = ("hour_sin", "hour_cos", "dow_sin", "dow_cos", "month_sin", "month_cos")
# bars of each timeframe the last row reads (about: closed hours cut the time-based
# higher-timeframe tails): the 60-bar volatility window, and Wilder's
# 1/14 smoothing (ADX smooths twice) decayed to (13/14)**200 ~ 4e-7 of its start
HISTORY_BARS = 200


def timeframe_block(b: Bars, dtype: type = np.float64) -> np.ndarray:
    """Return the per-timeframe features of ``b`` as a ``(16, len(b))`` feature-major array."""
    from tradefleet.ml_models.features import fused

    return fused.block(b.high, b.low, b.close, b.volume, dtype)


def reference_block(b: Bars) -> np.ndarray:
    """Return :func:`timeframe_block`'s features, transposed, from the readable reference indicators."""
    from tradefleet.ml_models.features import indicators as ind

    c, h, lo, v = b.close, b.high, b.low, b.volume
    macd_line, macd_hist = ind.macd(c)
    adx, di_diff = ind.adx(h, lo, c, 14)
    cols = (
        ind.log_return(c, 1), ind.log_return(c, 5), ind.log_return(c, 20),
        ind.ma_ratio(c, 10), ind.ma_ratio(c, 50),
        ind.rsi(c, 14) / 50.0 - 1.0,
        macd_line, macd_hist,
        ind.atr_ratio(h, lo, c, 14),
        ind.bollinger_width(c, 20),
        adx / 100.0, di_diff / 100.0,
        ind.relative_volume(v, 20),
        ind.obv_flow(c, v, 20),
        ind.realized_vol(c, 20),
        ind.vol_regime(c, 20, 60),
    )
    return np.column_stack(cols)


def calendar_block(ts_ns: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (shape ``(6, n)``) with hour-of-day, day-of-week and month as sin/cos pairs (UTC)."""
    day_ns = 86_400 * 10**9
    hour = (ts_ns % day_ns) / (3_600 * 10**9)
    days = ts_ns // day_ns
    dow = (days + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    # months of the distinct days only (ts is sorted): datetime64 conversion is slow per row
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    day_month = days[starts].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    month = np.repeat(day_month, np.diff(np.r_[starts, days.shape[0]]))
    two_pi = 2.0 * np.pi
    for row, (period, x) in enumerate(((24, hour), (7, dow), (12, month))):
        angle = (two_pi / period) * x
        out[2 * row] = np.sin(angle)
        out[2 * row + 1] = np.cos(angle)


def bars_from_frame(frame: pd.DataFrame) -> Bars:
    """Return the OHLCV arrays of a validated bar frame."""
    idx = frame.index
    ts = idx.asi8 if getattr(idx, "unit", "ns") == "ns" else idx.as_unit("ns").asi8
    col = lambda name: np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64))  # noqa: E731
    return Bars(np.asarray(ts, dtype=np.int64), col("open"), col("high"), col("low"), col("close"), col("volume"))


@dataclass(frozen=True)
class FeatureSet:
    """Which timeframes the features span; ``timeframes[0]`` is the frame's own (base) timeframe."""

    timeframes: tuple[str, ...]
    name: str = "mtf-technical"
    version: int = FEATURE_CODE_VERSION

    def __post_init__(self) -> None:
        for tf in self.timeframes:
            period_ns(tf)
        periods = [period_ns(tf) for tf in self.timeframes]
        if not periods or periods != sorted(set(periods)):
            raise TrainingError(f"feature set timeframes {self.timeframes}: need increasing, distinct timeframes")

    @classmethod
    def for_timeframe(cls, base: str) -> FeatureSet:
        """Return the default feature set for bars of timeframe ``base`` (see ``LADDERS``)."""
        period_ns(base)
        return cls(LADDERS.get(base, (base,)))

    @classmethod
    def for_frame(cls, frame: pd.DataFrame) -> FeatureSet:
        """Return the default feature set for ``frame``'s inferred timeframe."""
        return cls.for_timeframe(infer_timeframe(bars_from_frame(frame).ts))

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> FeatureSet:
        """Rebuild a feature set from :meth:`spec` output (version as recorded)."""
        return cls(tuple(spec["timeframes"]), spec["name"], int(spec["version"]))

    @property
    def base(self) -> str:
        return self.timeframes[0]

    @property
    def columns(self) -> list[str]:
        """Return the feature column names, in order."""
        cols = [f"{tf}_{f}" for tf in self.timeframes for f in PER_TIMEFRAME]
        return cols + list(CALENDAR)

    def spec(self) -> dict[str, Any]:
        """Return the JSON spec the hash is computed from."""
        return {"name": self.name, "version": self.version, "timeframes": list(self.timeframes),
                "columns": self.columns, "history_bars": HISTORY_BARS}

    @cached_property
    def hash(self) -> str:
        """Return the feature-set version hash (16 hex digits of sha256 over the spec)."""
        blob = json.dumps(self.spec(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @property
    def history_ns(self) -> int:
        """Return how much history (ns) the last row needs for every feature to settle."""
        return int(1.5 * HISTORY_BARS * max(period_ns(tf) for tf in self.timeframes))

    def matrix(self, bars: Bars, dtype: type = np.float32) -> np.ndarray:
        """Return the ``(n_features, len(bars))`` feature-major matrix of base ``bars``."""
        from tradefleet.ml_models.features import fused

        n, k = len(bars), len(PER_TIMEFRAME)
        out = np.empty((len(self.columns), n), dtype=dtype)
        fused.block_into(bars.high, bars.low, bars.close, bars.volume, out[:k])
        for j, tf in enumerate(self.timeframes[1:], start=1):
            htf = resample(bars, tf)
            align(bars.ts, htf.ts, timeframe_block(htf, dtype), out[j * k:(j + 1) * k])
        calendar_block(bars.ts, out[-len(CALENDAR):])
        return out

    def compute(self, frame: pd.DataFrame, dtype: type = np.float32) -> pd.DataFrame:
        """Return the features of every row of ``frame`` (NaN while a window is still filling)."""
        import pandas as pd

        bars = bars_from_frame(frame)
        return pd.DataFrame(self.matrix(bars, dtype).T, index=frame.index, columns=self.columns, copy=False)

    def last_rows(self, bars: Bars, k: int = 1, dtype: type = np.float64) -> np.ndarray:
        """Return the ``(k, n_features)`` features of the last ``k`` bars, reading per timeframe
        only its last ``HISTORY_BARS`` bars (fast inference; equal to :meth:`matrix`'s rows up
        to the geometric decay of the EMA starts)."""
        n = len(bars)
        width = len(PER_TIMEFRAME)
        out = np.empty((len(self.columns), k), dtype=dtype)
        ts_last = bars.ts[n - k:]
        for j, tf in enumerate(self.timeframes):
            if j == 0:
                lo = max(0, n - k - HISTORY_BARS)
            else:  # time-based; markets close at weekends and holidays, so ask for 1.5x
                lo = int(np.searchsorted(bars.ts, bars.ts[n - k] - int(1.5 * HISTORY_BARS * period_ns(tf)),
                                         side="right"))
            sub = Bars(bars.ts[lo:], bars.open[lo:], bars.high[lo:], bars.low[lo:], bars.close[lo:], bars.volume[lo:])
            htf = sub if j == 0 else resample(sub, tf)
            align(ts_last, htf.ts, timeframe_block(htf, dtype), out[j * width:(j + 1) * width])
        calendar_block(ts_last, out[-len(CALENDAR):])
        return out.T

    def tail(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the last ``history_ns`` of ``frame``: all that its last row's features read."""
        if len(frame) == 0:
            raise MissingFeatures("empty frame: no features")
        start = frame.index[-1] - np.timedelta64(self.history_ns, "ns")
        return frame.loc[frame.index > start]
