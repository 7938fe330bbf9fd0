"""Causal resampling of bar frames to any coarser timeframe.

Input and output index bar *close* times. A source bar closing at ``t`` belongs to the
bucket ``(end - tf, end]``; the output bar is stamped at ``end`` and is emitted only when
complete: ``end <= now`` (``now`` defaults to the last input close, so a bucket whose end
lies after the data is never emitted half-built). Weeks end Sunday 00:00 UTC, months at
00:00 UTC on the 1st of the next month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradefleet.orchestrator.duration import parse_timeframe
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.frames import OHLCV

if TYPE_CHECKING:
    import pandas as pd

_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def resample(frame: pd.DataFrame, tf: str, *, source_tf: str | None = None, now_ns: int | None = None) -> pd.DataFrame:
    """Aggregate ``frame`` into ``tf`` bars, dropping the incomplete trailing bucket."""
    import pandas as pd

    if source_tf is not None and parse_timeframe(tf).ns < parse_timeframe(source_tf).ns:
        raise DataError(f"cannot resample {source_tf} bars to the finer timeframe {tf}")
    if len(frame) == 0:
        return frame
    if source_tf is not None and parse_timeframe(tf) == parse_timeframe(source_tf):
        out = frame
    else:
        grouped = frame[list(OHLCV)].resample(parse_timeframe(tf).pandas_rule(), closed="right", label="right")
        out = grouped.agg(_AGG)
        out = out[grouped["close"].count() > 0]  # buckets with no source bar (weekends, halts) are not bars
    limit = int(frame.index.as_unit("ns").asi8[-1]) if now_ns is None else now_ns
    out = out[out.index.as_unit("ns").asi8 <= limit]
    out.index = pd.DatetimeIndex(out.index.as_unit("ns"), name="ts", freq=None)  # gaps: no fixed frequency
    return out.astype("float64")
