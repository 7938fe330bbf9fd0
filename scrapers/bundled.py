"""Real historical market data that ships inside installed packages.

Read straight from the packages' data files (no import of ``arch`` or ``backtesting``,
which are slow to import). Bar timestamps are close times in UTC: daily US equity bars
close at the NYSE session close, hourly FX bars one hour after their open stamp, monthly
crypto bars at the end of their last day.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tradefleet.orchestrator.domain import AssetClass, Instrument
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.frames import normalize_columns, validate_frame
from tradefleet.scrapers.gaps import DEFAULT_MAX_MISSING, calendar_for, find_hole

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class BundledDataset:
    """One dataset shipped in a package."""

    name: str
    package: str
    relpath: str
    symbol: str
    asset_class: AssetClass
    timeframe: str
    description: str
    stamp: str  # how to turn the file's stamps into close times: nyse_close | plus_1h | end_of_day
    max_gap_days: float

    def path(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise DataError(f"dataset {self.name}: package {self.package} is not installed")
        return Path(spec.submodule_search_locations[0]) / self.relpath


DATASETS: dict[str, BundledDataset] = {
    d.name: d
    for d in (
        BundledDataset("sp500", "arch", "data/sp500/sp500.csv.gz", "SPX", AssetClass.INDEX, "1d",
                       "S&P 500 index, daily, 1999-2018 (arch)", "nyse_close", 8),
        BundledDataset("nasdaq", "arch", "data/nasdaq/nasdaq.csv.gz", "IXIC", AssetClass.INDEX, "1d",
                       "NASDAQ Composite, daily, 1999-2018 (arch)", "nyse_close", 8),
        BundledDataset("goog", "backtesting", "test/GOOG.csv", "GOOG", AssetClass.EQUITY, "1d",
                       "Alphabet, daily, 2004-2013 (backtesting.py)", "nyse_close", 8),
        BundledDataset("eurusd", "backtesting", "test/EURUSD.csv", "EUR/USD", AssetClass.FX, "1h",
                       "EUR/USD, hourly, 2017-2018 (backtesting.py)", "plus_1h", 4),
        BundledDataset("btcusd", "backtesting", "test/BTCUSD.csv", "BTC/USD", AssetClass.CRYPTO, "1mo",
                       "Bitcoin/USD, monthly, 2012-2024 (backtesting.py)", "end_of_day", 32),
    )
}

def _instrument(ds: BundledDataset) -> Instrument:
    from decimal import Decimal

    # quantities as the venues the paper account stands for allow them: FX in units of 1
    # (OANDA), crypto to 1e-8 (Coinbase/Kraken), equities and index trackers in fractional
    # shares to 1e-6 (Alpaca)
    if ds.asset_class is AssetClass.FX:
        return Instrument(ds.symbol, ds.asset_class, tick_size=Decimal("0.00001"), lot_size=Decimal("1"))
    if ds.asset_class is AssetClass.CRYPTO:
        return Instrument(ds.symbol, ds.asset_class, tick_size=Decimal("0.01"), lot_size=Decimal("0.00000001"))
    return Instrument(ds.symbol, ds.asset_class, tick_size=Decimal("0.01"), lot_size=Decimal("0.000001"))


INSTRUMENTS: dict[str, Instrument] = {ds.symbol: _instrument(ds) for ds in DATASETS.values()}
BY_SYMBOL: dict[str, BundledDataset] = {ds.symbol: ds for ds in DATASETS.values()}


def dataset_for(symbol: str) -> BundledDataset:
    """Return the bundled dataset that carries ``symbol``."""
    try:
        return BY_SYMBOL[symbol]
    except KeyError:
        raise DataError(f"no bundled data for {symbol!r} (bundled: {', '.join(sorted(BY_SYMBOL))}); "
                        f"map it to a file under [replay.data]") from None


@cache
def _load_cached(name: str) -> pd.DataFrame:
    import pandas as pd

    ds = DATASETS[name]
    raw = pd.read_csv(ds.path(), index_col=0)
    frame = normalize_columns(raw, f"dataset {name}")
    day = pd.to_datetime(frame.index, format="mixed")
    if ds.stamp == "nyse_close":
        closes = _nyse_close_times(day)
    elif ds.stamp == "plus_1h":
        closes = day.tz_localize("UTC") + pd.Timedelta(hours=1)
    else:
        closes = day.normalize().tz_localize("UTC") + pd.Timedelta(days=1)
    frame.index = pd.DatetimeIndex(closes, name="ts")
    frame = validate_frame(frame, f"dataset {name}", pd.Timedelta(days=ds.max_gap_days))
    hole = find_hole(frame.index, ds.timeframe, calendar_for(ds.asset_class.value))  # real data, real calendars
    if hole is not None:
        raise DataError(f"dataset {name}: row {hole.row + 1} ({frame.index[hole.row]}): "
                        f"{hole.describe(ds.timeframe, frame.index[hole.row - 1], DEFAULT_MAX_MISSING)}")
    return frame


def _nyse_close_times(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Stamp each trading day at its NYSE close (13:00 on half days), in UTC."""
    import pandas as pd

    from tradefleet.orchestrator.calendars import get_calendar

    cal = get_calendar("NYSE")
    closes = [cal.close_time(d.date()) for d in days]
    missing = [d for d, c in zip(days, closes, strict=True) if c is None]
    if missing:
        raise DataError(f"NYSE calendar has no session on {missing[0].date()} but the data has a bar")
    return pd.DatetimeIndex(closes).tz_convert("UTC")


def load_dataset(name: str) -> pd.DataFrame:
    """Return a copy of bundled dataset ``name`` as a validated bar frame."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r} (bundled: {', '.join(sorted(DATASETS))})")
    return _load_cached(name).copy()
