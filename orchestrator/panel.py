"""A point-in-time panel: a bot's universe as bars aligned on one clock.

Rows are the union of every instrument's bar close times (the panel's clock), columns are
instruments; a bar an instrument did not print at a row is NaN and ``present`` is False
there, so missing bars are explicit and never forward-filled behind the bot's back.
``panel.frame(instrument)`` gives today's single-instrument frame (only that
instrument's own bars), so a one-instrument ``compute(frame)`` runs unchanged on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, eq=False)
class Panel:
    """Aligned OHLCV arrays of shape (rows, instruments), NaN where a bar is missing."""

    ts: np.ndarray  # int64 ns, bar close times, ascending
    instruments: tuple[str, ...]
    values: Mapping[str, np.ndarray]  # field -> (rows, instruments) float64
    present: np.ndarray  # (rows, instruments) bool
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame], instruments: list[str] | tuple[str, ...] | None = None,
                    until_ns: int | None = None) -> Panel:
        """Align per-instrument bar frames (UTC index of close times; OHLCV columns) on
        the union of their timestamps, keeping only bars closed at or before ``until_ns``."""
        names = tuple(instruments if instruments is not None else sorted(frames))
        series = {}
        for sym in names:
            if sym not in frames:
                raise DataError(f"panel: no bars for {sym!r}")
            f = frames[sym]
            series[sym] = (f.index.as_unit("ns").asi8, {k: f[k].to_numpy(dtype=np.float64) for k in FIELDS})
        return cls.from_arrays(series, names, until_ns)

    @classmethod
    def from_arrays(cls, series: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]],
                    instruments: list[str] | tuple[str, ...], until_ns: int | None = None) -> Panel:
        """Align per-instrument arrays ``(ts, {field: values})`` (no pandas on this path:
        the engine builds a panel on every fire of a portfolio bot)."""
        names = tuple(instruments)
        stamps: list[np.ndarray] = []
        for sym in names:
            if sym not in series:
                raise DataError(f"panel: no bars for {sym!r}")
            ts = series[sym][0]
            stamps.append(ts if until_ns is None else ts[: int(np.searchsorted(ts, until_ns, side="right"))])
        if stamps and all(len(t) == len(stamps[0]) and np.array_equal(t, stamps[0]) for t in stamps[1:]):
            # one shared calendar (the common case): no alignment needed
            n0 = len(stamps[0])
            return cls(np.asarray(stamps[0], dtype=np.int64), names,
                       {f: np.column_stack([series[s][1][f][:n0] for s in names]).astype(np.float64, copy=False)
                        for f in FIELDS}, np.ones((n0, len(names)), dtype=bool))
        clock = np.unique(np.concatenate(stamps)) if stamps else np.empty(0, dtype=np.int64)
        rows, cols = len(clock), len(names)
        present = np.zeros((rows, cols), dtype=bool)
        values = {f: np.full((rows, cols), np.nan) for f in FIELDS}
        for j, (sym, ts) in enumerate(zip(names, stamps, strict=True)):
            if len(ts) == 0:
                continue
            idx = np.searchsorted(clock, ts)
            present[idx, j] = True
            for f in FIELDS:
                values[f][idx, j] = series[sym][1][f][: len(ts)]
        return cls(clock.astype(np.int64), names, values, present)

    # -- shape --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ts)

    @property
    def now_ns(self) -> int:
        """The close time of the panel's last row (-1 when empty)."""
        return int(self.ts[-1]) if len(self.ts) else -1

    def column(self, instrument: str) -> int:
        try:
            return self.instruments.index(instrument)
        except ValueError:
            raise DataError(f"panel: {instrument!r} is not in the universe {list(self.instruments)}") from None

    # -- views --------------------------------------------------------------------------
    def field(self, name: str) -> pd.DataFrame:
        """One field over the whole panel as a DataFrame (rows = clock, columns =
        instruments), NaN where a bar is missing."""
        if name not in self.values:
            raise DataError(f"panel: unknown field {name!r} (use one of {', '.join(FIELDS)})")
        hit = self._cache.get(name)
        if hit is None:
            import pandas as pd

            hit = self._cache[name] = pd.DataFrame(self.values[name], index=self.index, columns=list(self.instruments))
        return hit

    @property
    def index(self) -> pd.DatetimeIndex:
        import pandas as pd

        return pd.DatetimeIndex(self.ts.astype("datetime64[ns]"), name="ts").tz_localize("UTC")

    @property
    def close(self) -> pd.DataFrame:
        return self.field("close")

    def frame(self, instrument: str) -> pd.DataFrame:
        """``instrument``'s own bars (rows where it printed), as today's one-instrument
        frame: UTC index of close times, columns open, high, low, close, volume."""
        import pandas as pd

        j = self.column(instrument)
        mask = self.present[:, j]
        idx = pd.DatetimeIndex(self.ts[mask].astype("datetime64[ns]"), name="ts").tz_localize("UTC")
        return pd.DataFrame({f: self.values[f][mask, j] for f in FIELDS}, index=idx)

    def bars(self, instrument: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """``instrument``'s own bars as arrays: (close times in ns, {field: values}); the
        fast form of :meth:`frame` (no pandas)."""
        j = self.column(instrument)
        mask = self.present[:, j]
        return self.ts[mask], {f: self.values[f][mask, j] for f in FIELDS}

    def last(self, name: str = "close") -> dict[str, float]:
        """Each instrument's latest printed value of ``name`` (instruments that never
        printed are left out)."""
        out: dict[str, float] = {}
        arr = self.values[name]
        for j, sym in enumerate(self.instruments):
            rows = np.flatnonzero(self.present[:, j])
            if len(rows):
                out[sym] = float(arr[rows[-1], j])
        return out

    def tail(self, rows: int) -> Panel:
        """The last ``rows`` rows (a live window)."""
        start = max(0, len(self.ts) - rows)
        return Panel(self.ts[start:], self.instruments, {f: v[start:] for f, v in self.values.items()},
                     self.present[start:])

    def select(self, instruments: tuple[str, ...] | list[str]) -> Panel:
        """The same rows for a subset of the instruments (in the given order)."""
        names = tuple(instruments)
        if names == self.instruments:
            return self
        cols = [self.column(s) for s in names]
        return Panel(self.ts, names, {f: v[:, cols] for f, v in self.values.items()}, self.present[:, cols])

    def window(self, ts_ns: int, bars: int | None, instruments: tuple[str, ...] | list[str]) -> Panel:
        """Each of ``instruments``' last ``bars`` bars (None: all) closed at or before ``ts_ns``,
        aligned on their union: the panel :meth:`from_arrays` builds from the data hub's
        windows, so a bot sees the same rows in replay as live. A view (no copy) when every
        instrument printed on each of the last ``bars`` rows; rebuilt on uneven calendars."""
        p = self.upto(ts_ns).select(instruments)
        n = len(p.ts) if bars is None else max(bars, 0)
        start = max(0, len(p.ts) - n)
        if p.present[start:].all():
            return p.tail(n)
        series = {}
        for j, sym in enumerate(p.instruments):
            rows = np.flatnonzero(p.present[:, j])
            rows = rows[max(0, len(rows) - n):]
            series[sym] = (p.ts[rows], {f: v[rows, j] for f, v in p.values.items()})
        return Panel.from_arrays(series, p.instruments)

    def upto(self, ts_ns: int) -> Panel:
        """Rows closed at or before ``ts_ns`` (point in time)."""
        end = int(np.searchsorted(self.ts, ts_ns, side="right"))
        return Panel(self.ts[:end], self.instruments, {f: v[:end] for f, v in self.values.items()},
                     self.present[:end])
