"""The wheel on real option legs: a daily backtest over a model-priced chain.

Sell a cash-secured put; if it is assigned, hold the shares and sell covered calls until
they are called away; repeat. Every leg is a listed contract (third-Friday monthly expiry,
strike on the listed grid) priced by :func:`tradefleet.risk.options.model_chain.model_chain`'s model
(Bjerksund-Stensland for American, BSM for European, the causal GARCH vol, skew, spread):
**model-priced, never recorded quotes**, and every result says so (``provenance``).

Rules (documented, all in :class:`WheelParams`):

- a sale fills at ``bid + fill_inside * (ask - bid)``, a buy-back at ``ask - fill_inside * (ask - bid)``,
  each paying ``fee_per_contract``;
- a put is only sold when the cash covers its strike (cash-secured: the collateral is reserved);
- a leg is bought back once its price has fallen to ``1 - take_profit`` of the premium;
- at expiry (the close of the expiry date) an in-the-money leg is assigned at its strike
  (physical delivery), the rest expire worthless (:mod:`tradefleet.risk.options.lifecycle`);
- before expiry a short American leg in the money is assigned early when its extrinsic value
  falls below ``early_threshold`` (the documented early-assignment rule).

The loop is daily and causal (row t uses closes up to t); the underlying is marked at its
close and the short leg at its model mid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from tradefleet.risk.options.book import OptionLeg
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.lifecycle import DEFAULT_EARLY_THRESHOLD, early_assignments, intrinsic, settle
from tradefleet.risk.options.model_chain import (PROVENANCE, EQUITY_MODEL, ChainModel, model_quotes,
                                                 monthly_expiries, strike_increment)
from tradefleet.risk.options.vol import garch_filter_vol

NS = 1_000_000_000


@dataclass(frozen=True)
class WheelParams:
    """The wheel's rules (see the module doc)."""

    put_otm_pct: float = 0.05
    call_otm_pct: float = 0.03
    min_days: int = 20
    contracts: int = 1
    take_profit: float = 0.5
    fill_inside: float = 0.0
    fee_per_contract: float = 0.65
    early_threshold: float = DEFAULT_EARLY_THRESHOLD
    starting_cash: float = 100_000.0


@dataclass
class WheelResult:
    """Equity by day, every leg event, and the P&L split by source (currency)."""

    equity: pd.Series
    events: list[dict[str, Any]] = field(default_factory=list)
    premium: float = 0.0
    buybacks: float = 0.0
    fees: float = 0.0
    share_pnl: float = 0.0
    provenance: str = PROVENANCE

    def summary(self) -> dict[str, Any]:
        eq = self.equity
        rets = eq.pct_change().dropna()
        kinds = pd.Series([e["event"] for e in self.events]).value_counts().to_dict() if self.events else {}
        return {"start": str(eq.index[0].date()), "end": str(eq.index[-1].date()),
                "return_pct": round((eq.iloc[-1] / eq.iloc[0] - 1) * 100, 2),
                "sharpe": round(float(rets.mean() / rets.std() * math.sqrt(252)), 3) if rets.std() > 0 else 0.0,
                "max_drawdown_pct": round(float((eq / eq.cummax() - 1).min() * 100), 2),
                "premium": round(self.premium, 2), "buybacks": round(self.buybacks, 2), "fees": round(self.fees, 2),
                "share_pnl": round(self.share_pnl, 2), "events": kinds, "provenance": self.provenance}


def _strike(spot: float, pct: float, below: bool) -> float:
    step = strike_increment(spot)
    target = spot * (1 - pct) if below else spot * (1 + pct)
    return (math.floor(target / step) if below else math.ceil(target / step)) * step


