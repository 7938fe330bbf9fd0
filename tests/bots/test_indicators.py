"""Indicators against straightforward pandas / hand-rolled reference implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradefleet.bots import indicators as ta
from tests.bots.crafted import ohlc_walk


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return ohlc_walk(400, seed=3)


def _wilder_ref(x: pd.Series, n: int) -> pd.Series:
    """Wilder smoothing by an explicit loop: SMA seed, then y += (x - y) / n."""
    vals = x.to_numpy()
    out = np.full(len(vals), np.nan)
    start = int(np.flatnonzero(~np.isnan(vals))[0])
    y = vals[start:start + n].mean()
    out[start + n - 1] = y
    for t in range(start + n, len(vals)):
        y = y + (vals[t] - y) / n
        out[t] = y
    return pd.Series(out, index=x.index)


def _ema_ref(x: pd.Series, n: int) -> pd.Series:
    """SMA-seeded EMA through pandas ewm(adjust=False)."""
    start = int(np.flatnonzero(x.notna().to_numpy())[0])
    seeded = x.copy()
    seeded.iloc[: start + n - 1] = np.nan
    seeded.iloc[start + n - 1] = x.iloc[start:start + n].mean()
    return seeded.ewm(alpha=2 / (n + 1), adjust=False).mean()


def _close(a: np.ndarray, b: pd.Series | np.ndarray) -> None:
    np.testing.assert_allclose(a, np.asarray(b, dtype=float), rtol=1e-9, atol=1e-9, equal_nan=True)


def test_sma_and_rolling_extremes_match_pandas(bars: pd.DataFrame) -> None:
    c = bars.close
    _close(ta.sma(c.to_numpy(), 20), c.rolling(20).mean())
    _close(ta.rolling_max(bars.high.to_numpy(), 10), bars.high.rolling(10).max())
    _close(ta.rolling_min(bars.low.to_numpy(), 10), bars.low.rolling(10).min())
    _close(ta.rolling_std(c.to_numpy(), 20), c.rolling(20).std(ddof=0))


def test_sma_hand_computed() -> None:
    _close(ta.sma(np.array([1.0, 2.0, 3.0, 4.0]), 3), np.array([np.nan, np.nan, 2.0, 3.0]))


def test_ema_matches_seeded_pandas_ewm(bars: pd.DataFrame) -> None:
    _close(ta.ema(bars.close.to_numpy(), 10), _ema_ref(bars.close, 10))


def test_ema_hand_computed() -> None:
    # n=3: alpha=0.5, seed = mean(2, 4, 6) = 4 at t=2; then 0.5*8 + 0.5*4 = 6; 0.5*0 + 0.5*6 = 3
    _close(ta.ema(np.array([2.0, 4.0, 6.0, 8.0, 0.0]), 3), np.array([np.nan, np.nan, 4.0, 6.0, 3.0]))


def test_rsi_matches_wilder_reference(bars: pd.DataFrame) -> None:
    c = bars.close
    d = c.diff()
    gain, loss = _wilder_ref(d.clip(lower=0).where(d.notna()), 14), _wilder_ref((-d).clip(lower=0).where(d.notna()), 14)
    ref = 100 - 100 / (1 + gain / loss)
    _close(ta.rsi(c.to_numpy(), 14), ref)


def test_rsi_extremes_all_up_and_all_down() -> None:
    assert ta.rsi(np.arange(1.0, 20.0), 5)[-1] == 100.0
    assert ta.rsi(np.arange(20.0, 1.0, -1.0), 5)[-1] == 0.0
    assert np.isnan(ta.rsi(np.arange(1.0, 20.0), 5)[4])  # first value needs n diffs
    assert not np.isnan(ta.rsi(np.arange(1.0, 20.0), 5)[5])


def test_macd_matches_pandas(bars: pd.DataFrame) -> None:
    c = bars.close
    line_ref = _ema_ref(c, 12) - _ema_ref(c, 26)
    sig_ref = _ema_ref(line_ref, 9)
    line, sig, hist = ta.macd(c.to_numpy(), 12, 26, 9)
    _close(line, line_ref)
    _close(sig, sig_ref)
    _close(hist, line_ref - sig_ref)


def test_bollinger_matches_pandas(bars: pd.DataFrame) -> None:
    c = bars.close
    mid, sd = c.rolling(20).mean(), c.rolling(20).std(ddof=0)
    lo, m, up = ta.bollinger(c.to_numpy(), 20, 2.0)
    _close(lo, mid - 2 * sd)
    _close(m, mid)
    _close(up, mid + 2 * sd)


def _tr_ref(b: pd.DataFrame) -> pd.Series:
    pc = b.close.shift(1)
    tr = pd.concat([b.high - b.low, (b.high - pc).abs(), (b.low - pc).abs()], axis=1).max(axis=1)
    return tr


def test_atr_matches_wilder_reference(bars: pd.DataFrame) -> None:
    ref = _wilder_ref(_tr_ref(bars), 14)
    _close(ta.atr(bars.high.to_numpy(), bars.low.to_numpy(), bars.close.to_numpy(), 14), ref)


def test_adx_matches_loop_reference(bars: pd.DataFrame) -> None:
    h, lo = bars.high, bars.low
    up, down = h.diff(), -lo.diff()
    pdm = pd.Series(np.where((up > down) & (up > 0), up, 0.0), index=h.index).where(up.notna())
    mdm = pd.Series(np.where((down > up) & (down > 0), down, 0.0), index=h.index).where(up.notna())
    tr = _tr_ref(bars).where(up.notna())
    atr = _wilder_ref(tr, 14)
    pdi, mdi = 100 * _wilder_ref(pdm, 14) / atr, 100 * _wilder_ref(mdm, 14) / atr
    dx = 100 * (pdi - mdi).abs() / (pdi + mdi)
    adx_ref = _wilder_ref(dx, 14)
    adx, p, m = ta.adx(h.to_numpy(), lo.to_numpy(), bars.close.to_numpy(), 14)
    _close(p, pdi)
    _close(m, mdi)
    _close(adx, adx_ref)
    assert np.nanmin(adx) >= 0 and np.nanmax(adx) <= 100


def test_stochastic_cci_donchian_match_pandas(bars: pd.DataFrame) -> None:
    h, lo, c = bars.high, bars.low, bars.close
    hh, ll = h.rolling(14).max(), lo.rolling(14).min()
    k_ref = 100 * (c - ll) / (hh - ll)
    k, d = ta.stochastic(h.to_numpy(), lo.to_numpy(), c.to_numpy(), 14, 3)
    _close(k, k_ref)
    _close(d, k_ref.rolling(3).mean())
    tp = (h + lo + c) / 3
    mad = tp.rolling(20).apply(lambda w: np.abs(w - w.mean()).mean(), raw=True)
    _close(ta.cci(h.to_numpy(), lo.to_numpy(), c.to_numpy(), 20), (tp - tp.rolling(20).mean()) / (0.015 * mad))
    up, dn = ta.donchian(h.to_numpy(), lo.to_numpy(), 20)
    _close(up, h.rolling(20).max().shift(1))
    _close(dn, lo.rolling(20).min().shift(1))


def test_keltner_zscore_roc_match_pandas(bars: pd.DataFrame) -> None:
    h, lo, c = bars.high.to_numpy(), bars.low.to_numpy(), bars.close
    kl, km, ku = ta.keltner(h, lo, c.to_numpy(), 20, 2.0)
    atr_ref = _wilder_ref(_tr_ref(bars), 20)
    _close(km, _ema_ref(c, 20))
    _close(ku - km, 2 * atr_ref)
    _close(ta.zscore(c.to_numpy(), 30), (c - c.rolling(30).mean()) / c.rolling(30).std(ddof=0))
    _close(ta.roc(c.to_numpy(), 5), c.pct_change(5))


def test_latch_and_bars_since() -> None:
    ev = np.array([np.nan, 1, np.nan, np.nan, 0, np.nan, -1, np.nan])
    _close(ta.latch(ev), np.array([0, 1, 1, 1, 0, 0, -1, -1.0]))
    _close(ta.bars_since_true(np.array([0, 1, 0, 0, 1, 0], bool)), np.array([np.inf, 0, 1, 2, 0, 1]))


def test_shift_refuses_lookahead() -> None:
    with pytest.raises(ValueError):
        ta.shift(np.arange(3.0), -1)


@pytest.mark.parametrize("name", ["sma", "ema", "rsi", "macd", "bollinger", "atr", "adx", "stochastic", "cci",
                                  "keltner", "zscore", "donchian"])
def test_indicator_is_causal(bars: pd.DataFrame, name: str) -> None:
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    calls = {
        "sma": lambda n: ta.sma(c[:n], 20), "ema": lambda n: ta.ema(c[:n], 20),
        "rsi": lambda n: ta.rsi(c[:n], 14), "macd": lambda n: np.vstack(ta.macd(c[:n])),
        "bollinger": lambda n: np.vstack(ta.bollinger(c[:n])), "atr": lambda n: ta.atr(h[:n], lo[:n], c[:n]),
        "adx": lambda n: np.vstack(ta.adx(h[:n], lo[:n], c[:n])),
        "stochastic": lambda n: np.vstack(ta.stochastic(h[:n], lo[:n], c[:n])),
        "cci": lambda n: ta.cci(h[:n], lo[:n], c[:n]), "keltner": lambda n: np.vstack(ta.keltner(h[:n], lo[:n], c[:n])),
        "zscore": lambda n: ta.zscore(c[:n], 20), "donchian": lambda n: np.vstack(ta.donchian(h[:n], lo[:n], 20)),
    }
    full = np.atleast_2d(calls[name](len(c)))
    for k in (5, 37, 120, 399):
        part = np.atleast_2d(calls[name](k))
        np.testing.assert_allclose(part, full[:, :k], rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("b0,a1", [(2.0 / 15.0, -(1.0 - 2.0 / 15.0)), (1.0 / 14.0, -(1.0 - 1.0 / 14.0)), (0.5, -0.5)])
def test_one_pole_filter_equals_scipy_lfilter_to_the_last_bit(b0: float, a1: float) -> None:
    from scipy.signal import lfilter

    from tradefleet.bots.recursion import one_pole

    rng = np.random.default_rng(7)
    # generated series: a long random walk, tiny and huge magnitudes, signs, NaN and infinities
    walk = 100.0 + np.cumsum(rng.normal(size=20_000))
    odd = np.array([1e-300, -1e-300, 1e300, -3.5, 0.0, -0.0, np.nan, 2.0, np.inf, 1.0, -np.inf, 4.0])
    for x in (walk, rng.normal(size=257) * 1e-9, odd, odd[:6], np.empty(0)):
        for z0 in (0.0, -1.25, 1e10):
            want, _ = lfilter([b0], [1.0, a1], x, zi=[z0])
            got = one_pole(x, b0, a1, z0)
            np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))  # bit patterns


def test_smoothers_equal_the_lfilter_versions_on_every_bundled_close() -> None:
    from scipy.signal import lfilter

    from tradefleet.scrapers.bundled import DATASETS, load_dataset

    def smooth_reference(x: np.ndarray, alpha: float, seed_n: int) -> np.ndarray:  # the lfilter version
        out = np.full(len(x), np.nan)
        start = ta.first_valid(x)
        seed_at = start + seed_n - 1
        if seed_at >= len(x):
            return out
        seed = x[start:seed_at + 1].mean()
        out[seed_at] = seed
        if seed_at + 1 < len(x):
            out[seed_at + 1:], _ = lfilter([alpha], [1.0, -(1.0 - alpha)], x[seed_at + 1:], zi=[(1.0 - alpha) * seed])
        return out

    for name in DATASETS:
        f = load_dataset(name)
        close = ta.as_float(f["close"])
        for n in (2, 14, 26):
            np.testing.assert_array_equal(ta.ema(close, n), smooth_reference(close, 2.0 / (n + 1.0), n))
            np.testing.assert_array_equal(ta.wilder(close, n), smooth_reference(close, 1.0 / n, n))
        o, h, lo, c = (ta.as_float(f[k]) for k in ("open", "high", "low", "close"))
        ha_open, _ = ta.heikin_ashi(o, h, lo, c)
        ha_close = (o + h + lo + c) / 4.0
        ref = np.empty(len(o))
        ref[0] = (o[0] + c[0]) / 2.0
        ref[1:], _ = lfilter([0.5], [1.0, -0.5], ha_close[:-1], zi=[0.5 * ref[0]])
        np.testing.assert_array_equal(ha_open, ref)
