"""Monte Carlo robustness: trade-order shuffles, return bootstrap, cost/latency perturbation.

* **Trade shuffle**: each closed trade's P&L as a fraction of the equity it was opened
  with, compounded in random orders (final equity is order-free; drawdown is not).
* **Return bootstrap**: bar returns resampled with replacement (i.i.d.) into new paths.
* **Perturbation**: the bot's own signals re-simulated with random slippage (uniform up to
  ``slip_max`` per fill) and random latency (0..``max_delay`` extra bars before a fill).

Each method yields distributions of final equity, max drawdown and Sharpe, and the
probability of ruin: the share of paths whose equity ever falls to ``ruin`` x initial cash.
Runs fan out in seeded chunks, so results do not depend on the executor or chunking.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.backtest.engine import BacktestResult, Signals, SimSettings, simulate
from tradefleet.backtest.executor import InlineExecutor, chunks, fan_out
from tradefleet.backtest.kernel import R_OPEN, T_PNL, T_REASON

if TYPE_CHECKING:
    import pandas as pd

FAN_POINTS = 400
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class Distribution:
    """Per-run outcomes of one Monte Carlo method."""

    method: str
    final_equity: np.ndarray
    max_drawdown: np.ndarray
    sharpe: np.ndarray
    ruined: np.ndarray
    fan: np.ndarray | None = None          # (len(QUANTILES), FAN_POINTS) equity quantiles
    fan_index_ns: np.ndarray | None = None

    @property
    def prob_ruin(self) -> float:
        return float(self.ruined.mean()) if len(self.ruined) else float("nan")

    def summary(self) -> dict[str, Any]:
        """Return quantiles of each outcome and the probability of ruin (JSON-ready)."""
        def q(a: np.ndarray) -> dict[str, float | None]:
            a = a[np.isfinite(a)]
            if not len(a):
                return {f"p{int(p * 100)}": None for p in QUANTILES}
            return {f"p{int(p * 100)}": float(np.quantile(a, p)) for p in QUANTILES}

        return {"method": self.method, "runs": int(len(self.final_equity)), "prob_ruin": self.prob_ruin,
                "final_equity": q(self.final_equity), "max_drawdown": q(self.max_drawdown), "sharpe": q(self.sharpe)}


@dataclass
class MonteCarloResult:
    """All methods' distributions for one bot."""

    bot: str
    runs: int
    ruin: float
    methods: dict[str, Distribution] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"bot": self.bot, "runs": self.runs, "ruin_level": self.ruin,
                "methods": {k: d.summary() for k, d in self.methods.items()}}


def _path_stats(paths: np.ndarray, init: float, ruin: float, ppy: float) -> tuple[np.ndarray, ...]:
    """Final equity, max drawdown, Sharpe and ruin flag of each row of ``paths``."""
    full = np.concatenate([np.full((paths.shape[0], 1), init), paths], axis=1)
    peak = np.maximum.accumulate(full, axis=1)
    mdd = (full / peak - 1.0).min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = full[:, 1:] / full[:, :-1] - 1.0
        r = np.nan_to_num(r, nan=0.0, posinf=0.0, neginf=-1.0)
        sd = r.std(axis=1, ddof=1) if r.shape[1] > 1 else np.full(len(r), np.nan)
        sharpe = r.mean(axis=1) / sd * math.sqrt(ppy)
    ruined = (full <= ruin * init).any(axis=1)
    return full[:, -1], mdd, sharpe, ruined


def trade_fractions(result: BacktestResult) -> np.ndarray:
    """Each closed trade's P&L as a fraction of the equity it was opened with.

    One position is open at a time, so that equity is the initial cash plus the P&L of
    every earlier trade; the fractions compound exactly to the last closed trade's equity.
    """
    pnl = result.trades[result.trades[:, T_REASON] != R_OPEN][:, T_PNL]
    before = result.settings.init_cash + np.concatenate([[0.0], np.cumsum(pnl)[:-1]])
    return pnl / before


def _shuffle_chunk(fracs: np.ndarray, seeds: list[int], init: float, ruin: float, ppy: float) -> tuple[np.ndarray, ...]:
    paths = np.empty((len(seeds), len(fracs)))
    for j, seed in enumerate(seeds):
        paths[j] = init * np.cumprod(1.0 + np.random.default_rng(seed).permutation(fracs))
    return _path_stats(paths, init, ruin, ppy)


