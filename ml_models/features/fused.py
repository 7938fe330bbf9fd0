"""One-pass numba kernel computing every per-timeframe feature of :mod:`.featureset`.

It produces the same columns as composing the readable reference functions of
:mod:`.indicators` (tests check them against each other), but in one forward loop with
O(1) work per bar: running window sums (sliding Welford for standard deviations) and
EMA recursions. Row ``i`` depends only on rows ``<= i``. Inputs must be finite.
"""

from __future__ import annotations

import numpy as np
from numba import njit

N_COLUMNS = 16


@njit(cache=True, nogil=True)
def _ema_step(prev: float, x: float, alpha: float, seen: int) -> float:  # pragma: no cover - numba
    return x if seen == 0 else alpha * x + (1.0 - alpha) * prev


@njit(cache=True, nogil=True)
def block_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray,
               out: np.ndarray) -> None:  # pragma: no cover - numba
    """Fill ``out`` (shape ``(16, n)``, feature-major) with the per-timeframe features."""
    n = c.shape[0]
    out[:, :] = np.nan
    w14 = 1.0 / 14.0
    a12, a26, a9 = 2.0 / 13.0, 2.0 / 27.0, 2.0 / 10.0
    # running state
    s10 = s50 = 0.0            # sums of close (MA 10 / 50)
    bb_mean = bb_m2 = 0.0      # sliding Welford of close over 20
    vs20 = 0.0                 # sum of volume over 20
    flow = 0.0                 # sum of signed volume over 20
    r_mean20 = r_m2_20 = 0.0   # sliding Welford of 1-bar log return over 20
    r_mean60 = r_m2_60 = 0.0   # ... over 60
    ag = al = 0.0              # RSI Wilder averages
    e12 = e26 = sig = 0.0
    atr = 0.0                  # ATR (TR[0] = high - low)
    atr2 = pdm_s = mdm_s = adx = 0.0  # ADX chain (starts at bar 1)
    n_sig = n_adx = 0
    for i in range(n):
        ci = c[i]
        # --- moving averages of close
        s10 += ci
        if i >= 10:
            s10 -= c[i - 10]
        s50 += ci
        if i >= 50:
            s50 -= c[i - 50]
        if i >= 9:
            out[3, i] = ci / (s10 / 10.0) - 1.0
        if i >= 49:
            out[4, i] = ci / (s50 / 50.0) - 1.0
        # --- Bollinger width (sliding Welford over 20 closes)
        if i < 20:
            d = ci - bb_mean
            bb_mean += d / (i + 1)
            bb_m2 += d * (ci - bb_mean)
        else:
            old = c[i - 20]
            nm = bb_mean + (ci - old) / 20.0
            bb_m2 += (ci - old) * (ci - nm + old - bb_mean)
            bb_mean = nm
        if i >= 19:
            out[9, i] = 4.0 * np.sqrt(max(bb_m2, 0.0) / 19.0) / bb_mean
        # --- relative volume
        vs20 += v[i]
        if i >= 20:
            vs20 -= v[i - 20]
        if i >= 19:
            out[12, i] = np.log((v[i] + 1.0) / (vs20 / 20.0 + 1.0))
        # --- MACD (EMA12/26 from bar 0, signal from the first full line)
        e12 = _ema_step(e12, ci, a12, i)
        e26 = _ema_step(e26, ci, a26, i)
        if i >= 25:
            line = e12 - e26
            sig = _ema_step(sig, line, a9, n_sig)
            n_sig += 1
            out[6, i] = line / ci
            if n_sig >= 9:
                out[7, i] = (line - sig) / ci
        # --- ATR (true range with the first bar's previous close = its own close)
        pc = c[i - 1] if i > 0 else ci
        tr = max(h[i] - lo[i], max(abs(h[i] - pc), abs(lo[i] - pc)))
        atr = _ema_step(atr, tr, w14, i)
        if i >= 13:
            out[8, i] = atr / ci
        if i == 0:
            continue
        # --- returns
        r = np.log(ci / c[i - 1])
        out[0, i] = r
        if i >= 5:
            out[1, i] = np.log(ci / c[i - 5])
        if i >= 20:
            out[2, i] = np.log(ci / c[i - 20])
        # --- RSI (Wilder), first diff at bar 1
        diff = ci - c[i - 1]
        g = diff if diff > 0 else 0.0
        ls = -diff if diff < 0 else 0.0
        ag = _ema_step(ag, g, w14, i - 1)
        al = _ema_step(al, ls, w14, i - 1)
        if i >= 14:
            if al == 0.0:
                rsi = 50.0 if ag == 0.0 else 100.0
            else:
                rsi = 100.0 - 100.0 / (1.0 + ag / al)
            out[5, i] = rsi / 50.0 - 1.0
        # --- ADX / DI (Wilder), from bar 1
        up = h[i] - h[i - 1]
        dn = lo[i - 1] - lo[i]
        pdm = up if (up > dn and up > 0) else 0.0
        mdm = dn if (dn > up and dn > 0) else 0.0
        atr2 = _ema_step(atr2, tr, w14, i - 1)
        pdm_s = _ema_step(pdm_s, pdm, w14, i - 1)
        mdm_s = _ema_step(mdm_s, mdm, w14, i - 1)
        if i >= 14:
            pdi = 100.0 * pdm_s / atr2 if atr2 > 0 else 0.0
            mdi = 100.0 * mdm_s / atr2 if atr2 > 0 else 0.0
            tot = pdi + mdi
            dx = 100.0 * abs(pdi - mdi) / tot if tot > 0 else 0.0
            adx = _ema_step(adx, dx, w14, n_adx)
            n_adx += 1
            out[11, i] = (pdi - mdi) / 100.0
            if n_adx >= 14:
                out[10, i] = adx / 100.0
        # --- OBV flow over 20 signed volumes (bars 1..)
        step = (1.0 if diff > 0 else (-1.0 if diff < 0 else 0.0)) * v[i]
        flow += step
        if i >= 21:
            d0 = c[i - 20] - c[i - 21]
            flow -= (1.0 if d0 > 0 else (-1.0 if d0 < 0 else 0.0)) * v[i - 20]
        if i >= 20:
            out[13, i] = flow / vs20 if vs20 > 0 else 0.0
        # --- realised vol over 20 and 60 returns (sliding Welford; returns start at bar 1)
        k = i - 1  # index of r among returns
        if k < 20:
            d = r - r_mean20
            r_mean20 += d / (k + 1)
            r_m2_20 += d * (r - r_mean20)
        else:
            old = np.log(c[i - 20] / c[i - 21])
            nm = r_mean20 + (r - old) / 20.0
            r_m2_20 += (r - old) * (r - nm + old - r_mean20)
            r_mean20 = nm
        if k < 60:
            d = r - r_mean60
            r_mean60 += d / (k + 1)
            r_m2_60 += d * (r - r_mean60)
        else:
            old = np.log(c[i - 60] / c[i - 61])
            nm = r_mean60 + (r - old) / 60.0
            r_m2_60 += (r - old) * (r - nm + old - r_mean60)
            r_mean60 = nm
        if k >= 19:
            vol20 = np.sqrt(max(r_m2_20, 0.0) / 19.0)
            out[14, i] = vol20
            if k >= 59:
                vol60 = np.sqrt(max(r_m2_60, 0.0) / 59.0)
                out[15, i] = np.log(vol20 / vol60) if vol60 > 0 and vol20 > 0 else 0.0


def block(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray,
          dtype: type = np.float64) -> np.ndarray:
    """Return the ``(16, n)`` feature-major matrix (row order of ``PER_TIMEFRAME``)."""
    out = np.empty((N_COLUMNS, c.shape[0]), dtype=dtype)
    block_into(h, lo, c, v, out)
    return out


@njit(cache=True, nogil=True)
def gather_into(values: np.ndarray, pos: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - numba
    """Set ``out[:, i] = values[:, pos[i]]`` (NaN where ``pos[i] < 0``), feature-major."""
    for r in range(out.shape[0]):
        for i in range(pos.shape[0]):
            p = pos[i]
            out[r, i] = values[r, p] if p >= 0 else np.nan
