"""The store's queries. Every read returns frozen domain objects or records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select

from tradefleet.orchestrator.domain import (
    Decision,
    Direction,
    Fill,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
    Verdict,
)
from tradefleet.orchestrator.store.base import StoreBase
from tradefleet.orchestrator.store.models import (
    BotRow,
    ControlEventRow,
    ControlStateRow,
    EquityRow,
    FillRow,
    GateDecisionRow,
    OrderRow,
    PositionRow,
    RunRow,
    SignalRow,
)
from tradefleet.orchestrator.store.records import (
    BotRecord,
    ControlEvent,
    ControlState,
    EquityPoint,
    OrderRecord,
    RunRecord,
    SignalRecord,
)

OPEN_STATUSES = tuple(s for s in OrderStatus if s.is_open)

_ORDER_COLS = [OrderRow.client_order_id, OrderRow.bot, OrderRow.instrument, OrderRow.account,
               OrderRow.side, OrderRow.quantity, OrderRow.order_type, OrderRow.limit_price,
               OrderRow.signal_id, OrderRow.reduce_only, OrderRow.status, OrderRow.venue_order_id,
               OrderRow.filled_quantity, OrderRow.avg_price, OrderRow.reason, OrderRow.ts_init,
               OrderRow.ts_updated, OrderRow.stop_price, OrderRow.trail_amount, OrderRow.trail_percent,
               OrderRow.time_in_force, OrderRow.expire_ns, OrderRow.post_only, OrderRow.parent_id,
               OrderRow.oco_id]
# One order by id is read on every fire of an intent bot with working orders: the statement is
# built once (a new one per call costs its construction and SQLAlchemy's result-map adaptation,
# about 20x the row fetch itself)
_ORDER_BY_ID = select(*_ORDER_COLS).where(OrderRow.client_order_id == bindparam("cid"))
_FILL_COLS = [FillRow.client_order_id, FillRow.venue, FillRow.venue_order_id, FillRow.trade_id,
              FillRow.instrument, FillRow.side, FillRow.quantity, FillRow.price, FillRow.fee,
              FillRow.ts_event, FillRow.ts_init, FillRow.model]
_SIGNAL_COLS = [SignalRow.signal_id, SignalRow.bot, SignalRow.instrument, SignalRow.direction,
                SignalRow.confidence, SignalRow.entry, SignalRow.stop, SignalRow.target,
                SignalRow.ts_event, SignalRow.ts_init, SignalRow.outcome, SignalRow.meta]
_CONTROL_COLS = [ControlStateRow.scope, ControlStateRow.paused, ControlStateRow.halted,
                 ControlStateRow.reason, ControlStateRow.actor, ControlStateRow.ts_ns]


_UNREAD = object()


def _order(r: Any) -> OrderRecord:
    return OrderRecord(r[0], r[1], r[2], r[3], Side(r[4]), r[5], OrderType(r[6]), r[7], r[8],
                       bool(r[9]), OrderStatus(r[10]), r[11], r[12], r[13], r[14], r[15], r[16],
                       r[17], r[18], r[19], TimeInForce(r[20]), r[21], bool(r[22]), r[23], r[24])


def _fill(r: Any) -> Fill:
    return Fill(r[0], r[1], r[2], r[3], r[4], Side(r[5]), r[6], r[7], r[8], r[9], r[10], r[11] or "")


def _control(r: Any) -> ControlState:
    return ControlState(r[0], bool(r[1]), bool(r[2]), r[3], r[4], r[5])


class StoreReads(StoreBase):
    """Read side of the store."""

    def control(self, scope: str) -> ControlState:
        """The pause/halt state of ``scope``; a scope never set is neither paused nor halted."""
        with self._reading("read control state") as conn:
            row = conn.execute(select(*_CONTROL_COLS).where(ControlStateRow.scope == scope)).first()
        return _control(row) if row is not None else ControlState(scope)

    def controls(self) -> list[ControlState]:
        """Every stored control state, by scope."""
        with self._reading("read control states") as conn:
            rows = conn.execute(select(*_CONTROL_COLS).order_by(ControlStateRow.scope)).all()
        return [_control(r) for r in rows]

    def control_events(self, scope: str | None = None, limit: int | None = None) -> list[ControlEvent]:
        """The control audit trail, oldest first (the last ``limit`` entries if given)."""
        q = select(ControlEventRow.id, ControlEventRow.scope, ControlEventRow.paused,
                   ControlEventRow.halted, ControlEventRow.reason, ControlEventRow.actor,
                   ControlEventRow.ts_ns).order_by(ControlEventRow.id.desc())
        if scope is not None:
            q = q.where(ControlEventRow.scope == scope)
        if limit is not None:
            q = q.limit(limit)
        with self._reading("read control events") as conn:
            rows = conn.execute(q).all()
        return [ControlEvent(r[0], r[1], None if r[2] is None else bool(r[2]),
                             None if r[3] is None else bool(r[3]), r[4], r[5], r[6])
                for r in reversed(rows)]

    def orders(self, status: OrderStatus | Iterable[OrderStatus] | None = None,
               bot: str | None = None) -> list[OrderRecord]:
        """Orders in creation order, filtered by status (one or several) and bot."""
        q = select(*_ORDER_COLS).order_by(OrderRow.ts_init, OrderRow.client_order_id)
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            q = q.where(OrderRow.status.in_([OrderStatus(s).value for s in wanted]))
        if bot is not None:
            q = q.where(OrderRow.bot == bot)
        with self._reading("read orders") as conn:
            rows = conn.execute(q).all()
        return [_order(r) for r in rows]

    def open_orders(self, bot: str | None = None) -> list[OrderRecord]:
        """Orders that may still trade (INTENT, SUBMITTED, ACCEPTED, PARTIALLY_FILLED, UNKNOWN)."""
        return self.orders(OPEN_STATUSES, bot)

    def order_keys(self, account: str | None = None) -> list[tuple[str, str, str, str, str, str | None]]:
        """(client order id, bot, account, instrument, status, venue order id) of every order,
        in creation order: the light read a warm start and reconciliation index by."""
        q = select(OrderRow.client_order_id, OrderRow.bot, OrderRow.account, OrderRow.instrument, OrderRow.status,
                   OrderRow.venue_order_id).order_by(OrderRow.ts_init, OrderRow.client_order_id)
        if account is not None:
            q = q.where(OrderRow.account == account)
        with self._reading("read order keys") as conn:
            return [tuple(r) for r in conn.execute(q).all()]  # type: ignore[misc]

    def net_positions(self, account: str) -> dict[str, Any]:
        """Net quantity per instrument of ``account``: the sum of its stored unique fills."""
        q = select(FillRow.instrument, FillRow.side, FillRow.quantity).join(
            OrderRow, OrderRow.client_order_id == FillRow.client_order_id).where(OrderRow.account == account)
        out: dict[str, Any] = {}
        with self._reading("read net positions") as conn:
            for inst, side, qty in conn.execute(q).all():
                out[inst] = out.get(inst, 0) + (qty if side == "buy" else -qty)
        return {k: v for k, v in out.items() if v != 0}

    def order(self, client_order_id: str) -> OrderRecord | None:
        """One order by its client order id, or None. Inside a batch a record read once is
        kept until this store writes that order (see ``StoreBase._orders_read``)."""
        cached = self._batch_conn is not None
        if cached:
            hit = self._orders_read.get(client_order_id, _UNREAD)
            if hit is not _UNREAD:
                return hit  # type: ignore[no-any-return]
            version = self._orders_version
        with self._reading("read order") as conn:
            row = conn.execute(_ORDER_BY_ID, {"cid": client_order_id}).first()
        rec = _order(row) if row is not None else None
        if cached and version == self._orders_version:
            self._orders_read[client_order_id] = rec
        return rec

    def fills(self, cid: str | None = None) -> list[Fill]:
        """Fills in the order they were recorded, optionally of one client order id."""
        q = select(*_FILL_COLS).order_by(FillRow.id)
        if cid is not None:
            q = q.where(FillRow.client_order_id == cid)
        with self._reading("read fills") as conn:
            rows = conn.execute(q).all()
        return [_fill(r) for r in rows]

    def positions(self, bot: str | None = None, account: str | None = None) -> list[Position]:
        """Stored positions (flat ones included: they carry realised P&L), by account, bot
        and instrument."""
        q = select(PositionRow.bot, PositionRow.instrument, PositionRow.quantity,
                   PositionRow.avg_price, PositionRow.realized_pnl, PositionRow.account).order_by(
            PositionRow.account, PositionRow.bot, PositionRow.instrument)
        if bot is not None:
            q = q.where(PositionRow.bot == bot)
        if account is not None:
            q = q.where(PositionRow.account == account)
        with self._reading("read positions") as conn:
            rows = conn.execute(q).all()
        return [Position(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def signals(self, bot: str | None = None, limit: int | None = None) -> list[SignalRecord]:
        """Signals oldest first by ``ts_event``; with ``limit``, the most recent ones."""
        q = select(*_SIGNAL_COLS).order_by(SignalRow.ts_event.desc(), SignalRow.signal_id.desc())
        if bot is not None:
            q = q.where(SignalRow.bot == bot)
        if limit is not None:
            q = q.limit(limit)
        with self._reading("read signals") as conn:
            rows = conn.execute(q).all()
        return [SignalRecord(r[0], r[1], r[2], Direction(r[3]), r[4], r[5], r[6], r[7], r[8],
                             r[9], r[10], dict(r[11] or {})) for r in reversed(rows)]

    def decisions(self, signal_id: str) -> list[Decision]:
        """The gate decisions on one signal, in pipeline order."""
        q = select(GateDecisionRow.gate, GateDecisionRow.verdict, GateDecisionRow.reason,
                   GateDecisionRow.detail, GateDecisionRow.scale, GateDecisionRow.data).where(
            GateDecisionRow.signal_id == signal_id).order_by(GateDecisionRow.seq)
        self._flush_deferred()  # inside a batch: this thread's pending decisions first
        with self._reading("read decisions") as conn:
            rows = conn.execute(q).all()
        return [Decision(r[0], Verdict(r[1]), r[2], r[3], r[4], dict(r[5] or {})) for r in rows]

    def equity_curve(self, account: str | None = None) -> list[EquityPoint]:
        """Equity snapshots in time order (of one account, or of every account)."""
        self._flush_deferred()  # inside a batch: this thread's pending snapshots first
        q = select(EquityRow.ts, EquityRow.cash, EquityRow.positions_value,
                   EquityRow.equity, EquityRow.account).order_by(EquityRow.ts, EquityRow.account)
        if account is not None:
            q = q.where(EquityRow.account == account)
        with self._reading("read equity") as conn:
            rows = conn.execute(q).all()
        return [EquityPoint(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def last_run(self) -> RunRecord | None:
        """The most recently started run, or None."""
        q = select(RunRow.id, RunRow.mode, RunRow.started_ns, RunRow.ended_ns, RunRow.status,
                   RunRow.summary).order_by(RunRow.id.desc()).limit(1)
        with self._reading("read runs") as conn:
            r = conn.execute(q).first()
        return None if r is None else RunRecord(r[0], r[1], r[2], r[3], r[4], dict(r[5] or {}))

    def bots(self) -> list[BotRecord]:
        """Registered bots by name."""
        q = select(BotRow.name, BotRow.strategy, BotRow.family, BotRow.asset_class,
                   BotRow.status, BotRow.error, BotRow.updated_ns).order_by(BotRow.name)
        with self._reading("read bots") as conn:
            rows = conn.execute(q).all()
        return [BotRecord(*r) for r in rows]
