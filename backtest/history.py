"""Bars for a backtest: a bundled dataset or a bar file, cut to a window with its warm-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    from tradefleet.scrapers.config import DataConfig

__all__ = ["load_with_warmup"]


def load_with_warmup(spec: Any, data: str | None, start: str | None, end: str | None,
                     files: DataConfig | None = None) -> tuple[str, Any, int]:
    """Return the data name, the bars up to ``end`` and the index of the first bar >= ``start``.

    Bars before ``start`` stay in the frame as indicator warm-up; they are not traded.
    ``data``: None (the bot's bundled dataset), a bundled dataset name or a bar file read
    with the ``files`` settings (``[data]``: timezone, tolerated missing bars).
    """
    import pandas as pd

    from tradefleet.scrapers.bundled import DATASETS, dataset_for, load_dataset
    from tradefleet.scrapers.files import load_bar_file

    if data is None:
        name = dataset_for(spec.instruments[0]).name
        frame = load_dataset(name)
    elif data in DATASETS:
        name, frame = data, load_dataset(data)
    else:
        from tradefleet.scrapers.config import DataConfig
        from tradefleet.scrapers.gaps import calendar_for

        files = files or DataConfig()
        name, frame = Path(data).name, load_bar_file(data, timeframe=spec.timeframe,
                                                     calendar=calendar_for(spec.asset_class.value),
                                                     tz=files.file_timezone, max_missing=files.max_missing_bars)
    if end:
        frame = frame.loc[frame.index < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)]
    first = int(frame.index.searchsorted(pd.Timestamp(start, tz="UTC"))) if start else 0
    if len(frame) - first < 2:
        raise DataError(f"data {name}: fewer than 2 bars between {start or 'start'} and {end or 'end'}")
    return name, frame, first
