"""Contract matrix: every intent kind through every venue adapter.

Each cell drives the real kernel (dispatcher, risk gate, order manager) with a bot whose
intents route to one venue: the paper broker, or a real client library (alpaca-py,
oandapyV20, ccxt for Binance and Coinbase, kalshi-python, py-clob-client) talking to its
loopback fake. A cell either works end to end (orders at the venue, fills booked, links
resolved, cancels confirmed) or is refused BEFORE the risk gate with one line naming the
venue and why: nothing reaches the venue and the leg's signal is stored as
``rejected:dispatch:venue_unsupported``. Nothing is silently degraded. The expected table
is :data:`REFUSED` (the same table is in docs/bot-authoring.md). Bars are generated
(synthetic), flat at each fake's execution price, with one drop through the bracket's stop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.bot import BotSpec, PortfolioBot, Schedule
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.context import Ctx
from tradefleet.orchestrator.domain import AssetClass, Instrument, OrderStatus, OrderType
from tradefleet.orchestrator.intents import Atomic, Bracket, Cancel, Intent, OrderIntent, Quote, Target
from tradefleet.orchestrator.kernel import assemble, paper_broker
from tradefleet.orchestrator.market import MarketState
from tradefleet.orchestrator.panel import Panel
from tradefleet.orchestrator.registry import Registry
from tradefleet.orchestrator.store import Store
from tests.fakes.polymarket import TOKEN
from tests.orchestrator.execution.venues import VenueCase, make_case
from tests.orchestrator.intents.kit import generated_frame

D = Decimal
VENUES = ("paper", "alpaca", "oanda", "binance", "coinbase", "kalshi", "polymarket")
CELLS = ("target", "market", "limit_replace_cancel", "bracket", "multi_leg", "all_or_none", "venue_combo", "quote")
PAPER = "PAPERX"  # the second leg of multi-leg cells: an instrument of the in-process paper venue

#: (venue, cell) -> a phrase of the one-line refusal; every other cell must work end to end
REFUSED = {
    **{(v, "venue_combo"): "venue_combo" for v in VENUES},
    ("alpaca", "quote"): "post-only: alpaca cannot refuse",
    ("oanda", "quote"): "post-only: oanda cannot refuse",
    ("kalshi", "quote"): "post-only: kalshi cannot refuse",
}


@dataclass
class Setup:
    """What one venue trades in the matrix: its instrument, price, size and prices for the
    resting limit, the bracket's exits and the quote."""

    symbol: str
    price: float
    qty: D
    asset: AssetClass
    tick: D
    lot: D
    rest: D
    tp: D
    sl: D
    bid: D
    ask: D


SETUPS = {
    "paper": Setup("X", 100.0, D(5), AssetClass.EQUITY, D("0.01"), D(1), D(50), D(120), D(90), D(99), D(101)),
    "alpaca": Setup("AAPL", 100.0, D(5), AssetClass.EQUITY, D("0.01"), D(1), D(50), D(120), D(90), D(99), D(101)),
    "oanda": Setup("EUR_USD", 1.1, D(1000), AssetClass.FX, D("0.00001"), D(1), D("1.05"), D("1.32"), D("0.99"),
                   D("1.099"), D("1.101")),
    "binance": Setup("BTC/USDT", 42000.0, D("0.05"), AssetClass.CRYPTO, D("0.01"), D("0.001"), D(30000),
                     D(50400), D(37800), D(41900), D(42100)),
    "coinbase": Setup("BTC/USD", 42000.0, D("0.05"), AssetClass.CRYPTO, D("0.01"), D("0.001"), D(30000),
                      D(50400), D(37800), D(41900), D(42100)),
    "kalshi": Setup("KXBTC-26NOV30-B42000", 0.42, D(10), AssetClass.PREDICTION, D("0.01"), D(1), D("0.30"),
                    D("0.51"), D("0.37"), D("0.41"), D("0.43")),
    "polymarket": Setup(TOKEN, 0.5, D(10), AssetClass.PREDICTION, D("0.01"), D(1), D("0.30"), D("0.60"), D("0.45"),
                        D("0.49"), D("0.51")),
}


