"""Market state as of now: the bars each symbol has closed so far.

Replay preloads whole histories and moves a cursor forward (no copying, no lookahead:
readers see only rows up to the cursor); live appends bars as they close. Implements
:class:`~tradefleet.orchestrator.pipeline.gate.MarketView` and
:class:`~tradefleet.orchestrator.services.MarketData`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradefleet.orchestrator.domain import Bar
from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    import pandas as pd


class _Series:
    __slots__ = ("frame", "ts", "o", "h", "l", "c", "v", "cursor", "size")

    def __init__(self, frame: pd.DataFrame | None, capacity: int = 16) -> None:
        self.frame = frame
        self.cursor = -1
        if frame is None:  # live: arrays grow as bars arrive
            self.size = 0
            self.ts = np.zeros(capacity, dtype=np.int64)
            self.o, self.h, self.l, self.c, self.v = (np.zeros(capacity) for _ in range(5))
            return
        self.size = len(frame)
        self.ts = frame.index.as_unit("ns").asi8.astype(np.int64)
        cols = frame[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)
        self.o, self.h, self.l, self.c, self.v = (np.ascontiguousarray(cols[:, i]) for i in range(5))

    def push(self, bar: Bar) -> None:
        self.push_values(bar.ts_event, bar.open, bar.high, bar.low, bar.close, bar.volume)

    def push_values(self, ts: int, o: float, h: float, l: float, c: float, v: float) -> None:  # noqa: E741
        if self.size == len(self.ts):
            grow = len(self.ts)
            self.ts = np.concatenate([self.ts, np.zeros(grow, dtype=np.int64)])
            self.o, self.h, self.l, self.c, self.v = (np.concatenate([a, np.zeros(grow)])
                                                     for a in (self.o, self.h, self.l, self.c, self.v))
        i = self.size
        self.ts[i], self.o[i], self.h[i], self.l[i], self.c[i], self.v[i] = ts, o, h, l, c, v
        self.size += 1
        self.cursor = i

    def window(self, start: int, end: int) -> pd.DataFrame:
        import pandas as pd

        if self.frame is not None:
            return self.frame.iloc[start:end]
        idx = pd.DatetimeIndex(self.ts[start:end].astype("datetime64[ns]"), name="ts").tz_localize("UTC")
        return pd.DataFrame({"open": self.o[start:end], "high": self.h[start:end], "low": self.l[start:end],
                             "close": self.c[start:end], "volume": self.v[start:end]}, index=idx)


class _Tape:
    __slots__ = ("ts", "price", "size")

    def __init__(self, ts: np.ndarray, price: np.ndarray, size: np.ndarray) -> None:
        self.ts, self.price, self.size = ts, price, size


class MarketState:
    """Bars closed so far, per symbol, with quotes derived from the last bar."""

    def __init__(self, spread_bps: float = 2.0) -> None:
        self._series: dict[str, _Series] = {}
        self._half_spread = spread_bps / 20_000.0
        self.spread_bps = spread_bps
        self._quoted: set[str] = set()  # symbols whose bars carry the touch: low = bid, high = ask
        self._settled: dict[str, float] = {}
        self._depth: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per-row displayed sizes at the touch
        self._live_depth: dict[str, tuple[float, float]] = {}
        self._tapes: dict[str, _Tape] = {}  # public trade prints
        self._sorted: tuple[str, ...] | None = None  # symbols() until a new symbol arrives

    # -- loading and advancing --------------------------------------------------------
    def load(self, symbol: str, frame: pd.DataFrame, quoted: bool = False) -> None:
        """Preload ``symbol``'s history (replay); nothing is visible until advanced.
        ``quoted``: each bar's low and high are the recorded bid and ask."""
        self._series[symbol] = _Series(frame)
        self._sorted = None
        if quoted:
            self._quoted.add(symbol)
            if "bid_size" in frame.columns and "ask_size" in frame.columns:
                self._depth[symbol] = (frame["bid_size"].to_numpy(dtype=np.float64),
                                       frame["ask_size"].to_numpy(dtype=np.float64))

    def load_tape(self, symbol: str, ts: np.ndarray, price: np.ndarray, size: np.ndarray) -> None:
        """Preload ``symbol``'s public trade prints (replay): times in ns, prices, sizes,
        in time order. Resting maker orders of quoted contracts fill only against these."""
        self._tapes[symbol] = _Tape(np.asarray(ts, dtype=np.int64), np.asarray(price, dtype=np.float64),
                                    np.asarray(size, dtype=np.float64))

    def add_prints(self, symbol: str, prints: list[tuple[int, float, float]]) -> None:
        """Append public trade prints ``(ts_ns, price, size)`` of ``symbol`` (live/paper);
        prints at or before the last one held are ignored (a venue listing them twice)."""
        tape = self._tapes.get(symbol)
        last = int(tape.ts[-1]) if tape is not None and len(tape.ts) else -1
        new = sorted(p for p in prints if p[0] > last)
        if not new:
            return
        ts = np.array([p[0] for p in new], dtype=np.int64)
        px = np.array([p[1] for p in new], dtype=np.float64)
        sz = np.array([p[2] for p in new], dtype=np.float64)
        if tape is None:
            self._tapes[symbol] = _Tape(ts, px, sz)
        else:
            self._tapes[symbol] = _Tape(np.concatenate([tape.ts, ts]), np.concatenate([tape.price, px]),
                                        np.concatenate([tape.size, sz]))

    def prints(self, symbol: str, after_ns: int, upto_ns: int) -> list[tuple[int, float, float]]:
        """Trade prints of ``symbol`` with ``after_ns < ts <= upto_ns``, in time order."""
        tape = self._tapes.get(symbol)
        if tape is None:
            return []
        lo = int(np.searchsorted(tape.ts, after_ns, side="right"))
        hi = int(np.searchsorted(tape.ts, upto_ns, side="right"))
        if hi <= lo:
            return []
        return list(zip(tape.ts[lo:hi].tolist(), tape.price[lo:hi].tolist(), tape.size[lo:hi].tolist(), strict=True))

    def set_depth(self, symbol: str, bid_size: float, ask_size: float) -> None:
        """The displayed sizes at the touch of ``symbol``'s latest quote (live/paper)."""
        self._live_depth[symbol] = (float(bid_size), float(ask_size))

    def depth(self, symbol: str) -> tuple[float, float] | None:
        """(bid size, ask size) displayed at the touch now, when the quotes carry them."""
        d = self._depth.get(symbol)
        if d is not None:
            s = self._series[symbol]
            return (float(d[0][s.cursor]), float(d[1][s.cursor])) if s.cursor >= 0 else None
        return self._live_depth.get(symbol)

    def is_quoted(self, symbol: str) -> bool:
        """Whether ``symbol``'s bars are recorded quotes (low = bid, high = ask)."""
        return symbol in self._quoted

    def is_settled(self, symbol: str) -> bool:
        return symbol in self._settled

    def settle(self, symbol: str, price: float) -> None:
        """The contract resolved: it trades at ``price`` (1 or 0) from now on, bid = ask."""
        self._settled[symbol] = price

    def timestamps(self, symbol: str) -> np.ndarray:
        return self._series[symbol].ts

    def advance(self, symbol: str, row: int) -> Bar:
        """Make rows up to ``row`` visible and return that bar."""
        s = self._series[symbol]
        if row < s.cursor:
            raise DataError(f"{symbol}: market cannot move backwards (row {row} < {s.cursor})")
        s.cursor = row
        return Bar(symbol, int(s.ts[row]), float(s.o[row]), float(s.h[row]), float(s.l[row]),
                   float(s.c[row]), float(s.v[row]), int(s.ts[row]))

    def append(self, bar: Bar, quoted: bool = False) -> None:
        """Add a newly closed bar (live); bars must arrive in time order. ``quoted``: the
        bar's low and high are the venue's bid and ask (a binary contract's book)."""
        if quoted:
            self._quoted.add(bar.symbol)
        s = self._series.get(bar.symbol)
        if s is None:
            s = self._series[bar.symbol] = _Series(None)
            self._sorted = None
        elif s.frame is not None:
            raise DataError(f"{bar.symbol}: history is preloaded for replay; live bars cannot be appended")
        if s.cursor >= 0 and bar.ts_event <= int(s.ts[s.cursor]):
            raise DataError(f"{bar.symbol}: bar at {bar.ts_event} ns is not after the last bar ({int(s.ts[s.cursor])} ns)")
        s.push(bar)

    def put_quote(self, symbol: str, ts_ns: int, bid: float, ask: float) -> Bar:
        """A quote from a chain (an option's bid and ask at ``ts_ns``): kept as a quoted bar
        (low = bid, high = ask, close = mid); a second quote at the same instant replaces it.
        Returns that bar."""
        self.set_quote(symbol, ts_ns, bid, ask)
        mid = (bid + ask) / 2.0
        return Bar(symbol, ts_ns, mid, ask, bid, mid, 0.0, ts_ns)

    def set_quote(self, symbol: str, ts_ns: int, bid: float, ask: float) -> None:
        """:meth:`put_quote` without building the bar (a chain sets about 130 quotes a bar)."""
        mid = (bid + ask) / 2.0
        s = self._series.get(symbol)
        self._quoted.add(symbol)
        if s is not None and s.cursor >= 0 and s.frame is None:
            last = int(s.ts[s.cursor])
            if last == ts_ns:
                i = s.cursor
                s.o[i], s.h[i], s.l[i], s.c[i] = mid, ask, bid, mid
                return
            if ts_ns > last:  # as append: a later quote of a live series
                s.push_values(ts_ns, mid, ask, bid, mid, 0.0)
                return
        self.append(Bar(symbol, ts_ns, mid, ask, bid, mid, 0.0, ts_ns), quoted=True)

    def keep_last_only(self, symbol: str) -> None:
        """Drop the history of a live series but its last row (an expired option contract:
        its last quote is what marks and settlement read; nothing reads its past quotes).
        A later quote grows it again. A preloaded (replay) series is left as it is."""
        s = self._series.get(symbol)
        if s is None or s.frame is not None or s.cursor < 0 or len(s.ts) == 1:
            return
        r = s.cursor
        s.ts = s.ts[r:r + 1].copy()
        s.o, s.h, s.l, s.c, s.v = (a[r:r + 1].copy() for a in (s.o, s.h, s.l, s.c, s.v))
        s.size, s.cursor = 1, 0

    # -- MarketView -------------------------------------------------------------------
    def last_bar(self, symbol: str) -> Bar | None:
        s = self._series.get(symbol)
        if s is None or s.cursor < 0:
            return None
        r = s.cursor
        return Bar(symbol, int(s.ts[r]), float(s.o[r]), float(s.h[r]), float(s.l[r]), float(s.c[r]),
                   float(s.v[r]), int(s.ts[r]))

    def last_close(self, symbol: str) -> float | None:
        if symbol in self._settled:
            return self._settled[symbol]
        s = self._series.get(symbol)
        if s is None or s.cursor < 0:
            return None
        return float(s.c[s.cursor])

    def last_volume(self, symbol: str) -> float:
        s = self._series.get(symbol)
        return 0.0 if s is None or s.cursor < 0 else float(s.v[s.cursor])

    def quote(self, symbol: str) -> tuple[float, float] | None:
        if symbol in self._settled:
            return self._settled[symbol], self._settled[symbol]
        if symbol in self._quoted:
            s = self._series[symbol]
            return (float(s.l[s.cursor]), float(s.h[s.cursor])) if s.cursor >= 0 else None
        px = self.last_close(symbol)
        if px is None:
            return None
        return px * (1.0 - self._half_spread), px * (1.0 + self._half_spread)

    def hlc(self, symbol: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views of the last ``n`` highs, lows and closes, oldest first (no copy)."""
        s = self._series.get(symbol)
        if s is None or s.cursor < 0:
            empty = np.empty(0)
            return empty, empty, empty
        lo, hi = max(0, s.cursor - n + 1), s.cursor + 1
        return s.h[lo:hi], s.l[lo:hi], s.c[lo:hi]

    def closes(self, symbol: str, n: int) -> list[float]:
        return self._last_closes(symbol, n).tolist()  # type: ignore[no-any-return]

    def close_array(self, symbol: str, n: int) -> np.ndarray:
        """A copy of the last ``n`` closes as float64 (:meth:`closes` without the list): what
        the risk model takes when it rebuilds and derives from later."""
        return self._last_closes(symbol, n).copy()

    def _last_closes(self, symbol: str, n: int) -> np.ndarray:
        """A view of the last ``n`` closes (empty before the first bar)."""
        s = self._series.get(symbol)
        if s is None or s.cursor < 0:
            return np.empty(0)
        return s.c[max(0, s.cursor - n + 1): s.cursor + 1]

    # -- MarketData -------------------------------------------------------------------
    def frame(self, symbol: str, bars: int | None = None) -> pd.DataFrame:
        s = self._series.get(symbol)
        if s is None:
            raise DataError(f"no market data loaded for {symbol!r}")
        end = s.cursor + 1
        start = 0 if bars is None else max(0, end - bars)
        return s.window(start, end)

    def arrays(self, symbol: str, bars: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The last ``bars`` closed bars of ``symbol`` as array views: (close times in ns,
        {open, high, low, close, volume}); the no-copy form of :meth:`frame`."""
        s = self._series.get(symbol)
        if s is None:
            raise DataError(f"no market data loaded for {symbol!r}")
        end = s.cursor + 1
        start = 0 if bars is None else max(0, end - bars)
        return s.ts[start:end], {"open": s.o[start:end], "high": s.h[start:end], "low": s.l[start:end],
                                 "close": s.c[start:end], "volume": s.v[start:end]}

    def symbols(self) -> tuple[str, ...]:
        """Every symbol with data, sorted: one tuple kept until a new symbol arrives (the
        risk gate asks per tick, and option quotes add thousands of series)."""
        if self._sorted is None:
            self._sorted = tuple(sorted(self._series))
        return self._sorted
