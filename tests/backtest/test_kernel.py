"""Hand-checked cases for the simulation kernel and its metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradefleet.backtest.engine import Signals, SimSettings, simulate


def _frame(opens: list[float], highs: list[float] | None = None, lows: list[float] | None = None,
           closes: list[float] | None = None) -> pd.DataFrame:
    n = len(opens)
    idx = pd.date_range("2020-01-01", periods=n, freq="D", tz="UTC")
    return pd.DataFrame({"open": opens, "high": highs or opens, "low": lows or opens,
                         "close": closes or opens, "volume": 1.0}, index=idx)


def _sig(values: list[float], stop: list[float] | None = None) -> Signals:
    n = len(values)
    return Signals(np.array(values, float), np.array(stop, float) if stop else np.full(n, np.nan), np.full(n, np.nan))


def test_simulate_fills_at_next_open_with_fees() -> None:
    frame = _frame([100, 110, 121, 133.1])
    res = simulate(frame, _sig([1, 1, 0, 0]), SimSettings(init_cash=1000, fee=0.01, size=1.0))
    t = res.trades_frame().iloc[0]
    assert (t.entry_bar, t.exit_bar) == (1, 3)
    units = 1000 / (110 * 1.01)
    assert t.units == pytest.approx(units)
    fees = units * 110 * 0.01 + units * 133.1 * 0.01
    assert t.pnl == pytest.approx(units * (133.1 - 110) - fees)
    assert res.equity[-1] == pytest.approx(1000 + t.pnl)


def test_simulate_short_with_slippage() -> None:
    frame = _frame([100, 100, 90, 80])
    res = simulate(frame, _sig([-1, -1, 0, 0]), SimSettings(init_cash=1000, fee=0.0, slippage=0.01))
    t = res.trades_frame().iloc[0]
    assert t.direction == -1
    assert t.entry_price == pytest.approx(99.0)      # sold 1% below the open
    assert t.exit_price == pytest.approx(80.8)       # bought back 1% above
    assert t.pnl == pytest.approx(1000 / 99 * (99 - 80.8))


def test_simulate_stop_gap_and_no_reentry_until_signal_changes() -> None:
    frame = _frame([100, 100, 100, 90, 95, 96], lows=[100, 99, 96, 88, 94, 95])
    res = simulate(frame, _sig([1, 1, 1, 1, 1, 1]), SimSettings(init_cash=1000, fee=0.0, sl_pct=0.05))
    trades = res.trades_frame()
    assert len(trades) == 1
    t = trades.iloc[0]
    assert t.exit_reason == "stop" and t.exit_bar == 3
    assert t.exit_price == 90  # gapped below the 95 stop: filled at the open
    assert res.equity[-1] == pytest.approx(900)


def test_simulate_trailing_stop_and_target() -> None:
    frame = _frame([100, 100, 110, 120, 118], highs=[100, 105, 115, 125, 118], lows=[100, 99, 108, 117, 100])
    res = simulate(frame, _sig([1, 1, 1, 1, 1]), SimSettings(init_cash=1000, fee=0.0, tsl_pct=0.1))
    t = res.trades_frame().iloc[0]
    assert t.exit_reason == "trailing" and t.exit_bar == 4
    assert t.exit_price == pytest.approx(125 * 0.9)
    res = simulate(frame, _sig([1, 1, 1, 1, 1]), SimSettings(init_cash=1000, fee=0.0, tp_pct=0.12))
    t = res.trades_frame().iloc[0]
    assert t.exit_reason == "target" and t.exit_bar == 2 and t.exit_price == pytest.approx(112)


def test_simulate_signal_stop_column_and_delay() -> None:
    frame = _frame([100, 100, 100, 100, 100], lows=[100, 100, 100, 97, 100])
    res = simulate(frame, _sig([1, 1, 1, 1, 1], stop=[98, 98, 98, 98, 98]), SimSettings(init_cash=1000, fee=0.0))
    assert res.trades_frame().iloc[0].exit_price == 98
    res = simulate(frame, _sig([1, 0, 0, 0, 0]), SimSettings(init_cash=1000, fee=0.0, delay=2))
    t = res.trades_frame().iloc[0]
    assert (t.entry_bar, t.exit_bar) == (3, 4)


def test_metrics_match_numpy_reference() -> None:
    rng = np.random.default_rng(1)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 500)))
    frame = _frame(list(closes))
    sig = np.sign(rng.normal(size=500))
    res = simulate(frame, Signals(sig, np.full(500, np.nan), np.full(500, np.nan)), SimSettings(fee=0.0005))
    eq = res.equity_series()
    r = np.diff(np.concatenate([[res.settings.init_cash], eq.to_numpy()])) / np.concatenate([[res.settings.init_cash], eq.to_numpy()[:-1]])
    years = (eq.index[-1] - eq.index[0]).total_seconds() / (365.25 * 86400)
    ppy = (len(eq) - 1) / years
    assert res.metrics["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(ppy))
    assert res.metrics["sortino"] == pytest.approx(r.mean() / np.sqrt(np.mean(np.minimum(r, 0) ** 2)) * np.sqrt(ppy))
    dd = (eq / np.maximum.accumulate(np.concatenate([[res.settings.init_cash], eq.to_numpy()]))[1:] - 1).min()
    assert res.metrics["max_drawdown"] == pytest.approx(dd)
    closed = res.trades_frame().query("exit_reason != 'open'")
    assert res.metrics["trades"] == len(closed)
    assert res.metrics["win_rate"] == pytest.approx((closed.pnl > 0).mean())
    assert res.metrics["profit_factor"] == pytest.approx(closed.pnl[closed.pnl > 0].sum() / -closed.pnl[closed.pnl <= 0].sum())
    assert res.metrics["expectancy"] == pytest.approx(closed.pnl.mean())
    cagr = (eq.iloc[-1] / res.settings.init_cash) ** (1 / years) - 1
    assert res.metrics["cagr"] == pytest.approx(cagr)
    assert res.metrics["calmar"] == pytest.approx(cagr / -dd)


def test_simulate_ruin_stops_trading() -> None:
    frame = _frame([100, 100, 150, 250, 300, 100])
    res = simulate(frame, _sig([-1, -1, -1, -1, -1, -1]), SimSettings(init_cash=1000, fee=0.0, size=1.0))
    assert res.equity[3] == 0 and (res.equity[3:] == 0).all()        # short from 100, price 250: wiped out
    t = res.trades_frame().iloc[0]
    assert t.exit_bar == 3 and t.pnl == pytest.approx(-10 * 150)    # 10 units, marked at 250
    assert len(res.trades_frame()) == 1
