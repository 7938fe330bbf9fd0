"""The execution layer's records in the kernel store (migration 0008).

Parents, children (with the market each was sent into), impact calibrations and
ensemble source-weight changes, reached through SQLAlchemy Core on the store's own
connections (``_writing`` / ``_reading``), so inside a replay's batch they join the batch
transaction like every other hot-path write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import Connection

from tradefleet.orchestrator.distributed.codec import decode, encode
from tradefleet.orchestrator.domain import Order, OrderStatus
from tradefleet.orchestrator.execution.algos.almgren_chriss import ImpactParams
from tradefleet.orchestrator.execution.algos.base import ExecSpec
from tradefleet.orchestrator.execution.layer import ChildRecord, ExecutionLayer, ParentRecord

META = MetaData()
EXEC_PARENTS = Table(
    "exec_parents", META,
    Column("parent_id", String(96), primary_key=True),
    Column("account", String(64), nullable=False),
    Column("bot", String(128), nullable=False),
    Column("instrument", String(64), nullable=False),
    Column("side", String(8), nullable=False),
    Column("quantity", String(48), nullable=False),
    Column("algorithm", String(48), nullable=False),
    Column("order_json", Text, nullable=False),
    Column("state_json", Text, nullable=False),
    Column("start_ns", BigInteger, nullable=False),
    Column("arrival", Float, nullable=False),
    Column("done_ns", BigInteger, nullable=True),
)
EXEC_CHILDREN = Table(
    "exec_children", META,
    Column("child_id", String(112), primary_key=True),
    Column("parent_id", String(96), nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
    Column("quantity", String(48), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("limit_price", String(48), nullable=True),
    Column("mid", Float, nullable=False),
    Column("touch", Float, nullable=False),
    Column("market_rate", Float, nullable=False),
    Column("interval_s", Float, nullable=False),
)
IMPACT_CALIBRATIONS = Table(
    "impact_calibrations", META,
    Column("version", String(64), primary_key=True),
    Column("venue", String(64), nullable=False),
    Column("instrument", String(64), nullable=False),
    Column("eta_scale", Float, nullable=False),
    Column("gamma_scale", Float, nullable=False),
    Column("slippage_bps", Float, nullable=True),
    Column("samples", Integer, nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
)
SOURCE_WEIGHTS = Table(
    "source_weights", META,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts_ns", BigInteger, nullable=False),
    Column("source", String(64), nullable=False),
    Column("multiplier", Float, nullable=False),
    Column("ic", Float, nullable=True),
    Column("samples", Integer, nullable=False),
)


class ExecStore:
    """The :class:`~tradefleet.orchestrator.execution.layer.ExecutionStore` on the kernel store."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _conn(self, what: str, write: bool) -> AbstractContextManager[Connection]:
        return self.store._writing(what) if write else self.store._reading(what)  # type: ignore[no-any-return]

    # -- the layer's writes -----------------------------------------------------------
    def save_exec_parent(self, record: ParentRecord) -> None:
        o = record.order
        row = {"parent_id": o.client_order_id, "account": o.account, "bot": o.bot, "instrument": o.instrument,
               "side": o.side.value, "quantity": str(o.quantity), "algorithm": record.spec.algorithm,
               "order_json": encode(o).decode(), "state_json": json.dumps(record.as_data()),
               "start_ns": record.start_ns, "arrival": record.arrival_price, "done_ns": None}
        with self._conn(f"store execution parent {o.client_order_id}", write=True) as conn:
            self.store._insert_ignore(conn, EXEC_PARENTS, ["parent_id"], row)

    def save_exec_child(self, record: ChildRecord) -> None:
        row = {"child_id": record.child_id, "parent_id": record.parent_id, "ts_ns": record.ts_ns,
               "quantity": str(record.quantity), "kind": record.kind,
               "limit_price": None if record.limit_price is None else str(record.limit_price),
               "mid": record.mid, "touch": record.touch, "market_rate": record.market_rate,
               "interval_s": record.interval_s}
        with self._conn(f"store execution child {record.child_id}", write=True) as conn:
            self.store._insert_many(conn, EXEC_CHILDREN, [row])  # the store's raw DBAPI path

    def finish_exec_parent(self, parent_id: str, ts_ns: int) -> None:
        with self._conn(f"finish execution parent {parent_id}", write=True) as conn:
            conn.execute(update(EXEC_PARENTS).where(EXEC_PARENTS.c.parent_id == parent_id).values(done_ns=ts_ns))

    # -- reads ------------------------------------------------------------------------
    def parents(self, account: str | None = None, open_only: bool = False) -> list[tuple[ParentRecord, int | None]]:
        """Return stored parents (oldest first) with when each finished (None: working)."""
        q = select(EXEC_PARENTS).order_by(EXEC_PARENTS.c.start_ns, EXEC_PARENTS.c.parent_id)
        if account is not None:
            q = q.where(EXEC_PARENTS.c.account == account)
        if open_only:
            q = q.where(EXEC_PARENTS.c.done_ns.is_(None))
        with self._conn("read execution parents", write=False) as conn:
            rows = conn.execute(q).mappings().all()
        return [(_parent(r), r["done_ns"]) for r in rows]

    def children(self, parent_ids: list[str] | None = None) -> list[ChildRecord]:
        q = select(EXEC_CHILDREN).order_by(EXEC_CHILDREN.c.ts_ns, EXEC_CHILDREN.c.child_id)
        if parent_ids is not None:
            q = q.where(EXEC_CHILDREN.c.parent_id.in_(parent_ids))
        with self._conn("read execution children", write=False) as conn:
            rows = conn.execute(q).mappings().all()
        return [ChildRecord(r["child_id"], r["parent_id"], r["ts_ns"], Decimal(r["quantity"]), r["kind"],
                            None if r["limit_price"] is None else Decimal(r["limit_price"]), r["mid"], r["touch"],
                            r["market_rate"], r["interval_s"])
                for r in rows]

    def save_calibration(self, version: str, venue: str, instrument: str, eta_scale: float, gamma_scale: float,
                         slippage_bps: float | None, samples: int, ts_ns: int) -> None:
        with self._conn(f"store impact calibration {version}", write=True) as conn:
            conn.execute(IMPACT_CALIBRATIONS.insert(), [{"version": version, "venue": venue, "instrument": instrument,
                                                         "eta_scale": eta_scale, "gamma_scale": gamma_scale,
                                                         "slippage_bps": slippage_bps, "samples": samples,
                                                         "ts_ns": ts_ns}])

    def calibrations(self) -> list[dict[str, Any]]:
        with self._conn("read impact calibrations", write=False) as conn:
            rows = conn.execute(select(IMPACT_CALIBRATIONS).order_by(IMPACT_CALIBRATIONS.c.ts_ns)).mappings().all()
        return [dict(r) for r in rows]

    def save_source_weights(self, ts_ns: int, rows: Mapping[str, tuple[float, float | None, int]]) -> None:
        """Store a change of the ensemble's source multipliers: source -> (multiplier, IC, samples)."""
        if not rows:
            return
        new = [{"ts_ns": ts_ns, "source": s, "multiplier": m, "ic": ic, "samples": n} for s, (m, ic, n) in rows.items()]
        pending = self.store.deferred("source_weights", _write_source_weights)
        if pending is not None:  # inside a batch (the replay): one executemany per commit, in this order
            pending[len(pending)] = new
            return
        with self._conn("store ensemble source weights", write=True) as conn:
            conn.execute(SOURCE_WEIGHTS.insert(), new)

    def source_weights(self) -> list[dict[str, Any]]:
        self.store._flush_deferred()  # inside a batch: this thread's pending rows first
        with self._conn("read ensemble source weights", write=False) as conn:
            rows = conn.execute(select(SOURCE_WEIGHTS).order_by(SOURCE_WEIGHTS.c.id))
            return [dict(r) for r in rows.mappings().all()]


