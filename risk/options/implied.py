"""Implied volatility: the sigma at which the model price equals a quoted price.

European options use a bracketed Newton iteration on the analytic vega (each Newton step
that would leave the current bracket is replaced by bisection), vectorised over a whole
chain; anything still unconverged after ``max_iter`` goes to :func:`scipy.optimize.brentq`
on the final bracket. American options are solved with Brent's method on the binomial
price (its vega is not analytic). A price outside the no-arbitrage bounds has no implied
volatility: :class:`~tradefleet.risk.options.errors.ImpliedVolError` names the price and the bounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tradefleet.risk.options.binomial import Method, Style, crr_price
from tradefleet.risk.options.bsm import (
    FloatArray,
    FloatLike,
    KindLike,
    bsm_price,
    bsm_valuation,
    is_call_array,
    no_arbitrage_bounds,
)
from tradefleet.risk.options.errors import ImpliedVolError, OptionInputError

VOL_MIN = 1e-6
VOL_MAX = 20.0


def implied_vol(price: float, kind: str, s: float, k: float, t: float, r: float, q: float = 0.0,
                style: Style = "european", steps: int = 500, method: Method = "bbsr",
                tol: float = 1e-12) -> float:
    """Return the implied volatility of one option, or raise ImpliedVolError."""
    if style == "european":
        return float(implied_vol_array(price, kind, s, k, t, r, q, tol=tol, errors="raise")[()])
    if style != "american":
        raise OptionInputError(f"style {style!r}: use 'european' or 'american'")
    lower, upper = _bounds_or_raise(price, kind, s, k, t, r, q, american=True)

    def f(sigma: float) -> float:
        return float(crr_price(kind, s, k, t, r, sigma, q, steps, "american", method)[()]) - price

    # a CRR tree needs sigma * sqrt(dt) > |r - q| dt (probabilities in (0, 1)); the
    # Richardson half tree has the larger dt
    floor = max(1e-4, 1.5 * abs(r - q) * math.sqrt(2.0 * t / steps))
    lo, hi = _bracket(f, price, kind, lower, upper, floor)
    from scipy.optimize import brentq

    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=200))


def _bounds_or_raise(price: float, kind: str, s: float, k: float, t: float, r: float, q: float,
                     american: bool) -> tuple[float, float]:
    lo, hi = (float(b[()]) for b in no_arbitrage_bounds(kind, s, k, t, r, q, american))
    if not math.isfinite(price) or not lo < price < hi:
        raise ImpliedVolError(
            f"no implied volatility: {'American' if american else 'European'} {kind} price "
            f"{price:.6g} is outside the no-arbitrage bounds ({lo:.6g}, {hi:.6g}) "
            f"for S={s:g} K={k:g} T={t:g} r={r:g} q={q:g}", price, lo, hi)
    return lo, hi


def _bracket(fn: Callable[[float], float], price: float, kind: str, lower: float, upper: float,
             floor: float) -> tuple[float, float]:
    """Return (lo, hi) with fn(lo) <= 0 <= fn(hi), doubling hi up to VOL_MAX."""
    lo, hi = floor, 2.0
    if fn(lo) > 0:
        raise ImpliedVolError(f"no implied volatility: {kind} price {price:.6g} is below the model "
                              f"price at vol {floor:g} (bounds ({lower:.6g}, {upper:.6g}))",
                              price, lower, upper)
    while fn(hi) < 0:
        if hi >= VOL_MAX:
            raise ImpliedVolError(f"no implied volatility: {kind} price {price:.6g} needs a vol above "
                                  f"{VOL_MAX:g} (bounds ({lower:.6g}, {upper:.6g}))", price, lower, upper)
        lo, hi = hi, min(hi * 2.0, VOL_MAX)
    return lo, hi


def implied_vol_array(price: FloatLike, kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike,
                      r: FloatLike, q: FloatLike = 0.0, tol: float = 1e-12, max_iter: int = 60,
                      errors: str = "nan") -> FloatArray:
    """Return European implied vols for a batch (broadcast), NaN where none exists.

    ``errors="raise"`` raises ImpliedVolError for the first price without a solution.
    """
    call = is_call_array(kind)
    arrs = np.broadcast_arrays(np.asarray(price, dtype=np.float64), call, *(
        np.asarray(x, dtype=np.float64) for x in (s, k, t, r, q)))
    p, c, s_, k_, t_, r_, q_ = (np.ascontiguousarray(a).ravel() for a in arrs)
    lower, upper = no_arbitrage_bounds(c, s_, k_, t_, r_, q_)
    ok = np.isfinite(p) & (p > lower) & (p < upper)
    lo = np.full(p.shape, VOL_MIN)
    hi = np.full(p.shape, VOL_MAX)
    ok &= bsm_price(c, s_, k_, t_, r_, lo, q_) < p
    ok &= bsm_price(c, s_, k_, t_, r_, hi, q_) > p
    if errors == "raise" and not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        _bounds_or_raise(float(p[i]), "call" if c[i] else "put", float(s_[i]), float(k_[i]),
                         float(t_[i]), float(r_[i]), float(q_[i]), american=False)
        raise ImpliedVolError(f"no implied volatility in [{VOL_MIN:g}, {VOL_MAX:g}] for price {p[i]:.6g}",
                              float(p[i]), float(lower[i]), float(upper[i]))
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(ok)
    if idx.size:
        out[idx] = _solve(p[idx], c[idx], s_[idx], k_[idx], t_[idx], r_[idx], q_[idx], tol, max_iter)
    return out.reshape(arrs[0].shape)


def _solve(p: FloatArray, c: FloatArray, s: FloatArray, k: FloatArray, t: FloatArray,
           r: FloatArray, q: FloatArray, tol: float, max_iter: int) -> FloatArray:
    """Bracketed Newton over all elements; Brent on the bracket for the stragglers."""
    lo, hi = np.full(p.shape, VOL_MIN), np.full(p.shape, VOL_MAX)
    fwd = s * np.exp((r - q) * t)
    x = np.clip(np.sqrt(2.0 * np.abs(np.log(fwd / k)) / t), 0.05, 1.0)  # Manaster-Koehler start
    done = np.zeros(p.shape, dtype=bool)
    for _ in range(max_iter):
        val = bsm_valuation(c, s, k, t, r, x, q)
        f = val.price - p
        done |= np.abs(f) <= tol * np.maximum(1.0, p)
        if done.all():
            break
        hi = np.where(f > 0, x, hi)
        lo = np.where(f < 0, x, lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = x - f / val.vega
        inside = (step > lo) & (step < hi) & np.isfinite(step)
        x = np.where(done, x, np.where(inside, step, 0.5 * (lo + hi)))
    if not done.all():
        from scipy.optimize import brentq

        for i in np.flatnonzero(~done):
            def g(v: float, i: int = int(i)) -> float:
                return float(bsm_price(bool(c[i]), s[i], k[i], t[i], r[i], v, q[i])) - float(p[i])
            x[i] = brentq(g, lo[i], hi[i], xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return x
