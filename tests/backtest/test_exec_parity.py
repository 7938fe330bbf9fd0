"""Backtest == replay for a worked entry: the numba kernel's children (``SimSettings.execution``)
and the real kernel's (the execution layer, the order manager, the paper broker on the fill
model, the ``basic-risk`` gate) fill on the same bars, in the same quantities, at the same
prices, for the same execution spec: the participation cap, the paper broker's slippage and
volume impact, and an exit that stops a parent midway included.

Bars are generated (synthetic) minute bars with a crafted volume pattern, named so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tradefleet.backtest.engine import SimSettings, signals_of, simulate
from tradefleet.orchestrator.bot import Bot, BotParams, BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass
from tests.orchestrator.intents.kit import Harness

N = 60
START = pd.Timestamp("2021-03-01 14:30", tz="UTC")


def generated_minutes() -> pd.DataFrame:
    """Generated (synthetic) minute bars: a drift with wiggles, volume swinging 1,500..8,500."""
    idx = pd.date_range(START, periods=N, freq="min", tz="UTC", name="ts").as_unit("ns")
    i = np.arange(N, dtype=float)
    c = pd.Series(100.0 + 0.02 * i + 0.15 * np.sin(i / 3.0), index=idx)
    o = c.shift(1).fillna(c.iloc[0]) + 0.01 * np.cos(i)
    vol = 5_000.0 + 3_500.0 * np.sin(i / 2.0)
    return pd.DataFrame({"open": o, "high": np.maximum(o, c) + 0.03, "low": np.minimum(o, c) - 0.03,
                         "close": c, "volume": vol}, index=idx)


class Window(Bot):
    """Long from minute 5 until minute ``until`` (by time, so a replay's window and the
    backtest's full frame agree)."""

    Params = BotParams
    until = 40

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        minute = ((frame.index - START) // pd.Timedelta(minutes=1)).to_numpy()
        sig = np.where((minute >= 5) & (minute < self.until), 1.0, 0.0)
        return pd.DataFrame({"signal": sig, "confidence": 1.0}, index=frame.index)


def _replay(tmp: Path, frame: pd.DataFrame, spec: dict[str, Any], until: int,
            fill: str = "next-open") -> list[tuple[int, str, float, float]]:
    from tradefleet.orchestrator.execution.algos.base import ExecSpec

    Window.until = until
    s = ExecSpec.parse(spec)
    bot = BotSpec("parity-exec", Window, ("XYZ",), Schedule.interval("1m"), "1m", AssetClass.EQUITY)
    h = Harness(tmp, {"XYZ": frame}, [bot], stages=["basic-risk"], config={
        "execution": {"default_algorithm": s.algorithm, "horizon_s": s.horizon_s, "interval_s": s.interval_s,
                      "participation": s.participation, "min_notional": 1.0, "impact_check": False},
        "paper": {"spread_bps": 0.0, "slippage_bps": 1.0, "fee_bps": 1.0, "max_volume_share": 0.0, "fill": fill},
        "risk": {"exits": {"enabled": False}, "position_pct": 0.5, "max_position_pct": 0.5},
        "engine": {"starting_cash": 1_000_000.0}})
    h.run()
    stamps = frame.index.asi8
    out = [(int(np.searchsorted(stamps, f.ts_event, side="right")) - 1, f.side.value, float(f.quantity), float(f.price))
           for f in h.store.fills()]
    h.close()
    return sorted(out)


def _backtest(frame: pd.DataFrame, spec: dict[str, Any], until: int,
              fill: str = "next-open") -> tuple[list[tuple[int, str, float, float]], Any]:
    Window.until = until
    settings = SimSettings(init_cash=1_000_000.0, fee=0.0001, slippage=0.0001, size=0.5, execution=spec, lot=1.0,
                           impact_bps_per_pct_volume=10.0, max_impact_bps=50.0, fill=fill)  # the paper impact
    res = simulate(frame, signals_of(Window(), frame), settings, bot="parity-exec")
    out = [(int(r[1]), "buy", float(r[3]), float(r[4])) for r in res.children]
    for t in res.trades_frame().itertuples():
        if t.exit_reason != "open":
            out.append((int(t.exit_bar), "sell", float(t.units), float(t.exit_price)))
    return sorted(out), res


@pytest.mark.parametrize("spec, until, fill", [
    ({"algo": "twap", "params": {"horizon_min": 8, "interval_min": 2, "participation": 0.08}}, 45, "next-open"),
    ({"algo": "pov", "params": {"participation": 0.1, "horizon_min": 60}}, 45, "next-open"),
    ({"algo": "twap", "params": {"horizon_min": 30, "interval_min": 1}}, 12, "next-open"),  # stopped midway
    ({"algo": "twap", "params": {"horizon_min": 8, "interval_min": 2, "participation": 0.08}}, 45, "close"),
    ({"algo": "pov", "params": {"participation": 0.1, "horizon_min": 60}}, 12, "close"),
])
def test_backtest_children_fill_as_the_replayed_execution_layer(tmp_path: Path, spec: dict[str, Any], until: int,
                                                                fill: str) -> None:
    frame = generated_minutes()
    run = _replay(tmp_path, frame, spec, until, fill)
    back, res = _backtest(frame, spec, until, fill)
    assert len(back) >= 4 and len(res.children) >= 3
    assert [(b, s, q) for b, s, q, _ in run] == [(b, s, q) for b, s, q, _ in back]
    assert np.allclose([p for *_, p in run], [p for *_, p in back], rtol=1e-12, atol=0)
    bought = sum(q for _, s, q, _ in back if s == "buy")
    parent = float(res.children[0, 7])
    if until == 12:
        assert bought < parent  # stopped midway in both
    else:
        assert bought == parent
    # the participation cap held in the backtest: a child takes at most its share of the decision bar
    cap = spec["params"].get("participation")
    if cap:
        vol = frame["volume"].to_numpy()
        assert all(r[3] <= cap * vol[int(r[2])] + 1e-9 for r in res.children)
    # its TCA adds up, as the live report's does
    tca = res.tca()
    total = tca["total"]
    assert tca["parents"] == 1 and abs(total["delay"] + total["spread"] + total["impact"] + total["fees"]
                                       - total["total"]) < 1e-6


def test_an_algorithm_the_backtest_cannot_simulate_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="simulates twap and pov children, not 'vwap'"):
        SimSettings(execution={"algo": "vwap", "params": {"horizon_min": 30}})
    with pytest.raises(ValueError, match="unknown parameter 'horizon'"):
        SimSettings(execution={"algo": "twap", "params": {"horizon": 30}})
