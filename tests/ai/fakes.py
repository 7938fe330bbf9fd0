"""Hand-written fakes for the ai tests: bar history truncated at a SimClock, a market view
over it, an empty portfolio, and a minimal bot spec."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from tradefleet.orchestrator.bot import REGIMES, Bot, BotSpec, Schedule
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import AssetClass, Bar, Position
from tradefleet.orchestrator.pipeline.gate import GateContext


class FrameData:
    """MarketData over in-memory frames: only bars closed at or before the clock."""

    def __init__(self, frames: dict[str, pd.DataFrame], clock: SimClock) -> None:
        self.frames = frames
        self.clock = clock
        self._ns = {s: f.index.as_unit("ns").asi8 for s, f in frames.items()}
        self.calls = 0

    def frame(self, symbol: str, bars: int | None = None) -> pd.DataFrame:
        self.calls += 1
        if symbol not in self.frames:  # as the kernel's MarketState does
            from tradefleet.orchestrator.errors import DataError

            raise DataError(f"no market data loaded for {symbol!r}")
        f = self.frames[symbol]
        end = int(np.searchsorted(self._ns[symbol], self.clock.now_ns(), side="right"))
        start = 0 if bars is None else max(0, end - bars)
        return f.iloc[start:end]

    def symbols(self) -> list[str]:
        return list(self.frames)


class FrameMarket:
    """MarketView over :class:`FrameData` (bid/ask 1 bp around the last close)."""

    def __init__(self, data: FrameData) -> None:
        self.data = data

    def last_bar(self, symbol: str) -> Bar | None:
        f = self.data.frame(symbol, 1)
        if f.empty:
            return None
        r = f.iloc[-1]
        return Bar(symbol, int(f.index.as_unit("ns").asi8[-1]), float(r.open), float(r.high),
                   float(r.low), float(r.close), float(r.volume))

    def quote(self, symbol: str) -> tuple[float, float] | None:
        bar = self.last_bar(symbol)
        return None if bar is None else (bar.close * 0.9999, bar.close * 1.0001)

    def closes(self, symbol: str, n: int) -> list[float]:
        return self.data.frame(symbol, n)["close"].tolist()


class EmptyPortfolio:
    def cash(self) -> Decimal:
        return Decimal(100_000)

    def equity(self) -> Decimal:
        return Decimal(100_000)

    def position(self, bot: str, instrument: str) -> Position | None:
        return None

    def positions(self) -> list[Position]:
        return []

    def open_position_count(self) -> int:
        return 0


class HoldBot(Bot):
    """A do-nothing bot class for specs."""

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"signal": 0.0}, index=frame.index)


def make_spec(name: str = "t-bot", instrument: str = "EUR/USD", asset_class: AssetClass = AssetClass.FX,
              regimes: frozenset[str] = REGIMES, timeframe: str = "1h", calendar: Any = None) -> BotSpec:
    return BotSpec(name=name, bot=HoldBot, instruments=(instrument,),
                   schedule=Schedule.interval(timeframe, calendar=calendar), timeframe=timeframe,
                   asset_class=asset_class, regimes=regimes)


def make_ctx(clock: SimClock, spec: BotSpec, market: Any, portfolio: Any = None) -> GateContext:
    return GateContext(now_ns=clock.now_ns(), spec=spec, market=market, portfolio=portfolio or EmptyPortfolio())


class FixedMarket:
    """A market view with a hand-set last bar and quote."""

    def __init__(self, symbol: str, bar_ts: int, close: float, spread: float = 0.0) -> None:
        self.bar = Bar(symbol, bar_ts, close, close, close, close, 1.0)
        self.spread = spread

    def last_bar(self, symbol: str) -> Bar | None:
        return self.bar if symbol == self.bar.symbol else None

    def quote(self, symbol: str) -> tuple[float, float] | None:
        c = self.bar.close
        return (c - self.spread / 2, c + self.spread / 2) if symbol == self.bar.symbol else None

    def closes(self, symbol: str, n: int) -> list[float]:
        return [self.bar.close]


def make_services(config: Any, clock: SimClock, frames: dict[str, pd.DataFrame], **extras: Any) -> Any:
    """Services over in-memory frames, an in-process bus and an empty registry."""
    from tradefleet.orchestrator.bus import InProcessBus
    from tradefleet.orchestrator.registry import Registry
    from tradefleet.orchestrator.services import Services

    data = FrameData(frames, clock)
    return Services(config=config, clock=clock, store=None, bus=InProcessBus(), registry=Registry(),  # type: ignore[arg-type]
                    market=FrameMarket(data), portfolio=EmptyPortfolio(), data=data, extras=dict(extras))
