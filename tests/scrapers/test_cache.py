"""The Parquet bar cache: round trip, range reads, merge (new bars win), sources metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import load_dataset
from tradefleet.scrapers.cache import ParquetBarCache


def test_round_trip_is_exact(tmp_path: Path) -> None:
    cache = ParquetBarCache(tmp_path)
    f = load_dataset("eurusd")
    cache.write("EUR/USD", "1h", f, "oanda")
    back = cache.read("EUR/USD", "1h")
    assert back is not None
    pd.testing.assert_frame_equal(back, f, check_freq=False)
    assert cache.last_ts("EUR/USD", "1h") == int(f.index[-1].value)
    assert cache.sources("EUR/USD", "1h") == ["oanda"]


def test_range_read(tmp_path: Path) -> None:
    cache = ParquetBarCache(tmp_path)
    f = load_dataset("goog")
    cache.write("GOOG", "1d", f, "alpaca")
    lo, hi = int(f.index[100].value), int(f.index[199].value)
    part = cache.read("GOOG", "1d", lo, hi)
    assert part is not None and len(part) == 100 and part.index[0] == f.index[100]


def test_merge_appends_and_new_bars_win(tmp_path: Path) -> None:
    cache = ParquetBarCache(tmp_path)
    f = load_dataset("goog").iloc[:500]
    cache.write("GOOG", "1d", f.iloc[:300], "alpaca")
    newer = f.iloc[250:].copy()
    newer.iloc[0, newer.columns.get_loc("close")] = newer["high"].iloc[0]  # a corrected bar
    assert cache.write("GOOG", "1d", newer, "ccxt") == 500
    back = cache.read("GOOG", "1d")
    assert back is not None and back.index.is_monotonic_increasing and back.index.is_unique
    assert back["close"].iloc[250] == newer["close"].iloc[0]
    np.testing.assert_array_equal(back["close"].to_numpy()[:250], f["close"].to_numpy()[:250])
    assert cache.sources("GOOG", "1d") == ["alpaca", "ccxt"]


def test_missing_and_corrupt(tmp_path: Path) -> None:
    cache = ParquetBarCache(tmp_path)
    assert cache.read("X", "1d") is None and cache.last_ts("X", "1d") is None
    p = cache.path("X", "1d")
    p.parent.mkdir(parents=True)
    p.write_bytes(b"garbage")
    with pytest.raises(DataError, match="unreadable cache file"):
        cache.read("X", "1d")


def test_range_read_skips_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    import tradefleet.scrapers.cache as cache_mod

    monkeypatch.setattr(cache_mod, "ROW_GROUP", 100)
    cache = ParquetBarCache(tmp_path)
    f = load_dataset("eurusd")
    cache.write("EUR/USD", "1h", f, "oanda")
    assert pq.ParquetFile(cache.path("EUR/USD", "1h")).metadata.num_row_groups == 50
    lo, hi = int(f.index[1234].value), int(f.index[1456].value)
    part = cache.read("EUR/USD", "1h", lo, hi)
    assert part is not None
    pd.testing.assert_frame_equal(part, f.iloc[1234:1457], check_freq=False)
    assert cache.last_ts("EUR/USD", "1h") == int(f.index[-1].value)
    assert cache.read("EUR/USD", "1h", int(f.index[-1].value) + 1) is not None  # empty, not None: file exists
