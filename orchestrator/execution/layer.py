"""The execution layer: between the risk gate and the order manager, it works parents.

An approved order with an execution spec (its own, or the default one for orders above
``min_notional`` or ``min_adv_share``) becomes a *parent*: it is stored, then its algorithm
is asked at every bar of the instrument which children are due. A child is an ordinary
:class:`~tradefleet.orchestrator.domain.Order` whose client id is ``<parent id>.<n>``: the order
manager's at-most-once rule, reconciliation and fill de-duplication apply to it unchanged.
Every child is capped at what the parent has left to send and, when the spec sets a
participation, at that share of the bar's volume.

A parent's progress is rebuilt after a restart from what the store holds: its stored spec
and plan, and the children and fills recorded against its id; so no child is ever sent
twice and the schedule goes on where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol

from tradefleet.orchestrator.domain import Fill, Order, OrderType, Side
from tradefleet.orchestrator.execution.algos.almgren_chriss import ImpactParams
from tradefleet.orchestrator.execution.algos.base import ChildSpec, ExecAlgo, ExecSpec, MarketView, ParentState


@dataclass(frozen=True, slots=True)
class ChildRecord:
    """A child as sent, with the market it was sent into (transaction-cost evidence)."""

    child_id: str
    parent_id: str
    ts_ns: int
    quantity: Decimal
    kind: str
    limit_price: Decimal | None
    mid: float
    touch: float          # the far side of the touch: ask for a buy, bid for a sell
    market_rate: float = 0.0   # the market's volume per second when sent (impact calibration)
    interval_s: float = 0.0    # the parent's slice interval: the child's trading time


@dataclass(frozen=True, slots=True)
class ParentRecord:
    """A parent as stored: the approved order, its spec and plan, its arrival market."""

    order: Order
    spec: ExecSpec
    start_ns: int
    arrival_price: float
    lot: Decimal
    plan: tuple[float, ...] = ()
    profile: tuple[float, ...] = ()
    impact: ImpactParams | None = None
    done: bool = False

    def as_data(self) -> dict[str, Any]:
        return {"spec": self.spec.as_data(), "plan": list(self.plan), "profile": list(self.profile),
                "lot": str(self.lot), "impact": None if self.impact is None else
                [self.impact.eta, self.impact.gamma, self.impact.epsilon]}


class ExecutionStore(Protocol):
    """What the layer needs from the store (the kernel store implements it)."""

    def save_exec_parent(self, record: ParentRecord) -> None: ...
    def save_exec_child(self, record: ChildRecord) -> None: ...
    def finish_exec_parent(self, parent_id: str, ts_ns: int) -> None: ...


@dataclass(frozen=True)
class DefaultExecution:
    """Which approved orders get an execution spec when they carry none."""

    spec: ExecSpec | None = None
    min_notional: float = float("inf")
    min_adv_share: float = float("inf")

    def choose(self, notional: float, adv_share: float) -> ExecSpec | None:
        if self.spec is None:
            return None
        if notional >= self.min_notional or adv_share >= self.min_adv_share:
            return self.spec
        return None


class ExecutionLayer:
    """Works parents into children; the engine sends the children and feeds back fills."""

    def __init__(self, algos: Mapping[str, ExecAlgo], store: ExecutionStore | None = None,
                 default: DefaultExecution | None = None) -> None:
        self.algos = dict(algos)
        self.store = store
        self.default = default or DefaultExecution()
        self.parents: dict[str, ParentState] = {}
        self.templates: dict[str, Order] = {}
        self._by_instrument: dict[str, list[str]] = {}
        self._child_parent: dict[str, str] = {}
        self.cancels: list[str] = []  # children to cancel, drained by the engine

    # -- parents ----------------------------------------------------------------------
    def accept(self, order: Order, spec: ExecSpec, view: MarketView, lot: Decimal = Decimal("1"),
               impact: ImpactParams | None = None, profile: Iterable[float] = ()) -> list[Order]:
        """Start working ``order`` as a parent; return the children due at once."""
        if spec.algorithm not in self.algos:
            raise ValueError(f"execution spec: unknown algorithm {spec.algorithm!r}; "
                             f"known: {', '.join(sorted(self.algos))}")
        pid = order.client_order_id
        if pid in self.parents:
            return []
        arrival = view.mid
        state = ParentState(pid, order.quantity, order.side is Side.BUY, spec, view.ts_ns, arrival, lot=lot,
                            profile=tuple(profile), impact=impact)
        algo = self.algos[spec.algorithm]
        plan_fn = getattr(algo, "plan", None)
        if callable(plan_fn):
            state.plan = plan_fn(state, view)
        record = ParentRecord(order, spec, view.ts_ns, arrival, lot, state.plan, state.profile, impact)
        if self.store is not None:
            self.store.save_exec_parent(record)  # stored before any child can be sent
        self._track(state, order)
        return self._step(state, view, count_volume=False)

    def restore(self, record: ParentRecord, children: Iterable[ChildRecord], filled: Mapping[str, Decimal],
                open_children: Iterable[str]) -> None:
        """Rebuild a stored parent: children sent, their fills, which are still open."""
        order = record.order
        state = ParentState(order.client_order_id, order.quantity, order.side is Side.BUY, record.spec,
                            record.start_ns, record.arrival_price, lot=record.lot, plan=record.plan,
                            profile=record.profile, impact=record.impact, done=record.done)
        still_open = set(open_children)
        for child in children:
            state.children += 1
            got = filled.get(child.child_id, Decimal(0))
            state.filled += got
            if child.child_id in still_open:
                state.sent += child.quantity
                state.resting[child.child_id] = child.quantity - got
                state.resting_since[child.child_id] = child.ts_ns
            else:  # done or canceled: only what filled was sent
                state.sent += got
            self._child_parent[child.child_id] = state.parent_id
        if not state.done:
            self._track(state, order)

    def _track(self, state: ParentState, order: Order) -> None:
        self.parents[state.parent_id] = state
        self.templates[state.parent_id] = order
        self._by_instrument.setdefault(order.instrument, []).append(state.parent_id)

    def has_work(self, instrument: str) -> bool:
        """Whether any parent on ``instrument`` is being worked."""
        return bool(self._by_instrument.get(instrument))

    # -- events -----------------------------------------------------------------------
    def on_bar(self, instrument: str, view: MarketView) -> list[Order]:
        """A bar of ``instrument`` closed: return the children now due on every parent."""
        out: list[Order] = []
        for pid in list(self._by_instrument.get(instrument, ())):
            out.extend(self._step(self.parents[pid], view, count_volume=True))
        return out

    def on_fill(self, order: Order, fill: Fill) -> bool:
        """Book a child's fill on its parent; return whether ``order`` was a child."""
        pid = self._child_parent.get(order.client_order_id)
        if pid is None or pid not in self.parents:
            return False
        state = self.parents[pid]
        state.filled += fill.quantity
        cid = order.client_order_id
        if cid in state.resting:
            left = state.resting[cid] - fill.quantity
            if left > 0:
                state.resting[cid] = left
            else:
                state.resting.pop(cid)
                state.resting_since.pop(cid, None)
        if state.filled >= state.quantity:
            self._finish(state, fill.ts_event)
        return True

    def on_child_closed(self, child_id: str) -> None:
        """A child ended unfilled in part (canceled, expired, rejected): it is sendable again."""
        pid = self._child_parent.get(child_id)
        state = self.parents.get(pid or "")
        if state is None or child_id not in state.resting:
            return
        state.sent -= state.resting.pop(child_id)
        state.resting_since.pop(child_id, None)

    def cancel(self, parent_id: str, ts_ns: int) -> bool:
        """Stop working a parent (its intent was canceled or replaced): no more children, its
        resting children are queued for cancel (``cancels``). Return whether it was working."""
        state = self.parents.get(parent_id)
        if state is None or state.done:
            return False
        for cid in list(state.resting):
            self.cancels.append(cid)
            self.on_child_closed(cid)
        self._finish(state, ts_ns)
        return True

    def _finish(self, state: ParentState, ts_ns: int) -> None:
        state.done = True
        order = self.templates[state.parent_id]
        ids = self._by_instrument.get(order.instrument, [])
        if state.parent_id in ids:
            ids.remove(state.parent_id)
        if self.store is not None:
            self.store.finish_exec_parent(state.parent_id, ts_ns)

    # -- children ---------------------------------------------------------------------
    def _step(self, state: ParentState, view: MarketView, count_volume: bool) -> list[Order]:
        if state.done:
            return []
        if count_volume:
            state.volume_seen += max(view.volume, 0.0)
        if view.ts_ns < state.next_due_ns and not state.resting:
            return []  # nothing falls due before the next slice
        algo = self.algos[state.spec.algorithm]
        out: list[Order] = []
        for spec in algo.children(state, view):
            for cid in spec.cancel:
                self.cancels.append(cid)
                self.on_child_closed(cid)
            child = self._child(state, spec, view)
            if child is not None:
                out.append(child)
        return out

    def _cap(self, state: ParentState, spec: ChildSpec, view: MarketView) -> Decimal:
        qty = min(spec.quantity, state.quantity - state.sent)
        if state.spec.participation is not None and view.volume > 0:
            qty = min(qty, Decimal(repr(state.spec.participation * view.volume)))
        return qty.quantize(state.lot, rounding=ROUND_DOWN) if qty > 0 else Decimal(0)

    def _child(self, state: ParentState, spec: ChildSpec, view: MarketView) -> Order | None:
        qty = self._cap(state, spec, view)
        if qty < spec.quantity:
            state.next_due_ns = 0  # capped: the rest is due again at the next bar
        if qty <= 0:
            return None
        t = self.templates[state.parent_id]
        cid = f"{state.parent_id}.{state.children + 1}"
        limit = spec.limit_price if spec.kind == "limit" else None
        child = Order(cid, t.bot, t.instrument, t.side, qty, view.ts_ns,
                      OrderType.LIMIT if limit is not None else OrderType.MARKET, limit, t.signal_id, t.account,
                      t.reduce_only)
        state.children += 1
        state.sent += qty
        self._child_parent[cid] = state.parent_id
        if limit is not None:
            state.resting[cid] = qty
            state.resting_since[cid] = view.ts_ns
        if self.store is not None:
            touch = view.ask if state.buy else view.bid
            self.store.save_exec_child(ChildRecord(cid, state.parent_id, view.ts_ns, qty, spec.kind, limit,
                                                   view.mid, touch, view.volume_rate, state.spec.interval_s))
        return child

    def working_on(self, instrument: str) -> list[ParentState]:
        """Return the parents on ``instrument`` still being worked."""
        return [self.parents[pid] for pid in self._by_instrument.get(instrument, ())]

    def working(self) -> list[ParentState]:
        """Return the parents still being worked."""
        return [p for p in self.parents.values() if not p.done]

