"""The canonical bar frame and its validation.

A bar frame has a UTC ``DatetimeIndex`` of bar *close* times, strictly increasing, and
float64 columns ``open, high, low, close, volume``. :func:`validate_frame` raises a
:class:`~tradefleet.orchestrator.errors.DataError` that names the source, the first offending row
and the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

OHLCV = ("open", "high", "low", "close", "volume")
_ALIASES = {"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume", "vol": "volume"}


def normalize_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Lower-case and alias OHLCV column names; keep only OHLCV as float64."""
    cols = {c: _ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in frame.columns}
    frame = frame.rename(columns=cols)
    missing = [c for c in OHLCV if c not in frame.columns and c != "volume"]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)} (have {', '.join(map(str, frame.columns))})")
    if "volume" not in frame.columns:
        frame = frame.assign(volume=0.0)
    out = frame.loc[:, list(OHLCV)]
    try:
        return out.astype("float64")
    except (TypeError, ValueError) as exc:
        raise DataError(f"{source}: non-numeric OHLCV values: {exc}") from None


def validate_frame(frame: pd.DataFrame, source: str, max_gap: pd.Timedelta | None = None, *,
                   first_line: int | None = None) -> pd.DataFrame:
    """Check ordering, duplicates, missing values, prices and gaps; return ``frame`` with a
    nanosecond-unit index (``index.asi8`` is int ns everywhere in tradefleet).

    ``max_gap``: the longest allowed spacing between consecutive bars (None: no gap check).
    ``first_line``: the file line of the first bar; positions then read ``line N`` (else
    ``row N``, 1-based).
    """
    import pandas as pd

    if len(frame) == 0:
        raise DataError(f"{source}: no bars")
    idx = frame.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise DataError(f"{source}: index must be timezone-aware timestamps")
    if idx.unit != "ns":  # pandas 3 parses to microseconds; tradefleet times are int ns
        idx = idx.as_unit("ns")
        frame = frame.set_axis(idx, axis=0)

    def at(i: int) -> str:
        return f"line {i + first_line}" if first_line is not None else f"row {i + 1}"

    ns = idx.asi8
    step = np.diff(ns)
    if (bad := np.flatnonzero(step < 0)).size:
        i = int(bad[0]) + 1
        raise DataError(f"{source}: timestamps out of order at {at(i)} ({idx[i]} after {idx[i - 1]})")
    if (bad := np.flatnonzero(step == 0)).size:
        i = int(bad[0]) + 1
        raise DataError(f"{source}: duplicate timestamp at {at(i)} ({idx[i]})")
    values = frame[list(OHLCV)].to_numpy()
    if (bad := np.flatnonzero(~np.isfinite(values).all(axis=1))).size:
        i = int(bad[0])
        cols = [c for c, v in zip(OHLCV, values[i], strict=True) if not np.isfinite(v)]
        raise DataError(f"{source}: missing value at {at(i)} ({idx[i]}): {', '.join(cols)}")
    o, h, lo, c = values[:, 0], values[:, 1], values[:, 2], values[:, 3]
    if (bad := np.flatnonzero((values[:, :4] <= 0).any(axis=1))).size:
        i = int(bad[0])
        col = next(n for n, v in zip(OHLCV, values[i, :4], strict=False) if v <= 0)
        raise DataError(f"{source}: zero or negative price at {at(i)} ({idx[i]}): {col} {values[i, OHLCV.index(col)]:g}")
    tol = 1e-9 * np.abs(h)
    incoherent = (h + tol < lo) | (o > h + tol) | (o < lo - tol) | (c > h + tol) | (c < lo - tol)
    if (bad := np.flatnonzero(incoherent)).size:
        i = int(bad[0])
        raise DataError(f"{source}: high/low do not contain open/close at {at(i)} ({idx[i]}): "
                        f"o {o[i]:g} h {h[i]:g} l {lo[i]:g} c {c[i]:g}")
    if (bad := np.flatnonzero(values[:, 4] < 0)).size:
        i = int(bad[0])
        raise DataError(f"{source}: negative volume at {at(i)} ({idx[i]}): {values[i, 4]:g}")
    if max_gap is not None and step.size:
        if (bad := np.flatnonzero(step > max_gap.value)).size:
            i = int(bad[0]) + 1
            raise DataError(
                f"{source}: gap of {pd.Timedelta(int(step[i - 1]))} before {at(i)} "
                f"({idx[i - 1]} -> {idx[i]}; at most {max_gap} allowed)"
            )
    return frame
