"""The return-based view of the market the risk engine sizes against, cached.

One :class:`MarketModel` holds, for a universe of symbols (the instruments held plus
the ones bots trade), the aligned matrix of recent one-bar returns and what is derived
from it: HRP multipliers, correlated clusters and a :class:`~tradefleet.risk.var.PortfolioVar`.
Building it costs milliseconds, so the gate rebuilds it only when the universe gains a
symbol or ``refresh_seconds`` of clock time have passed, never per signal. A rebuild takes
the closes as they stand at that instant (a copy of each symbol's last ``lookback + 1``)
and derives the rest when something first reads it: a week without a signal or a report
never computes VaR, HRP or clusters, and what is derived is what an eager rebuild at that
instant would have derived.

Alignment: each symbol contributes its last ``lookback`` returns; the matrix keeps the
common tail length (bars are assumed synchronous across symbols of one fleet). Symbols
with fewer than 20 returns, or flat prices, are left out: they get an HRP multiplier of
1, form their own cluster and are invisible to VaR (the report lists them as
``unmeasured``).

Clusters are the connected components of the graph "rho > threshold", which is exactly
single-linkage clustering cut at the correlation distance ``sqrt((1 - threshold) / 2)``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.pipeline.gate import MarketView
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.var import Array, PortfolioVar

MIN_RETURNS = 20


class MarketModel:
    """Returns, HRP multipliers, clusters and VaR for a universe of symbols."""

    def __init__(self, config: PortfolioRiskConfig) -> None:
        self.config = config
        self.built_ns: int | None = None
        self._symbols: list[str] = []
        self._unmeasured: list[str] = []
        self._multiplier: dict[str, float] = {}
        self._cluster_of: dict[str, int] = {}
        self._members: dict[int, list[str]] = {}
        self._var: PortfolioVar | None = None
        self._corr: Array = np.zeros((0, 0))
        self._universe: set[str] = set()
        self._pending: tuple[list[str], dict[str, Array]] | None = None  # closes taken, not yet derived
        self._lock = threading.Lock()

    # -- what is derived (from the closes of the last rebuild, on first read) ---------------
    @property
    def symbols(self) -> list[str]:
        """The measured symbols, sorted."""
        self._derive_pending()
        return self._symbols

    @property
    def unmeasured(self) -> list[str]:
        """Symbols of the universe too short or too flat to measure."""
        self._derive_pending()
        return self._unmeasured

    @property
    def multiplier(self) -> dict[str, float]:
        self._derive_pending()
        return self._multiplier

    @property
    def cluster_of(self) -> dict[str, int]:
        self._derive_pending()
        return self._cluster_of

    @property
    def members(self) -> dict[int, list[str]]:
        self._derive_pending()
        return self._members

    @property
    def var(self) -> PortfolioVar | None:
        self._derive_pending()
        return self._var

    @property
    def corr(self) -> Array:
        self._derive_pending()
        return self._corr

    def needs_refresh(self, now_ns: int, universe: Iterable[str]) -> bool:
        """True when the model is missing a symbol or older than the refresh period."""
        if self.built_ns is None:
            return True
        refresh_ns = int(self.config.hrp.refresh_seconds * NS)
        if now_ns - self.built_ns >= refresh_ns:
            return True
        return any(s not in self._universe for s in universe)

    def rebuild(self, market: MarketView, universe: Iterable[str], now_ns: int) -> None:
        """Take the last closes of ``universe`` now; everything else is derived from them
        when first read."""
        universe = sorted(set(universe))
        self._universe = set(universe)
        self.built_ns = now_ns
        lookback = max(self.config.var.lookback, self.config.hrp.lookback, self.config.correlation.lookback)
        copy = getattr(market, "close_array", None)  # a copy, without a list in between
        if copy is not None:
            closes = {sym: copy(sym, lookback + 1) for sym in universe}
        else:
            closes = {sym: np.asarray(market.closes(sym, lookback + 1), dtype=float) for sym in universe}
        self._pending = (universe, closes)

    def _derive_pending(self) -> None:
        if self._pending is not None:
            with self._lock:  # a report read from another thread waits for the one derivation
                if self._pending is not None:
                    self._measure(*self._pending)
                    self._pending = None

    def _measure(self, universe: list[str], closes: dict[str, Array]) -> None:
        series: dict[str, Array] = {}
        for sym in universe:
            c = closes[sym]
            if len(c) > MIN_RETURNS and np.all(c > 0):
                r = c[1:] / c[:-1] - 1.0
                if r.std() > 0:
                    series[sym] = r
        n = min((len(r) for r in series.values()), default=0)
        # a symbol flat over the shortest window any measure uses cannot be measured either
        window = min(n, self.config.var.lookback, self.config.hrp.lookback, self.config.correlation.lookback)
        self._symbols = sorted(s for s in series if series[s][-window:].std() > 0)
        self._unmeasured = [s for s in universe if s not in self._symbols]
        matrix = np.column_stack([series[s][-n:] for s in self._symbols]) if self._symbols else np.zeros((0, 0))
        from tradefleet.risk.hrp import single_thread_blas

        with single_thread_blas():
            self._derive(matrix)

    def _derive(self, matrix: Array) -> None:
        cfg = self.config
        self._multiplier, self._cluster_of, self._members = {}, {}, {}
        k = len(self._symbols)
        if k == 0:
            self._var, self._corr = None, np.zeros((0, 0))
            self._singletons()
            return
        self._var = PortfolioVar(self._symbols, matrix[-cfg.var.lookback:])
        self._corr = np.corrcoef(matrix[-cfg.correlation.lookback:], rowvar=False).reshape(k, k)
        if k >= 2 and cfg.hrp.enabled:
            from tradefleet.risk.hrp import hrp_multipliers

            try:
                mult = hrp_multipliers(matrix[-cfg.hrp.lookback:], cfg.hrp.max_multiplier)
            except ValueError:  # degenerate window: size without HRP rather than fail the signal
                mult = np.ones(k)
            self._multiplier = dict(zip(self._symbols, mult.tolist(), strict=True))
        self._cluster(k)
        self._singletons()

    def _cluster(self, k: int) -> None:
        # connected components of rho > threshold (union-find): single linkage at that cut
        parent = list(range(k))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        rows, cols = np.nonzero(np.triu(self._corr > self.config.correlation.threshold, 1))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            parent[find(i)] = find(j)
        for i, sym in enumerate(self._symbols):
            self._cluster_of[sym] = find(i)
            self._members.setdefault(find(i), []).append(sym)

    def _singletons(self) -> None:
        next_id = len(self._symbols)
        for sym in self._unmeasured:
            self._cluster_of[sym] = next_id
            self._members[next_id] = [sym]
            next_id += 1

    def hrp_multiplier(self, symbol: str) -> float:
        """Return the HRP size multiplier of ``symbol`` (1 when not measured)."""
        return self.multiplier.get(symbol, 1.0)

    def cluster(self, symbol: str) -> list[str]:
        """Return the symbols correlated with ``symbol`` (itself included)."""
        cid = self.cluster_of.get(symbol)
        return self.members.get(cid, [symbol]) if cid is not None else [symbol]
