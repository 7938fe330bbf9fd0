"""The paper broker: a venue simulated from the current bar.

Market orders fill at once at the bid (sells) or ask (buys) derived from the last bar,
plus slippage that grows with the order's size relative to the bar's volume (capped at
``max_impact_bps``; none for FX, whose bars carry tick volume, not units), plus fees.
Limit orders rest and fill when a later bar trades through the limit. The paper broker
keeps its own book (a :class:`~orchestrator.portfolio.Ledger`), as a venue would, so
reconciliation compares two independent records.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from orchestrator.clock import Clock
from orchestrator.domain import AssetClass, Bar, Fill, Instrument, Order, OrderStatus, OrderType, Side
from orchestrator.errors import OrderRejected
from orchestrator.execution.broker import AccountSnapshot, VenueOrder
from orchestrator.market import MarketState
from orchestrator.portfolio import Ledger

if TYPE_CHECKING:
    from orchestrator.services import Services
    from orchestrator.store.records import OrderRecord



@dataclass(frozen=True)
class PaperCosts:
    """Cost model: quoted spread comes from the market state; these add to it."""

    slippage_bps: float = 1.0
    fee_bps: float = 1.0
    impact_bps_per_pct_volume: float = 10.0
    max_impact_bps: float = 50.0


class PaperBroker:
    """A simulated venue account filling from the current bar."""

    name: ClassVar[str] = "paper"
    api_version: ClassVar[int] = 1

    def __init__(self, market: MarketState, clock: Clock, starting_cash: Decimal,
                 costs: PaperCosts | None = None, venue: str = "paper",
                 instruments: dict[str, Instrument] | None = None) -> None:
        self._market = market
        self._tick_volume = {s for s, i in (instruments or {}).items() if i.asset_class is AssetClass.FX}
        self._tick_volume_free = {s for s, i in (instruments or {}).items() if i.asset_class is AssetClass.PREDICTION}
        self._settled: set[str] = set()
        self._clock = clock
        self._costs = costs or PaperCosts()
        self._venue = venue
        self._book = Ledger(starting_cash, market.last_close)
        self._orders: dict[str, VenueOrder] = {}
        self._resting: dict[str, Order] = {}
        self._fills: list[Fill] = []
        self._ids = itertools.count(1)
        from orchestrator.execution.fees import SCHEDULES, BpsFees, schedule_for

        bps = Decimal(repr(self._costs.fee_bps))
        self._default_fees = BpsFees(bps, bps)
        # an instrument of a named venue pays that venue's schedule (Kalshi's formula, SEC/TAF...)
        self._fees = {sym: schedule_for(i.venue, i.asset_class.value) for sym, i in (instruments or {}).items()
                      if i.venue in SCHEDULES and i.venue != "paper"}

    @classmethod
    def build(cls, services: Services) -> PaperBroker:
        """The paper account of a kernel, from ``[paper]`` and ``[engine]`` config."""
        cfg = services.config
        market = services.market
        if not isinstance(market, MarketState):
            raise TypeError("the paper broker fills from a MarketState")
        return cls(market, services.clock, Decimal(repr(cfg.engine.starting_cash)),
                   PaperCosts(cfg.paper.slippage_bps, cfg.paper.fee_bps), instruments=services.instruments)

    # -- Broker -------------------------------------------------------------------------
    def submit(self, order: Order) -> VenueOrder:
        if order.client_order_id in self._orders:  # idempotent: a retry returns the same order
            return self._orders[order.client_order_id]
        if order.quantity <= 0:
            raise OrderRejected(f"order {order.client_order_id}: quantity must be positive, got {order.quantity}")
        quote = self._market.quote(order.instrument)
        if quote is None:
            raise OrderRejected(f"order {order.client_order_id}: no market data for {order.instrument}")
        venue_id = f"{self._venue}-{next(self._ids)}"
        if order.order_type is OrderType.LIMIT:
            if order.limit_price is None:
                raise OrderRejected(f"order {order.client_order_id}: limit order without a limit price")
            ack = self._ack(order, venue_id, OrderStatus.ACCEPTED)
            self._resting[order.client_order_id] = order
            self._try_limit(order, quote[1] if order.side is Side.BUY else quote[0])
            return self._orders[order.client_order_id] if order.client_order_id in self._orders else ack
        bid, ask = quote
        price = self._with_slippage(order, ask if order.side is Side.BUY else bid)
        self._ack(order, venue_id, OrderStatus.ACCEPTED)
        return self._fill(order, order.quantity, price)

    def cancel(self, client_order_id: str) -> VenueOrder:
        vo = self._orders.get(client_order_id)
        if vo is None:
            raise OrderRejected(f"cancel {client_order_id}: unknown order")
        if client_order_id in self._resting:
            del self._resting[client_order_id]
            vo = self._replace(vo, status=OrderStatus.CANCELED)
        return vo

    def query_order(self, client_order_id: str) -> VenueOrder | None:
        return self._orders.get(client_order_id)

    def settle(self, instrument: str, outcome_yes: bool) -> None:
        """A binary contract resolved: it now trades at exactly 1 or 0, without fees."""
        self._market.settle(instrument, 1.0 if outcome_yes else 0.0)
        self._settled.add(instrument)

    def has_resting_orders(self) -> bool:
        return bool(self._resting)

    def open_orders(self) -> list[VenueOrder]:
        return [self._orders[cid] for cid in self._resting]

    def positions(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for p in self._book.positions():
            if p.quantity:
                out[p.instrument] = out.get(p.instrument, Decimal(0)) + p.quantity
        return out

    def account(self) -> AccountSnapshot:
        return AccountSnapshot(self._venue, "USD", self._book.cash(), self._book.equity())

    def poll_fills(self) -> list[Fill]:
        fills, self._fills = self._fills, []
        return fills

    def restore(self, fills: list[Fill], records: list[OrderRecord]) -> None:
        """Rebuild this in-process venue after a restart from its stored fills and orders.

        The book is the fold of the fills; open limit orders rest again; any other order
        still open in the store died with the old process (CANCELED here, so reconciliation
        settles it); new venue order ids continue after the highest one stored."""
        for fill in fills:
            self._book.apply_fill(self._venue, fill)
        highest = 0
        prefix = f"{self._venue}-"
        for rec in records:
            vid = rec.venue_order_id or ""
            if vid.startswith(prefix) and vid[len(prefix):].isdigit():
                highest = max(highest, int(vid[len(prefix):]))
            if not vid or not rec.status.is_open:
                continue
            resting = rec.order_type is OrderType.LIMIT and rec.limit_price is not None and not rec.filled_quantity
            status = OrderStatus.ACCEPTED if resting else OrderStatus.CANCELED
            self._orders[rec.client_order_id] = VenueOrder(rec.client_order_id, vid, rec.instrument, rec.side,
                                                           rec.quantity, rec.filled_quantity, status, rec.avg_price)
            if resting:
                self._resting[rec.client_order_id] = rec.order
        self._ids = itertools.count(highest + 1)

    # -- simulation ---------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Fill resting limit orders that this bar traded through."""
        for cid, order in list(self._resting.items()):
            if order.instrument != bar.symbol or order.limit_price is None:
                continue
            limit = float(order.limit_price)
            if order.side is Side.BUY and bar.low <= limit:
                self._try_limit(order, min(limit, bar.open))
            elif order.side is Side.SELL and bar.high >= limit:
                self._try_limit(order, max(limit, bar.open))

    def _try_limit(self, order: Order, touch: float) -> None:
        assert order.limit_price is not None
        crossed = touch <= order.limit_price if order.side is Side.BUY else touch >= order.limit_price
        if crossed:
            self._resting.pop(order.client_order_id, None)
            self._fill(order, order.quantity, Decimal(repr(touch)), "maker")

    def _with_slippage(self, order: Order, price: float) -> Decimal:
        if order.instrument in self._tick_volume_free:
            return Decimal(repr(price))  # a recorded touch or a settlement price: no model on top
        volume = 0.0 if order.instrument in self._tick_volume else self._market.last_volume(order.instrument)
        pct_of_volume = float(order.quantity) / volume * 100.0 if volume > 0 else 0.0
        impact = min(self._costs.impact_bps_per_pct_volume * pct_of_volume, self._costs.max_impact_bps)
        bps = self._costs.slippage_bps + impact
        adj = 1.0 + order.side.sign * bps / 10_000.0
        return Decimal(repr(round(price * adj, 10)))

    def _fill(self, order: Order, qty: Decimal, price: Decimal, liquidity: str = "taker") -> VenueOrder:
        now = self._clock.now_ns()
        vo = self._orders[order.client_order_id]
        fees = self._fees.get(order.instrument, self._default_fees)
        fee = Decimal(0) if order.instrument in self._settled else fees.fee(order.side, qty, price, liquidity)  # type: ignore[arg-type]
        fill = Fill(order.client_order_id, self._venue, vo.venue_order_id, f"{vo.venue_order_id}-t1",
                    order.instrument, order.side, qty, price, fee, now, now)
        self._book.apply_fill(self._venue, fill)
        self._fills.append(fill)
        return self._replace(vo, status=OrderStatus.FILLED, filled_quantity=qty, avg_price=price)

    def _ack(self, order: Order, venue_id: str, status: OrderStatus) -> VenueOrder:
        vo = VenueOrder(order.client_order_id, venue_id, order.instrument, order.side, order.quantity,
                        Decimal(0), status)
        self._orders[order.client_order_id] = vo
        return vo

    def _replace(self, vo: VenueOrder, **changes: object) -> VenueOrder:
        from dataclasses import replace

        new = replace(vo, **changes)  # type: ignore[arg-type]
        self._orders[vo.client_order_id] = new
        return new
