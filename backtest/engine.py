"""The vectorized engine: a bar bot's ``compute(frame)`` once over history, simulated in numba.

``run_backtest`` is the one entry point every other module (sweeps, walk-forward, Monte
Carlo, stress, validation, CLI) goes through, so the fill convention documented in
:mod:`tradefleet.backtest.kernel` (signal at bar *t* close, fill at bar *t+1* open) holds everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradefleet.backtest.kernel import (ALGO_NONE, ALGO_POV, ALGO_SCHEDULE, CHILD_COLUMNS, EXIT_REASONS, METRIC_NAMES,
                                       TRADE_COLUMNS, make_params, metrics_nb, simulate_nb)
from tradefleet.orchestrator.bot import Bot, BotSpec
from tradefleet.orchestrator.errors import DataError, PluginError

if TYPE_CHECKING:
    import pandas as pd

NS_PER_YEAR = 365.25 * 86400 * 1e9
BACKTEST_ALGOS = ("twap", "pov")


class SimSettings(BaseModel):
    """How orders are simulated: cash, costs, sizing and protective exits (fractions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    init_cash: float = Field(100_000.0, gt=0)
    fee: float = Field(0.001, ge=0, lt=0.1, description="fraction of notional, on entry and on exit")
    slippage: float = Field(0.0, ge=0, lt=0.1, description="adverse fill fraction at market fills")
    size: float = Field(1.0, gt=0, le=10, description="fraction of equity per new position")
    sl_pct: float = Field(0.0, ge=0, lt=1, description="stop loss below/above entry; 0 = none")
    tp_pct: float = Field(0.0, ge=0, description="take profit from entry; 0 = none")
    tsl_pct: float = Field(0.0, ge=0, lt=1, description="trailing stop from the best price; 0 = none")
    allow_short: bool = True
    delay: int = Field(0, ge=0, description="extra bars between signal and fill (latency)")
    fill: Literal["next-open", "close"] = Field("next-open", description="market fills: next bar's open or the signal bar's close")
    limit_fill: Literal["through", "touch"] = Field("through", description="a target fills on a trade-through, or on a touch")
    same_bar: Literal["adverse", "favourable"] = Field("adverse", description="stop and target in one bar: which fills first")
    max_volume_share: float = Field(0.0, ge=0, le=1, description="entries take at most this share of a bar's volume (0 = no cap)")
    impact_bps_per_pct_volume: float = Field(0.0, ge=0, le=10_000, description="takers pay this many bps per % of "
                                             "the fill bar's volume (the paper broker's impact; 0 = none)")
    max_impact_bps: float = Field(0.0, ge=0, le=10_000, description="cap of that impact, in bps")
    execution: dict[str, Any] | None = Field(None, description="work every entry as a parent with this execution "
                                             "spec, {'algo': 'twap'|'pov', 'params': {...}} (as an intent's): "
                                             "children simulated bar by bar as the execution layer sends them")
    lot: float = Field(0.0, ge=0, description="a worked entry is whole multiples of this (0: fractional units)")

    @field_validator("execution")
    @classmethod
    def _spec(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is None:
            return None
        from tradefleet.orchestrator.execution.algos.base import ExecSpec

        spec = ExecSpec.parse(v)
        if spec.algorithm not in BACKTEST_ALGOS:
            raise ValueError(f"execution spec: the backtest simulates {' and '.join(BACKTEST_ALGOS)} children, "
                             f"not {spec.algorithm!r} (replay it with 'tradefleet run')")
        return spec.as_data()

    def params(self, bar_seconds: float = 86_400.0) -> np.ndarray:
        """Return the kernel's params vector (``bar_seconds``: the bar length, for an execution spec)."""
        algo, slice_bars, horizon_bars, part, rate = ALGO_NONE, 1.0, 0.0, 0.0, 0.0
        spec = self.exec_spec()
        if spec is not None:
            algo = ALGO_POV if spec.algorithm == "pov" else ALGO_SCHEDULE
            slice_bars, horizon_bars = spec.interval_s / bar_seconds, spec.horizon_s / bar_seconds
            part = spec.participation or 0.0
            rate = spec.participation or 0.1  # POV's rate when none is set (as the algorithm)
        return make_params(init_cash=self.init_cash, fee=self.fee, size=self.size, sl_pct=self.sl_pct,
                           tp_pct=self.tp_pct, tsl_pct=self.tsl_pct, allow_short=self.allow_short,
                           delay=self.delay, fill_close=self.fill == "close", limit_touch=self.limit_fill == "touch",
                           favourable_first=self.same_bar == "favourable", max_volume_share=self.max_volume_share,
                           algo=algo, slice_bars=slice_bars, horizon_bars=horizon_bars, participation=part,
                           lot=self.lot, impact_bps_per_pct_volume=self.impact_bps_per_pct_volume,
                           max_impact_bps=self.max_impact_bps, pov_rate=rate)

    def exec_spec(self) -> Any:
        """The execution spec entries are worked with (an ``ExecSpec``), or None."""
        if self.execution is None:
            return None
        from tradefleet.orchestrator.execution.algos.base import ExecSpec

        return ExecSpec.from_data(self.execution)

    def plan(self) -> np.ndarray:
        """A scheduled algorithm's cumulative plan per slice (the TWAP algorithm's own plan)."""
        spec = self.exec_spec()
        if spec is None or spec.algorithm == "pov":
            return np.empty(0)
        from tradefleet.orchestrator.execution.algos.schedule import cumulative

        return np.asarray(cumulative([1.0] * spec.slices()), dtype=np.float64)

    @property
    def needs_volume(self) -> bool:
        return self.max_volume_share > 0 or self.impact_bps_per_pct_volume > 0 or self.execution is not None

    def describe(self) -> str:
        """The fill and cost assumptions, one printable line (reports and the CLI print it)."""
        from tradefleet.orchestrator.execution.fill_model import MATCH_VERSION

        cap = f"{self.max_volume_share:.0%} of bar volume" if self.max_volume_share > 0 else "no volume cap"
        stops = []
        if self.sl_pct:
            stops.append(f"stop {self.sl_pct:.2%}")
        if self.tp_pct:
            stops.append(f"target {self.tp_pct:.2%}")
        if self.tsl_pct:
            stops.append(f"trailing {self.tsl_pct:.2%}")
        spec = self.exec_spec()
        if spec is not None:
            part = f"participation {spec.participation:.0%}" if spec.participation else "no participation cap"
            stops.append(f"entries worked by {spec.algorithm} over {spec.horizon_s:g} s in {spec.interval_s:g} s "
                         f"slices ({part}, lot {self.lot:g})")
        if self.impact_bps_per_pct_volume:
            stops.append(f"impact {self.impact_bps_per_pct_volume:g} bps per % of volume (max {self.max_impact_bps:g})")
        return (f"fill model v{MATCH_VERSION} (kernel port): market at {self.fill}"
                f"{f' + {self.delay} bar(s) latency' if self.delay else ''}; stop at stop or gap open, never better;"
                f" target on {self.limit_fill} at target or better open; stop and target in one bar: {self.same_bar} first;"
                f" {cap}; fee {self.fee:.4%} of notional per side; slippage {self.slippage:.4%} on market and stop fills;"
                f" size {self.size:g} x equity; {'long and short' if self.allow_short else 'long only'}"
                f"{'; ' + ', '.join(stops) if stops else ''}")


@dataclass(frozen=True)
class Signals:
    """Signal arrays aligned with a bar frame (float64; NaN = none; length 1 = every bar)."""

    signal: np.ndarray
    stop: np.ndarray
    target: np.ndarray


@dataclass
class BacktestResult:
    """Equity, trades and metrics of one simulated run (plain arrays: cheap to pickle)."""

    bot: str
    index_ns: np.ndarray
    equity: np.ndarray
    trades: np.ndarray
    metrics: dict[str, float]
    settings: SimSettings
    params: dict[str, Any] = field(default_factory=dict)
    children: np.ndarray = field(default_factory=lambda: np.empty((0, len(CHILD_COLUMNS))))
    """One row per fill of a worked entry's child (``CHILD_COLUMNS``); empty without an execution spec."""
    closes: np.ndarray = field(default_factory=lambda: np.empty(0))

    def children_frame(self) -> pd.DataFrame:
        """Return one row per child fill with its fill and decision times."""
        import pandas as pd

        df = pd.DataFrame(self.children, columns=list(CHILD_COLUMNS))
        for col in ("trade", "fill_bar", "decision_bar"):
            df[col] = df[col].astype("int64")
        idx = pd.DatetimeIndex(self.index_ns.astype("datetime64[ns]"), tz="UTC")
        df.insert(0, "fill_time", idx[df["fill_bar"].to_numpy()])
        return df

    def tca_outcomes(self) -> list[Any]:
        """Each worked entry as a TCA parent (:class:`~tradefleet.orchestrator.execution.tca.ParentOutcome`):
        its shortfall against its arrival (the signal bar's close), each child sent at bar ``d``
        (mid and touch: that bar's close; the kernel quotes no spread) filled at its price."""
        from tradefleet.orchestrator.execution.tca import ChildFill, ParentOutcome, decompose

        spec = self.settings.exec_spec()
        out: list[Any] = []
        if spec is None or not len(self.children):
            return out
        c = self.closes
        for t in sorted({int(x) for x in self.children[:, 0]}):
            rows = self.children[self.children[:, 0] == t]
            fills = [ChildFill(f"{t}.{k + 1}", float(r[3]), float(r[4]), float(r[5]), float(c[int(r[2])]),
                               float(c[int(r[2])])) for k, r in enumerate(rows)]
            parent = float(rows[0, 7])
            shortfall = decompose(bool(self.trades[t, 2] > 0), float(c[int(rows[0, 6])]), fills, parent)
            out.append(ParentOutcome(f"{self.bot}#{t}", self.bot, "backtest", self.bot, spec.algorithm, parent,
                                     shortfall))
        return out

    def tca(self, by: str = "algorithm") -> dict[str, Any]:
        """Transaction-cost analysis of the worked entries: the report ``tradefleet tca --json``
        prints for a store (:func:`tradefleet.orchestrator.execution.tca.report`), grouped ``by``."""
        from tradefleet.orchestrator.execution.tca import report

        return report(self.tca_outcomes(), by)

    def equity_series(self) -> pd.Series:
        """Return equity as a Series on the bar close times (UTC)."""
        import pandas as pd

        return pd.Series(self.equity, index=pd.DatetimeIndex(self.index_ns.astype("datetime64[ns]"), tz="UTC"),
                         name="equity")

    def trades_frame(self) -> pd.DataFrame:
        """Return one row per trade, with entry/exit times and the exit reason."""
        import pandas as pd

        df = pd.DataFrame(self.trades, columns=list(TRADE_COLUMNS))
        for col in ("entry_bar", "exit_bar", "direction"):
            df[col] = df[col].astype("int64")
        df["exit_reason"] = [EXIT_REASONS[int(r)] for r in self.trades[:, -1]] if len(df) else []
        idx = pd.DatetimeIndex(self.index_ns.astype("datetime64[ns]"), tz="UTC")
        df.insert(0, "entry_time", idx[df["entry_bar"].to_numpy()])
        df.insert(1, "exit_time", idx[df["exit_bar"].to_numpy()])
        return df

    def metrics_json(self) -> dict[str, float | None]:
        """Return the metrics with non-finite values as None (JSON has no inf/NaN)."""
        return {k: (float(v) if np.isfinite(v) else None) for k, v in self.metrics.items()}


def bar_arrays(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Return contiguous float64 open, high, low, close arrays of a bar frame."""
    return tuple(np.ascontiguousarray(frame[c].to_numpy(dtype=np.float64)) for c in ("open", "high", "low", "close"))


def signals_of(bot: Bot, frame: pd.DataFrame, name: str = "") -> Signals:
    """Run ``bot.compute`` over the whole frame and return its aligned signal arrays."""
    out = bot.compute(frame)
    label = name or type(bot).__name__
    if "signal" not in out.columns:
        raise PluginError(f"bot {label}: compute() returned no 'signal' column")
    if len(out) != len(frame):
        raise PluginError(f"bot {label}: compute() returned {len(out)} rows for {len(frame)} bars")
    # The kernel reads signal > 0 / < 0 (NaN = flat); absent stop/target are length-1 NaN.
    sig = np.ascontiguousarray(out["signal"].to_numpy(dtype=np.float64))
    none = np.full(1, np.nan)
    stop = out["stop"].to_numpy(dtype=np.float64) if "stop" in out.columns else none
    target = out["target"].to_numpy(dtype=np.float64) if "target" in out.columns else none
    return Signals(sig, np.ascontiguousarray(stop), np.ascontiguousarray(target))


def simulate(frame: pd.DataFrame, sig: Signals, settings: SimSettings, *, bot: str = "",
             slip: np.ndarray | None = None, start: int = 0, params: Mapping[str, Any] | None = None) -> BacktestResult:
    """Simulate precomputed signals on ``frame`` from bar ``start`` on (earlier bars are warmup)."""
    bars = Prepared.of(frame, settings, bot=bot, slip=slip, start=start)
    equity, trades, nt, kids, nc, m = bars.run(sig)
    return BacktestResult(bot=bot, index_ns=bars.index_ns, equity=equity, trades=trades[:nt].copy(),
                          metrics=metrics_dict(m), settings=settings, params=dict(params or {}),
                          children=kids[:nc].copy(), closes=bars.close if nc else np.empty(0))


def metrics_dict(m: np.ndarray) -> dict[str, float]:
    """The ``metrics_nb`` vector as the result's ``name -> float`` dict."""
    return dict(zip(METRIC_NAMES, (float(x) for x in m), strict=True))


@dataclass(frozen=True)
class Prepared:
    """What :func:`simulate` derives from the bars and the settings alone (bar arrays from
    ``start`` on, costs, the kernel's params, the time span), built once and run with any
    number of signals (a sweep's combinations)."""

    open_: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    slip: np.ndarray
    volume: np.ndarray
    index_ns: np.ndarray
    params: np.ndarray
    plan: np.ndarray
    years: float
    init_cash: float
    start: int

    @classmethod
    def of(cls, frame: pd.DataFrame, settings: SimSettings, *, bot: str = "", slip: np.ndarray | None = None,
           start: int = 0) -> Prepared:
        """Check and prepare ``frame`` from bar ``start`` on (the errors :func:`simulate` raises)."""
        if len(frame) - start < 2:
            raise DataError(f"backtest {bot}: need at least 2 bars to simulate, got {len(frame) - start}")
        o, h, lo, c = (a[start:] for a in bar_arrays(frame))
        n = len(c)
        slip_arr = (np.full(1, settings.slippage) if slip is None
                    else np.ascontiguousarray(slip[start:], dtype=np.float64))
        vol = (np.ascontiguousarray(frame["volume"].to_numpy(dtype=np.float64)[start:])
               if settings.needs_volume and "volume" in frame.columns else np.empty(0))
        if settings.execution is not None and settings.execution["algorithm"] == "pov" and not len(vol):
            raise DataError(f"backtest {bot}: a POV execution spec needs bar volume, and these bars have none")
        idx = frame.index.as_unit("ns").asi8[start:]
        # the bar length only scales an execution spec's slices: no 1M-element median otherwise
        bar_s = float(np.median(np.diff(idx))) / 1e9 if n > 1 and settings.execution is not None else 86_400.0
        return cls(o, h, lo, c, slip_arr, vol, np.asarray(idx), settings.params(bar_s), settings.plan(),
                   float(idx[-1] - idx[0]) / NS_PER_YEAR, settings.init_cash, start)

    def run(self, sig: Signals) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, int, np.ndarray]:
        """The kernel and the metrics for ``sig`` (aligned with the whole frame):
        ``(equity, trades, n_trades, children, n_children, metrics vector)``."""
        n = len(self.close)
        s = np.ascontiguousarray(sig.signal[self.start:])
        equity, trades, nt, kids, nc = simulate_nb(self.open_, self.high, self.low, self.close, s,
                                                   _tail(sig.stop, self.start, n), _tail(sig.target, self.start, n),
                                                   self.slip, self.params, self.volume, self.plan)
        return equity, trades, nt, kids, nc, metrics_nb(equity, trades, nt, self.init_cash, self.years)


def _tail(a: np.ndarray, start: int, n: int) -> np.ndarray:
    """``a[start:]`` for per-bar arrays; a length-1 (constant) array as is."""
    return a if len(a) == 1 and n != 1 else np.ascontiguousarray(a[start:])


def run_backtest(spec: BotSpec, frame: pd.DataFrame, settings: SimSettings | None = None,
                 overrides: Mapping[str, Any] | None = None, start: int = 0) -> BacktestResult:
    """Backtest a registered bot (with optional param ``overrides``) on ``frame``."""
    if getattr(spec.bot, "portfolio", False):
        raise PluginError(f"bot {spec.name} is a portfolio (intent) bot: replay it with 'tradefleet run --bot "
                          f"{spec.name}' (every gate, the fill model); target-weight bots also run in "
                          f"backtest.targets.backtest_targets")
    if spec.bot.event_driven or not spec.bot.supports_backtest:
        raise PluginError(f"bot {spec.name} is event-driven or declares no backtest support; "
                          f"it is replayed from recorded quotes instead")
    bot = spec.build(overrides)
    sig = signals_of(bot, frame, spec.name)
    return simulate(frame, sig, settings or SimSettings(), bot=spec.name, start=start,
                    params=bot.params.model_dump())
