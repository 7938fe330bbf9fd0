"""Walk-forward optimisation: search on each train window, trade the next test window.

Windows are bar ranges: *rolling* (fixed-length train window that slides) or *anchored*
(train always starts at bar 0). Each fold searches the train window (grid, or Optuna's TPE
sampler for ``trials`` trials) for the best Sharpe, then runs the winner on the unseen
test window; bars before a window's start feed indicators (warmup) but are never traded.
The test windows' equity curves are chained into one out-of-sample curve. The overfit
ratio is the mean in-sample Sharpe divided by the stitched out-of-sample Sharpe (1 = no
degradation, > 1 = worse out of sample; inf when OOS Sharpe <= 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tradefleet.backtest.engine import NS_PER_YEAR, SimSettings, run_backtest
from tradefleet.backtest.executor import InlineExecutor, fan_out
from tradefleet.backtest.kernel import METRIC_NAMES, metrics_nb
from tradefleet.backtest.sweep import best, default_space, evaluate, grid
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.errors import DataError, PluginError

if TYPE_CHECKING:
    import pandas as pd

Search = Literal["grid", "optuna"]


@dataclass(frozen=True)
class Window:
    """Bar index ranges ``[train_start, train_end)`` and ``[train_end, test_end)``."""

    train_start: int
    train_end: int
    test_end: int


@dataclass
class FoldResult:
    """The winner of one train window and how it did on the following test window."""

    window: Window
    params: dict[str, Any]
    is_sharpe: float
    oos_metrics: dict[str, float]
    oos_index_ns: np.ndarray
    oos_equity: np.ndarray


@dataclass
class WalkForwardResult:
    """Every fold, the stitched out-of-sample curve and its metrics."""

    bot: str
    folds: list[FoldResult]
    oos_index_ns: np.ndarray
    oos_equity: np.ndarray
    oos_metrics: dict[str, float]
    is_sharpe: float
    overfit_ratio: float

    @property
    def oos_sharpe(self) -> float:
        return self.oos_metrics["sharpe"]

    def summary(self) -> dict[str, Any]:
        """Return a JSON-ready summary (non-finite numbers as None)."""
        def f(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "bot": self.bot, "is_sharpe": f(self.is_sharpe), "oos_sharpe": f(self.oos_sharpe),
            "overfit_ratio": f(self.overfit_ratio),
            "oos_metrics": {k: f(v) for k, v in self.oos_metrics.items()},
            "folds": [{"train": [fr.window.train_start, fr.window.train_end],
                       "test": [fr.window.train_end, fr.window.test_end], "params": fr.params,
                       "is_sharpe": f(fr.is_sharpe), "oos_sharpe": f(fr.oos_metrics["sharpe"]),
                       "oos_return": f(fr.oos_metrics["total_return"])} for fr in self.folds],
        }


def windows(n: int, folds: int, train_bars: int | None = None, test_bars: int | None = None,
            anchored: bool = False) -> list[Window]:
    """Split ``n`` bars into ``folds`` train/test windows (train = 3 x test by default)."""
    if test_bars is None:
        test_bars = n // (folds + 3) if train_bars is None else (n - train_bars) // folds
    if train_bars is None:
        train_bars = n - folds * test_bars
    if test_bars < 2 or train_bars < 2 or train_bars + folds * test_bars > n:
        raise DataError(f"walk-forward: {n} bars cannot hold {folds} folds of train {train_bars} + test {test_bars}")
    out = []
    for k in range(folds):
        train_end = train_bars + k * test_bars
        out.append(Window(0 if anchored else k * test_bars, train_end, train_end + test_bars))
    return out


def _search_grid(spec: BotSpec, frame: pd.DataFrame, w: Window, space: Mapping[str, Sequence[Any]],
                 settings: SimSettings) -> tuple[dict[str, Any], float]:
    rows = evaluate(spec, frame.iloc[:w.train_end], grid(space), settings, start=w.train_start)
    win = best(rows)
    if win is None:
        if all(r.metrics is None for r in rows):
            raise PluginError(f"walk-forward {spec.name}: every parameter set failed on train bars "
                              f"{w.train_start}-{w.train_end} ({rows[0].error if rows else 'empty grid'})")
        return {}, float("nan")  # no candidate traded: keep the bot's defaults, no in-sample Sharpe
    return win.params, win.metrics["sharpe"]  # type: ignore[index]


def _search_optuna(spec: BotSpec, frame: pd.DataFrame, w: Window, space: Mapping[str, Sequence[Any]],
                   settings: SimSettings, trials: int, seed: int) -> tuple[dict[str, Any], float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    train = frame.iloc[:w.train_end]

    def objective(trial: optuna.Trial) -> float:
        params: dict[str, Any] = {}
        for name, vals in space.items():
            lo, hi = min(vals), max(vals)
            if all(isinstance(v, int) for v in vals):
                params[name] = trial.suggest_int(name, int(lo), int(hi))
            else:
                params[name] = trial.suggest_float(name, float(lo), float(hi))
        try:
            sharpe = run_backtest(spec, train, settings, params, start=w.train_start).metrics["sharpe"]
        except Exception:  # noqa: BLE001 - params the bot rejects are pruned, not fatal
            raise optuna.TrialPruned() from None
        return sharpe if math.isfinite(sharpe) else -1e9

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        raise PluginError(f"walk-forward {spec.name}: every Optuna trial had invalid params")
    return dict(study.best_params), float(study.best_value)


def run_fold(spec: BotSpec, frame: pd.DataFrame, w: Window, space: Mapping[str, Sequence[Any]],
             settings: SimSettings, search: Search = "grid", trials: int = 30, seed: int = 0) -> FoldResult:
    """Search the train window, then trade the winner on the test window."""
    if search == "optuna":
        params, is_sharpe = _search_optuna(spec, frame, w, space, settings, trials, seed)
    else:
        params, is_sharpe = _search_grid(spec, frame, w, space, settings)
    oos = run_backtest(spec, frame.iloc[:w.test_end], settings, params, start=w.train_end)
    return FoldResult(w, params, is_sharpe, oos.metrics, oos.index_ns, oos.equity)


def stitch(folds: Sequence[FoldResult], init_cash: float) -> tuple[np.ndarray, np.ndarray]:
    """Chain the folds' test-window equity curves into one compounded curve."""
    idx, eq, capital = [], [], init_cash
    for fr in folds:
        curve = fr.oos_equity / init_cash * capital
        idx.append(fr.oos_index_ns)
        eq.append(curve)
        capital = float(curve[-1])
    return np.concatenate(idx), np.concatenate(eq)


