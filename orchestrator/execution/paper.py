"""The paper broker: a venue simulated bar by bar through the one fill model.

Every order rests in the broker and is filled by :func:`~tradefleet.orchestrator.execution.fill_model.match_book`
on the bars that close after it arrived: market orders at the next bar's open (or, with
``fill="close"``, at the close of the bar they were decided on), stops at the stop or the
gap open, limits on a trade-through, brackets and OCO groups resolved by the matcher. Takers
pay half the quoted spread, slippage and an impact that grows with the order's share of the
bar's volume (none for FX, whose bars carry tick volume, not units), plus fees. Recorded
quotes (prediction markets, option chains) and settled contracts fill at once at the touch,
with no model on top; an option fill may be moved inside the spread (``option_improvement``:
the share of the half-spread given back, 0 at the touch, 1 at the mid) and pays
``fee_per_contract`` per contract instead of the bps fee. A limit that rests on a binary
contract's recorded book (a market maker's level) fills only against the public trade prints
that trade through it, or at it once the displayed size queued ahead of it has traded (never
on the quote). Exercise, assignment and
expiry are booked by :meth:`PaperBroker.book_at` (a settlement at a set price, no fee), as
the clearing house does. The paper broker keeps its own book (a :class:`~tradefleet.orchestrator.portfolio.Ledger`), as a
venue would, so reconciliation compares two independent records.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.domain import AssetClass, Bar, Fill, Instrument, Order, OrderStatus, OrderType, TimeInForce
from tradefleet.orchestrator.errors import OrderRejected
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.fill_model import (FillConfig, LimitFill, MarketFill, MatchFill, OrderState, QuoteTick,
                                             SameBar, Status, TradePrint, at_close, match_book, match_prints,
                                             queue_ahead)
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.portfolio import Ledger

if TYPE_CHECKING:
    from tradefleet.orchestrator.sections import PaperConfig
    from tradefleet.orchestrator.services import Services
    from tradefleet.orchestrator.store.records import OrderRecord

_STATUS = {Status.OPEN: OrderStatus.ACCEPTED, Status.PENDING: OrderStatus.ACCEPTED,
           Status.FILLED: OrderStatus.FILLED, Status.CANCELED: OrderStatus.CANCELED,
           Status.EXPIRED: OrderStatus.CANCELED, Status.REJECTED: OrderStatus.REJECTED}
_NO_COSTS = FillConfig(limit_fill=LimitFill.TOUCH)


@dataclass(frozen=True)
class PaperCosts:
    """Cost model: quoted spread comes from the market state; these add to it."""

    slippage_bps: float = 1.0
    fee_bps: float = 1.0
    impact_bps_per_pct_volume: float = 10.0
    max_impact_bps: float = 50.0


def fill_config(costs: PaperCosts, spread_bps: float, paper: PaperConfig | None = None) -> FillConfig:
    """The fill model's conventions from the cost model and ``[paper]``."""
    if paper is None:
        return FillConfig(spread_bps=spread_bps, slippage_bps=costs.slippage_bps,
                          impact_bps_per_pct_volume=costs.impact_bps_per_pct_volume,
                          max_impact_bps=costs.max_impact_bps)
    return FillConfig(MarketFill(paper.fill), LimitFill(paper.limit_fill), SameBar(paper.same_bar), spread_bps,
                      costs.slippage_bps, costs.impact_bps_per_pct_volume, costs.max_impact_bps,
                      paper.max_volume_share, int(paper.latency_ms * 1_000_000))


