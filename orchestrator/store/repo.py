"""The store's repository: open, lock, and the writes the engine makes.

Orders are written as INTENT (and committed) before anything is sent; fills are unique
by (venue, venue_order_id, trade_id), so a replayed or duplicated fill is ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import TracebackType
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tradefleet.orchestrator.clock import Clock, LiveClock
from tradefleet.orchestrator.domain import ZERO, Decision, Fill, Order, OrderStatus, Position, Signal
from tradefleet.orchestrator.errors import StoreError, StoreMissing
from tradefleet.orchestrator.store import lock as run_locks
from tradefleet.orchestrator.store.connect import DEFAULT_URL, display_url, make_engine, parse_url, sqlite_path
from tradefleet.orchestrator.store.migrate import HEAD_REVISION, upgrade_to_head
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
from tradefleet.orchestrator.store.reads import StoreReads
from tradefleet.orchestrator.store.records import BOT_STATUSES, ControlState, valid_outcome, valid_scope
from tradefleet.orchestrator.store.types import ExactDecimal, to_decimal

_SIGNALS, _DECISIONS, _ORDERS = SignalRow.__table__, GateDecisionRow.__table__, OrderRow.__table__
_FILLS, _POSITIONS, _EQUITY = FillRow.__table__, PositionRow.__table__, EquityRow.__table__
_CONTROL, _EVENTS, _BOTS, _RUNS = (ControlStateRow.__table__, ControlEventRow.__table__,
                                   BotRow.__table__, RunRow.__table__)


class Store(StoreReads):
    """tradefleet's records: SQLite (WAL) under ``./var/`` by default, or any SQLAlchemy URL.

    Open with :meth:`open`; the schema is migrated to head on open. Writes outside
    :meth:`batch` commit one by one. Reads return frozen objects, never ORM rows.
    """

    def __init__(self, engine: Engine, where: str, clock: Clock | None = None) -> None:
        super().__init__(engine, where)
        self._clock: Clock = clock or LiveClock()
        self._locks: list[run_locks.RunLock] = []

    # -- life cycle --------------------------------------------------------------------

    @classmethod
    def open(cls, url: str = DEFAULT_URL, *, clock: Clock | None = None) -> Store:
        """Open (creating if needed) the store at ``url`` and migrate it to the head schema.

        Raises StoreError naming the database if it cannot be opened, is not a database,
        or carries a schema revision this version does not know.
        """
        parsed = parse_url(url)
        path = sqlite_path(parsed)
        where = str(path) if path is not None else display_url(parsed)
        engine = make_engine(parsed)
        try:
            upgrade_to_head(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise _open_error(where, path is not None, exc) from exc
        except Exception as exc:
            engine.dispose()
            if type(exc).__module__.startswith("alembic"):
                raise StoreError(f"store {where}: cannot migrate to schema {HEAD_REVISION}: {exc}"
                                 " (a newer tradefleet may have written it)") from exc
            raise
        return cls(engine, display_url(parsed), clock)

    @classmethod
    def open_existing(cls, url: str = DEFAULT_URL, *, clock: Clock | None = None) -> Store:
        """Open a store that already exists, for commands that only read.

        Never creates a folder, a file or tables: a missing SQLite file, or a database
        without tradefleet's schema, is a :class:`StoreMissing` naming the URL.
        """
        from sqlalchemy import inspect

        parsed = parse_url(url)
        path = sqlite_path(parsed)
        where = str(path) if path is not None else display_url(parsed)
        hint = "nothing has run against it yet ('tradefleet run' creates it), or pass --store"
        if path is not None:
            if path.is_dir():
                raise StoreError(f"store {path}: is a directory, not a SQLite database file")
            if not path.is_file():
                raise StoreMissing(f"store {where}: no store there; {hint}")
        elif parsed.get_backend_name() == "sqlite":
            raise StoreMissing(f"store {where}: an in-memory store holds nothing to read; pass --store")
        if path is not None:
            found = _sqlite_has_schema(path)
        else:
            engine = make_engine(parsed)
            try:
                with engine.connect() as conn:
                    found = inspect(conn).has_table("alembic_version")
            except SQLAlchemyError as exc:
                raise _open_error(where, False, exc) from exc
            finally:
                engine.dispose()
        if not found:
            raise StoreMissing(f"store {where}: no tradefleet store in this database; {hint}")
        return cls.open(url, clock=clock)

    def close(self) -> None:
        """Release any run lock this store took and close its connections."""
        for held in self._locks:
            held.release()
        self._locks.clear()
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- run lock ----------------------------------------------------------------------

    def acquire_run_lock(self, holder: str) -> run_locks.RunLock:
        """Take the store's run lock without waiting, or raise StoreLockedError."""
        info = run_locks.LockInfo(holder, os.getpid(), self._clock.now_ns())
        path = sqlite_path(self._engine.url)
        if path is not None:
            held = run_locks.acquire_file_lock(path, self._where, info)
        elif self._dialect == "postgresql":
            held = run_locks.acquire_pg_lock(self._engine, self._where, info)
        else:
            held = run_locks.acquire_memory_lock(self._engine, self._where, info)
        self._locks.append(held)
        return held

    @contextmanager
    def run_lock(self, holder: str) -> Iterator[run_locks.RunLock]:
        """Hold the store's run lock for the duration of the block."""
        held = self.acquire_run_lock(holder)
        try:
            yield held
        finally:
            held.release()
            if held in self._locks:
                self._locks.remove(held)

    # -- writes ------------------------------------------------------------------------

    def upsert_bot(self, name: str, *, strategy: str, family: str, asset_class: str,
                   status: str = "ok", error: str | None = None, updated_ns: int) -> None:
        """Insert or update a bot and its health (``ok``, ``broken`` or ``faulted``)."""
        if status not in BOT_STATUSES:
            raise StoreError(f"bot {name}: status {status!r} is not one of {sorted(BOT_STATUSES)}")
        values = {"name": name, "strategy": strategy, "family": family,
                  "asset_class": str(asset_class), "status": status, "error": error,
                  "updated_ns": updated_ns}
        with self._writing(f"save bot {name}") as conn:
            self._upsert(conn, _BOTS, ["name"], values)

    def record_signal(self, signal: Signal, decisions: list[Decision], outcome: str) -> bool:
        """Store a signal, its gate decisions in order, and its outcome.

        ``outcome`` is ``ordered``, ``noop`` or ``rejected:<gate>:<reason>``. Returns False
        (and changes nothing) if the signal id is already stored: the first record stands.
        """
        if not valid_outcome(outcome):
            raise StoreError(f"signal {signal.signal_id}: outcome {outcome!r} must be 'ordered',"
                             " 'noop' or 'rejected:<gate>:<reason>'")
        sid = signal.signal_id
        row = {"signal_id": sid, "bot": signal.bot, "instrument": signal.instrument,
               "direction": signal.direction.value, "confidence": float(signal.confidence),
               "entry": float(signal.entry), "stop": _opt_float(signal.stop),
               "target": _opt_float(signal.target), "ts_event": signal.ts_event,
               "ts_init": signal.ts_init, "outcome": outcome,
               # the account scopes the id (two replay runs never share one): kept with the meta
               "meta": {**signal.meta, "account": signal.account} if signal.account else (signal.meta or {})}
        rows = [{"signal_id": sid, "seq": i, "gate": d.gate, "verdict": d.verdict.value, "reason": d.reason,
                 "detail": d.detail, "scale": float(d.scale), "data": d.data or {}} for i, d in enumerate(decisions)]
        with self._writing(f"record signal {sid}") as conn:
            if not self._insert_ignore(conn, _SIGNALS, ["signal_id"], row):
                return False
            pending = self.deferred("gate decisions", self._write_decisions)
            if pending is None:
                self._insert_many(conn, _DECISIONS, rows)
            else:  # inside a batch: every signal's decisions in one executemany per commit
                pending[sid] = rows
        return True

    def _write_decisions(self, conn: Connection, pending: dict[str, list[dict[str, Any]]]) -> None:
        self._insert_many(conn, _DECISIONS, [r for rows in pending.values() for r in rows])

    def record_order_intent(self, order: Order, *, commit: bool = True) -> bool:
        """Store ``order`` with status INTENT before it is sent; True if newly stored.

        False means that client order id is already stored: never send it again, resolve
        it from the stored status (or by querying the venue). With ``commit`` (the
        default) the intent is durable when this returns, even inside a batch (the batch's
        earlier writes are committed with it); the replay may pass ``commit=False``.
        """
        row = {"client_order_id": order.client_order_id, "signal_id": order.signal_id,
               "bot": order.bot, "instrument": order.instrument, "account": order.account,
               "side": order.side.value, "quantity": order.quantity,
               "order_type": order.order_type.value, "limit_price": order.limit_price,
               "status": OrderStatus.INTENT.value, "venue_order_id": None,
               "filled_quantity": ZERO, "avg_price": None, "reason": None,
               "reduce_only": order.reduce_only, "ts_init": order.ts_init,
               "ts_updated": order.ts_init, "stop_price": order.stop_price,
               "trail_amount": order.trail_amount, "trail_percent": order.trail_percent,
               "time_in_force": order.time_in_force.value, "expire_ns": order.expire_ns,
               "post_only": order.post_only, "parent_id": order.parent_id, "oco_id": order.oco_id}
        with self._order_written(order.client_order_id), \
                self._writing(f"record order intent {order.client_order_id}") as conn:
            try:
                inserted = self._insert_ignore(conn, _ORDERS, ["client_order_id"], row)
            except self._integrity_errors as exc:
                raise StoreError(f"store {self._where}: order {order.client_order_id} refers to"
                                 f" signal {order.signal_id}, which is not stored; record the"
                                 " signal first") from exc
        if commit:
            self.commit()
        return inserted

    def update_order(self, client_order_id: str, status: OrderStatus | str, *,
                     venue_order_id: str | None = None, filled_quantity: Decimal | None = None,
                     avg_price: Decimal | None = None, reason: str | None = None,
                     ts_ns: int) -> None:
        """Set an order's status; fields given as None keep their stored value."""
        params = {"client_order_id": client_order_id, "status": OrderStatus(status).value,
                  "venue_order_id": venue_order_id, "filled_quantity": filled_quantity,
                  "avg_price": avg_price, "reason": reason, "ts_updated": ts_ns}
        with self._order_written(client_order_id), self._writing(f"update order {client_order_id}") as conn:
            if self._raw is not None:
                count = self._raw_exec(conn, self._raw.update_order(_ORDERS), params)
            else:
                count = conn.execute(self._stmt("update_order", _update_order_stmt),
                                     {f"b_{k}": v for k, v in params.items()}).rowcount
        if count == 0:
            raise StoreError(f"store {self._where}: order {client_order_id} is not stored;"
                             " record its intent first")

    def record_fill(self, fill: Fill) -> bool:
        """Store a fill; False (nothing written) if its (venue, venue_order_id, trade_id)
        is already stored. Never raises on a duplicate."""
        row = {"client_order_id": fill.client_order_id, "venue": fill.venue,
               "venue_order_id": fill.venue_order_id, "trade_id": fill.trade_id,
               "instrument": fill.instrument, "side": fill.side.value, "quantity": fill.quantity,
               "price": fill.price, "fee": fill.fee, "ts_event": fill.ts_event,
               "ts_init": fill.ts_init, "model": fill.model or None}
        with self._writing(f"record fill {fill.venue}/{fill.trade_id}") as conn:
            try:
                return self._insert_ignore(conn, _FILLS, ["venue", "venue_order_id", "trade_id"], row)
            except self._integrity_errors as exc:
                raise StoreError(f"store {self._where}: fill {fill.venue}/{fill.trade_id} is for"
                                 f" order {fill.client_order_id}, which is not stored; record the"
                                 " order first (status EXTERNAL for orders placed elsewhere)") from exc

    def save_position(self, position: Position, ts_ns: int) -> None:
        """Insert or replace a bot's position in one instrument of ``position.account``."""
        values = {"account": position.account, "bot": position.bot, "instrument": position.instrument,
                  "quantity": position.quantity, "avg_price": position.avg_price,
                  "realized_pnl": position.realized_pnl, "ts_updated": ts_ns}
        with self._writing(f"save position {position.bot}/{position.instrument}") as conn:
            self._upsert(conn, _POSITIONS, ["account", "bot", "instrument"], values)

    def record_equity(self, ts_ns: int, cash: Decimal | float, positions_value: Decimal | float,
                      equity: Decimal | float, account: str = "paper") -> None:
        """Store an equity snapshot of ``account`` (a second one at the same ``ts_ns``
        replaces the first)."""
        values = {"account": account, "ts": ts_ns, "cash": to_decimal(cash),
                  "positions_value": to_decimal(positions_value), "equity": to_decimal(equity)}
        pending = self.deferred("equity", self._write_equity)
        if pending is not None:  # inside a batch (a replay's simulated days): one executemany per commit
            pending[(account, ts_ns)] = values  # a later snapshot at the same instant replaces it
            return
        with self._writing("record equity") as conn:
            self._upsert(conn, _EQUITY, ["account", "ts"], values)

    def _write_equity(self, conn: Connection, pending: dict[tuple[str, int], dict[str, Any]]) -> None:
        self._upsert_many(conn, _EQUITY, ["account", "ts"], list(pending.values()))

    def set_control(self, scope: str, *, paused: bool | None = None, halted: bool | None = None,
                    reason: str, actor: str, ts_ns: int) -> ControlState:
        """Change the pause/halt state of ``scope`` (None leaves a flag as it is), append
        the change to the audit trail, and return the new state. Atomic across processes."""
        if not valid_scope(scope):
            raise StoreError(f"control scope {scope!r} is invalid: use 'fleet', 'fleet:<name>', 'bot:<name>'"
                             " or 'account:<name>'")
        params = {"scope": scope, "paused": paused, "halted": halted, "reason": reason,
                  "actor": actor, "ts_ns": ts_ns}
        with self._writing(f"set control {scope}") as conn:
            # The audit row goes first: on SQLite it takes the write lock, so the state
            # update below cannot interleave with another process's.
            conn.execute(self._stmt("control_event", lambda: _EVENTS.insert()), params)
            if self._dialect in ("sqlite", "postgresql"):
                conn.execute(self._stmt("control_upsert", _control_upsert), params)
            else:
                self._set_control_generic(conn, params)
            row = conn.execute(select(_CONTROL).where(_CONTROL.c.scope == scope)).one()
        return ControlState(row.scope, bool(row.paused), bool(row.halted), row.reason,
                            row.actor, row.ts_ns)

    @staticmethod
    def _set_control_generic(conn: Any, params: dict[str, Any]) -> None:
        """Portable UPDATE-then-INSERT for dialects without ON CONFLICT."""
        c = _CONTROL.c
        changes: dict[str, Any] = {"reason": params["reason"], "actor": params["actor"],
                                   "ts_ns": params["ts_ns"]}
        for flag in ("paused", "halted"):
            if params[flag] is not None:
                changes[flag] = params[flag]
        if conn.execute(update(_CONTROL).where(c.scope == params["scope"]).values(changes)).rowcount:
            return
        conn.execute(_CONTROL.insert().values(
            scope=params["scope"], paused=bool(params["paused"]), halted=bool(params["halted"]),
            reason=params["reason"], actor=params["actor"], ts_ns=params["ts_ns"]))

    def start_run(self, mode: str, ts_ns: int) -> int:
        """Record the start of a run; return its id."""
        with self._writing("start run") as conn:
            result = conn.execute(_RUNS.insert().values(
                mode=mode, started_ns=ts_ns, ended_ns=None, status="running", summary={}))
            pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def end_run(self, run_id: int, status: str, summary: dict[str, Any], ts_ns: int) -> None:
        """Record how a run ended, with its summary."""
        with self._writing(f"end run {run_id}") as conn:
            done = conn.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(
                status=status, summary=summary, ended_ns=ts_ns))
        if done.rowcount == 0:
            raise StoreError(f"store {self._where}: run {run_id} is not stored")


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _update_order_stmt() -> Any:
    money = ExactDecimal()

    def keep(col: Any, name: str, type_: Any = None) -> Any:
        return func.coalesce(bindparam("b_" + name, type_=type_ or col.type), col)

    c = _ORDERS.c
    return (update(_ORDERS).where(c.client_order_id == bindparam("b_client_order_id")).values(
        status=bindparam("b_status"),
        venue_order_id=keep(c.venue_order_id, "venue_order_id"),
        filled_quantity=keep(c.filled_quantity, "filled_quantity", money),
        avg_price=keep(c.avg_price, "avg_price", money),
        reason=keep(c.reason, "reason"),
        ts_updated=bindparam("b_ts_updated")))


def _control_upsert() -> Any:
    """Insert the scope's state, or update only the flags given (NULL keeps the old one)."""
    return text(
        "insert into control_state (scope, paused, halted, reason, actor, ts_ns)"
        " values (:scope, coalesce(:paused, false), coalesce(:halted, false), :reason, :actor, :ts_ns)"
        " on conflict (scope) do update set"
        " paused = coalesce(:paused, control_state.paused),"
        " halted = coalesce(:halted, control_state.halted),"
        " reason = excluded.reason, actor = excluded.actor, ts_ns = excluded.ts_ns")


def _open_error(where: str, is_file: bool, exc: SQLAlchemyError) -> StoreError:
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if is_file and ("not a database" in first or "malformed" in first):
        return StoreError(f"store {where}: not a SQLite database or corrupt ({first}); move the"
                          " file aside or set engine.store_url to another path")
    return StoreError(f"store {where}: cannot open or migrate: {first}")


def _sqlite_has_schema(path: Path) -> bool:
    """Whether the SQLite file holds tradefleet's schema, read without changing it (no WAL switch)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("select 1 from sqlite_master where type = 'table' and name = 'alembic_version'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"store {path}: not a SQLite database ({exc})") from None
    return row is not None
