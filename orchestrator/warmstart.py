"""Warm start: rebuild a kernel's memory from the store before the first fire.

The store is the memory of a restart. :func:`warm_start` runs after the kernel is
assembled and before reconciliation, in paper, live and leader mode:

1. the **book**: cash and every bot x instrument position (average price, realised P&L)
   are the fold of the stored unique fills of the kernel's accounts, booked exactly as
   :meth:`Engine.on_fill` booked them; stored position rows that disagree (a crash
   between a fill and its position row) are rewritten;
2. the **in-process paper venue** (it died with the process): its book and order ids are
   rebuilt from the same fills, so reconciliation compares like with like and a new
   venue order id never collides with an old one;
3. the **order manager**: every stored order of those accounts (open and UNKNOWN ones
   included) and every stored fill key, so a fill for a known client id lands on its
   order and a re-served old fill is recognised;
4. each bot's last target (the direction it holds), so a bot flat after the restart
   sends the exit of what it held before it;
5. the **exit manager's plans** (targets hit, break-even, trailing stop) from the
   ``risk_state`` document the running exit manager keeps current;
6. every gate with a ``restore(portfolio)`` hook (the fleet controller's posteriors);
   the risk engine loads its own state (start-of-day equity, Kelly records, cooldowns,
   streaks, trades today) from the store when it is built.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tradefleet.orchestrator.domain import Fill, Position

if TYPE_CHECKING:
    from tradefleet.orchestrator.store.records import OrderRecord
    from tradefleet.orchestrator.portfolio import Ledger
    from tradefleet.orchestrator.kernel import Kernel

EXTERNAL = "external"


@dataclass(frozen=True)
class WarmStartReport:
    """What one warm start restored."""

    orders: int
    fills: int
    positions: int
    exit_plans: int
    repaired_positions: int
    cash: Decimal
    seconds: float


def warm_start(kernel: Kernel, starting_cash: Decimal) -> WarmStartReport:
    """Restore ``kernel``'s book, paper venue, order manager, exit plans and gate state."""
    t0 = time.perf_counter()
    engine, store = kernel.engine, kernel.services.store
    accounts = set(kernel.oms.accounts())
    keys = [k for k in store.order_keys() if k[2] in accounts]  # (cid, bot, account, instrument, status, venue id)
    owner = {k[0]: (k[1], k[2]) for k in keys}
    records = [r for r in store.open_orders() if r.account in accounts]
    fills = [f for f in store.fills() if f.client_order_id in owner]
    book = rebuild_book(fills, owner, starting_cash, engine.ledger)
    engine.ledger.restore(book.cash(), book.positions())
    engine.ledger.fees_paid = book.fees_paid
    repaired = _repair_positions(kernel, book.positions())
    if engine.paper is not None:
        paper_account = next((a for a in accounts if _unwrap(kernel.oms.broker(a)) is engine.paper), None)
        if paper_account is not None:
            engine.paper.restore([f for f in fills if owner[f.client_order_id][1] == paper_account],
                                 [r for r in records if r.account == paper_account],
                                 [k[5] for k in keys if k[2] == paper_account and k[5]])
    kernel.oms.restore(records, fills, [(k[2], k[5], k[0]) for k in keys if k[5]])
    plans = 0
    if engine.exits is not None:
        engine.exits.persist_to(store, f"exits:{engine.account}")
        plans = engine.exits.restore(engine.ledger.positions(), _pending_exits(records))
    _restore_targets(kernel)
    for gate in engine.pipeline.gates:
        hook = getattr(gate, "restore", None)
        if hook is not None:
            hook(engine.ledger)
    open_positions = sum(1 for p in engine.ledger.positions() if p.quantity)
    return WarmStartReport(len(keys), len(fills), open_positions, plans, repaired, engine.ledger.cash(),
                           time.perf_counter() - t0)


def rebuild_book(fills: list[Fill], owner: dict[str, tuple[str, str]], starting_cash: Decimal,
                 like: Ledger) -> Ledger:
    """The engine's book as the fold of ``fills`` (``owner``: client id -> (bot, account));
    EXTERNAL orders are not the fleet's."""
    book = like.empty_like(starting_cash)
    for fill in fills:
        bot = owner[fill.client_order_id][0]
        if bot != EXTERNAL:
            book.apply_fill(bot, fill)
    return book


def _repair_positions(kernel: Kernel, positions: list[Position]) -> int:
    """Rewrite stored position rows that differ from the rebuilt book; return how many."""
    store = kernel.services.store
    account = kernel.engine.ledger.account
    stored = {(p.bot, p.instrument): p for p in store.positions(account=account)}
    now = kernel.services.clock.now_ns()
    repaired = 0
    with store.batch():  # one commit for every repaired row, not one each
        for p in positions:
            if stored.get((p.bot, p.instrument)) != p:
                store.save_position(p, now)
                repaired += 1
        for (bot, instrument), p in stored.items():
            if p.quantity and kernel.engine.ledger.position(bot, instrument) is None:
                store.save_position(Position(bot, instrument, Decimal(0), Decimal(0), p.realized_pnl, account), now)
                repaired += 1
    return repaired


def _restore_targets(kernel: Kernel) -> None:
    """A bot emits a signal when its target changes: its last target is the direction of
    the position it holds, so a bot that is flat after the restart exits what it held."""
    ledger = kernel.engine.ledger
    for name, runner in kernel.engine.runners.items():
        for inst in runner.spec.instruments:
            p = ledger.position(name, inst)
            if p is not None and p.quantity:
                runner.last[inst] = 1 if p.quantity > 0 else -1


def _unwrap(broker: object) -> object:
    """The venue behind a wrapper (the leader's fenced broker)."""
    return getattr(broker, "inner", broker)


def _pending_exits(records: list[OrderRecord]) -> dict[tuple[str, str], Decimal]:
    """Unfilled quantity of open reduce-only orders by (bot, instrument)."""
    out: dict[tuple[str, str], Decimal] = {}
    for r in records:
        if r.reduce_only and r.status.is_open:
            key = (r.bot, r.instrument)
            out[key] = out.get(key, Decimal(0)) + r.remaining
    return out
