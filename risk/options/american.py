"""Bjerksund-Stensland (2002) closed-form approximation of American option prices.

Fast enough to mark a whole option book every bar (a few microseconds per option,
vectorised over the batch), where the binomial tree (:mod:`tradefleet.risk.options.binomial`) is kept
for quotes and for checking this approximation. Reference: P. Bjerksund and G. Stensland,
"Closed Form Valuation of American Options", NHH discussion paper, 2002; the formulae
follow E. G. Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed., §3.1.3.

The two-step flat exercise boundary splits the life at ``t1 = (sqrt(5) - 1) / 2 * T``.
Puts come from the call formula by the put-call transformation
``P(S, K, T, r, b, v) = C(K, S, T, r - b, -b, v)`` with cost of carry ``b = r - q``.
A call with ``b >= r`` (no dividend) is never exercised early and is priced by
Black-Scholes-Merton. The approximation is a lower bound of the true American price,
within a few cents of a 2,000-step tree for usual inputs (tests pin the tolerance).

The bivariate normal distribution is evaluated with a 12-point Gauss-Legendre rule (as in Genz, 2004)
on Drezner-Wesolowsky's single-integral form, valid here because the correlation
``sqrt(t1 / T)`` is the constant 0.786 (the rule needs |rho| < 0.925).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from tradefleet.risk.options.bsm import FloatArray, FloatLike, KindLike, _inputs, bsm_price, is_call_array
from tradefleet.risk.options.bump import SMOOTH, BumpSizes
from tradefleet.risk.options.greeks import Valuation

_T1_SHARE = 0.5 * (np.sqrt(5.0) - 1.0)
_RHO = float(np.sqrt(_T1_SHARE))
_GL_X, _GL_W = np.polynomial.legendre.leggauss(12)


def bivariate_normal_cdf(a: FloatLike, b: FloatLike, rho: float) -> FloatArray:
    """Return ``P(X < a, Y < b)`` for standard normals with correlation ``rho`` (|rho| < 0.925)."""
    if not abs(rho) < 0.925:
        raise ValueError(f"bivariate_normal_cdf: |rho| = {abs(rho)} outside the rule's range (< 0.925)")
    return _bvn(a, b, *_nodes(rho))


def _nodes(rho: float) -> tuple[float, FloatArray]:
    """``arcsin(rho)`` and the rule's nodes ``sin(arcsin(rho) (1 + x) / 2)``."""
    asr = np.arcsin(rho)
    return asr, np.sin(asr * (1.0 + _GL_X) / 2.0)


def _bvn(a: FloatLike, b: FloatLike, asr: FloatLike, sn: FloatArray) -> FloatArray:
    """The rule for ``arcsin(rho)`` = ``asr`` with nodes ``sn`` (both may vary by leading
    axis: ``asr`` broadcast against ``a``, ``sn`` with the nodes as its last axis)."""
    h = -np.asarray(a, dtype=np.float64)
    k = -np.asarray(b, dtype=np.float64)
    hk = (h * k)[..., None]
    hs = ((h * h + k * k) / 2.0)[..., None]
    integral = (np.exp((sn * hk - hs) / (1.0 - sn * sn)) * _GL_W).sum(axis=-1)
    return np.asarray(integral * asr / (4.0 * np.pi) + ndtr(-h) * ndtr(-k), dtype=np.float64)


# at most this many early-exercisable options priced as stacked terms (above it the stacked
# temporaries outgrow the cache: measured 0.5x the term-by-term time at 32 options, 0.9x
# at 200, 1.0x at 256, 1.3x at 4,500)
_STACK_MAX = 200
# psi's four bivariate terms in one batch: correlation +rho, +rho, -rho, -rho
_PSI_ASR, _PSI_SN = (np.stack(x) for x in zip(_nodes(_RHO), _nodes(_RHO), _nodes(-_RHO), _nodes(-_RHO), strict=True))


def _phi(s: FloatArray, t: FloatArray, gamma: FloatArray | float, h: FloatArray, i: FloatArray,
         r: FloatArray, b: FloatArray, v: FloatArray) -> FloatArray:
    """Haug's phi over the n options: of one (gamma, h) term, or of a stack of them (rows of
    shape (terms, n))."""
    v2 = v * v
    lam = (-r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2) * t
    sq = v * np.sqrt(t)
    d = -(np.log(s / h) + (b + (gamma - 0.5) * v2) * t) / sq
    kappa = 2.0 * b / v2 + 2.0 * gamma - 1.0
    return np.exp(lam) * s ** gamma * (ndtr(d) - (i / s) ** kappa * ndtr(d - 2.0 * np.log(i / s) / sq))


