"""Turning a bot's ``compute`` output into edge-triggered signals.

Backtests and replay evaluate ``compute`` once over the whole history and read row *t*
at time *t*; live evaluates it on the recent window and reads the last row. Both go
through :meth:`BotRunner.signal_for`, so the conversion from columns to signals is one
piece of code. A signal is emitted when the bot's target direction for an instrument
changes (edge-triggered), never on every tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tradefleet.orchestrator.bot import Bot, BotSpec
from tradefleet.orchestrator.domain import Direction, Signal
from tradefleet.orchestrator.errors import PluginError

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.panel import Panel
    from tradefleet.orchestrator.services import MarketData
    from tradefleet.orchestrator.universe import UniverseState


@dataclass
class SignalTable:
    """One bot's signal columns over one instrument's history, as arrays."""

    ts: np.ndarray
    signal: np.ndarray
    confidence: np.ndarray
    stop: np.ndarray
    target: np.ndarray
    close: np.ndarray
    cursor: int = -1

    @classmethod
    def from_frame(cls, bot_name: str, frame: pd.DataFrame, out: pd.DataFrame) -> SignalTable:
        """Validate ``compute`` output against its input and convert to arrays."""
        if "signal" not in out.columns:
            raise PluginError(f"bot {bot_name}: compute() returned no 'signal' column (got {list(out.columns)})")
        if len(out) != len(frame) or not out.index.equals(frame.index):
            raise PluginError(f"bot {bot_name}: compute() must return one row per input bar with the same index")
        n = len(out)

        def col(name: str, default: float) -> np.ndarray:
            if name not in out.columns:
                return np.full(n, default)
            return out[name].to_numpy(dtype=np.float64, na_value=np.nan)

        sig = np.nan_to_num(np.sign(col("signal", 0.0)), nan=0.0).astype(np.int8)
        conf = np.clip(np.nan_to_num(col("confidence", 1.0), nan=1.0), 0.0, 1.0)
        return cls(frame.index.as_unit("ns").asi8.astype(np.int64), sig, conf, col("stop", np.nan), col("target", np.nan),
                   frame["close"].to_numpy(dtype=np.float64))

    def row_at(self, ts_ns: int) -> int:
        """Index of the last bar closed at or before ``ts_ns`` (-1 if none); time only
        moves forward, so this advances a cursor."""
        c, ts, n = self.cursor, self.ts, len(self.ts)
        while c + 1 < n and ts[c + 1] <= ts_ns:
            c += 1
        self.cursor = c
        return c


@dataclass
class WeightsTable:
    """A portfolio bot's ``weights(panel)`` over the whole history, as arrays."""

    ts: np.ndarray
    instruments: tuple[str, ...]
    values: np.ndarray  # (rows, instruments), NaN: no opinion
    cursor: int = -1

    @classmethod
    def from_frame(cls, bot_name: str, panel_ts: np.ndarray, instruments: tuple[str, ...],
                   out: pd.DataFrame) -> WeightsTable:
        """Validate ``weights`` output against its panel and convert to arrays."""
        if len(out) != len(panel_ts) or not np.array_equal(out.index.as_unit("ns").asi8, panel_ts):
            raise PluginError(f"bot {bot_name}: weights() must return one row per panel row with the panel's index")
        unknown = set(map(str, out.columns)) - set(instruments)
        if unknown:
            raise PluginError(f"bot {bot_name}: weights() names instruments outside its universe: {sorted(unknown)}")
        cols = [str(c) for c in out.columns]
        return cls(panel_ts.astype(np.int64), tuple(cols), out.to_numpy(dtype=np.float64, na_value=np.nan))

    def row_at(self, ts_ns: int) -> int:
        c, ts, n = self.cursor, self.ts, len(self.ts)
        while c + 1 < n and ts[c + 1] <= ts_ns:
            c += 1
        self.cursor = c
        return c

    def weights(self, row: int) -> dict[str, float] | None:
        """The weights at ``row`` (None if the whole row is NaN: no opinion yet)."""
        vals = self.values[row]
        if np.isnan(vals).all():
            return None
        return {s: (0.0 if np.isnan(v) else float(v)) for s, v in zip(self.instruments, vals, strict=True)}