class Scripted(PortfolioBot):
    """Returns the intents a cell queues, one list per fire."""

    script: ClassVar[list[list[Intent]]] = []

    def decide(self, panel: Panel, ctx: Ctx) -> list[Intent]:
        return Scripted.script.pop(0) if Scripted.script else []


class Cell:
    """One venue's kernel: the venue's account plus a paper account for second legs."""

    def __init__(self, tmp: Path, venue: str, script: list[list[Intent]]) -> None:
        self.venue, self.setup = venue, SETUPS[venue]
        self.case: VenueCase | None = None
        if venue != "paper":
            self.case = make_case(venue)
            assert self.case.symbol == self.setup.symbol
        s = self.setup
        self.account = self.case.broker.account_name if self.case is not None else "paper"
        closes = [s.price] * 4 + [s.price * 0.85] + [s.price] * 5  # one drop through the bracket's stop
        start = "2026-11-23"  # after the venue fakes' clock start
        frames = {s.symbol: generated_frame(closes, start, volume=1e12), PAPER: generated_frame([100.0] * 10, start)}
        self.frames = frames
        self.config = AppConfig.model_validate({"pipeline": {"stages": ["risk"]}, "risk": {"exits": {"enabled": False}}})
        self.store = Store.open(f"sqlite:///{tmp}/matrix.db")
        self.clock = SimClock(int(frames[PAPER].index.asi8[0]) - 1)
        self.market = MarketState(self.config.paper.spread_bps)
        for sym, f in frames.items():
            self.market.load(sym, f)
        self.instruments = {s.symbol: Instrument(s.symbol, s.asset, venue, tick_size=s.tick, lot_size=s.lot),
                            PAPER: Instrument(PAPER, AssetClass.EQUITY)}
        paper = paper_broker(self.config, self.market, self.clock, "paper", self.instruments)
        brokers: dict[str, Any] = {"paper": paper}
        if self.case is not None:
            brokers[self.account] = self.case.broker
            self.case.clock.set_ns(self.clock.now_ns())
        route = lambda sym: self.account if sym == s.symbol else "paper"  # noqa: E731
        Scripted.script = list(script)
        spec = BotSpec("m", Scripted, (s.symbol, PAPER), Schedule.interval("1d"), "1d", s.asset)
        self.kernel = assemble(self.config, store=self.store, registry=Registry.discover(), specs=[spec],
                               clock=self.clock, market=self.market, instruments=self.instruments,
                               account="paper", brokers=brokers, route=route)
        self.engine = self.kernel.engine
        self.engine.paper = paper
        self.row = -1
        self.stamps = [int(t) for t in frames[PAPER].index.asi8]

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            self.row += 1
            ts = self.stamps[self.row]
            self.clock.set_ns(ts)
            if self.case is not None:
                self.case.clock.set_ns(ts)
            for sym in self.frames:
                self.engine.on_bar(self.market.advance(sym, self.row))
            self.kernel.oms.collect_fills()  # the live runtime polls its venues
            self.engine.intents.on_update()
            self.engine.on_fire("m", ts)

    def behave(self, *modes: str) -> None:
        if self.case is not None:
            self.case.book.behaviour.extend(modes)

    def orders(self) -> list[Any]:
        return [r for r in self.store.orders() if r.bot == "m"]

    def venue_orders(self) -> list[Any]:
        return [r for r in self.orders() if r.account == self.account]

    def position(self, sym: str) -> D:
        p = self.engine.ledger.position("m", sym)
        return p.quantity if p is not None else D(0)

    def posts(self) -> int:
        """Orders that reached the venue (requests to its order route; the paper venue's book)."""
        if self.case is None:
            return len(self.engine.paper._orders)  # type: ignore[union-attr]
        return len(self.case.server.requests(self.case.submit_method, self.case.submit_path))

    def close(self) -> None:
        self.store.close()
        if self.case is not None:
            self.case.server.close()