def walk_forward(spec: BotSpec, frame: pd.DataFrame, *, folds: int = 5, anchored: bool = False,
                 train_bars: int | None = None, test_bars: int | None = None, search: Search = "grid",
                 space: Mapping[str, Sequence[Any]] | None = None, trials: int = 30,
                 settings: SimSettings | None = None, executor: Executor | None = None,
                 progress: Callable[[int], None] | None = None, seed: int = 0) -> WalkForwardResult:
    """Run walk-forward optimisation; folds fan out over ``executor`` (inline by default)."""
    s = settings or SimSettings()
    sp = dict(space) if space is not None else default_space(spec)
    if not sp:
        sp = {}
    ws = windows(len(frame), folds, train_bars, test_bars, anchored)
    args = [(spec, frame, w, sp, s, search, trials, seed + k) for k, w in enumerate(ws)]
    results = fan_out(executor or InlineExecutor(), run_fold, args, progress)
    idx, eq = stitch(results, s.init_cash)
    years = float(idx[-1] - idx[0]) / NS_PER_YEAR
    # Stitched curves carry no trades; OOS trade counts are the folds' sum.
    m = metrics_nb(eq, np.zeros((0, 10)), 0, s.init_cash, years)
    oos_metrics = dict(zip(METRIC_NAMES, (float(x) for x in m), strict=True))
    oos_metrics["trades"] = float(sum(fr.oos_metrics["trades"] for fr in results))
    is_values = [fr.is_sharpe for fr in results if math.isfinite(fr.is_sharpe)]
    is_sharpe = float(np.mean(is_values)) if is_values else float("nan")
    oos_sharpe = oos_metrics["sharpe"]
    ratio = is_sharpe / oos_sharpe if math.isfinite(oos_sharpe) and oos_sharpe > 0 else float("inf")
    return WalkForwardResult(spec.name, results, idx, eq, oos_metrics, is_sharpe, ratio)
