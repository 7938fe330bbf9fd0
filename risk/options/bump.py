"""Greeks by central finite differences ("bump and reprice") of any pricer.

Used to check the analytic Black-Scholes Greeks, and to get vega and rho of American
options, where no closed form exists. A pricer is any vectorised function
``price(s, t, r, sigma) -> array``; the strike, kind, dividend yield and tree settings are
bound in beforehand (see :func:`bsm_bump_valuation` and :func:`binomial_bump_valuation`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tradefleet.risk.options.binomial import Method, Style, crr_price
from tradefleet.risk.options.bsm import FloatArray, FloatLike, KindLike, bsm_price
from tradefleet.risk.options.greeks import Valuation

PriceFn = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class BumpSizes:
    """Bump sizes: ``spot`` and ``time`` relative to the input, ``vol`` and ``rate`` absolute."""

    spot: float = 1e-4
    time: float = 1e-4
    vol: float = 1e-4
    rate: float = 1e-4


SMOOTH = BumpSizes()
# a lattice price is only piecewise smooth in its inputs (nodes move across the strike):
# bigger bumps average over that noise
LATTICE = BumpSizes(spot=1e-2, time=1e-2, vol=1e-3, rate=1e-3)


def bump_greeks(price: PriceFn, s: FloatLike, t: FloatLike, r: FloatLike, sigma: FloatLike,
                sizes: BumpSizes = SMOOTH) -> Valuation:
    """Return price, delta, gamma, theta, vega and rho of ``price`` by central differences."""
    s_, t_, r_, v_ = (np.asarray(x, dtype=np.float64) for x in (s, t, r, sigma))
    base = np.asarray(price(s_, t_, r_, v_), dtype=np.float64)
    hs = s_ * sizes.spot
    up, down = price(s_ + hs, t_, r_, v_), price(s_ - hs, t_, r_, v_)
    delta = (up - down) / (2.0 * hs)
    gamma = (up - 2.0 * base + down) / (hs * hs)
    ht = t_ * sizes.time
    theta = (price(s_, t_ - ht, r_, v_) - price(s_, t_ + ht, r_, v_)) / (2.0 * ht)
    vega = (price(s_, t_, r_, v_ + sizes.vol) - price(s_, t_, r_, v_ - sizes.vol)) / (2.0 * sizes.vol)
    rho = (price(s_, t_, r_ + sizes.rate, v_) - price(s_, t_, r_ - sizes.rate, v_)) / (2.0 * sizes.rate)
    shape = base.shape
    return Valuation(*(np.broadcast_to(np.asarray(a, dtype=np.float64), shape)
                       for a in (base, delta, gamma, theta, vega, rho)))


def bsm_bump_valuation(kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike, r: FloatLike,
                       sigma: FloatLike, q: FloatLike = 0.0, sizes: BumpSizes = SMOOTH) -> Valuation:
    """Return Black-Scholes-Merton price and Greeks computed by bumping."""
    def price(s_: FloatArray, t_: FloatArray, r_: FloatArray, v_: FloatArray) -> FloatArray:
        return bsm_price(kind, s_, k, t_, r_, v_, q)

    return bump_greeks(price, s, t, r, sigma, sizes)


def binomial_bump_valuation(kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike,
                            r: FloatLike, sigma: FloatLike, q: FloatLike = 0.0, steps: int = 500,
                            style: Style = "american", method: Method = "bbsr",
                            sizes: BumpSizes = LATTICE) -> Valuation:
    """Return binomial price and Greeks computed by bumping (the only route to American
    vega and rho)."""
    def price(s_: FloatArray, t_: FloatArray, r_: FloatArray, v_: FloatArray) -> FloatArray:
        return crr_price(kind, s_, k, t_, r_, v_, q, steps, style, method)

    return bump_greeks(price, s, t, r, sigma, sizes)
