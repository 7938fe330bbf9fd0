"""Transaction-cost analysis: implementation shortfall of parents and children, split up.

For a buy (a sell mirrors every sign), each fill of a child contributes, per unit::

    fill - arrival = (mid_at_send - arrival)      delay: the market moved before we traded
                   + (touch_at_send - mid_at_send) spread: crossing half the spread
                   + (fill - touch_at_send)        impact: paying beyond the touch

plus its fee, so ``delay + spread + impact + fees == shortfall`` exactly, per child and per
parent. ``arrival`` is the mid when the parent was accepted; ``touch`` is the far side of
the touch when the child was sent (the ask for a buy, the bid for a sell). A limit child
that fills better than the touch has a negative impact (it earned part of the spread).
Unfilled quantity is reported as ``unfilled`` with its opportunity cost at ``last`` when
given. Amounts are in currency, positive = cost; ``bps`` divide by arrival notional.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

COMPONENTS = ("delay", "spread", "impact", "fees")
GROUPS = ("bot", "venue", "instrument", "algorithm", "size")
"""What a TCA report may group by (the CLI's ``--by``, the dashboard's ``?by=``)."""


@dataclass(frozen=True, slots=True)
class ChildFill:
    """One fill of a child with the market the child was sent into."""

    child_id: str
    quantity: float
    price: float
    fee: float
    mid_at_send: float
    touch_at_send: float


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Implementation shortfall and its parts (currency, + is a cost)."""

    quantity: float
    notional: float
    delay: float
    spread: float
    impact: float
    fees: float
    unfilled: float = 0.0
    opportunity: float = 0.0

    @property
    def total(self) -> float:
        return self.delay + self.spread + self.impact + self.fees

    def bps(self) -> dict[str, float]:
        """Return each part and the total in basis points of arrival notional."""
        scale = 1e4 / self.notional if self.notional else 0.0
        return {**{c: getattr(self, c) * scale for c in COMPONENTS}, "total": self.total * scale}

    def as_data(self) -> dict[str, float]:
        return {**asdict(self), "total": self.total}

    def __add__(self, other: Shortfall) -> Shortfall:
        return Shortfall(*(getattr(self, f) + getattr(other, f) for f in
                           ("quantity", "notional", "delay", "spread", "impact", "fees", "unfilled", "opportunity")))


ZERO = Shortfall(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def decompose(buy: bool, arrival: float, fills: Iterable[ChildFill], ordered: float = 0.0,
              last: float | None = None) -> Shortfall:
    """Return the shortfall of one parent's fills against its ``arrival`` mid."""
    sign = 1.0 if buy else -1.0
    qty = delay = spread = impact = fees = 0.0
    for f in fills:
        qty += f.quantity
        delay += sign * (f.mid_at_send - arrival) * f.quantity
        spread += sign * (f.touch_at_send - f.mid_at_send) * f.quantity
        impact += sign * (f.price - f.touch_at_send) * f.quantity
        fees += f.fee
    unfilled = max(ordered - qty, 0.0)
    opportunity = sign * (last - arrival) * unfilled if last is not None and unfilled else 0.0
    return Shortfall(qty, arrival * qty, delay, spread, impact, fees, unfilled, opportunity)


@dataclass(frozen=True, slots=True)
class ParentOutcome:
    """A finished (or working) parent with the keys TCA groups by."""

    parent_id: str
    bot: str
    venue: str          # the account the parent traded in (one venue account)
    instrument: str
    algorithm: str
    quantity: float
    shortfall: Shortfall


def size_bucket(notional: float) -> str:
    """Return the notional bucket a parent falls in (for grouping)."""
    for edge, name in ((1e4, "<10k"), (1e5, "10k-100k"), (1e6, "100k-1m")):
        if notional < edge:
            return name
    return ">=1m"


def group(outcomes: Sequence[ParentOutcome], by: str) -> dict[str, Shortfall]:
    """Sum shortfalls by ``bot``, ``venue``, ``instrument``, ``algorithm`` or ``size``."""
    out: dict[str, Shortfall] = {}
    for o in outcomes:
        key = size_bucket(o.shortfall.notional) if by == "size" else str(getattr(o, by))
        out[key] = out.get(key, ZERO) + o.shortfall
    return out


def fills_by_order(store: object) -> dict[str, list[Any]]:
    """Every stored fill, read once, by client order id."""
    out: dict[str, list[Any]] = {}
    for f in store.fills():  # type: ignore[attr-defined]
        out.setdefault(f.client_order_id, []).append(f)
    return out


def outcomes_from_store(store: object) -> list[ParentOutcome]:
    """Every stored parent with its shortfall from its children's stored fills."""
    from tradefleet.orchestrator.execution.exec_store import ExecStore, with_children

    exec_store = ExecStore(store)
    by_order = fills_by_order(store)
    out: list[ParentOutcome] = []
    for parent, kids in with_children(exec_store, [p for p, _ in exec_store.parents()]):
        fills = [ChildFill(k.child_id, float(f.quantity), float(f.price), float(f.fee), k.mid, k.touch)
                 for k in kids for f in by_order.get(k.child_id, ())]
        o = parent.order
        shortfall = decompose(o.side.value == "buy", parent.arrival_price, fills, float(o.quantity))
        out.append(ParentOutcome(o.client_order_id, o.bot, o.account, o.instrument, parent.spec.algorithm,
                                 float(o.quantity), shortfall))
    return out


def report(outcomes: Sequence[ParentOutcome], by: str) -> dict[str, object]:
    """The TCA report: totals and each group's shortfall in currency and bps."""
    total = ZERO
    for o in outcomes:
        total = total + o.shortfall
    rows = [{"key": k, "parents": sum(1 for o in outcomes if (size_bucket(o.shortfall.notional) if by == "size"
                                                              else str(getattr(o, by))) == k),
             **{c: round(v, 6) for c, v in s.as_data().items()},
             "bps": {c: round(v, 3) for c, v in s.bps().items()}}
            for k, s in sorted(group(outcomes, by).items())]
    return {"by": by, "parents": len(outcomes), "total": {**{c: round(v, 6) for c, v in total.as_data().items()},
                                                          "bps": {c: round(v, 3) for c, v in total.bps().items()}},
            "groups": rows,
            "decomposition": "shortfall = delay + spread + impact + fees, against the arrival mid"}
