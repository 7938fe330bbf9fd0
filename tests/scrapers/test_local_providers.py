"""Bundled and CSV/Parquet providers: cut at the clock, resampled on demand, bad files rejected
with the file and row named (and the chain falls back past them)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.bundled import load_dataset
from tradefleet.scrapers.chain import SourceChain
from tradefleet.scrapers.providers.local import BundledProvider, FileProvider
from tradefleet.scrapers.resample import resample

EURUSD = load_dataset("eurusd")


def test_bundled_never_returns_bars_after_end() -> None:
    end = int(pd.Timestamp("2017-06-01T10:30Z").value)
    f = BundledProvider().bars("EUR/USD", "4h", None, end)
    assert f.index[-1] == pd.Timestamp("2017-06-01T08:00Z")
    src = EURUSD[EURUSD.index <= "2017-06-01T08:00Z"]
    pd.testing.assert_frame_equal(f, resample(src, "4h", source_tf="1h"), check_freq=False)


def test_file_provider_csv_and_parquet(tmp_path: Path) -> None:
    part = EURUSD.iloc[:500]
    csv, pq = tmp_path / "eurusd.csv", tmp_path / "eurusd.parquet"
    part.reset_index().to_csv(csv, index=False)
    part.to_parquet(pq)
    end = int(part.index[-1].value)
    for path in (csv, pq):
        fp = FileProvider({"EUR/USD": str(path)})
        hourly = fp.bars("EUR/USD", "1h", None, end)
        pd.testing.assert_frame_equal(hourly, part, check_freq=False)
        daily = fp.bars("EUR/USD", "1d", None, end)
        assert daily.index[-1] <= part.index[-1] and (daily.index.hour == 0).all()


def test_file_provider_unmapped_symbol() -> None:
    with pytest.raises(DataError, match=r"no file mapped for 'SPX' \(add it under \[data.files\]\)"):
        FileProvider({}).bars("SPX", "1d", None, 0)


def test_bad_file_is_named_and_the_chain_falls_back(tmp_path: Path) -> None:
    bad = EURUSD.iloc[:300].reset_index()
    bad.loc[120, "close"] = -1.0
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"bad.csv: zero or negative price at line 122"):
        FileProvider({"EUR/USD": str(path)}).bars("EUR/USD", "1h", None, int(EURUSD.index[299].value))
    clock = SimClock(int(EURUSD.index[299].value))
    ans = SourceChain([FileProvider({"EUR/USD": str(path)}), BundledProvider()], clock).fetch("EUR/USD", "1h")
    assert ans.source == "bundled" and "line 122" in ans.attempts[0].error
