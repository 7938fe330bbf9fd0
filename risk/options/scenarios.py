"""Option positions in the portfolio VaR/CVaR: delta-gamma P&L on the underlying's scenarios.

The risk gate's VaR (:class:`tradefleet.risk.var.PortfolioVar`) measures weights (signed
notional / equity) against a (T, N) matrix of one-bar historical returns. An option's weight
is its premium notional (``qty * multiplier * mark / equity``), but its P&L in scenario ``t``
is not ``weight * its own return``: its risk is the underlying's. Each option therefore gets a
*scenario column* built from its underlying's returns ``r_t`` (delta-gamma, not full
revaluation)::

    dS_t   = S * r_t
    col_t  = (delta * dS_t + 0.5 * gamma * dS_t**2) / P

so that ``weight * col_t = multiplier * qty * (delta dS_t + 0.5 gamma dS_t**2) / equity``,
the delta-gamma P&L of the position as a fraction of equity. ``S`` is the underlying's last
close, ``P`` the option's mark (mid quote, else last close), delta/gamma per share from
:func:`tradefleet.risk.options.portfolio.value_contracts` (BSM for European contracts, the
CRR tree for American ones) at the realised vol the Greek limits use
(:class:`tradefleet.risk.greeks_hook.MarketGreeksProvider`). Historical VaR/CVaR read the
columns as they are (the gamma term's skew included); parametric VaR uses their sample
mean and covariance. Delta-gamma and not full revaluation: one valuation per contract and
tick instead of T (an American tree per scenario would cost T trees per check); the test
(tests/risk/options/test_option_var.py) bounds its error against a full Black-Scholes
revaluation on the same scenarios. An option whose underlying has no return history, or
that has no mark or has expired, gets no column and stays unmeasured, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from tradefleet.risk.var import Array, PortfolioVar


def delta_gamma_column(returns: Array, spot: float, delta: float, gamma: float, premium: float) -> Array:
    """The P&L per unit of premium weight of one option in each scenario of ``returns``
    (the underlying's one-bar simple returns)."""
    ds = spot * np.asarray(returns, dtype=float)
    return (delta * ds + 0.5 * gamma * ds * ds) / premium


def option_columns(pv: PortfolioVar, symbols: Iterable[str], instruments: Mapping[str, Any], market: Any,
                   now_ns: int, rate: float = 0.0, lookback: int = 60) -> dict[str, Array]:
    """Return option symbol -> scenario column for each of ``symbols`` that can be measured."""
    from tradefleet.risk.greeks_hook import MarketGreeksProvider
    from tradefleet.risk.options.chain import OptionContract
    from tradefleet.risk.options.portfolio import value_contracts

    vols = MarketGreeksProvider(market, None, rate, lookback)  # type: ignore[arg-type]
    todo: list[tuple[str, OptionContract, float, float, float]] = []
    for sym in sorted(set(symbols)):
        spec = getattr(instruments.get(sym), "option", None)
        if spec is None or spec.underlying not in pv.index:
            continue
        contract = OptionContract(spec.underlying, spec.right, float(spec.strike), spec.expiry,
                                  style=spec.style, multiplier=int(spec.multiplier))
        if contract.years_to_expiry(now_ns) <= 0:
            continue
        spot = market.last_close(spec.underlying) if hasattr(market, "last_close") else None
        vol = vols.realised_vol(spec.underlying)
        mark = _mark(market, sym)
        if spot is None or vol is None or mark is None or mark <= 0:
            continue
        todo.append((sym, contract, float(spot), vol, mark))
    if not todo:
        return {}
    val = value_contracts([t[1] for t in todo], now_ns, [t[2] for t in todo], [t[3] for t in todo], rate,
                          [0.0] * len(todo), bumped=False)  # delta and gamma only
    out: dict[str, Array] = {}
    for k, (sym, contract, spot, _vol, mark) in enumerate(todo):
        r = pv.returns[:, pv.index[contract.underlying]]
        out[sym] = delta_gamma_column(r, spot, float(val.delta[k]), float(val.gamma[k]), mark)
    return out


def _mark(market: Any, symbol: str) -> float | None:
    q = market.quote(symbol)
    if q is not None and q[0] > 0 and q[1] > 0:
        return (q[0] + q[1]) / 2
    last = market.last_close(symbol) if hasattr(market, "last_close") else None
    return float(last) if last is not None else None
