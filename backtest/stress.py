"""Stress tests: crisis windows in the bundled S&P 500 history and synthetic shocks.

Crisis windows are traded on the bot's own bundled data when it covers the window, else on
the S&P 500 series (``sp500``, 1999-2018). The 2020 COVID crash is NOT in the bundled data
(the series ends in 2018); it is listed and reported as unavailable rather than faked.
Bars before a window's start feed the bot's indicators but are not traded.

Synthetic shocks rewrite a copy of the frame from a bar ``at`` on (default: two thirds
through the data) and are compared with the same run on the untouched frame:

* ``gap_down``: every price from bar ``at`` on x0.9 (a 10% overnight gap that never fills);
* ``vol_x3``: close-to-close log returns around their mean x3 for ``length`` bars, the
  intrabar ranges x3 too, later prices shifted to the new level;
* ``flash_crash``: a 20% intrabar plunge at ``at`` (low and close), recovering linearly
  over ``length`` bars to the original path;
* ``liquidity_drought``: volume x0.1 and slippage x10 (at least 0.5%) for ``length`` bars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.backtest.engine import SimSettings, signals_of, simulate
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.scrapers.bundled import load_dataset

if TYPE_CHECKING:
    import pandas as pd

CRISES: dict[str, tuple[str, str] | None] = {
    "dotcom-2000": ("2000-03-24", "2002-10-09"),
    "gfc-2008": ("2007-10-09", "2009-03-09"),
    "q4-2018": ("2018-10-01", "2018-12-24"),
    "covid-2020": None,  # not in the bundled data (sp500 ends 2018)
}
SHOCKS = ("gap_down", "vol_x3", "flash_crash", "liquidity_drought")


@dataclass(frozen=True)
class StressRow:
    """One scenario's outcome next to its baseline."""

    scenario: str
    kind: str          # crisis | shock
    data: str
    start: str
    end: str
    metrics: dict[str, float] | None
    baseline: dict[str, float] | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        def clean(m: dict[str, float] | None) -> dict[str, float | None] | None:
            return None if m is None else {k: (v if math.isfinite(v) else None) for k, v in m.items()}

        return {"scenario": self.scenario, "kind": self.kind, "data": self.data, "start": self.start,
                "end": self.end, "metrics": clean(self.metrics), "baseline": clean(self.baseline), "note": self.note}


def _copy_prices(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: frame[c].to_numpy(dtype=np.float64).copy() for c in ("open", "high", "low", "close", "volume")}