def _bootstrap_chunk(rets: np.ndarray, seeds: list[int], init: float, ruin: float, ppy: float,
                     fan_at: np.ndarray) -> tuple[np.ndarray, ...]:
    paths = np.empty((len(seeds), len(rets)))
    for j, seed in enumerate(seeds):
        pick = np.random.default_rng(seed).integers(0, len(rets), len(rets))
        paths[j] = init * np.cumprod(1.0 + rets[pick])
    return (*_path_stats(paths, init, ruin, ppy), paths[:, fan_at])


def _perturb_chunk(frame: pd.DataFrame, sig: Signals, settings: SimSettings, seeds: list[int],
                   slip_max: float, max_delay: int, ruin: float) -> tuple[np.ndarray, ...]:
    out = np.empty((4, len(seeds)))
    n = len(frame)
    for j, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        s = settings.model_copy(update={"delay": int(rng.integers(0, max_delay + 1))})
        res = simulate(frame, sig, s, slip=rng.uniform(0.0, slip_max, n))
        out[:, j] = (res.equity[-1], res.metrics["max_drawdown"], res.metrics["sharpe"],
                     float(res.equity.min() <= ruin * settings.init_cash))
    return out[0], out[1], out[2], out[3].astype(bool)


def _seeds(seed: int, runs: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(runs)]


def _merge(method: str, parts: list[tuple[np.ndarray, ...]]) -> Distribution:
    return Distribution(method, *(np.concatenate([p[i] for p in parts]) for i in range(4)))


def monte_carlo(result: BacktestResult, frame: pd.DataFrame, sig: Signals, *, runs: int = 1000,
                seed: int = 0, ruin: float = 0.5, slip_max: float | None = None, max_delay: int = 2,
                executor: Executor | None = None, progress: Callable[[int], None] | None = None,
                perturb_runs: int | None = None) -> MonteCarloResult:
    """Run the three methods on a finished backtest (``sig`` = its signals on ``frame``)."""
    ex = executor or InlineExecutor()
    init = result.settings.init_cash
    years = float(result.index_ns[-1] - result.index_ns[0]) / (365.25 * 86400e9)
    ppy = (len(result.equity) - 1) / years if years > 0 else 252.0
    n_chunks = 1 if isinstance(ex, InlineExecutor) else 8
    out = MonteCarloResult(result.bot, runs, ruin)
    fracs = trade_fractions(result)
    if len(fracs) >= 2:
        trade_ppy = len(fracs) / years if years > 0 else 1.0
        parts = fan_out(ex, _shuffle_chunk, [(fracs, c, init, ruin, trade_ppy) for c in chunks(_seeds(seed, runs), n_chunks)])
        out.methods["trade_shuffle"] = _merge("trade_shuffle", parts)
    if progress:
        progress(1)
    eq = np.concatenate([[init], result.equity])
    rets = eq[1:] / eq[:-1] - 1.0
    fan_at = np.unique(np.linspace(0, len(rets) - 1, min(FAN_POINTS, len(rets))).astype(np.int64))
    parts = fan_out(ex, _bootstrap_chunk, [(rets, c, init, ruin, ppy, fan_at)
                                           for c in chunks(_seeds(seed + 1, runs), n_chunks)])
    dist = _merge("return_bootstrap", parts)
    dist.fan = np.quantile(np.concatenate([p[4] for p in parts]), QUANTILES, axis=0)
    dist.fan_index_ns = result.index_ns[fan_at]
    out.methods["return_bootstrap"] = dist
    if progress:
        progress(1)
    slip = slip_max if slip_max is not None else max(3 * result.settings.slippage, 0.001)
    n_perturb = perturb_runs if perturb_runs is not None else min(runs, 200)
    parts = fan_out(ex, _perturb_chunk, [(frame, sig, result.settings, c, slip, max_delay, ruin)
                                         for c in chunks(_seeds(seed + 2, n_perturb), n_chunks)])
    out.methods["perturbation"] = _merge("perturbation", parts)
    if progress:
        progress(1)
    return out
