"""Black-Scholes-Merton with a continuous dividend yield, vectorised with numpy.

Every function broadcasts its array arguments together, so one call prices a whole chain
or a million random contracts. ``kind`` is ``"call"``/``"put"``, a sequence of those, or a
boolean array (True = call). Time ``t`` is in years, rates and yields are continuously
compounded, ``sigma`` is annualised. Greeks follow the units of :mod:`tradefleet.risk.options.greeks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from tradefleet.risk.options.errors import OptionInputError
from tradefleet.risk.options.greeks import Valuation

OptionKind = Literal["call", "put"]
KindLike = str | Sequence[str] | npt.ArrayLike
FloatLike = float | npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def is_call_array(kind: KindLike) -> npt.NDArray[np.bool_]:
    """Turn ``"call"``/``"put"`` (or a sequence of them, or booleans) into a bool array."""
    if isinstance(kind, str):
        return np.asarray(_one_kind(kind))
    arr = np.asarray(kind)
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind == "U":  # the usual spelling, in one comparison each
        calls = arr == "call"
        if (calls | (arr == "put")).all():
            return calls
    if arr.dtype.kind in "UO":
        flat = [_one_kind(str(k)) for k in arr.ravel()]
        return np.asarray(flat, dtype=bool).reshape(arr.shape)
    raise OptionInputError(f"option kind must be 'call'/'put' or booleans, got dtype {arr.dtype}")


def _one_kind(kind: str) -> bool:
    k = kind.strip().lower()
    if k in ("call", "c"):
        return True
    if k in ("put", "p"):
        return False
    raise OptionInputError(f"option kind {kind!r}: use 'call' or 'put'")


def _inputs(s: FloatLike, k: FloatLike, t: FloatLike, r: FloatLike, sigma: FloatLike,
            q: FloatLike) -> tuple[FloatArray, ...]:
    arrs = tuple(np.asarray(x, dtype=np.float64) for x in (s, k, t, r, sigma, q))
    for name, a, strict in (("spot", arrs[0], True), ("strike", arrs[1], True),
                            ("expiry", arrs[2], True), ("vol", arrs[4], True)):
        if not np.all(a > 0):  # also catches NaN
            bad = a[~(a > 0)] if a.ndim else a
            raise OptionInputError(f"{name} must be > 0 and finite, got {float(np.ravel(bad)[0])!r}")
    for name, a in (("rate", arrs[3]), ("dividend", arrs[5])):
        if not np.all(np.isfinite(a)):
            raise OptionInputError(f"{name} must be finite")
    return arrs


def bsm_price(kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike, r: FloatLike,
              sigma: FloatLike, q: FloatLike = 0.0) -> FloatArray:
    """Return Black-Scholes-Merton prices (broadcast over all arguments)."""
    call = is_call_array(kind)
    s_, k_, t_, r_, v_, q_ = _inputs(s, k, t, r, sigma, q)
    sq = v_ * np.sqrt(t_)
    d1 = (np.log(s_ / k_) + (r_ - q_ + 0.5 * v_ * v_) * t_) / sq
    d2 = d1 - sq
    fs = s_ * np.exp(-q_ * t_)
    fk = k_ * np.exp(-r_ * t_)
    sign = np.where(call, 1.0, -1.0)
    return np.asarray(sign * (fs * ndtr(sign * d1) - fk * ndtr(sign * d2)), dtype=np.float64)


def bsm_valuation(kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike, r: FloatLike,
                  sigma: FloatLike, q: FloatLike = 0.0) -> Valuation:
    """Return prices and analytic Greeks (delta, gamma, theta, vega, rho) in one pass."""
    call = is_call_array(kind)
    s_, k_, t_, r_, v_, q_ = _inputs(s, k, t, r, sigma, q)
    sqrt_t = np.sqrt(t_)
    sq = v_ * sqrt_t
    d1 = (np.log(s_ / k_) + (r_ - q_ + 0.5 * v_ * v_) * t_) / sq
    d2 = d1 - sq
    sign = np.where(call, 1.0, -1.0)
    disc_q = np.exp(-q_ * t_)
    disc_r = np.exp(-r_ * t_)
    fs = s_ * disc_q
    fk = k_ * disc_r
    n1 = ndtr(sign * d1)          # N(d1) for calls, N(-d1) for puts
    n2 = ndtr(sign * d2)
    pdf1 = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    price = sign * (fs * n1 - fk * n2)
    delta = sign * disc_q * n1
    gamma = disc_q * pdf1 / (s_ * sq)
    vega = fs * pdf1 * sqrt_t
    theta = -fs * pdf1 * v_ / (2.0 * sqrt_t) + sign * (q_ * fs * n1 - r_ * fk * n2)
    rho = sign * k_ * t_ * disc_r * n2
    shape = np.broadcast(price, call).shape
    return Valuation(*(np.broadcast_to(np.asarray(a, dtype=np.float64), shape)
                       for a in (price, delta, gamma, theta, vega, rho)))


def no_arbitrage_bounds(kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike, r: FloatLike,
                        q: FloatLike = 0.0, american: bool = False) -> tuple[FloatArray, FloatArray]:
    """Return (lower, upper) model-free price bounds of European (or American) options.

    European call: ``max(S e^-qT - K e^-rT, 0) <= C <= S e^-qT``; put:
    ``max(K e^-rT - S e^-qT, 0) <= P <= K e^-rT``. American options add the intrinsic
    value to the lower bound and relax the upper bound to S (call) or K (put).
    """
    call = is_call_array(kind)
    s_, k_, t_, r_ = (np.asarray(x, dtype=np.float64) for x in (s, k, t, r))
    q_ = np.asarray(q, dtype=np.float64)
    fs, fk = s_ * np.exp(-q_ * t_), k_ * np.exp(-r_ * t_)
    lower = np.maximum(np.where(call, fs - fk, fk - fs), 0.0)
    upper = np.where(call, fs, fk)
    if american:
        lower = np.maximum(lower, np.maximum(np.where(call, s_ - k_, k_ - s_), 0.0))
        upper = np.where(call, s_, k_)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
