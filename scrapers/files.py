"""Bar data from CSV and Parquet files.

The first column (or a column named ts/time/timestamp/date/datetime) holds bar *close*
times. One timezone convention per file: every timestamp carries an offset (``Z``,
``+00:00``), or none does and the file's zone is declared (``tz``, from
``[data].file_timezone``); date-only values (``2020-01-02``) are day labels, read as UTC
days. Every refusal names the file, the line (1-based, the header is line 1) and the
value: a non-numeric price or a decimal comma, a bad or impossible date, a timestamp out
of order or repeated, a missing or non-positive price, and a hole of more than
``max_missing`` bars on the instrument's calendar (see :mod:`tradefleet.scrapers.gaps`). Nothing is
returned from a file that fails, so nothing of it is stored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tradefleet.orchestrator.duration import parse_timeframe
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.frames import OHLCV, _ALIASES, normalize_columns, validate_frame
from tradefleet.scrapers.gaps import DEFAULT_MAX_MISSING, find_hole

if TYPE_CHECKING:
    import pandas as pd

_TIME_COLUMNS = ("ts", "time", "timestamp", "date", "datetime")
_OFFSET = r"(?:[zZ]|[+-]\d{2}:?\d{2}|\s?UTC)$"
_DATE_ONLY = r"^\d{4}-\d{1,2}-\d{1,2}$"
_FIRST_LINE = 2  # data rows start on line 2, under the header


def load_bar_file(path: str | Path, max_gap: str | None = None, *, timeframe: str | None = None,
                  calendar: str | None = None, max_missing: int = DEFAULT_MAX_MISSING,
                  tz: str | None = None) -> pd.DataFrame:
    """Read and validate a CSV or Parquet bar file.

    ``timeframe`` (inferred from the spacing if None) and ``calendar`` (``NYSE``, ``FX``,
    ``CRYPTO``; inferred from the data if None) judge holes; ``max_gap`` additionally caps
    the raw spacing; ``tz`` declares the zone of timestamps written without an offset.
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: data file not found")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, not a bar file")
    parquet = p.suffix.lower() in (".parquet", ".pq")
    try:
        raw = pd.read_parquet(p) if parquet else pd.read_csv(p, dtype=str, skip_blank_lines=False,
                                                                 keep_default_na=False, sep=_separator(p))
    except Exception as exc:  # pandas raises many types for malformed files
        msg = " ".join(str(exc).split())
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        if m:
            raise DataError(f"{p}: line {m.group(2)}: {m.group(3)} fields where the header has {m.group(1)} "
                            "(a decimal comma in a comma-separated file? write 1.5, not 1,5)") from None
        raise DataError(f"{p}: cannot read: {msg}") from None
    where = _rows(parquet)
    if isinstance(raw.index, pd.DatetimeIndex):
        stamps = raw.index
    else:
        if len(raw.columns) == 0:
            raise DataError(f"{p}: no columns")
        lower = {str(c).strip().lower(): c for c in raw.columns}
        col = next((lower[c] for c in _TIME_COLUMNS if c in lower), raw.columns[0])
        stamps = _timestamps(raw[col], str(p), where, tz)
        raw = raw.drop(columns=[col])
    if stamps.tz is None:
        stamps = _localize(stamps, str(p), tz)
    raw = _numbers(raw, str(p), where)
    frame = normalize_columns(raw.set_axis(stamps.tz_convert("UTC").rename("ts"), axis=0), str(p))
    frame = validate_frame(frame, str(p), pd.Timedelta(max_gap) if max_gap else None,
                           first_line=None if parquet else _FIRST_LINE)
    _check_holes(frame, str(p), where, timeframe, calendar, max_missing)
    return frame


def _separator(p: Path) -> str:
    """``;`` for the European layout (semicolons, decimal commas), else ``,``."""
    import gzip

    opener = gzip.open if p.suffix.lower() == ".gz" else open
    try:
        with opener(p, "rt", encoding="utf-8", errors="replace") as fh:
            header = fh.readline()
    except OSError:
        return ","
    return ";" if header.count(";") > header.count(",") else ","


def _rows(parquet: bool) -> str:
    return "row" if parquet else "line"


def _line(i: int, where: str) -> int:
    return i + (1 if where == "row" else _FIRST_LINE)


