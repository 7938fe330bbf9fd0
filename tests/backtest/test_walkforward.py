"""Walk-forward windows, stitching and the overfit ratio."""

from __future__ import annotations

import numpy as np
import pytest

from tradefleet.backtest.engine import SimSettings, run_backtest
from tradefleet.backtest.walkforward import stitch, walk_forward, windows
from tradefleet.orchestrator.errors import DataError


def test_windows_rolling_and_anchored() -> None:
    ws = windows(1000, 4)
    assert [(w.train_start, w.train_end, w.test_end) for w in ws] == [
        (0, 432, 574), (142, 574, 716), (284, 716, 858), (426, 858, 1000)]
    assert all(w.train_start == 0 for w in windows(1000, 4, anchored=True))
    with pytest.raises(DataError, match="cannot hold"):
        windows(10, 8)


def test_walk_forward_grid_picks_train_best_and_stitches(goog, sma_spec) -> None:  # type: ignore[no-untyped-def]
    settings = SimSettings(fee=0.001)
    space = {"fast": [5, 10], "slow": [20, 40]}
    wf = walk_forward(sma_spec, goog, folds=3, space=space, settings=settings)
    assert len(wf.folds) == 3
    for fold in wf.folds:
        w = fold.window
        # the winner really is the best in-sample Sharpe of the grid on the train window
        sharpes = {(f, s): run_backtest(sma_spec, goog.iloc[:w.train_end], settings, {"fast": f, "slow": s},
                                        start=w.train_start).metrics["sharpe"] for f in (5, 10) for s in (20, 40)}
        assert (fold.params["fast"], fold.params["slow"]) == max(sharpes, key=sharpes.__getitem__)
        assert fold.oos_index_ns[0] == goog.index.as_unit("ns").asi8[w.train_end]
    # stitched curve: folds chained end to end, compounding
    idx, eq = stitch(wf.folds, settings.init_cash)
    assert len(eq) == sum(len(f.oos_equity) for f in wf.folds)
    total = np.prod([f.oos_equity[-1] / settings.init_cash for f in wf.folds])
    assert eq[-1] == pytest.approx(settings.init_cash * total)
    if wf.oos_sharpe > 0:
        assert wf.overfit_ratio == pytest.approx(wf.is_sharpe / wf.oos_sharpe)


def test_walk_forward_optuna_is_seeded(goog, sma_spec) -> None:  # type: ignore[no-untyped-def]
    kw = dict(folds=2, search="optuna", trials=6, space={"fast": [3, 15], "slow": [20, 60]}, anchored=True)
    a = walk_forward(sma_spec, goog, **kw)  # type: ignore[arg-type]
    b = walk_forward(sma_spec, goog, **kw)  # type: ignore[arg-type]
    assert [f.params for f in a.folds] == [f.params for f in b.folds]
    assert all(3 <= f.params["fast"] <= 15 and 20 <= f.params["slow"] <= 60 for f in a.folds)
