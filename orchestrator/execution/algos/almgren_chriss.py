"""Almgren-Chriss: the mean-variance optimal schedule under linear impact.

With ``X`` units to trade in ``N`` slices of ``tau`` seconds, price volatility ``sigma``
(currency per unit per sqrt(second)), temporary impact ``eta`` (currency per unit per unit
traded per second), permanent impact ``gamma`` (currency per unit per unit) and risk
aversion ``lambda`` (per currency of variance), the optimal holdings after slice ``j`` are
(Almgren and Chriss, "Optimal execution of portfolio transactions", 2000, eq. 18)::

    x_j = X * sinh(kappa * (T - t_j)) / sinh(kappa * T),   t_j = j * tau,  T = N * tau
    cosh(kappa * tau) = 1 + tau^2 * lambda * sigma^2 / (2 * eta_tilde)
    eta_tilde = eta - gamma * tau / 2

``lambda = 0`` gives the straight line (TWAP); larger ``lambda`` trades sooner. The
expected cost and its variance of a schedule are :func:`cost_moments`.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from tradefleet.orchestrator.execution.algos.base import ImpactParams, MarketView, ParentState
from tradefleet.orchestrator.execution.algos.schedule import ScheduledAlgo

FloatArray = npt.NDArray[np.float64]


def ac_kappa(sigma: float, params: ImpactParams, risk_aversion: float, tau: float) -> float:
    """Return the urgency ``kappa`` (per second)."""
    k2 = risk_aversion * sigma * sigma / params.eta_tilde(tau)
    if k2 <= 0:
        return 0.0
    return math.acosh(1.0 + 0.5 * k2 * tau * tau) / tau


def ac_holdings(quantity: float, slices: int, tau: float, sigma: float, params: ImpactParams,
                risk_aversion: float) -> FloatArray:
    """Return the optimal holdings ``x_0 = X, ..., x_N = 0`` (length ``slices + 1``)."""
    t = np.arange(slices + 1, dtype=np.float64) * tau
    horizon = slices * tau
    kappa = ac_kappa(sigma, params, risk_aversion, tau)
    if kappa * horizon < 1e-9:
        return quantity * (1.0 - t / horizon)
    if kappa * horizon > 700:  # sinh overflows: use the ratio of exponentials
        return quantity * np.exp(-kappa * t) * (1 - np.exp(-2 * kappa * (horizon - t))) / (1 - np.exp(-2 * kappa * horizon))
    return quantity * np.sinh(kappa * (horizon - t)) / np.sinh(kappa * horizon)


def cost_moments(holdings: FloatArray, tau: float, sigma: float, params: ImpactParams) -> tuple[float, float]:
    """Return (expected cost, variance) of trading along ``holdings`` (AC 2000, eqs. 8-9)."""
    x = np.asarray(holdings, dtype=np.float64)
    n = -np.diff(x)
    quantity = float(x[0])
    expected = (0.5 * params.gamma * quantity * quantity + params.epsilon * float(np.abs(n).sum())
                + params.eta_tilde(tau) / tau * float((n * n).sum()))
    variance = sigma * sigma * tau * float((x[1:] ** 2).sum())
    return expected, variance


class AlmgrenChrissAlgo(ScheduledAlgo):
    """The optimal schedule for the parent's impact parameters and risk aversion.

    The parent's ``impact`` holds the coefficients its impact model estimated when it
    started (stored with the parent); ``view.volatility`` is the price volatility.
    """

    name: ClassVar[str] = "almgren-chriss"

    def plan(self, parent: ParentState, view: MarketView) -> tuple[float, ...]:
        spec = parent.spec
        params = parent.impact or ImpactParams(eta=1e-9)
        x = ac_holdings(1.0, spec.slices(), spec.interval_s, max(view.volatility, 0.0), params, spec.risk_aversion)
        sent = 1.0 - x[1:]
        sent[-1] = 1.0
        return tuple(float(v) for v in np.maximum.accumulate(sent))
