"""Value at Risk and Conditional VaR (expected shortfall), historical and parametric.

Conventions: inputs are *returns* (or P&L); outputs are *losses* as positive numbers, so
``VaR_a = -q_{1-a}(r)`` and ``CVaR_a = -E[r | r <= q_{1-a}(r)]``.

* Historical: the empirical quantile with numpy's default linear interpolation (the
  same as ``scipy.stats.mstats.mquantiles(alphap=1, betap=1)`` and pandas ``quantile``);
  CVaR is the mean of the returns at or below that quantile.
* Parametric (normal): ``VaR = -(mu + sigma z_{1-a})`` and
  ``CVaR = -(mu - sigma phi(z_{1-a}) / (1 - a))``.

:class:`PortfolioVar` measures a portfolio of linear positions given a (T, N) return
matrix and an N vector of signed exposures as fractions of equity. Option positions enter
as extra columns of scenario P&L per unit of premium weight (delta-gamma on their
underlying's returns, :meth:`PortfolioVar.with_columns`, :mod:`tradefleet.risk.options.scenarios`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
LEVELS = (0.95, 0.99)
_N = NormalDist()
_Z = {a: _N.inv_cdf(1.0 - a) for a in LEVELS}
_PDF = {a: _N.pdf(_Z[a]) for a in LEVELS}


def _z(alpha: float) -> tuple[float, float]:
    if alpha in _Z:
        return _Z[alpha], _PDF[alpha]
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {alpha}")
    z = _N.inv_cdf(1.0 - alpha)
    return z, _N.pdf(z)


def historical_var(returns: Array, alpha: float) -> float:
    """Return the historical VaR at confidence ``alpha`` (a positive loss)."""
    return -float(np.quantile(returns, 1.0 - alpha))


def historical_cvar(returns: Array, alpha: float) -> float:
    """Return the historical CVaR: minus the mean of returns at or below the VaR quantile."""
    r = np.asarray(returns, dtype=float)
    q = np.quantile(r, 1.0 - alpha)
    return -float(r[r <= q].mean())


def parametric_var(mu: float, sigma: float, alpha: float) -> float:
    """Return the normal VaR ``-(mu + sigma z_{1-alpha})``."""
    z, _ = _z(alpha)
    return -(mu + sigma * z)


def parametric_cvar(mu: float, sigma: float, alpha: float) -> float:
    """Return the normal CVaR ``-(mu - sigma phi(z) / (1 - alpha))``."""
    _, pdf = _z(alpha)
    return -(mu - sigma * pdf / (1.0 - alpha))


@dataclass(frozen=True)
class RiskMeasures:
    """VaR and CVaR at 95% and 99% by one method, as positive fractions of equity."""

    method: str
    var95: float
    var99: float
    cvar95: float
    cvar99: float

    def as_dict(self) -> dict[str, float]:
        return {"var95": self.var95, "var99": self.var99, "cvar95": self.cvar95, "cvar99": self.cvar99}


def _sorted_tail(s: Array, p: float) -> tuple[float, float]:
    """Return (VaR, CVaR) at tail probability ``p`` of an ascending sample ``s``: the
    quantile by linear interpolation (numpy's default) and minus the mean at or below it."""
    pos = (len(s) - 1) * p
    lo = int(pos)
    q = s[lo] + (pos - lo) * (s[min(lo + 1, len(s) - 1)] - s[lo])
    k = int(np.searchsorted(s, q, side="right"))
    return -float(q), -float(s[:k].sum()) / k


def _historical(r: Array) -> RiskMeasures:
    s = np.sort(r)
    v95, c95 = _sorted_tail(s, 0.05)
    v99, c99 = _sorted_tail(s, 0.01)
    return RiskMeasures("historical", v95, v99, c95, c99)


def _parametric(mu: float, sigma: float) -> RiskMeasures:
    return RiskMeasures("parametric", parametric_var(mu, sigma, 0.95), parametric_var(mu, sigma, 0.99),
                        parametric_cvar(mu, sigma, 0.95), parametric_cvar(mu, sigma, 0.99))


def measures(returns: Array, method: str) -> RiskMeasures:
    """Return the four measures of a return series by ``method``."""
    r = np.asarray(returns, dtype=float)
    if method == "historical":
        return _historical(r)
    if method == "parametric":
        return _parametric(float(r.mean()), float(r.std(ddof=1)) if r.size > 1 else 0.0)
    raise ValueError(f"unknown VaR method {method!r}; use historical or parametric")


class PortfolioVar:
    """Portfolio VaR / CVaR of linear exposures over a fixed return history."""

    def __init__(self, symbols: list[str], returns: Array) -> None:
        r = np.asarray(returns, dtype=float)
        if r.ndim != 2 or r.shape[1] != len(symbols):
            raise ValueError(f"returns shape {r.shape} does not match {len(symbols)} symbols")
        self.symbols = list(symbols)
        self.index = {s: i for i, s in enumerate(symbols)}
        self.returns = r
        self.mean = r.mean(axis=0) if r.shape[0] else np.zeros(len(symbols))
        self.cov = np.cov(r, rowvar=False).reshape(len(symbols), len(symbols)) if r.shape[0] > 1 \
            else np.zeros((len(symbols), len(symbols)))

    def weights(self, exposures: dict[str, float]) -> Array:
        """Return the weight vector of ``exposures`` (symbol -> signed fraction of equity);
        symbols without history are ignored (they cannot be measured)."""
        w = np.zeros(len(self.symbols))
        for sym, x in exposures.items():
            i = self.index.get(sym)
            if i is not None:
                w[i] += x
        return w

    def measure(self, w: Array, method: str) -> RiskMeasures:
        """Return the measures of the portfolio with weights ``w`` by ``method``."""
        if method == "parametric":
            return _parametric(float(self.mean @ w), math.sqrt(max(float(w @ self.cov @ w), 0.0)))
        return measures(self.returns @ w, method)

    def with_columns(self, extra: dict[str, Array]) -> PortfolioVar:
        """Return a copy with more scenario columns (e.g. options' delta-gamma P&L per unit
        weight, :mod:`tradefleet.risk.options.scenarios`); ``self`` when there are none."""
        if not extra:
            return self
        names = [s for s in extra if s not in self.index]
        cols = np.column_stack([np.asarray(extra[s], dtype=float) for s in names])
        return PortfolioVar(self.symbols + names, np.hstack([self.returns, cols]))

    def probe(self, base: Array) -> VarProbe:
        """Return a probe for cheap what-ifs of one-symbol changes to ``base``."""
        return VarProbe(self, base)


class VarProbe:
    """Measures of ``base + dw * e_j`` in O(T) (historical) and O(1) (parametric): the
    base portfolio's return series, covariance row products and variance are computed
    once, so a pre-trade check and its bisection cost a sort of T returns per step."""

    def __init__(self, pv: PortfolioVar, base: Array) -> None:
        self.pv = pv
        self.base = base
        self.series = pv.returns @ base
        self.cov_base = pv.cov @ base
        self.var_base = float(base @ self.cov_base)
        self.mu_base = float(pv.mean @ base)

    def shift(self, symbol: str, dw: float) -> bool:
        """Add ``dw`` to ``symbol``'s base weight in place; False if it is not measured."""
        pv = self.pv
        j = pv.index.get(symbol)
        if j is None:
            return False
        self.base[j] += dw
        self.series = self.series + dw * pv.returns[:, j]
        self.var_base += 2.0 * dw * float(self.cov_base[j]) + dw * dw * float(pv.cov[j, j])
        self.cov_base = self.cov_base + dw * pv.cov[:, j]
        self.mu_base += dw * float(pv.mean[j])
        return True

    def at(self, j: int, dw: float, method: str) -> RiskMeasures:
        """Return the measures after adding ``dw`` to the weight of symbol index ``j``."""
        pv = self.pv
        if method == "parametric":
            var = self.var_base + 2.0 * dw * float(self.cov_base[j]) + dw * dw * float(pv.cov[j, j])
            return _parametric(self.mu_base + dw * float(pv.mean[j]), math.sqrt(max(var, 0.0)))
        if method == "historical":
            return _historical(self.series + dw * pv.returns[:, j])
        raise ValueError(f"unknown VaR method {method!r}; use historical or parametric")