@dataclass
class BotStats:
    evaluations: int = 0
    signals: int = 0
    orders: int = 0
    rejected: int = 0
    skipped_paused: int = 0
    faults: int = 0


@dataclass
class BotRunner:
    """A registered bot at run time: its instance, tables, last targets and stats."""

    spec: BotSpec
    bot: Bot
    tables: dict[str, SignalTable] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)
    stats: BotStats = field(default_factory=BotStats)
    fault: str = ""
    weights: WeightsTable | None = None
    universe: UniverseState | None = None
    panel: Panel | None = None  # replay: the whole history of the universe, read up to now

    @property
    def name(self) -> str:
        return self.spec.name

    def members(self, data: MarketData, now_ns: int) -> tuple[str, ...]:
        """The bot's universe as of ``now_ns`` (Strategy API v2)."""
        if self.universe is None:
            from tradefleet.orchestrator.universe import Universe, UniverseState

            self.universe = UniverseState(self.spec.universe or Universe.static(self.spec.instruments),
                                          self.spec.instruments)
        return self.universe.current(data, now_ns)

    def precompute(self, frames: dict[str, pd.DataFrame]) -> None:
        """Evaluate ``compute`` once over each instrument's whole history (replay); a
        portfolio bot's ``weights`` once over its whole panel (if it has them)."""
        if self.bot.portfolio:
            from tradefleet.orchestrator.panel import Panel

            panel = Panel.from_frames({i: frames[i] for i in self.spec.instruments}, self.spec.instruments)
            self.panel = panel  # each fire reads a point-in-time view of it (no copy)
            out = self.bot.weights(panel)  # type: ignore[attr-defined]
            if out is not None:
                self.weights = WeightsTable.from_frame(self.name, panel.ts, panel.instruments, out)
            return
        for inst in self.spec.instruments:
            frame = frames[inst]
            self.tables[inst] = SignalTable.from_frame(self.name, frame, self.bot.compute(frame))

    def signal_for(self, instrument: str, row: int, table: SignalTable, now_ns: int) -> Signal | None:
        """Return a signal if the target at ``row`` differs from the last one emitted."""
        target = int(table.signal[row]) if row >= 0 else 0
        if target == self.last.get(instrument, 0):
            return None
        self.last[instrument] = target
        meta: dict[str, Any] = {"bar_ts": int(table.ts[row])}
        stop, tgt = table.stop[row], table.target[row]
        return Signal(
            bot=self.name, instrument=instrument, direction=Direction.from_sign(target),
            confidence=float(table.confidence[row]), entry=float(table.close[row]),
            ts_event=int(table.ts[row]), ts_init=now_ns,
            stop=None if np.isnan(stop) else float(stop), target=None if np.isnan(tgt) else float(tgt), meta=meta,
        )

    def replay_signals(self, now_ns: int) -> list[Signal]:
        """Signals as of ``now_ns`` from the precomputed tables."""
        self.stats.evaluations += 1
        out = []
        for inst, table in self.tables.items():
            row = table.row_at(now_ns)
            if row < 0:
                continue
            sig = self.signal_for(inst, row, table, now_ns)
            if sig is not None:
                out.append(sig)
        return out

    def live_signals(self, frames: dict[str, pd.DataFrame], now_ns: int) -> list[Signal]:
        """Signals from ``compute`` on the recent window of each instrument (live)."""
        self.stats.evaluations += 1
        out = []
        for inst in self.spec.instruments:
            frame = frames.get(inst)
            if frame is None or len(frame) == 0:
                continue
            table = SignalTable.from_frame(self.name, frame, self.bot.compute(frame))
            sig = self.signal_for(inst, len(frame) - 1, table, now_ns)
            if sig is not None:
                out.append(sig)
        return out
