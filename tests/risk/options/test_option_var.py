"""Options in the portfolio VaR/CVaR (delta-gamma on the underlying's scenarios).

The underlying ``XYZ`` is a generated (synthetic) path; the option marks are model prices.
1. The delta-gamma VaR/CVaR of a short straddle (and of short puts), as the risk gate builds
   it (:func:`option_columns` on the real :class:`MarketState`, :meth:`PortfolioVar.with_columns`),
   is checked against an independent full Black-Scholes revaluation written here with scipy,
   on the same historical scenarios.
2. Through the real replay engine and risk gate: a tight VaR limit now refuses the wheel's
   short put, which the premium-only view (the option unmeasured, or its premium notional
   times the underlying's move) let through.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tradefleet.bots.options.traded import GOOG_WHEEL
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.occ import OptionSpec, option_instrument, parse_occ
from tradefleet.risk.options.scenarios import option_columns
from tradefleet.risk.var import PortfolioVar, measures

from .test_engine_options import _fills, _path, _run, _sessions

EQUITY = 100_000.0


def _bs(kind: str, s: np.ndarray | float, k: float, t: float, vol: float) -> np.ndarray:
    """Black-Scholes price, no rate, no dividend (independent of the package's BSM)."""
    s = np.asarray(s, dtype=float)
    d1 = (np.log(s / k) + 0.5 * vol * vol * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    call = s * norm.cdf(d1) - k * norm.cdf(d2)
    return call if kind == "call" else call - s + k


def _book(legs: list[tuple[str, int]]) -> tuple[dict[str, float], dict[str, float], np.ndarray]:
    """(delta-gamma measures, full-revaluation measures, underlying returns) of ``legs``
    (right, signed contracts) on a 30-day European strike at the money, in $."""
    rng = np.random.default_rng(7)
    r = rng.normal(0.0, 0.02, 300)
    closes = 100.0 * np.cumprod(1.0 + np.concatenate([[0.0], r]))
    idx = pd.date_range("2020-01-01", periods=len(closes), freq="D", tz="UTC")
    frame = pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes, "volume": 1.0}, index=idx)
    market = MarketState()
    market.load("XYZ", frame)
    market.advance("XYZ", len(closes) - 1)
    now_ns = int(idx[-1].value)
    spot = float(closes[-1])
    strike = float(round(spot))
    expiry = (idx[-1] + timedelta(days=30)).date()
    pv = PortfolioVar(["XYZ"], r[-250:].reshape(-1, 1))
    logr = np.diff(np.log(closes[-61:]))
    vol = float(np.std(logr, ddof=1) * math.sqrt(252.0))  # the gate's realised vol, computed here
    years = (pd.Timestamp(expiry).tz_localize("America/New_York") + pd.Timedelta(hours=16) - idx[-1]) \
        / pd.Timedelta(days=365)
    insts, weights = {}, {}
    full = np.zeros(pv.returns.shape[0])
    for right, qty in legs:
        spec = OptionSpec("XYZ", expiry, right, Decimal(repr(strike)), style="european", settlement="cash")
        insts[spec.symbol] = option_instrument(spec)
        p0 = float(_bs(right, spot, strike, years, vol))
        market.put_quote(spec.symbol, now_ns, p0 * 0.98, p0 * 1.02)  # mid = p0
        weights[spec.symbol] = qty * 100 * p0 / EQUITY
        full += qty * 100 * (_bs(right, spot * (1 + pv.returns[:, 0]), strike, years, vol) - p0)
    cols = option_columns(pv, insts, insts, market, now_ns)
    assert set(cols) == set(insts)
    aug = pv.with_columns(cols)
    dg = measures(aug.returns @ aug.weights(weights), "historical").as_dict()
    fr = measures(full, "historical").as_dict()
    return {k: v * EQUITY for k, v in dg.items()}, fr, pv.returns[:, 0]


@pytest.mark.parametrize("legs", [[("put", -5), ("call", -5)], [("put", -10)]], ids=["short_straddle", "short_puts"])
def test_delta_gamma_var_matches_a_full_black_scholes_revaluation(legs: list[tuple[str, int]]) -> None:
    dg, full, r = _book(legs)
    for k in ("var95", "var99", "cvar95", "cvar99"):
        assert full[k] > 0
        # an instantaneous shock on the same 250 scenarios: delta-gamma within 10 % of full
        # revaluation (the cubic term of a +-5 % move on a 30-day at-the-money option)
        assert dg[k] == pytest.approx(full[k], rel=0.10), (k, dg, full)
    # premium-only (premium notional times the underlying's return) misses most of it
    premium_only = -np.quantile(sum(q * 100 for _, q in legs) * 2.5 * r, 0.01)
    assert premium_only < 0.5 * full["var99"]


def test_var_limit_refuses_a_short_put_that_premium_only_var_let_through(tmp_path: Path) -> None:
    # XYZ moves +-2 % a day; the wheel sells one out-of-the-money put (92.5 at ~100, premium
    # ~$2): its delta-gamma loss on a 2 % drop is ~$40, 4e-4 of equity, while its premium
    # notional (~$200) times 2 % is ~4e-5. With every VaR/CVaR limit at 2e-4 (5x the
    # premium-only figure) the put is refused by var_limit; before options were measured
    # (an unmeasured symbol) it was sold.
    days = _sessions("2014-09-02", "2015-03-06")
    frame = _path(days, {})
    spec = replace(GOOG_WHEEL, name="xyz-wheel", instruments=("XYZ",), params={**GOOG_WHEEL.params, "take_profit": 0})
    tight = {"var": {"var95_pct": 2e-4, "var99_pct": 2e-4, "cvar95_pct": 2e-4, "cvar99_pct": 2e-4}}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, con = _run(tmp_path / "a", spec, frame, "XYZ", "2014-09-02", "2015-03-06", risk=tight)
    puts = [f for f in _fills(con) if f[0] != "XYZ"]
    assert not puts, puts
    # the one-contract structure scales below a lot: refused, naming the limit that bound
    why = con.execute("select reason, detail from gate_decisions where gate = 'risk'").fetchall()
    assert why and all(r in ("var_limit", "size_below_lot") for r, _ in why), why[:3]
    assert all("var_limit" in r or "var_limit" in d for r, d in why), why[:3]
    # the same run with the default limits sells puts: only the option's VaR refused it
    _, con = _run(tmp_path / "b", spec, frame, "XYZ", "2014-09-02", "2015-03-06")
    sold = [f for f in _fills(con) if f[0] != "XYZ" and f[1] == "sell"]
    assert sold and all(parse_occ(f[0]).right == "put" for f in sold)
    # the stored risk report (`tradefleet risk`) measures the put held at the end through its
    # underlying: the same ~4e-4 historical VaR, nothing unmeasured (premium-only: ~4e-5)
    import json

    (report,) = [json.loads(v) for k, v in con.execute("select key, value from risk_state")
                 if k.endswith("risk_report")]
    assert report["var"]["unmeasured"] == []
    assert 2e-4 < report["var"]["historical"]["var99"] < 1e-3, report["var"]