def _timestamps(col: pd.Series, source: str, where: str, tz: str | None) -> pd.DatetimeIndex:
    """Parse a timestamp column: one convention, every bad value named with its line."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        return pd.DatetimeIndex(col)
    text = col.astype(str).str.strip()
    blank = text.isin(["", "nan", "NaT", "None"])
    if blank.any():
        i = int(blank.to_numpy().nonzero()[0][0])
        raise DataError(f"{source}: {where} {_line(i, where)}: empty timestamp")
    parsed = pd.to_datetime(text, utc=True, format="mixed", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(bad.nonzero()[0][0])
        why = _date_problem(text.iloc[i])
        raise DataError(f"{source}: {where} {_line(i, where)}: {text.iloc[i]!r} is not a timestamp{why}")
    aware = text.str.contains(_OFFSET, regex=True).to_numpy()
    if aware.any() and not aware.all():
        i = int((aware != aware[0]).nonzero()[0][0])
        has = "has no UTC offset" if aware[0] else "has a UTC offset"
        raise DataError(f"{source}: {where} {_line(i, where)}: timestamp {text.iloc[i]!r} {has} but "
                        f"{where} {_line(0, where)} ({text.iloc[0]!r}) {'does' if aware[0] else 'does not'}: "
                        "use one convention per file")
    if not aware.any() and tz is None:
        timed = ~text.str.match(_DATE_ONLY).to_numpy()
        if timed.any():
            i = int(timed.nonzero()[0][0])
            raise DataError(f"{source}: {where} {_line(i, where)}: timestamp {text.iloc[i]!r} has no timezone; "
                            "write it with an offset ('Z' or '+00:00') or declare the file's zone "
                            "([data].file_timezone)")
    return pd.DatetimeIndex(parsed if aware.any() else parsed.dt.tz_localize(None))


def _date_problem(value: str) -> str:
    """Why a date-looking value failed (an impossible day or month), else nothing."""
    from datetime import date

    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m is None:
        return ""
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        return f" ({exc})"
    return ""


def _localize(stamps: pd.DatetimeIndex, source: str, tz: str | None) -> pd.DatetimeIndex:
    """Apply the declared zone to naive timestamps (date-only labels are UTC days)."""
    if tz is None or (stamps.normalize() == stamps).all():
        return stamps.tz_localize("UTC")
    try:
        return stamps.tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except Exception as exc:  # noqa: BLE001 - pytz/zoneinfo errors for DST-ambiguous or missing local times
        raise DataError(f"{source}: timestamps in declared zone {tz}: {' '.join(str(exc).split())}") from None


def _numbers(raw: pd.DataFrame, source: str, where: str) -> pd.DataFrame:
    """OHLCV columns as floats; the first value that is not a number is named with its line."""
    import pandas as pd

    out = raw.copy()
    for col in raw.columns:
        name = _ALIASES.get(str(col).strip().lower(), str(col).strip().lower())
        if name not in OHLCV or pd.api.types.is_numeric_dtype(raw[col]):
            continue
        text = raw[col].astype(str).str.strip()
        nums = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = (nums.isna() & (text != "")).to_numpy()
        if bad.any():
            i = int(bad.nonzero()[0][0])
            value = text.iloc[i]
            hint = f" (decimal comma? write {value.replace(',', '.')!r})" if re.fullmatch(r"-?\d+,\d+", value) else ""
            raise DataError(f"{source}: {where} {_line(i, where)}: {name} {value[:40]!r} is not a number{hint}")
        out[col] = nums.astype("float64")
    return out


def _check_holes(frame: pd.DataFrame, source: str, where: str, timeframe: str | None, calendar: str | None,
                 max_missing: int) -> None:
    tf = timeframe or infer_timeframe(frame)
    if tf is None:
        return
    hole = find_hole(frame.index, tf, calendar, max_missing)
    if hole is not None:
        i = hole.row
        raise DataError(f"{source}: {where} {_line(i, where)} ({frame.index[i]}): "
                        f"{hole.describe(tf, frame.index[i - 1], max_missing)}")


def infer_timeframe(frame: pd.DataFrame) -> str | None:
    """Guess a file's timeframe from its median spacing (minutes, hours or days)."""
    import numpy as np

    if len(frame) < 3:
        return None
    step = int(np.median(np.diff(frame.index.as_unit("ns").asi8))) // 1_000_000_000
    for tf in ("1m", "5m", "15m", "30m", "1h", "4h", "1d"):
        if step <= parse_timeframe(tf).seconds:
            return tf
    return "1d" if step < 6 * 86_400 else "1w" if step < 25 * 86_400 else "1mo"
