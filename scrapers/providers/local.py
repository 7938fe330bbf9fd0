"""Local providers: real history bundled in installed packages, and CSV/Parquet files."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.providers import ProviderBase, cut
from tradefleet.scrapers.resample import resample

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.scrapers.config import DataConfig


class BundledProvider(ProviderBase):
    """Provider ``bundled``: S&P 500, NASDAQ, GOOG, EUR/USD, BTC/USD from arch and backtesting.py."""

    name: ClassVar[str] = "bundled"

    @classmethod
    def from_config(cls, config: DataConfig, clock: Clock) -> BundledProvider:
        return cls()

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
        from tradefleet.scrapers.bundled import dataset_for, load_dataset

        ds = dataset_for(symbol)
        frame = load_dataset(ds.name)
        frame = cut(frame, None, end_ns)  # never look past the clock, even to build a bucket
        frame = resample(frame, tf, source_tf=ds.timeframe, now_ns=end_ns)
        return cut(frame, start_ns, end_ns)


class FileProvider(ProviderBase):
    """Provider ``file``: CSV/Parquet files mapped per symbol under ``[data.files]``.

    ``native`` maps a symbol to the file's own timeframe (default: the requested one)."""

    name: ClassVar[str] = "file"

    def __init__(self, files: dict[str, str], native: dict[str, str] | None = None, *, tz: str | None = None,
                 max_missing: int = 3) -> None:
        self.files = dict(files)
        self.native = dict(native or {})
        self.tz = tz
        self.max_missing = max_missing

    @classmethod
    def from_config(cls, config: DataConfig, clock: Clock) -> FileProvider:
        return cls(config.files, tz=config.file_timezone, max_missing=config.max_missing_bars)

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
        from tradefleet.scrapers.files import infer_timeframe as _infer_tf, load_bar_file

        path = self.files.get(symbol)
        if path is None:
            raise DataError(f"file provider: no file mapped for {symbol!r} (add it under [data.files])")
        frame = cut(load_bar_file(path, timeframe=self.native.get(symbol), tz=self.tz, max_missing=self.max_missing),
                    None, end_ns)
        src_tf = self.native.get(symbol) or _infer_tf(frame) or tf
        frame = resample(frame, tf, source_tf=src_tf, now_ns=end_ns)
        return cut(frame, start_ns, end_ns)