@pytest.fixture(params=[(v, c) for v in VENUES for c in CELLS], ids=lambda p: f"{p[0]}-{p[1]}")
def cell(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    yield request.param[0], request.param[1], tmp_path


def _intents(venue: str, kind: str) -> list[list[Intent]]:
    s = SETUPS[venue]
    if kind == "target":
        return [[Target.quantities({s.symbol: float(s.qty)})]]
    if kind == "market":
        return [[OrderIntent.single(s.symbol, "buy", size=s.qty)]]
    if kind == "limit_replace_cancel":
        return [[OrderIntent.single(s.symbol, "buy", size=s.qty, order_type=OrderType.LIMIT, limit=s.rest, id="L1")],
                [OrderIntent.single(s.symbol, "buy", size=s.qty, order_type=OrderType.LIMIT, limit=s.rest,
                                    id="L2", replaces="L1")],
                [Cancel("L2")]]
    if kind == "bracket":
        return [[OrderIntent.single(s.symbol, "buy", size=s.qty, bracket=Bracket(s.tp, s.sl), id="B1")]]
    if kind in ("multi_leg", "all_or_none", "venue_combo"):
        atomic = {"multi_leg": Atomic.NONE, "all_or_none": Atomic.ALL_OR_NONE, "venue_combo": Atomic.VENUE_COMBO}[kind]
        return [[OrderIntent.combo({s.symbol: s.qty, PAPER: D(2)}, atomic=atomic, size=1, id="C1")]]
    assert kind == "quote"
    return [[Quote(s.symbol, bids=[(s.bid, s.qty)], asks=[(s.ask, s.qty)], id="Q1")]]


def test_every_intent_kind_through_every_venue(cell: tuple[str, str, Path]) -> None:
    venue, kind, tmp = cell
    c = Cell(tmp, venue, _intents(venue, kind))
    try:
        refused = REFUSED.get((venue, kind))
        if refused is not None:
            _check_refused(c, refused)
        else:
            CHECKS[kind](c)
    finally:
        c.close()


def _check_refused(c: Cell, phrase: str) -> None:
    c.step()
    (sig,) = [s for s in c.store.signals(bot="m") if s.meta.get("intent")]
    assert c.orders() == [], "a refused intent sent nothing"
    assert c.posts() == 0
    assert sig.outcome.startswith("rejected:dispatch:venue_unsupported"), sig.outcome
    (decision,) = c.store.decisions(sig.signal_id)
    assert phrase in decision.detail and "\n" not in decision.detail, decision.detail


def _filled(c: Cell, want: D, sym: str | None = None) -> None:
    sym = sym or c.setup.symbol
    assert c.position(sym) == want, (sym, c.position(sym), [(r.client_order_id, r.status, r.reason)
                                                             for r in c.orders()])


def _check_target(c: Cell) -> None:
    c.step(2)
    _filled(c, c.setup.qty)
    (rec,) = c.venue_orders()
    assert rec.status is OrderStatus.FILLED and c.store.fills(rec.client_order_id)


def _check_market(c: Cell) -> None:
    _check_target(c)


def _check_limit(c: Cell) -> None:
    c.behave("rest", "rest")
    c.step()
    (l1,) = c.venue_orders()
    assert l1.status.is_open and l1.limit_price == c.setup.rest
    c.step()  # replaced: the first canceled at the venue, the second working
    recs = {r.client_order_id: r for r in c.venue_orders()}
    assert recs[l1.client_order_id].status is OrderStatus.CANCELED
    (l2,) = [r for r in recs.values() if r.client_order_id != l1.client_order_id]
    assert l2.status.is_open
    c.step()  # Cancel("L2")
    assert [r.status for r in c.venue_orders()] == [OrderStatus.CANCELED] * 2
    if c.case is not None:
        assert c.case.broker.open_orders() == []
    _filled(c, D(0))


#: venues that hold the bracket's stop themselves (a native bracket, or a native stop order
#: with the OCO link emulated): the stop triggers at the venue; elsewhere the order manager
#: (or the paper venue) triggers it on the drop bar
STOP_AT_VENUE = ("alpaca", "oanda", "binance")


def _check_bracket(c: Cell) -> None:
    at_venue = c.venue in STOP_AT_VENUE
    # the entry fills; a take-profit sent alone rests; a stop order sent alone rests, or an
    # emulated stop's market release fills
    c.behave("fill", "rest", "rest" if at_venue else "fill")
    c.step(2)
    _filled(c, c.setup.qty)
    exits = [r for r in c.venue_orders() if r.parent_id]
    assert len(exits) == 2 and all(r.status.is_open for r in exits), "; ".join(f"{r.status} {r.reason}" for r in exits)
    native = c.venue in ("alpaca", "oanda")
    if c.case is not None:  # the stored reason says which: the venue's own bracket, or emulated and why
        why = "native bracket at" if native else f"{c.venue} holds no bracket orders"
        assert all(why in (r.reason or "") for r in exits), [r.reason for r in exits]
    c.step(3)  # through the drop bar
    if at_venue:
        assert c.case is not None
        sl = c.store.order(next(r.client_order_id for r in exits if r.order_type is OrderType.STOP))
        assert sl is not None and sl.venue_order_id
        order = c.case.venue_order_for(sl.client_order_id) or c.case.book.orders[sl.venue_order_id]
        c.case.book.execute(order, order.qty, c.setup.sl)  # the venue's stop triggers
        c.step()
    _filled(c, D(0))
    recs = {r.order_type: c.store.order(r.client_order_id) for r in exits}
    assert recs[OrderType.LIMIT].status is OrderStatus.CANCELED, recs  # type: ignore[union-attr]
    assert recs[OrderType.STOP].status in (OrderStatus.FILLED, OrderStatus.CANCELED), recs  # type: ignore[union-attr]
    assert [r.client_order_id for r in c.store.open_orders("m")] == []
    if c.case is not None:
        assert c.case.broker.open_orders() == []


def _check_multi(c: Cell) -> None:
    c.step(2)
    _filled(c, c.setup.qty)
    _filled(c, D(2), PAPER)


CHECKS = {"target": _check_target, "market": _check_market, "limit_replace_cancel": _check_limit,
          "bracket": _check_bracket, "multi_leg": _check_multi, "all_or_none": _check_multi,
          "quote": lambda c: _check_quote(c)}


def _check_quote(c: Cell) -> None:
    c.behave("rest", "rest")
    c.step()
    live = c.venue_orders()
    assert sorted(r.side.value for r in live) == ["buy", "sell"] and all(r.status.is_open for r in live), \
        [(r.side, r.status, r.reason) for r in live]
    assert all(r.post_only for r in live)
    if c.case is not None:
        assert len(c.case.broker.open_orders()) == 2


def test_the_refusal_table_names_only_cells_of_the_matrix() -> None:
    assert {v for v, _ in REFUSED} <= set(VENUES) and {k for _, k in REFUSED} <= set(CELLS)


def test_the_docs_carry_the_capability_table_the_code_decides_with() -> None:
    from tradefleet.orchestrator.execution.capability import markdown, table, venue_classes

    docs = (Path(__file__).parents[3] / "docs" / "bot-authoring.md").read_text()
    body = docs.split("<!-- capability-table:", 1)[1].split("-->", 1)[1].split("<!-- /capability-table -->")[0]
    assert body.strip() == markdown(table(venue_classes()))
    refused_quotes = {v for v, k in REFUSED if k == "quote"}
    assert refused_quotes == {r["venue"] for r in table(venue_classes()) if not r["post_only"]}
