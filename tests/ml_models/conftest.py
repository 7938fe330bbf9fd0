"""Shared fixtures: small real bar frames and synthetic minute bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradefleet.scrapers.bundled import load_dataset


def gbm_minutes(n: int, seed: int = 0, start: str = "2024-01-01") -> pd.DataFrame:
    """Return ``n`` one-minute bars of a seeded geometric Brownian motion (close-time stamps)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    open_ = np.r_[100.0, close[:-1]]
    spread = np.abs(rng.normal(0.0, 5e-4, n)) * close
    idx = pd.date_range(start, periods=n, freq="1min", tz="UTC", name="ts") + pd.Timedelta(minutes=1)
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) + spread,
                         "low": np.minimum(open_, close) - spread, "close": close,
                         "volume": rng.integers(1, 1000, n).astype(float)}, index=idx)


@pytest.fixture(scope="session")
def spx() -> pd.DataFrame:
    """The last 1,600 S&P 500 daily bars (enough for weekly features and a few folds)."""
    return load_dataset("sp500").iloc[-1600:]


@pytest.fixture(scope="session")
def eurusd() -> pd.DataFrame:
    return load_dataset("eurusd")