def _write_source_weights(conn: Connection, pending: dict[int, list[dict[str, Any]]]) -> None:
    conn.execute(SOURCE_WEIGHTS.insert(), [row for rows in pending.values() for row in rows])


def _parent(r: Mapping[str, Any]) -> ParentRecord:
    order: Order = decode(r["order_json"])
    state = json.loads(r["state_json"])
    impact = state.get("impact")
    return ParentRecord(order, ExecSpec.from_data(state["spec"]), r["start_ns"], r["arrival"], Decimal(state["lot"]),
                        tuple(state.get("plan") or ()), tuple(state.get("profile") or ()),
                        None if impact is None else ImpactParams(*impact), r["done_ns"] is not None)


def with_children(exec_store: ExecStore, parents: list[ParentRecord]) -> Iterator[tuple[ParentRecord, list[ChildRecord]]]:
    """Yield each parent with its stored children (one read of the children table)."""
    by_parent: dict[str, list[ChildRecord]] = {}
    for k in exec_store.children([p.order.client_order_id for p in parents]):
        by_parent.setdefault(k.parent_id, []).append(k)
    for p in parents:
        yield p, by_parent.get(p.order.client_order_id, [])


def restore_layer(layer: ExecutionLayer, exec_store: ExecStore, store: Any, account: str) -> int:
    """Rebuild every working parent of ``account`` from the store; return how many.

    A child's fills come from the store's fills; a child still open at the venue (as the
    store's order status says) stays resting; any other child counts only what filled.
    """
    parents = [p for p, _ in exec_store.parents(account, open_only=True)]
    for p, children in with_children(exec_store, parents):
        filled = {c.child_id: sum((f.quantity for f in store.fills(c.child_id)), Decimal(0)) for c in children}
        still_open = [c.child_id for c in children if _is_open(store, c.child_id)]
        layer.restore(p, children, filled, still_open)
    return len(parents)


def _is_open(store: Any, client_order_id: str) -> bool:
    record = store.order(client_order_id)
    return record is not None and OrderStatus(record.status).is_open
