"""Crafted bar frames for the bot unit tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def frame_from_close(close: Sequence[float], freq: str = "1D", spread: float = 0.005,
                     start: str = "2020-01-02 21:00", opens: Sequence[float] | None = None,
                     volume: Sequence[float] | float = 1000.0) -> pd.DataFrame:
    """Return a valid bar frame whose closes are ``close``.

    High/low bracket open and close by ``spread`` (a fraction of price); the open is the
    previous close unless ``opens`` is given.
    """
    c = np.asarray(close, dtype=float)
    o = np.asarray(opens, dtype=float) if opens is not None else np.concatenate([[c[0]], c[:-1]])
    hi = np.maximum(o, c) * (1 + spread)
    lo = np.minimum(o, c) * (1 - spread)
    idx = pd.date_range(start, periods=len(c), freq=freq, tz="UTC", name="ts")
    vol = np.broadcast_to(np.asarray(volume, dtype=float), c.shape).copy()
    return pd.DataFrame({"open": o, "high": hi, "low": lo, "close": c, "volume": vol}, index=idx)


def random_walk(n: int, seed: int = 7, drift: float = 0.0, vol: float = 0.01, start: float = 100.0) -> np.ndarray:
    """Return a deterministic geometric random walk of ``n`` closes."""
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(drift, vol, n)))


def ohlc_walk(n: int, seed: int = 7, freq: str = "1D") -> pd.DataFrame:
    """Return a random OHLCV frame with realistic intrabar ranges."""
    rng = np.random.default_rng(seed)
    c = random_walk(n, seed)
    o = np.concatenate([[c[0]], c[:-1]]) * np.exp(rng.normal(0, 0.002, n))
    hi = np.maximum(o, c) * np.exp(np.abs(rng.normal(0, 0.006, n)))
    lo = np.minimum(o, c) * np.exp(-np.abs(rng.normal(0, 0.006, n)))
    idx = pd.date_range("2020-01-02 21:00", periods=n, freq=freq, tz="UTC", name="ts")
    vol = rng.integers(1_000, 10_000, n).astype(float)
    return pd.DataFrame({"open": o, "high": hi, "low": lo, "close": c, "volume": vol}, index=idx)


def build(bot_cls: type, **params: object):  # type: ignore[no-untyped-def]
    """Instantiate ``bot_cls`` with validated params."""
    return bot_cls(bot_cls.Params(**params))


def frame_ohlc(o: Sequence[float], h: Sequence[float], lo: Sequence[float], c: Sequence[float],
               freq: str = "1D", start: str = "2020-01-02 21:00") -> pd.DataFrame:
    """Return a bar frame from explicit OHLC columns (volume 1000)."""
    idx = pd.date_range(start, periods=len(c), freq=freq, tz="UTC", name="ts")
    return pd.DataFrame({"open": np.asarray(o, float), "high": np.asarray(h, float), "low": np.asarray(lo, float),
                         "close": np.asarray(c, float), "volume": 1000.0}, index=idx)
