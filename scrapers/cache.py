"""The on-disk Parquet bar cache.

One file per (symbol, timeframe) under ``<cache_dir>/bars/``: an int64 ``ts`` column
(close time, ns UTC) and float64 OHLCV, sorted and unique, with the answering sources in
the file metadata. Reads go straight through pyarrow to numpy (1,000,000 bars in well
under 0.5 s, see ``bench/data_bench.py``); writes merge with what is there (new bars win
on equal timestamps) and replace the file atomically.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.frames import OHLCV

if TYPE_CHECKING:
    import pandas as pd

ROW_GROUP = 131_072  # bars per Parquet row group: range reads skip the groups they do not need


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


class ParquetBarCache:
    """Bars by symbol and timeframe in Parquet files under ``root`` (LZ4: the fastest to read here)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root) / "bars"

    def path(self, symbol: str, tf: str) -> Path:
        return self.root / _slug(symbol) / f"{_slug(tf)}.parquet"

    def read(self, symbol: str, tf: str, start_ns: int | None = None, end_ns: int | None = None) -> pd.DataFrame | None:
        """Return cached bars with ``start_ns <= ts <= end_ns`` (None when nothing is cached)."""
        import pandas as pd

        p = self.path(symbol, tf)
        if not p.exists():
            return None
        try:
            table = self._table(p, start_ns, end_ns)
        except Exception as exc:  # a truncated or foreign file must name itself
            raise DataError(f"{p}: unreadable cache file: {exc}") from None
        ts = table.column("ts").to_numpy()
        lo = 0 if start_ns is None else int(np.searchsorted(ts, start_ns, side="left"))
        hi = len(ts) if end_ns is None else int(np.searchsorted(ts, end_ns, side="right"))
        data = {c: table.column(c).to_numpy()[lo:hi] for c in OHLCV}
        index = pd.DatetimeIndex(ts[lo:hi].view("datetime64[ns]"), name="ts").tz_localize("UTC")
        return pd.DataFrame(data, index=index, copy=False)

    def last_ts(self, symbol: str, tf: str) -> int | None:
        """Close time of the newest cached bar, from the last row group's statistics."""
        import pyarrow.parquet as pq

        p = self.path(symbol, tf)
        if not p.exists():
            return None
        try:
            meta = pq.ParquetFile(p).metadata
        except Exception as exc:
            raise DataError(f"{p}: unreadable cache file: {exc}") from None
        if meta.num_row_groups == 0 or meta.num_rows == 0:
            return None
        stats = meta.row_group(meta.num_row_groups - 1).column(0).statistics
        return int(stats.max) if stats is not None and stats.has_min_max else None

    @staticmethod
    def _table(p: Path, start_ns: int | None, end_ns: int | None) -> Any:
        """Read only the row groups whose ``ts`` range meets ``[start_ns, end_ns]``."""
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(p, memory_map=True)
        if start_ns is None and end_ns is None:
            return pf.read()
        groups = []
        for i in range(pf.metadata.num_row_groups):
            st = pf.metadata.row_group(i).column(0).statistics
            if st is None or not st.has_min_max:
                groups.append(i)
            elif (start_ns is None or st.max >= start_ns) and (end_ns is None or st.min <= end_ns):
                groups.append(i)
        return pf.read_row_groups(groups) if groups else pf.schema_arrow.empty_table()

    def sources(self, symbol: str, tf: str) -> list[str]:
        import pyarrow.parquet as pq

        p = self.path(symbol, tf)
        if not p.exists():
            return []
        meta = pq.read_schema(p).metadata or {}
        return list(json.loads(meta.get(b"tradefleet.sources", b"[]")))

    def write(self, symbol: str, tf: str, frame: pd.DataFrame, source: str) -> int:
        """Merge ``frame`` into the cache; return the number of bars stored."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        new_ts = frame.index.as_unit("ns").asi8
        cols = {c: frame[c].to_numpy(dtype="float64") for c in OHLCV}
        old = self.read(symbol, tf)
        if old is not None and len(old):
            old_ts = old.index.as_unit("ns").asi8
            keep = ~np.isin(old_ts, new_ts)
            ts = np.concatenate([old_ts[keep], new_ts])
            cols = {c: np.concatenate([old[c].to_numpy()[keep], cols[c]]) for c in OHLCV}
            order = np.argsort(ts, kind="stable")
            ts = ts[order]
            cols = {c: v[order] for c, v in cols.items()}
        else:
            ts = new_ts
        sources = sorted(set(self.sources(symbol, tf)) | {source})
        table = pa.table({"ts": pa.array(ts, pa.int64()), **{c: pa.array(v, pa.float64()) for c, v in cols.items()}})
        table = table.replace_schema_metadata({"tradefleet.sources": json.dumps(sources)})
        p = self.path(symbol, tf)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp, compression="lz4", use_dictionary=False, row_group_size=ROW_GROUP)
        os.replace(tmp, p)
        return len(ts)
