"""A hypothesis state machine over the order manager, a real adapter and its fake venue.

It interleaves submit, venue ack/partial/fill, cancel, reject, duplicated fills, dropped
responses and restarts, and checks: at most one venue order per intent; after fills are
collected the stored position equals the sum of unique venue fills; reconciling twice
changes nothing the second time."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tradefleet.orchestrator.bus import InProcessBus
from tradefleet.orchestrator.execution.oms import OrderManager
from tradefleet.orchestrator.execution.reconcile import Reconciler, stored_positions
from tests.orchestrator.execution.venues import make_case


class OmsMachine(RuleBasedStateMachine):
    venue_name = "alpaca"

    def __init__(self) -> None:
        super().__init__()
        from tradefleet.orchestrator.store import Store

        self.tmp = tempfile.mkdtemp(prefix="tf-sm-")
        self.store = Store.open(f"sqlite:///{self.tmp}/sm.db")
        self.case = make_case(self.venue_name, timeout_s=3)
        self.n = 0
        self._wire()

    def _wire(self) -> None:
        self.bus = InProcessBus()
        self.oms = OrderManager(self.store, {"acct": self.case.broker}, self.case.clock, self.bus)
        self.rec = Reconciler(self.oms, self.store, self.case.clock, self.bus)

    def teardown(self) -> None:
        self.case.server.close()
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _venue_sum(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for f in self.case.book.unique_fills():
            out[f.symbol] = out.get(f.symbol, Decimal(0)) + (f.qty if f.side == "buy" else -f.qty)
        return {k: v for k, v in out.items() if v}

    # -- rules ------------------------------------------------------------------------
    @rule(qty=st.integers(1, 5), sell=st.booleans(),
          how=st.sampled_from(["fill", "rest", "partial", "reject", "replay", "drop"]))
    def submit(self, qty: int, sell: bool, how: str) -> None:
        from tradefleet.orchestrator.domain import Side

        self.n += 1
        if how == "drop":
            self.case.server.fault(self.case.submit_method, self.case.submit_path, "drop")
        else:
            self.case.book.behaviour.append(how)
        limit = self.case.rest_price if how in ("rest", "partial") else None
        order = self.case.order(f"tf-sm-{self.n}", Decimal(qty * 2), Side.SELL if sell else Side.BUY, limit,
                                account="acct")
        self.oms.submit(order)
        self.case.clock.advance(1)

    @rule(data=st.data())
    def venue_fills_open_order(self, data: Any) -> None:
        open_orders = [o for o in self.case.book.orders.values() if o.open]
        if open_orders:
            o = data.draw(st.sampled_from(open_orders))
            self.case.book.execute(o, Decimal(1))

    @rule(data=st.data())
    def cancel_open_order(self, data: Any) -> None:
        open_orders = [o for o in self.case.book.orders.values() if o.open]
        if open_orders:
            o = data.draw(st.sampled_from(open_orders))
            cid = self.store_cid(o.venue_id)
            if cid:
                self.case.broker.cancel(cid)

    @precondition(lambda self: bool(self.case.book.fills))
    @rule(data=st.data())
    def duplicate_a_fill(self, data: Any) -> None:
        self.case.book.fills.append(data.draw(st.sampled_from(self.case.book.fills)))

    @rule()
    def collect(self) -> None:
        self.oms.collect_fills()

    def store_cid(self, venue_id: str) -> str | None:
        return next((r.client_order_id for r in self.store.orders() if r.venue_order_id == venue_id), None)

    @rule()
    def restart(self) -> None:
        old = self.case.broker
        self.case.broker = type(old)("acct", old.cfg, old.opts)
        self._wire()
        self.oms.load_halts()

    @rule()
    def reconcile_twice(self) -> None:
        first = self.rec.run("acct")
        assert first.halted is None, first
        assert stored_positions(self.store, "acct") == self._venue_sum() == self.case.broker.positions()
        second = self.rec.run("acct")
        assert second.changes == 0, second

    # -- invariants ---------------------------------------------------------------------
    @invariant()
    def at_most_one_venue_order_per_intent(self) -> None:
        counts = Counter(o.client_id for o in self.case.book.orders.values())
        assert all(v == 1 for v in counts.values()), counts
        # and each venue order belongs to exactly one stored intent
        stored = Counter(r.venue_order_id for r in self.store.orders() if r.venue_order_id)
        assert all(stored[o.venue_id] <= 1 for o in self.case.book.orders.values()), stored

    @invariant()
    def stored_fills_are_unique_venue_fills(self) -> None:
        stored = [(f.venue_order_id, f.trade_id) for f in self.store.fills()]
        assert len(stored) == len(set(stored))
        fmt = {"alpaca": "20261122000000000::{}", "polymarket": "t{}"}[self.venue_name]
        venue = {(f.venue_id, fmt.format(f.trade_id)) for f in self.case.book.unique_fills()}
        assert set(stored) <= venue


class PolymarketOmsMachine(OmsMachine):
    """The same machine on a venue without client order ids (ids are signed-order hashes)."""

    venue_name = "polymarket"


_SETTINGS = settings(max_examples=12, stateful_step_count=14, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow], derandomize=True)
TestOmsMachine = OmsMachine.TestCase
TestOmsMachine.settings = _SETTINGS
TestPolymarketOmsMachine = PolymarketOmsMachine.TestCase
TestPolymarketOmsMachine.settings = _SETTINGS
