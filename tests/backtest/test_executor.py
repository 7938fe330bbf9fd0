"""Sweeps, folds and Monte Carlo fan out over any executor, including a real Dask cluster."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.backtest.engine import SimSettings, run_backtest, signals_of
from tradefleet.backtest.executor import InlineExecutor, chunks, fan_out, open_executor
from tradefleet.backtest.montecarlo import monte_carlo
from tradefleet.backtest.sweep import best, default_space, grid, parse_space, sweep
from tradefleet.backtest.walkforward import walk_forward


def test_chunks_and_parse_space() -> None:
    assert chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4], [5, 6]]
    assert chunks([1], 4) == [[1]]
    assert parse_space(["fast=5:15:5", "slow=20,30"]) == {"fast": [5, 10, 15], "slow": [20, 30]}


def test_sweep_matches_single_runs_and_skips_invalid(goog, sma_spec) -> None:  # type: ignore[no-untyped-def]
    combos = grid({"fast": [5, 10, 30], "slow": [20, 40]})
    rows = sweep(sma_spec, goog, combos, SimSettings(), InlineExecutor(), chunk_count=3)
    assert [r.params for r in rows] == combos
    bad = [r for r in rows if r.metrics is None]
    assert [r.params for r in bad] == [{"fast": 30, "slow": 20}] and "fast" in bad[0].error
    for r in rows:
        if r.metrics is not None:
            assert r.metrics == run_backtest(sma_spec, goog, SimSettings(), r.params).metrics
    top = best(rows)
    assert top is not None and top.metrics["sharpe"] == max(r.metrics["sharpe"] for r in rows if r.metrics)  # type: ignore[index]
    assert default_space(sma_spec, 3) == {"fast": [5, 10, 15], "slow": [10, 20, 30]}


def test_fan_out_propagates_errors() -> None:
    with pytest.raises(ZeroDivisionError):
        fan_out(InlineExecutor(), lambda x: 1 / x, [(1,), (0,)])


def test_dask_local_cluster_runs_sweep_folds_and_monte_carlo(goog, sma_spec) -> None:  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    combos = grid({"fast": [5, 10], "slow": [20, 40]})
    space = {"fast": [5, 10], "slow": [20, 40]}
    res = run_backtest(sma_spec, goog, SimSettings())
    sig = signals_of(sma_spec.build(), goog)
    local_rows = sweep(sma_spec, goog, combos)
    local_wf = walk_forward(sma_spec, goog, folds=2, space=space)
    local_mc = monte_carlo(res, goog, sig, runs=40, perturb_runs=8, seed=3)
    with LocalCluster(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            open_executor(cluster.scheduler_address) as ex:
        ticks: list[int] = []
        rows = sweep(sma_spec, goog, combos, executor=ex, progress=ticks.append)
        wf = walk_forward(sma_spec, goog, folds=2, space=space, executor=ex)
        mc = monte_carlo(res, goog, sig, runs=40, perturb_runs=8, seed=3, executor=ex)
    assert sum(ticks) == len(combos)
    assert [r.metrics for r in rows] == [r.metrics for r in local_rows]
    assert [f.params for f in wf.folds] == [f.params for f in local_wf.folds]
    assert np.array_equal(wf.oos_equity, local_wf.oos_equity)
    for name in ("trade_shuffle", "return_bootstrap", "perturbation"):
        assert np.allclose(mc.methods[name].max_drawdown, local_mc.methods[name].max_drawdown)