def _ksi(s: FloatArray, t2: FloatArray, gamma: FloatArray | float, h: FloatArray, i2: FloatArray,
         i1: FloatArray, t1: FloatArray, r: FloatArray, b: FloatArray, v: FloatArray) -> FloatArray:
    """Haug's psi over the n options, of one term or a stack of them (as :func:`_phi`); its
    four bivariate normals in one batch for a stack of terms, one by one for a single term."""
    v2 = v * v
    drift = b + (gamma - 0.5) * v2
    s1, s2 = v * np.sqrt(t1), v * np.sqrt(t2)
    e1 = (np.log(s / i1) + drift * t1) / s1
    e2 = (np.log(i2 * i2 / (s * i1)) + drift * t1) / s1
    e3 = (np.log(s / i1) - drift * t1) / s1
    e4 = (np.log(i2 * i2 / (s * i1)) - drift * t1) / s1
    f1 = (np.log(s / h) + drift * t2) / s2
    f2 = (np.log(i2 * i2 / (s * h)) + drift * t2) / s2
    f3 = (np.log(i1 * i1 / (s * h)) + drift * t2) / s2
    f4 = (np.log(s * i1 * i1 / (h * i2 * i2)) + drift * t2) / s2
    lam = -r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2
    kappa = 2.0 * b / v2 + (2.0 * gamma - 1.0)
    if np.ndim(h) > 1:  # stacked terms (a small batch): one more axis stays small too
        lead = (4,) + (1,) * e1.ndim
        m = _bvn(np.stack([-e1, -e2, -e3, -e4]), np.stack([-f1, -f2, -f3, -f4]), _PSI_ASR.reshape(lead),
                 _PSI_SN.reshape(lead + (-1,)))
    else:
        pairs = ((e1, f1), (e2, f2), (e3, f3), (e4, f4))
        m = [_bvn(-e, -f, _PSI_ASR[j], _PSI_SN[j]) for j, (e, f) in enumerate(pairs)]
    return np.exp(lam * t2) * s ** gamma * (
        m[0] - (i2 / s) ** kappa * m[1]
        - (i1 / s) ** kappa * m[2] + (i1 / i2) ** kappa * m[3])


def _call_2002(s: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray, b: FloatArray,
               v: FloatArray) -> FloatArray:
    """The American call (cost of carry ``b``); every input is an array of one shape."""
    european = bsm_price("call", s, k, t, r, v, r - b)
    early = b < r
    if not np.any(early):
        return european
    out = european.copy()
    s, k, t, r, b, v = (x[early] for x in (s, k, t, r, b, v))
    v2 = v * v
    t1 = _T1_SHARE * t
    beta = (0.5 - b / v2) + np.sqrt((b / v2 - 0.5) ** 2 + 2.0 * r / v2)
    b_inf = beta / (beta - 1.0) * k
    b0 = np.maximum(k, r / (r - b) * k)
    ht1 = -(b * t1 + 2.0 * v * np.sqrt(t1)) * k * k / ((b_inf - b0) * b0)
    ht2 = -(b * t + 2.0 * v * np.sqrt(t)) * k * k / ((b_inf - b0) * b0)
    i1 = b0 + (b_inf - b0) * (1.0 - np.exp(ht1))
    i2 = b0 + (b_inf - b0) * (1.0 - np.exp(ht2))
    a1 = (i1 - k) * i1 ** (-beta)
    a2 = (i2 - k) * i2 ** (-beta)
    # the eleven phi and psi terms: on a small batch (a chain) each function's terms are rows
    # of one array, so the formula's few hundred array operations are paid twice, not eleven
    # times; a large one (a book with its bumps) goes term by term, where the stacked
    # temporaries would outgrow the cache. Every element is computed by the same operations
    # either way.
    phi_terms = ((beta, i2), (1.0, i2), (1.0, i1), (0.0, i2), (0.0, i1), (beta, i1))  # (gamma, h)
    ksi_terms = ((beta, i1), (1.0, i1), (1.0, k), (0.0, i1), (0.0, k))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if s.size <= _STACK_MAX:
            phi = _phi(s, t1, *_rows(phi_terms, s.shape), i2, r, b, v)
            ksi = _ksi(s, t, *_rows(ksi_terms, s.shape), i2, i1, t1, r, b, v)
        else:
            phi = [_phi(s, t1, g, h, i2, r, b, v) for g, h in phi_terms]
            ksi = [_ksi(s, t, g, h, i2, i1, t1, r, b, v) for g, h in ksi_terms]
        value = (a2 * s ** beta - a2 * phi[0]
                 + phi[1] - phi[2]
                 - k * phi[3] + k * phi[4]
                 + a1 * phi[5] - a1 * ksi[0]
                 + ksi[1] - ksi[2]
                 - k * ksi[3] + k * ksi[4])
    exercised = s >= i2
    value = np.where(exercised, s - k, value)
    # never below the European value nor the intrinsic value (guards the far tails,
    # where the formula's terms cancel to rounding error)
    out[early] = np.maximum(np.maximum(value, out[early]), s - k)
    return out


