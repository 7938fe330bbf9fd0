"""Hand-written fakes of the kernel views the risk gate reads (no mocks)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from tradefleet.orchestrator.bot import Bot, BotSpec, Schedule
from tradefleet.orchestrator.domain import AssetClass, Bar, Direction, Position, Signal

DAY = 86_400 * 1_000_000_000
T0 = 1_767_268_800 * 1_000_000_000  # 2026-01-01 12:00 UTC


class NullBot(Bot):
    family = "test"

    def compute(self, frame):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def spec(name: str = "bot-a", family: str = "test") -> BotSpec:
    return BotSpec(name, NullBot, ("X",), Schedule.interval("1d"), "1d", AssetClass.EQUITY)


class FakeMarket:
    """Closes per symbol; the last one is 'now'. Quotes are the close (no spread)."""

    def __init__(self, closes: dict[str, list[float]], now_ns: int = T0, bar_ns: int = DAY) -> None:
        self.closes_by = {k: list(v) for k, v in closes.items()}
        self.now_ns = now_ns
        self.bar_ns = bar_ns

    def last_close(self, symbol: str) -> float | None:
        c = self.closes_by.get(symbol)
        return c[-1] if c else None

    def last_bar(self, symbol: str) -> Bar | None:
        c = self.last_close(symbol)
        return None if c is None else Bar(symbol, self.now_ns, c, c, c, c, 1.0, self.now_ns)

    def quote(self, symbol: str) -> tuple[float, float] | None:
        c = self.last_close(symbol)
        return None if c is None else (c, c)

    def closes(self, symbol: str, n: int) -> list[float]:
        return self.closes_by.get(symbol, [])[-n:]

    def symbols(self) -> list[str]:
        return sorted(self.closes_by)


class FakePortfolio:
    """Cash and positions; fills are applied by :meth:`fill` at the market's close."""

    def __init__(self, cash: float, market: FakeMarket) -> None:
        self._cash = Decimal(repr(cash))
        self.market = market
        self.books: dict[tuple[str, str], Position] = {}

    def cash(self) -> Decimal:
        return self._cash

    def equity(self) -> Decimal:
        return self._cash + sum((p.quantity * Decimal(repr(self.market.last_close(p.instrument) or 0))
                                 for p in self.books.values()), Decimal(0))

    def position(self, bot: str, instrument: str) -> Position | None:
        return self.books.get((bot, instrument))

    def positions(self) -> list[Position]:
        return list(self.books.values())

    def open_position_count(self) -> int:
        return sum(1 for p in self.books.values() if p.quantity)

    def fill(self, bot: str, instrument: str, qty: Decimal) -> None:
        price = Decimal(repr(self.market.last_close(instrument)))
        old = self.books.get((bot, instrument))
        held = old.quantity if old else Decimal(0)
        avg = old.avg_price if old else price
        realized = old.realized_pnl if old else Decimal(0)
        new = held + qty
        if held and (held > 0) != (qty > 0):
            closed = min(abs(qty), abs(held))
            realized += closed * (price - avg) * (1 if held > 0 else -1)
            if new and (new > 0) != (held > 0):
                avg = price
        elif new:
            avg = (held * avg + qty * price) / new
        self._cash -= qty * price
        self.books[(bot, instrument)] = Position(bot, instrument, new, avg, realized)


def random_walks(symbols: list[str], n: int, seed: int, vol: float = 0.01,
                 corr: float = 0.0) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    common = rng.normal(0, vol, n)
    out = {}
    for s in symbols:
        r = np.sqrt(corr) * common + np.sqrt(1 - corr) * rng.normal(0, vol, n)
        out[s] = (100 * np.cumprod(1 + r)).tolist()
    return out


def signal(bot: str, instrument: str, direction: Direction, entry: float, ts: int = T0,
           stop: float | None = None, **meta: object) -> Signal:
    return Signal(bot, instrument, direction, 1.0, entry, ts, ts, stop=stop, meta=dict(meta))
