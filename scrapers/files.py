"""Bar data from CSV and Parquet files.

The first column (or a column named ts/time/timestamp/date/datetime) holds timestamps,
read as UTC unless they carry an offset, and taken as bar *close* times. Files are
validated: a gap larger than ``max_gap``, a timestamp out of order, a duplicate, a missing
or non-positive price each raise a DataError naming the file and the row.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.errors import DataError
from scrapers.frames import normalize_columns, validate_frame

if TYPE_CHECKING:
    import pandas as pd

_TIME_COLUMNS = ("ts", "time", "timestamp", "date", "datetime")


def load_bar_file(path: str | Path, max_gap: str | None = None) -> pd.DataFrame:
    """Read and validate a CSV or Parquet bar file."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: data file not found")
    try:
        raw = pd.read_parquet(p) if p.suffix.lower() in (".parquet", ".pq") else pd.read_csv(p)
    except Exception as exc:  # pandas raises many types for malformed files
        raise DataError(f"{p}: cannot read: {' '.join(str(exc).split())}") from None
    if isinstance(raw.index, pd.DatetimeIndex):
        stamps = raw.index
    else:
        lower = {str(c).strip().lower(): c for c in raw.columns}
        col = next((lower[c] for c in _TIME_COLUMNS if c in lower), raw.columns[0])
        try:
            stamps = pd.DatetimeIndex(pd.to_datetime(raw[col], utc=True, format="mixed"))
        except (ValueError, TypeError) as exc:
            raise DataError(f"{p}: column {col!r} is not timestamps: {exc}") from None
        raw = raw.drop(columns=[col])
    if stamps.tz is None:
        stamps = stamps.tz_localize("UTC")
    frame = normalize_columns(raw.set_axis(stamps.tz_convert("UTC").rename("ts"), axis=0), str(p))
    gap = pd.Timedelta(max_gap) if max_gap else _default_gap(frame.index)
    return validate_frame(frame, str(p), gap)


def _default_gap(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """Allow 8 days for daily-or-slower data (the 2001 NYSE closure), 10x the median step below."""
    import pandas as pd

    if len(index) < 3:
        return None
    median = pd.Timedelta(int(pd.Series(index.as_unit("ns").asi8).diff().median()))
    return max(median * 10, pd.Timedelta(days=4)) if median < pd.Timedelta(days=1) else max(median * 5, pd.Timedelta(days=8))
