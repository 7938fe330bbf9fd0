"""Monte Carlo methods: invariants and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.backtest.engine import SimSettings, run_backtest, signals_of
from tradefleet.backtest.montecarlo import monte_carlo, trade_fractions


@pytest.fixture(scope="module")
def run(goog, sma_spec):  # type: ignore[no-untyped-def]
    res = run_backtest(sma_spec, goog, SimSettings(fee=0.001))
    return res, signals_of(sma_spec.build(), goog)


def test_trade_fractions_compound_to_closed_trade_equity(run) -> None:  # type: ignore[no-untyped-def]
    res, _ = run
    fr = trade_fractions(res)
    trades = res.trades_frame()
    open_pnl = trades.loc[trades.exit_reason == "open", "pnl"].sum()
    # compounding the fractions reproduces the kernel's final equity minus the open trade
    assert res.settings.init_cash * np.prod(1 + fr) == pytest.approx(res.equity[-1] - open_pnl, rel=1e-9)


def test_monte_carlo_distributions(goog, run) -> None:  # type: ignore[no-untyped-def]
    res, sig = run
    mc = monte_carlo(res, goog, sig, runs=200, seed=7, perturb_runs=20)
    shuffle = mc.methods["trade_shuffle"]
    # order does not change the compounded result, only the path
    assert np.allclose(shuffle.final_equity, shuffle.final_equity[0])
    assert shuffle.max_drawdown.std() > 0
    boot = mc.methods["return_bootstrap"]
    assert boot.final_equity.std() > 0 and boot.fan is not None
    assert (np.diff(boot.fan, axis=0) >= -1e-9).all()  # quantile bands are ordered
    pert = mc.methods["perturbation"]
    assert len(pert.final_equity) == 20
    # extra slippage and latency can only cost money on average here
    assert np.median(pert.final_equity) < res.equity[-1]
    assert 0.0 <= boot.prob_ruin <= 1.0
    again = monte_carlo(res, goog, sig, runs=200, seed=7, perturb_runs=20)
    assert np.array_equal(again.methods["return_bootstrap"].final_equity, boot.final_equity)
    assert set(mc.summary()["methods"]) == {"trade_shuffle", "return_bootstrap", "perturbation"}
