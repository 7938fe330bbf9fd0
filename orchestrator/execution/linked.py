"""Linked orders a venue may hold natively: a bracket (an entry with a take-profit and a
stop-loss that wait for its fill, one-cancels-other) or an OCO exit pair.

The order manager sends such a group as ONE venue request when the venue's adapter says it
can hold exactly that shape (``native_brackets`` / ``native_oco`` and
:meth:`linked_problem` returning None), and emulates it otherwise (the children wait in
the order manager for the entry's fill, the OCO link is its own). The choice is explicit:
every order of the group is stored with the reason (``native bracket at alpaca`` or
``emulated: ...: <why the venue cannot hold it>``).

===================  ==========================================================================
venue                native linked orders
===================  ==========================================================================
paper                brackets and OCO groups of any order types (the fill model resolves them)
alpaca               bracket (entry market or limit, day/GTC, both exits), OTO (one exit), OCO
                     (a limit take-profit and a stop/stop-limit stop-loss); US equities only
oanda                take-profit and stop-loss on fill (``takeProfitOnFill``/``stopLossOnFill``,
                     entry market, limit or stop; the trade's exits cancel each other)
ccxt, kalshi,        none: emulated by the order manager
polymarket
===================  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from tradefleet.orchestrator.domain import Order, OrderType

NATIVE = "native"


@dataclass(frozen=True)
class Linked:
    """A bracket (``entry`` set) or an OCO pair (``entry`` None) in its venue roles."""

    entry: Order | None
    take_profit: Order | None
    stop_loss: Order | None

    @property
    def kind(self) -> str:
        return "bracket" if self.entry is not None else "oco"

    @property
    def exits(self) -> list[Order]:
        return [o for o in (self.take_profit, self.stop_loss) if o is not None]

    @property
    def orders(self) -> list[Order]:
        return ([self.entry] if self.entry is not None else []) + self.exits

    def role(self, cid: str) -> str:
        if self.take_profit is not None and cid == self.take_profit.client_order_id:
            return "take_profit"
        if self.stop_loss is not None and cid == self.stop_loss.client_order_id:
            return "stop_loss"
        return "entry"


def shape(orders: list[Order]) -> Linked | str:
    """The venue roles of ``orders`` (an entry followed by its children, or two OCO
    members), or why they are not a bracket or OCO pair a venue could hold."""
    if not orders:
        return "no orders"
    first = orders[0]
    entry = first if first.parent_id is None and first.oco_id is None else None
    exits = orders[1:] if entry is not None else orders
    if not exits or len(exits) > 2:
        return f"{len(exits)} exit(s); a venue holds one take-profit and one stop-loss"
    if len({o.account for o in orders}) != 1 or len({o.instrument for o in orders}) != 1:
        return "the orders are on more than one instrument or account"
    tp = [o for o in exits if o.order_type is OrderType.LIMIT]
    sl = [o for o in exits if o.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)]
    if len(tp) > 1 or len(sl) > 1 or len(tp) + len(sl) != len(exits):
        return "exits must be one limit take-profit and one stop (or stop-limit) stop-loss"
    if len({o.oco_id for o in exits}) != 1 or (len(exits) == 2 and exits[0].oco_id is None):
        return "the exits are not one OCO group"
    if len({(o.side, o.quantity) for o in exits}) != 1:
        return "the exits differ in side or quantity"
    if entry is not None:
        if any(o.parent_id != entry.client_order_id for o in exits):
            return "an exit is not a child of the entry"
        if exits[0].side is entry.side or exits[0].quantity != entry.quantity:
            return "the exits do not close the entry's quantity"
    elif any(o.parent_id is not None for o in exits) or len(exits) != 2:
        return "an OCO pair is two exits without a waiting parent"
    return Linked(entry, tp[0] if tp else None, sl[0] if sl else None)


def native_problem(broker: object, orders: list[Order]) -> str | None:
    """None if ``broker`` holds this group natively, else why not (one line)."""
    group = shape(orders)
    if isinstance(group, str):
        return group
    name = getattr(broker, "name", type(broker).__name__)
    flag = "native_brackets" if group.kind == "bracket" else "native_oco"
    if not getattr(broker, flag, False):
        return f"{name} holds no {group.kind} orders"
    problem = getattr(broker, "linked_problem", None)
    return problem(group) if problem is not None else None