def _quotes(model: ChainModel, contract: OptionContract, ts_ns: np.ndarray, spot: np.ndarray,
            vol: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bid, ask, mid) of one contract on many days at once, priced exactly as a model chain."""
    years = np.maximum((contract.expiry_ns() - ts_ns) / (365 * 86_400 * NS), 1e-6)
    bid, ask, mid, _ = model_quotes(model, contract.kind, spot, contract.strike, years, vol)
    return bid, ask, mid


def backtest_wheel(close: pd.Series, underlying: str, params: WheelParams = WheelParams(),
                   model: ChainModel = EQUITY_MODEL, vol: pd.Series | None = None) -> WheelResult:
    """Run the wheel over daily ``close`` (a UTC-indexed series); see the module doc."""
    if model.settlement != "physical":
        raise ValueError("the wheel needs physically settled options (it takes delivery of the shares)")
    vol = garch_filter_vol(close) if vol is None else vol
    p = params
    cash, shares, basis = p.starting_cash, 0.0, 0.0
    leg: OptionLeg | None = None
    res = WheelResult(pd.Series(dtype=float))
    equity = np.full(len(close), np.nan)
    stamps = close.index.as_unit("ns").asi8
    spots = close.to_numpy(dtype=float)
    vols = vol.to_numpy(dtype=float)
    path: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None  # the held leg priced day by day
    for i, (ts, spot) in enumerate(zip(stamps, spots)):
        sigma = float(vols[i])
        day = datetime.fromtimestamp(ts / NS, tz=timezone.utc).date()
        mark = 0.0
        if leg is not None and path is not None:
            c = leg.contract
            k = i - path[0]
            bid, ask, mid = float(path[1][k]), float(path[2][k]), float(path[3][k])
            if day >= c.expiry or early_assignments([leg], [mid], [spot], p.early_threshold):
                s = settle(leg, spot, "physical")
                event = "expired" if s.outcome == "expired" else ("assigned" if day >= c.expiry else "assigned_early")
                if s.underlying > 0:   # put assigned: shares bought at the strike
                    basis = c.strike
                elif s.underlying < 0:  # call assigned: shares sold at the strike
                    res.share_pnl += (c.strike - basis) * -s.underlying
                cash += s.cash
                shares += s.underlying
                res.events.append({"date": str(day), "event": event, "symbol": c.symbol, "spot": spot,
                                   "intrinsic": intrinsic(leg, spot), "cash": s.cash, "shares": s.underlying})
                leg = None
            elif mid <= (1 - p.take_profit) * leg.premium:
                price = ask - p.fill_inside * (ask - bid)
                n = -leg.contracts
                cost = price * n * c.multiplier
                cash -= cost + p.fee_per_contract * n
                res.buybacks += cost
                res.fees += p.fee_per_contract * n
                res.events.append({"date": str(day), "event": "bought_back", "symbol": c.symbol, "price": price})
                leg = None
            else:
                mark = mid
        if leg is None and math.isfinite(sigma) and sigma > 0:
            leg = _open(model, p, underlying, ts, day, spot, sigma, cash, shares, res)
            if leg is not None:
                end = int(np.searchsorted(stamps, leg.contract.expiry_ns(), side="right")) + 1
                held_vol = np.where(np.isfinite(vols[i:end]), vols[i:end], sigma)
                path = (i, *_quotes(model, leg.contract, stamps[i:end], spots[i:end], held_vol))
                cash += leg.premium * -leg.contracts * leg.contract.multiplier - p.fee_per_contract * -leg.contracts
                res.premium += leg.premium * -leg.contracts * leg.contract.multiplier
                res.fees += p.fee_per_contract * -leg.contracts
                mark = leg.premium
        short_value = mark * -leg.contracts * leg.contract.multiplier if leg is not None else 0.0
        equity[i] = cash + shares * spot - short_value
    res.equity = pd.Series(equity, index=close.index, name="equity")
    return res


def _open(model: ChainModel, p: WheelParams, underlying: str, ts: int, day: Any, spot: float, sigma: float,
          cash: float, shares: float, res: WheelResult) -> OptionLeg | None:
    expiry = next(e for e in monthly_expiries(day, 4) if (e - day).days >= p.min_days)
    size = p.contracts * model.multiplier
    if shares >= size:      # covered call against the shares held
        contract = OptionContract(underlying, "call", _strike(spot, p.call_otm_pct, below=False), expiry, model.style,
                                  model.multiplier)
        event = "sold_call"
    elif shares == 0:       # cash-secured put: the strike must be covered by cash
        contract = OptionContract(underlying, "put", _strike(spot, p.put_otm_pct, below=True), expiry, model.style,
                                  model.multiplier)
        if contract.strike * size > cash:
            return None
        event = "sold_put"
    else:
        return None
    bids, asks, _ = _quotes(model, contract, np.array([ts]), np.array([spot]), np.array([sigma]))
    bid, ask = float(bids[0]), float(asks[0])
    price = bid + p.fill_inside * (ask - bid)
    if price <= 0:
        return None
    res.events.append({"date": str(day), "event": event, "symbol": contract.symbol, "spot": spot, "price": price})
    return OptionLeg(contract, -p.contracts, price, "wheel")