class PaperBroker:
    """A simulated venue account filling through the fill model."""

    name: ClassVar[str] = "paper"
    api_version: ClassVar[int] = 1
    matches_bars: ClassVar[bool] = True
    """Orders stamped before the current bar are matched against it (emulated exits)."""
    native_types: ClassVar[frozenset[OrderType]] = frozenset(OrderType)
    native_tif: ClassVar[frozenset[TimeInForce]] = frozenset(TimeInForce)
    native_links: ClassVar[bool] = True  # brackets and OCO groups resolved by the fill model
    post_only: ClassVar[bool] = True

    def __init__(self, market: MarketState, clock: Clock, starting_cash: Decimal,
                 costs: PaperCosts | None = None, venue: str = "paper",
                 instruments: dict[str, Instrument] | None = None, fills: FillConfig | None = None) -> None:
        self._market = market
        instruments = instruments if instruments is not None else {}
        self._lots = {s: i.lot_size for s, i in instruments.items()}
        self._tick_volume = {s for s, i in instruments.items() if i.asset_class is AssetClass.FX}
        self._tick_volume_free = {s for s, i in instruments.items() if i.asset_class is AssetClass.PREDICTION}
        self._settled: set[str] = set()
        self._print_seen: dict[str, int] = {}  # instrument -> the last bar time its prints were matched up to
        self._clock = clock
        self._costs = costs or PaperCosts()
        self.fill_config = fills or fill_config(self._costs, market.spread_bps)
        self._venue = venue
        self._instruments = instruments  # the live map: option contracts are listed as the run goes
        from tradefleet.orchestrator.occ import multiplier

        self._book = Ledger(starting_cash, market.last_close, multiplier=lambda s: multiplier(s, self._instruments))
        self.fee_per_contract = Decimal("0.65")
        self.option_improvement = 0.0
        self._book_at: dict[str, Decimal] = {}  # client order id -> settlement price
        self._orders: dict[str, VenueOrder] = {}
        self._states: dict[str, dict[str, OrderState]] = {}  # instrument -> client id -> resting state
        self._fills: list[Fill] = []
        self._updates: list[VenueOrder] = []  # orders the venue ended by itself (OCO, parent, expiry)
        self._trades: dict[str, int] = {}
        self._ids = itertools.count(1)
        from tradefleet.orchestrator.execution.fees import SCHEDULES, BpsFees, schedule_for

        bps = Decimal(repr(self._costs.fee_bps))
        self._default_fees = BpsFees(bps, bps)
        # an instrument of a named venue pays that venue's schedule (Kalshi's formula, SEC/TAF...)
        self._fees = {sym: schedule_for(i.venue, i.asset_class.value) for sym, i in instruments.items()
                      if i.venue in SCHEDULES and i.venue != "paper"}
        #: instrument -> (calibration version, slippage bps): measured on live fills, it replaces
        #: the configured slippage for that instrument (see :meth:`calibrate`)
        self.calibrations: dict[str, tuple[str, float]] = {}
        self._calibrated: dict[str, FillConfig] = {}

    def calibrate(self, instrument: str, version: str, slippage_bps: float) -> None:
        """Price ``instrument``'s taker fills with ``slippage_bps`` (a calibration measured on
        live fills, stored as ``version``) instead of the configured slippage; every fill it
        prices records the version (``Fill.model``). Spread, impact and fees are unchanged."""
        self.calibrations[instrument] = (version, float(slippage_bps))
        self._calibrated[instrument] = replace(self.fill_config, slippage_bps=float(slippage_bps))

    @classmethod
    def build(cls, services: Services) -> PaperBroker:
        """The paper account of a kernel, from ``[paper]`` and ``[engine]`` config."""
        cfg = services.config
        market = services.market
        if not isinstance(market, MarketState):
            raise TypeError("the paper broker fills from a MarketState")
        costs = PaperCosts(cfg.paper.slippage_bps, cfg.paper.fee_bps)
        broker = cls(market, services.clock, Decimal(repr(cfg.engine.starting_cash)), costs,
                     instruments=services.instruments, fills=fill_config(costs, market.spread_bps, cfg.paper))
        broker.fee_per_contract = Decimal(repr(cfg.paper.fee_per_contract))
        broker.option_improvement = cfg.paper.option_improvement
        return broker

    # -- Broker -------------------------------------------------------------------------
    def submit(self, order: Order) -> VenueOrder:
        if order.client_order_id in self._orders:  # idempotent: a retry returns the same order
            return self._orders[order.client_order_id]
        if order.quantity <= 0:
            raise OrderRejected(f"order {order.client_order_id}: quantity must be positive, got {order.quantity}")
        problem = order.problem()
        if problem:
            raise OrderRejected(f"order {order.client_order_id}: {problem}")
        if order.client_order_id in self._book_at:
            return self._settle_order(order, self._book_at.pop(order.client_order_id))
        bar = self._market.last_bar(order.instrument)
        if bar is None or self._market.quote(order.instrument) is None:
            raise OrderRejected(f"order {order.client_order_id}: no market data for {order.instrument}")
        venue_id = f"{self._venue}-{next(self._ids)}"
        self._orders[order.client_order_id] = VenueOrder(order.client_order_id, venue_id, order.instrument,
                                                         order.side, order.quantity, Decimal(0), OrderStatus.ACCEPTED)
        state = OrderState.new(order, self._lots.get(order.instrument, Decimal(1)))
        parent = self._orders.get(order.parent_id) if order.parent_id else None
        if parent is not None and parent.client_order_id not in self._states.get(parent.instrument, {}):
            if not parent.filled_quantity:  # the entry ended unfilled: its bracket goes with it
                return self._replace(self._orders[order.client_order_id], status=OrderStatus.CANCELED,
                                     reason=f"parent {parent.client_order_id} {parent.status.value}")
            state = replace(state, status=Status.OPEN)  # the entry already filled: armed from now on
        if self._at_touch(order.instrument):  # a recorded quote or a settled contract: fill now at the touch
            bid, ask = self._touch(order.instrument, bar)
            state = replace(state, arrival_ns=bar.ts_event - 1)
            self._rest(state)
            self._match(order.instrument, QuoteTick(order.instrument, bar.ts_event, bid, ask), _NO_COSTS)
            self._join_queue(order, bid, ask)
        elif self.fill_config.market_fill is MarketFill.CLOSE and order.ts_init >= bar.ts_event:
            # same-close fills: the decision bar, seen as one price at its close
            self._rest(replace(state, arrival_ns=bar.ts_event - 1))
            self._match(order.instrument, at_close(bar), self.fill_config)
        else:
            self._rest(state)
            if order.ts_init + self.fill_config.latency_ns < bar.ts_event:  # armed before this bar (an emulated
                # exit): it alone matches the bar now; the orders already resting have matched it
                others = {cid for cid in self._states[order.instrument] if cid != order.client_order_id}
                self._match(order.instrument, bar, self.fill_config, skip=others)
        return self._orders[order.client_order_id]

    def cancel(self, client_order_id: str) -> VenueOrder:
        vo = self._orders.get(client_order_id)
        if vo is None:
            raise OrderRejected(f"cancel {client_order_id}: unknown order")
        resting = self._states.get(vo.instrument, {})
        if client_order_id in resting:
            del resting[client_order_id]
            vo = self._replace(vo, status=OrderStatus.CANCELED)
            for cid, st in list(resting.items()):  # a bracket's children go with their parent
                if st.order.parent_id == client_order_id and st.status is Status.PENDING:
                    del resting[cid]
                    self._updates.append(self._replace(self._orders[cid], status=OrderStatus.CANCELED,
                                                       reason=f"parent {client_order_id} canceled"))
            if not resting:
                self._states.pop(vo.instrument, None)
        return vo

    def query_order(self, client_order_id: str) -> VenueOrder | None:
        return self._orders.get(client_order_id)

    def settle(self, instrument: str, outcome_yes: bool) -> None:
        """A binary contract resolved: it now trades at exactly 1 or 0, without fees."""
        self._market.settle(instrument, 1.0 if outcome_yes else 0.0)
        self._settled.add(instrument)

    def has_resting_orders(self) -> bool:
        return bool(self._states)  # instruments with no resting order are removed (hot path: every bar)

    def open_orders(self) -> list[VenueOrder]:
        return [self._orders[cid] for states in self._states.values() for cid in states]

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

    def poll_updates(self) -> list[VenueOrder]:
        """Orders this venue ended by itself since the last call, without a fill ending them:
        an OCO sibling canceled by a fill, a bracket child whose entry ended unfilled, an
        expired DAY/GTD order, an IOC/FOK remainder, a post-only order that would cross."""
        updates, self._updates = self._updates, []
        return updates

    def restore(self, fills: list[Fill], records: list[OrderRecord], venue_ids: list[str] | None = None) -> None:
        """Rebuild this in-process venue after a restart from its stored fills and orders.

        The book is the fold of the fills; every order still open in the store rests again
        with what it already filled (a market order waiting for its next open, a stop, a
        limit, a bracket child still waiting for its entry), so an emulated stop armed before
        the restart triggers after it; new venue and trade ids continue after the stored ones."""
        per_order: dict[str, int] = {}
        for fill in fills:
            self._book.apply_fill(self._venue, fill)
            per_order[fill.client_order_id] = per_order.get(fill.client_order_id, 0) + 1
        self._trades.update(per_order)
        prefix = f"{self._venue}-"
        # ``records`` may be only the open orders; ``venue_ids`` then names every stored one
        highest = max((int(v[len(prefix):]) for v in venue_ids or () if v.startswith(prefix)
                       and v[len(prefix):].isdigit()), default=0)
        by_id = {rec.client_order_id: rec for rec in records}
        for rec in records:
            vid = rec.venue_order_id or ""
            if vid.startswith(prefix) and vid[len(prefix):].isdigit():
                highest = max(highest, int(vid[len(prefix):]))
            if not vid or not rec.status.is_open or rec.remaining <= 0:
                continue
            order = rec.order
            parent = by_id.get(order.parent_id or "")
            waiting = parent is not None and not parent.filled_quantity and parent.status.is_open
            status = OrderStatus.PARTIALLY_FILLED if rec.filled_quantity else OrderStatus.ACCEPTED
            self._orders[rec.client_order_id] = VenueOrder(rec.client_order_id, vid, rec.instrument, rec.side,
                                                           rec.quantity, rec.filled_quantity, status, rec.avg_price)
            # bars=1: it rested at this venue before the restart, so it matches as a resting order
            # (a maker limit on a recorded book only on prints, a post-only limit a gap fills at the
            # open), never as one arriving now
            self._rest(OrderState(order, Status.PENDING if waiting else Status.OPEN, rec.filled_quantity,
                                  rec.filled_quantity * (rec.avg_price or Decimal(0)), bars=1,
                                  lot=self._lots.get(rec.instrument, Decimal(1))))
        self._ids = itertools.count(highest + 1)

    # -- simulation ---------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Match the orders resting on ``bar.symbol`` against this bar."""
        if bar.symbol not in self._states:
            return
        if self._at_touch(bar.symbol):
            if self._by_prints(bar.symbol):
                self._match_prints(bar)
                if bar.symbol not in self._states:
                    return
            bid, ask = self._touch(bar.symbol, bar)
            self._match(bar.symbol, QuoteTick(bar.symbol, bar.ts_event, bid, ask), _NO_COSTS,
                        skip=self._resting_limits(bar.symbol))
            return
        self._match(bar.symbol, bar, self.fill_config)

    def book_at(self, client_order_id: str, price: Decimal) -> None:
        """The order ``client_order_id``, when submitted, is booked at once at ``price``
        without fees: an exercise, assignment, expiry or delivery the clearing house settles."""
        self._book_at[client_order_id] = price

    def _settle_order(self, order: Order, price: Decimal) -> VenueOrder:
        venue_id = f"{self._venue}-{next(self._ids)}"
        vo = self._orders[order.client_order_id] = VenueOrder(order.client_order_id, venue_id, order.instrument,
                                                              order.side, order.quantity, Decimal(0), OrderStatus.ACCEPTED)
        self._trades[order.client_order_id] = 1
        now = self._clock.now_ns()
        fill = Fill(order.client_order_id, self._venue, venue_id, f"{venue_id}-t1", order.instrument, order.side,
                    order.quantity, price, Decimal(0), now, now)
        self._book.apply_fill(self._venue, fill)
        self._fills.append(fill)
        return self._replace(vo, status=OrderStatus.FILLED, filled_quantity=order.quantity, avg_price=price)

    def _touch(self, symbol: str, bar: Bar) -> tuple[float, float]:
        bid, ask = self._market.quote(symbol) or (bar.low, bar.high)
        inst = self._instruments.get(symbol)
        if self.option_improvement > 0 and inst is not None and inst.asset_class is AssetClass.OPTION:
            give = (ask - bid) / 2 * self.option_improvement
            bid, ask = bid + give, ask - give
        return bid, ask

    def _at_touch(self, symbol: str) -> bool:
        return symbol in self._tick_volume_free or symbol in self._settled or self._market.is_quoted(symbol)

    def _by_prints(self, symbol: str) -> bool:
        """Resting limits of a binary contract's recorded book fill against its trade prints."""
        return symbol in self._tick_volume_free and symbol not in self._settled

    def _resting_limits(self, symbol: str) -> set[str]:
        """Limits resting on a trade-print book: never matched on the quote."""
        if not self._by_prints(symbol):
            return set()
        return {cid for cid, st in self._states.get(symbol, {}).items()
                if st.order.order_type is OrderType.LIMIT and st.bars > 0}

    def _join_queue(self, order: Order, bid: float, ask: float) -> None:
        """A limit left resting on a binary contract's book takes its place in the queue."""
        st = self._states.get(order.instrument, {}).get(order.client_order_id)
        if st is None or order.order_type is not OrderType.LIMIT or not self._by_prints(order.instrument):
            return
        depth = self._market.depth(order.instrument) or (0.0, 0.0)
        q = queue_ahead(order.side, float(order.limit_price or 0), bid, ask, *depth)
        # prints count from when the order was placed (the quote it joined may be older)
        arrived = max(st.arrived(self.fill_config), order.ts_init + self.fill_config.latency_ns)
        self._states[order.instrument][order.client_order_id] = replace(st, queue=q, arrival_ns=arrived)

    def _match_prints(self, bar: Bar) -> None:
        """Match the limits resting on ``bar.symbol`` against the prints since the last bar."""
        sym = bar.symbol
        since = self._print_seen.get(sym, -1)
        self._print_seen[sym] = max(since, bar.ts_event)
        limits = self._resting_limits(sym)
        if not limits:
            return
        prints = [TradePrint(sym, ts, px, size) for ts, px, size in self._market.prints(sym, since, bar.ts_event)]
        if not prints:
            return
        resting = self._states[sym]
        fills, states = match_prints([resting[cid] for cid in limits], prints, self.fill_config)
        self._apply(sym, fills, states)

    def _rest(self, state: OrderState) -> None:
        self._states.setdefault(state.order.instrument, {})[state.order.client_order_id] = state

    def _match(self, symbol: str, event: Bar | QuoteTick, config: FillConfig, skip: set[str] | None = None) -> None:
        resting = self._states[symbol]
        if config is self.fill_config and symbol in self._calibrated:
            config = self._calibrated[symbol]
        if isinstance(event, Bar) and symbol in self._tick_volume:  # tick volume is not units: no cap, no impact
            event = replace(event, volume=0.0)
        states_in = [s for cid, s in resting.items() if cid not in skip] if skip else list(resting.values())
        if not states_in:
            return
        fills, states = match_book(states_in, event, config)
        self._apply(symbol, fills, states)

    def _apply(self, symbol: str, fills: list[MatchFill], states: list[OrderState]) -> None:
        resting = self._states[symbol]
        by_id = {s.order.client_order_id: s for s in states}
        for f in fills:
            self._book_fill(by_id[f.client_order_id].order, f)
        for cid, st in by_id.items():
            vo = self._orders[cid]
            status = _STATUS[st.status]
            if st.filled and st.status is Status.OPEN:
                status = OrderStatus.PARTIALLY_FILLED
            if status is not vo.status or st.filled != vo.filled_quantity:
                new = self._replace(vo, status=status, filled_quantity=st.filled, avg_price=st.avg_price,
                                    reason=st.reason)
                if status in (OrderStatus.CANCELED, OrderStatus.REJECTED):
                    self._updates.append(new)
            if st.status.done:
                del resting[cid]
            else:
                resting[cid] = st
        if not resting:
            del self._states[symbol]

    def _book_fill(self, order: Order, mf: MatchFill) -> None:
        vo = self._orders[order.client_order_id]
        fees = self._fees.get(order.instrument, self._default_fees)
        settled = order.instrument in self._settled
        inst = self._instruments.get(order.instrument)
        if settled:
            fee = Decimal(0)
        elif inst is not None and inst.asset_class is AssetClass.OPTION:
            fee = self.fee_per_contract * mf.quantity
        else:
            fee = fees.fee(order.side, mf.quantity, mf.price, mf.liquidity)  # type: ignore[arg-type]
        n = self._trades[order.client_order_id] = self._trades.get(order.client_order_id, 0) + 1
        now = max(self._clock.now_ns(), mf.ts_event)
        cal = self.calibrations.get(order.instrument)
        model = cal[0] if cal is not None and not self._at_touch(order.instrument) else ""
        fill = Fill(order.client_order_id, self._venue, vo.venue_order_id, f"{vo.venue_order_id}-t{n}",
                    order.instrument, order.side, mf.quantity, mf.price, fee, now, now, model)
        self._book.apply_fill(self._venue, fill)
        self._fills.append(fill)

    def _replace(self, vo: VenueOrder, **changes: object) -> VenueOrder:
        new = replace(vo, **changes)  # type: ignore[arg-type]
        self._orders[vo.client_order_id] = new
        return new