def _rows(terms: tuple[tuple[FloatArray | float, FloatArray], ...], shape: tuple[int, ...]
          ) -> tuple[FloatArray, FloatArray]:
    """The terms' gammas and h as two arrays of one row per term."""
    return np.stack([np.broadcast_to(g, shape) for g, _ in terms]), np.stack([h for _, h in terms])


def bjerksund_stensland_price(kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike, r: FloatLike,
                              sigma: FloatLike, q: FloatLike = 0.0) -> FloatArray:
    """Return Bjerksund-Stensland (2002) American prices (broadcast over all arguments)."""
    call = is_call_array(kind)
    s_, k_, t_, r_, v_, q_ = _inputs(s, k, t, r, sigma, q)
    arrs = np.broadcast_arrays(call, s_, k_, t_, r_, v_, q_)
    call_b, s_, k_, t_, r_, v_, q_ = (np.array(a, dtype=a.dtype) for a in arrs)
    b_ = r_ - q_
    # calls and puts in one batch, each put through the put-call transformation (the
    # formula is a few hundred array operations: one batch of a whole chain pays them once;
    # every element is computed by the same operations as in a batch of its own kind)
    return _call_2002(np.where(call_b, s_, k_), np.where(call_b, k_, s_), t_,
                      np.where(call_b, r_, r_ - b_), np.where(call_b, b_, -b_), v_)


def bjerksund_stensland_valuation(kind: KindLike, s: FloatLike, k: FloatLike, t: FloatLike, r: FloatLike,
                                  sigma: FloatLike, q: FloatLike = 0.0,
                                  sizes: BumpSizes = SMOOTH) -> Valuation:
    """Return Bjerksund-Stensland prices and Greeks by central differences of the formula.

    All eleven bumped inputs are stacked into one batch and priced in one call (the
    formula is a few hundred array operations; one large batch amortises them), so the
    result equals :func:`tradefleet.risk.options.bump.bump_greeks` on the same pricer.
    """
    call = is_call_array(kind)
    arrs = np.broadcast_arrays(call, *(np.asarray(x, dtype=np.float64) for x in (s, k, t, r, sigma, q)))
    call_b, s_, k_, t_, r_, v_, q_ = (np.ravel(a) for a in arrs)
    shape = arrs[0].shape
    hs, ht = s_ * sizes.spot, t_ * sizes.time
    dv, dr = sizes.vol, sizes.rate
    # rows: base, s+, s-, t-, t+, v+, v-, r+, r-
    S = np.concatenate([s_, s_ + hs, s_ - hs, s_, s_, s_, s_, s_, s_])
    T = np.concatenate([t_, t_, t_, t_ - ht, t_ + ht, t_, t_, t_, t_])
    V = np.concatenate([v_, v_, v_, v_, v_, v_ + dv, v_ - dv, v_, v_])
    R = np.concatenate([r_, r_, r_, r_, r_, r_, r_, r_ + dr, r_ - dr])
    rows = bjerksund_stensland_price(np.tile(call_b, 9), S, np.tile(k_, 9), T, R, V,
                                     np.tile(q_, 9)).reshape(9, -1)
    base, up, down, t_dn, t_up, v_up, v_dn, r_up, r_dn = rows
    out = (base, (up - down) / (2.0 * hs), (up - 2.0 * base + down) / (hs * hs),
           (t_dn - t_up) / (2.0 * ht), (v_up - v_dn) / (2.0 * dv), (r_up - r_dn) / (2.0 * dr))
    return Valuation(*(np.asarray(a, dtype=np.float64).reshape(shape) for a in out))