def _rebuild(frame: pd.DataFrame, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    out = frame.copy()
    for c, v in cols.items():
        out[c] = v
    return out


def gap_down(frame: pd.DataFrame, at: int, pct: float = 0.10) -> pd.DataFrame:
    """Return ``frame`` with every price from bar ``at`` on scaled by ``1 - pct``."""
    cols = _copy_prices(frame)
    for c in ("open", "high", "low", "close"):
        cols[c][at:] *= 1.0 - pct
    return _rebuild(frame, cols)


def vol_x3(frame: pd.DataFrame, at: int, length: int = 60, factor: float = 3.0) -> pd.DataFrame:
    """Return ``frame`` with volatility x``factor`` over ``[at, at+length)``."""
    cols = _copy_prices(frame)
    close = cols["close"]
    end = min(len(close), at + length)
    lr = np.diff(np.log(close[at - 1:end]))
    new_lr = lr.mean() + (lr - lr.mean()) * factor
    new_close = close[at - 1] * np.exp(np.cumsum(new_lr))
    ratio = np.ones(len(close))
    ratio[at:end] = new_close / close[at:end]
    ratio[end:] = ratio[end - 1]
    o, h, lo = cols["open"], cols["high"], cols["low"]
    body_hi, body_lo = np.maximum(o, close), np.minimum(o, close)
    widen = np.ones(len(close))
    widen[at:end] = factor
    cols["high"] = (body_hi + (h - body_hi) * widen) * ratio
    cols["low"] = np.maximum((body_lo - (body_lo - lo) * widen) * ratio, 1e-9)
    cols["open"], cols["close"] = o * ratio, close * ratio
    return _rebuild(frame, cols)


def flash_crash(frame: pd.DataFrame, at: int, depth: float = 0.20, length: int = 5) -> pd.DataFrame:
    """Return ``frame`` with a ``depth`` plunge at bar ``at`` recovering over ``length`` bars."""
    cols = _copy_prices(frame)
    end = min(len(cols["close"]), at + length + 1)
    dip = np.linspace(depth, 0.0, end - at)  # fraction below the original path per bar
    for c in ("open", "high", "low", "close"):
        cols[c][at:end] *= 1.0 - dip
    cols["open"][at] = frame["open"].iloc[at]  # the crash happens inside bar ``at``
    cols["high"][at] = max(cols["open"][at], frame["high"].iloc[at] * (1 - depth))
    cols["low"][at] = min(cols["low"][at], frame["low"].iloc[at] * (1.0 - depth))
    return _rebuild(frame, cols)


def liquidity_drought(frame: pd.DataFrame, at: int, length: int = 20, base_slip: float = 0.0,
                      vol_factor: float = 0.1, slip_mult: float = 10.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the thin-volume frame and the per-bar slippage array to simulate it with."""
    cols = _copy_prices(frame)
    end = min(len(cols["close"]), at + length)
    cols["volume"][at:end] *= vol_factor
    slip = np.full(len(frame), base_slip)
    slip[at:end] = max(base_slip * slip_mult, 0.005)
    return _rebuild(frame, cols), slip


def crisis_runs(spec: BotSpec, frame: pd.DataFrame, data_name: str, settings: SimSettings) -> list[StressRow]:
    """Trade each crisis window, on ``frame`` when it covers it, else on ``sp500``."""
    import pandas as pd

    rows = []
    sp500: pd.DataFrame | None = None
    for name, window in CRISES.items():
        if window is None:
            rows.append(StressRow(name, "crisis", "-", "2020-02-19", "2020-03-23", None,
                                  note="not in the bundled data (sp500 ends 2018); needs external data"))
            continue
        start, end = (pd.Timestamp(x, tz="UTC") for x in window)
        data, src = frame, data_name
        if not (frame.index[0] <= start and frame.index[-1] >= end):
            sp500 = load_dataset("sp500") if sp500 is None else sp500
            data, src = sp500, "sp500"
        upto = data.loc[:end + pd.Timedelta(days=1)]
        first = int(data.index.searchsorted(start))
        sig = signals_of(spec.build(), upto, spec.name)
        res = simulate(upto, sig, settings, bot=spec.name, start=first)
        rows.append(StressRow(name, "crisis", src, window[0], window[1], res.metrics))
    return rows


def shock_runs(spec: BotSpec, frame: pd.DataFrame, data_name: str, settings: SimSettings,
               at: int | None = None, length: int = 20) -> list[StressRow]:
    """Run each synthetic shock on ``frame`` and its untouched baseline."""
    n = len(frame)
    at = at if at is not None else (2 * n) // 3
    bot = spec.build()
    base = simulate(frame, signals_of(bot, frame, spec.name), settings, bot=spec.name).metrics
    cases: list[tuple[str, pd.DataFrame, np.ndarray | None]] = [
        ("gap_down", gap_down(frame, at), None),
        ("vol_x3", vol_x3(frame, at, length * 3), None),
        ("flash_crash", flash_crash(frame, at, length=5), None),
    ]
    dry, slip = liquidity_drought(frame, at, length, settings.slippage)
    cases.append(("liquidity_drought", dry, slip))
    start, end = str(frame.index[at].date()), str(frame.index[min(n - 1, at + length)].date())
    rows = []
    for name, shocked, slip_arr in cases:
        res = simulate(shocked, signals_of(bot, shocked, spec.name), settings, bot=spec.name, slip=slip_arr)
        rows.append(StressRow(name, "shock", data_name, start, end, res.metrics, base))
    return rows


def stress(spec: BotSpec, frame: pd.DataFrame, data_name: str, settings: SimSettings | None = None) -> list[StressRow]:
    """Run every crisis window and every synthetic shock for one bot."""
    s = settings or SimSettings()
    return crisis_runs(spec, frame, data_name, s) + shock_runs(spec, frame, data_name, s)
