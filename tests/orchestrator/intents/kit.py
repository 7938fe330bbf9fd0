"""A real kernel (every gate, the portfolio risk gate, the order manager, the paper broker)
driven bar by bar on a SimClock, for intent tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradefleet.orchestrator.bot import BotSpec, Schedule
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import AssetClass, Instrument
from tradefleet.orchestrator.errors import OrderRejected
from tradefleet.orchestrator.kernel import Kernel, assemble, paper_broker
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.registry import Registry
from tradefleet.orchestrator.store import Store

DAILY = Schedule.interval("1d")


def generated_frame(closes: list[float] | np.ndarray, start: str = "2021-01-04", volume: float = 1e9) -> pd.DataFrame:
    """Generated (synthetic) daily bars whose open is the previous close."""
    idx = pd.date_range(start, periods=len(closes), freq="D", tz="UTC", name="ts").as_unit("ns")
    c = pd.Series(np.asarray(closes, dtype=float), index=idx)
    o = c.shift(1).fillna(c.iloc[0])
    return pd.DataFrame({"open": o, "high": np.maximum(o, c) * 1.001, "low": np.minimum(o, c) * 0.999,
                         "close": c, "volume": volume}, index=idx)


class RejectingBroker:
    """A venue that refuses every order (a closed market, a margin call)."""

    def submit(self, order: Any) -> Any:
        raise OrderRejected(f"order {order.client_order_id}: market closed")

    def cancel(self, client_order_id: str) -> Any:
        raise OrderRejected(f"cancel {client_order_id}: unknown order")

    def query_order(self, client_order_id: str) -> Any:
        return None

    def open_orders(self) -> list[Any]:
        return []

    def positions(self) -> dict[str, Any]:
        return {}

    def account(self) -> Any:
        from decimal import Decimal

        from tradefleet.orchestrator.execution.broker import AccountSnapshot

        return AccountSnapshot("closed", "USD", Decimal(0), Decimal(0))

    def poll_fills(self) -> list[Any]:
        return []


class Harness:
    """Bars of every symbol advance together; the bot fires after each day's bars."""

    def __init__(self, tmp: Path, frames: dict[str, pd.DataFrame], specs: list[BotSpec],
                 config: dict[str, Any] | None = None, stages: list[str] | None = None,
                 rejecting: frozenset[str] = frozenset(), store: Store | None = None, venue: str = "closed") -> None:
        """``rejecting``: instruments routed to a venue (account ``venue``) that refuses every order."""
        raw: dict[str, Any] = {"pipeline": {"stages": stages or ["risk"]}, "risk": {"exits": {"enabled": False}}}
        for k, v in (config or {}).items():
            raw.setdefault(k, {}).update(v) if isinstance(v, dict) else raw.__setitem__(k, v)
        self.config = AppConfig.model_validate(raw)
        self.frames = frames
        self.store = store or Store.open(f"sqlite:///{tmp}/intents.db")
        first = min(int(f.index.asi8[0]) for f in frames.values())
        self.clock = SimClock(first - 1)
        self.market = MarketState(self.config.paper.spread_bps)
        for sym, f in frames.items():
            self.market.load(sym, f)
        self.instruments = {s: Instrument(s, AssetClass.EQUITY) for s in frames}
        brokers: dict[str, Any] | None = None
        route = None
        paper = None
        if rejecting:
            paper = paper_broker(self.config, self.market, self.clock, "paper", self.instruments)
            brokers = {"paper": paper, venue: RejectingBroker()}
            route = lambda s: venue if s in rejecting else "paper"  # noqa: E731
        self.kernel: Kernel = assemble(self.config, store=self.store, registry=Registry.discover(), specs=specs,
                                       clock=self.clock, market=self.market, instruments=self.instruments,
                                       account="paper", brokers=brokers, route=route)
        self.engine = self.kernel.engine
        if paper is not None:
            self.engine.paper = paper
        self.row = -1
        self.stamps = sorted({int(t) for f in frames.values() for t in f.index.asi8})

    def step(self, fire: bool = True) -> None:
        """Advance one timestamp: bars close, then every bot fires."""
        self.row += 1
        ts = self.stamps[self.row]
        self.clock.set_ns(ts)
        for sym, f in self.frames.items():
            pos = int(np.searchsorted(f.index.asi8, ts))
            if pos < len(f) and int(f.index.asi8[pos]) == ts:
                self.engine.on_bar(self.market.advance(sym, pos))
        if fire:
            for name in self.engine.runners:
                self.engine.on_fire(name, ts)

    def run(self, rows: int | None = None) -> None:
        for _ in range(rows if rows is not None else len(self.stamps) - self.row - 1):
            self.step()

    def position(self, bot: str, sym: str) -> float:
        p = self.engine.ledger.position(bot, sym)
        return float(p.quantity) if p is not None else 0.0

    def close(self) -> None:
        self.store.close()


def spec(name: str, bot: type, instruments: tuple[str, ...], **kw: Any) -> BotSpec:
    return BotSpec(name, bot, instruments, DAILY, "1d", AssetClass.EQUITY, **kw)
