"""Vectorized backtest of a target-weight bot (Strategy API v2 ``weights(panel)``).

The bot's weights are evaluated once over the whole panel (as replay does); the
simulation then follows the engine's rules for a ``Target``: the weights decided at row
*t*'s close are traded at the next bar's open of each instrument (the fill model's
default ``next-open`` convention), each trade pays ``slippage_bps`` on its price and
``fee_bps`` of its notional, rebalances smaller than the bot's tolerance (a fraction of
equity) are skipped, and an instrument that has no next bar is not traded. Quantities are
fractional (no lot rounding) and no risk limit is applied: it measures the strategy, the
replay measures the strategy through the risk gate.

:func:`backtest_targets` returns the equity curve and the figures, and states the
conventions it used (``assumptions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from tradefleet.orchestrator.bot import PortfolioBot
    from tradefleet.orchestrator.panel import Panel


@njit(cache=True, nogil=True)
def _simulate(open_: np.ndarray, close: np.ndarray, present: np.ndarray, w: np.ndarray, cash0: float,
              slip: float, fee: float, tol: float) -> tuple[np.ndarray, np.ndarray, float, int]:  # pragma: no cover - numba
    """Return (equity per row, held units per instrument at the end, turnover, trades)."""
    n, m = close.shape
    units = np.zeros(m)
    mark = np.full(m, np.nan)
    cash = cash0
    equity = np.empty(n)
    want = np.full(m, np.nan)  # weights waiting for the next open
    has_want = False
    turnover = 0.0
    trades = 0
    for t in range(n):
        # fills first: this row's opens execute yesterday's decision
        if has_want:
            eq = cash
            for j in range(m):
                if units[j] != 0.0 and not np.isnan(mark[j]):
                    eq += units[j] * mark[j]
            for j in range(m):
                if np.isnan(want[j]) or not present[t, j]:
                    continue
                px = open_[t, j]
                if not px > 0:
                    continue
                target_units = want[j] * eq / px
                delta = target_units - units[j]
                if abs(delta * px) < tol * eq or delta == 0.0:
                    want[j] = np.nan
                    continue
                fill = px * (1.0 + slip) if delta > 0 else px * (1.0 - slip)
                notional = abs(delta) * fill
                cash -= delta * fill + notional * fee
                units[j] = target_units
                turnover += notional
                trades += 1
                want[j] = np.nan
            has_want = False
            for j in range(m):
                if not np.isnan(want[j]):
                    has_want = True  # an instrument without a bar today trades at its next open
        for j in range(m):
            if present[t, j]:
                mark[j] = close[t, j]
        eq = cash
        for j in range(m):
            if units[j] != 0.0 and not np.isnan(mark[j]):
                eq += units[j] * mark[j]
        equity[t] = eq
        # the decision at this close
        row_has = False
        for j in range(m):
            if not np.isnan(w[t, j]):
                row_has = True
        if row_has:
            for j in range(m):
                want[j] = 0.0 if np.isnan(w[t, j]) else w[t, j]
            has_want = True
    return equity, units, turnover, trades


@dataclass
class TargetBacktest:
    """The result of a target-weight backtest."""

    equity: np.ndarray
    ts: np.ndarray
    total_return_pct: float
    cagr_pct: float
    max_drawdown_pct: float
    sharpe: float
    trades: int
    turnover: float
    assumptions: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"total_return_pct": round(self.total_return_pct, 2), "cagr_pct": round(self.cagr_pct, 2),
                "max_drawdown_pct": round(self.max_drawdown_pct, 2), "sharpe": round(self.sharpe, 2),
                "trades": self.trades, "turnover": round(self.turnover, 2), "assumptions": self.assumptions}


def backtest_targets(bot: PortfolioBot, panel: Panel, *, cash: float = 100_000.0, slippage_bps: float = 1.0,
                     fee_bps: float = 1.0, tolerance: float | None = None) -> TargetBacktest:
    """Run ``bot.weights(panel)`` once and simulate trading its targets."""
    from tradefleet.orchestrator.errors import PluginError

    out = bot.weights(panel)
    if out is None:
        raise PluginError(f"{type(bot).__name__} has no weights(panel): backtest it with a replay")
    w = out.reindex(columns=list(panel.instruments)).to_numpy(dtype=np.float64, na_value=np.nan)
    if w.shape[0] != len(panel):
        raise PluginError(f"{type(bot).__name__}: weights() must return one row per panel row")
    tol = float(getattr(bot, "target_tolerance", 0.0)) if tolerance is None else tolerance
    open_ = np.ascontiguousarray(panel.values["open"])
    close = np.ascontiguousarray(panel.values["close"])
    present = np.ascontiguousarray(panel.present)
    equity, _, turnover, trades = _simulate(open_, close, present, np.ascontiguousarray(w), float(cash),
                                            slippage_bps / 1e4, fee_bps / 1e4, tol)
    return _figures(equity, panel.ts, turnover, trades, cash, {
        "fill": "next bar's open of each instrument (decided at the close)", "slippage_bps": slippage_bps,
        "fee_bps": fee_bps, "tolerance": tol, "sizing": "weights x equity at the open, fractional units",
        "limits": "none (the replay applies the risk gate)"})


def _figures(equity: np.ndarray, ts: np.ndarray, turnover: float, trades: int, cash: float,
             assumptions: dict[str, Any]) -> TargetBacktest:
    if len(equity) == 0:
        return TargetBacktest(equity, ts, 0.0, 0.0, 0.0, 0.0, 0, 0.0, assumptions)
    total = float(equity[-1]) / cash - 1.0
    years = max((int(ts[-1]) - int(ts[0])) / (365.25 * 86_400e9), 1e-9)
    cagr = (float(equity[-1]) / cash) ** (1 / years) - 1.0 if equity[-1] > 0 else -1.0
    peak = np.maximum.accumulate(equity)
    dd = float(np.max(1.0 - equity / peak)) if len(equity) else 0.0
    r = np.diff(equity) / equity[:-1] if len(equity) > 1 else np.zeros(0)
    sharpe = float(np.mean(r) / np.std(r) * np.sqrt(252)) if len(r) > 1 and np.std(r) > 0 else 0.0
    return TargetBacktest(equity, ts, total * 100, cagr * 100, dd * 100, sharpe, trades, turnover, assumptions)
