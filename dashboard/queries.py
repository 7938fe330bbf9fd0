"""Aggregate and paged reads the dashboard needs beyond the store's own read API.

The store's reads return whole tables (fine for the engine, slow for a page with 10,000
fills); these queries count and page in SQL on the store's engine and return plain data.
Every query ends its transaction at once, so a page never holds a SQLite read snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from tradefleet.orchestrator.errors import StoreError
from tradefleet.orchestrator.store.models import (
    EquityRow,
    FillRow,
    GateDecisionRow,
    OrderRow,
    PositionRow,
    SignalRow,
)
from tradefleet.orchestrator.store.types import to_decimal

OPEN = ("INTENT", "SUBMITTED", "ACCEPTED", "PARTIALLY_FILLED", "UNKNOWN")


@contextmanager
def reading(store: Any, what: str) -> Iterator[Connection]:
    """A short read transaction on the store's engine; errors become StoreError."""
    try:
        with store.engine.connect() as conn:
            yield conn
            conn.rollback()
    except SQLAlchemyError as exc:
        first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
        raise StoreError(f"store {store.where}: dashboard read {what} failed: {first}") from exc


def dec(value: Any) -> Decimal:
    """Read a stored exact decimal (str on SQLite, Decimal on PostgreSQL)."""
    return value if isinstance(value, Decimal) else to_decimal(value)


def bot_counts(store: Any) -> dict[str, dict[str, int]]:
    """Per bot: signals, orders and open orders (index-only counts in SQL)."""
    out: dict[str, dict[str, int]] = {}

    def slot(bot: str) -> dict[str, int]:
        return out.setdefault(bot, {"signals": 0, "orders": 0, "open_orders": 0})

    with reading(store, "bot counts") as conn:
        for bot, n in conn.execute(select(SignalRow.bot, func.count()).group_by(SignalRow.bot)):
            slot(bot)["signals"] = int(n)
        for bot, n in conn.execute(select(OrderRow.bot, func.count()).group_by(OrderRow.bot)):
            slot(bot)["orders"] = int(n)
        for bot, n in conn.execute(select(OrderRow.bot, func.count()).where(OrderRow.status.in_(OPEN))
                                   .group_by(OrderRow.bot)):
            slot(bot)["open_orders"] = int(n)
    return out


def fill_counts_after(store: Any, after_id: int) -> tuple[dict[str, int], int]:
    """Fills per bot with id > ``after_id``, and the highest id seen (fills are append-only)."""
    q = (select(OrderRow.bot, func.count(), func.max(FillRow.id)).select_from(FillRow)
         .join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
         .where(FillRow.id > after_id).group_by(OrderRow.bot))
    counts, top = {}, after_id
    with reading(store, "fill counts") as conn:
        for bot, n, hi in conn.execute(q):
            counts[bot] = int(n)
            top = max(top, int(hi))
    return counts, top


def position_rows(store: Any) -> list[dict[str, Any]]:
    """Every stored position (flat ones carry realised P&L) as plain data."""
    q = select(PositionRow.bot, PositionRow.instrument, PositionRow.quantity, PositionRow.avg_price,
               PositionRow.realized_pnl, PositionRow.ts_updated).order_by(PositionRow.bot, PositionRow.instrument)
    with reading(store, "positions") as conn:
        rows = conn.execute(q).all()
    return [{"bot": r[0], "instrument": r[1], "quantity": dec(r[2]), "avg_price": dec(r[3]),
             "realized_pnl": dec(r[4]), "ts_updated": r[5]} for r in rows]


def recent_orders(store: Any, limit: int, bot: str | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` orders, newest first."""
    q = select(OrderRow.client_order_id, OrderRow.bot, OrderRow.instrument, OrderRow.account,
               OrderRow.side, OrderRow.quantity, OrderRow.order_type, OrderRow.limit_price,
               OrderRow.status, OrderRow.filled_quantity, OrderRow.avg_price, OrderRow.reason,
               OrderRow.ts_init, OrderRow.ts_updated).order_by(
        OrderRow.ts_init.desc(), OrderRow.client_order_id.desc()).limit(limit)
    if bot is not None:
        q = q.where(OrderRow.bot == bot)
    keys = ("client_order_id", "bot", "instrument", "account", "side", "quantity", "order_type",
            "limit_price", "status", "filled_quantity", "avg_price", "reason", "ts_init", "ts_updated")
    with reading(store, "orders") as conn:
        return [dict(zip(keys, r, strict=True)) for r in conn.execute(q).all()]


def recent_fills(store: Any, limit: int, bot: str | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` fills with their order's bot, newest first."""
    q = (select(FillRow.id, OrderRow.bot, FillRow.client_order_id, FillRow.venue, FillRow.trade_id,
                FillRow.instrument, FillRow.side, FillRow.quantity, FillRow.price, FillRow.fee,
                FillRow.ts_event)
         .join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
         .order_by(FillRow.id.desc()).limit(limit))
    if bot is not None:
        q = q.where(OrderRow.bot == bot)
    keys = ("id", "bot", "client_order_id", "venue", "trade_id", "instrument", "side", "quantity",
            "price", "fee", "ts_event")
    with reading(store, "fills") as conn:
        return [dict(zip(keys, r, strict=True)) for r in conn.execute(q).all()]


def total_fills(store: Any) -> int:
    with reading(store, "fill count") as conn:
        return int(conn.execute(select(func.count()).select_from(FillRow)).scalar_one())


def recent_signals(store: Any, limit: int, bot: str | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` signals, each with its gate decisions in pipeline order."""
    # Sort narrow rows, then fetch the wide ones (meta JSON) only for the page.
    pick = select(SignalRow.signal_id).order_by(SignalRow.ts_event.desc(), SignalRow.signal_id.desc()).limit(limit)
    if bot is not None:
        pick = pick.where(SignalRow.bot == bot)
    keys = ("signal_id", "bot", "instrument", "direction", "confidence", "entry", "ts_event",
            "outcome", "meta")
    with reading(store, "signals") as conn:
        ids = [r[0] for r in conn.execute(pick)]
        wide = select(SignalRow.signal_id, SignalRow.bot, SignalRow.instrument, SignalRow.direction,
                      SignalRow.confidence, SignalRow.entry, SignalRow.ts_event, SignalRow.outcome,
                      SignalRow.meta).where(SignalRow.signal_id.in_(ids))
        found = {r[0]: dict(zip(keys, r, strict=True)) for r in conn.execute(wide)}
        sigs = [found[i] for i in ids]
        by_id: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            dq = select(GateDecisionRow.signal_id, GateDecisionRow.gate, GateDecisionRow.verdict,
                        GateDecisionRow.reason, GateDecisionRow.detail, GateDecisionRow.scale,
                        GateDecisionRow.data).where(
                GateDecisionRow.signal_id.in_(ids[start:start + 500])).order_by(
                GateDecisionRow.signal_id, GateDecisionRow.seq)
            for r in conn.execute(dq):
                by_id[r[0]].append({"gate": r[1], "verdict": r[2], "reason": r[3], "detail": r[4],
                                    "scale": r[5], "data": dict(r[6] or {})})
    for s in sigs:
        s["meta"] = dict(s["meta"] or {})
        s["decisions"] = by_id[s["signal_id"]]
    return sigs


def latest_signal_meta(store: Any) -> dict[str, dict[str, Any]]:
    """Each bot's newest signal's meta (regime, fleet weight) and time."""
    newest = (select(SignalRow.bot, func.max(SignalRow.ts_event).label("ts"))
              .group_by(SignalRow.bot).subquery())
    q = select(SignalRow.bot, SignalRow.ts_event, SignalRow.meta, SignalRow.outcome).join(
        newest, (SignalRow.bot == newest.c.bot) & (SignalRow.ts_event == newest.c.ts))
    out: dict[str, dict[str, Any]] = {}
    with reading(store, "latest signals") as conn:
        for bot, ts, meta, outcome in conn.execute(q):
            out[bot] = {"ts_event": ts, "meta": dict(meta or {}), "outcome": outcome}
    return out


def fleet_weights(store: Any, limit: int = 5000) -> list[tuple[str, int, float]]:
    """(bot, ts, fleet_weight) of the newest signals that carry one, oldest first."""
    weight = SignalRow.meta["fleet_weight"].as_float()
    q = (select(SignalRow.bot, SignalRow.ts_event, weight).where(weight.is_not(None))
         .order_by(SignalRow.ts_event.desc()).limit(limit))
    out = []
    with reading(store, "fleet weights") as conn:
        for bot, ts, w in conn.execute(q):
            out.append((bot, int(ts), float(w)))
    out.reverse()
    return out


def signal_count(store: Any) -> int:
    """How many signals are stored (signals are never deleted: a cheap change marker)."""
    with reading(store, "signal count") as conn:
        return int(conn.execute(select(func.count()).select_from(SignalRow)).scalar_one())


def equity_points(store: Any, account: str | None = None) -> list[tuple[int, float]]:
    """(ts_ns, equity) in time order (of one account), as floats for charts."""
    q = select(EquityRow.ts, cast(EquityRow.equity, Float)).order_by(EquityRow.ts)  # no Decimal per row
    if account is not None:
        q = q.where(EquityRow.account == account)
    with reading(store, "equity") as conn:
        return [(int(ts), float(eq)) for ts, eq in conn.execute(q)]


def fill_latencies(store: Any, limit: int = 1000) -> list[float]:
    """Seconds from order intent to fill for the newest ``limit`` fills."""
    q = (select(FillRow.ts_init - OrderRow.ts_init)
         .join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
         .order_by(FillRow.id.desc()).limit(limit))
    with reading(store, "fill latency") as conn:
        return [max(0, int(d)) / 1e9 for (d,) in conn.execute(q)]


def order_status_counts(store: Any) -> dict[str, int]:
    with reading(store, "order statuses") as conn:
        return {s: int(n) for s, n in conn.execute(
            select(OrderRow.status, func.count()).group_by(OrderRow.status))}


def signal_outcome_counts(store: Any) -> dict[str, int]:
    """Signals by outcome kind: ordered, noop, rejected."""
    kind = func.substr(SignalRow.outcome, 1, 7)
    out: dict[str, int] = {}
    with reading(store, "signal outcomes") as conn:
        for k, n in conn.execute(select(kind, func.count()).group_by(kind)):
            key = "rejected" if str(k).startswith("rejecte") else str(k)
            out[key] = out.get(key, 0) + int(n)
    return out


def last_equity(store: Any) -> tuple[int, float] | None:
    """The newest equity snapshot as (ts_ns, equity), or None."""
    with reading(store, "last equity") as conn:
        row = conn.execute(select(EquityRow.ts, EquityRow.equity).order_by(EquityRow.ts.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), float(row[1]))


# -- filtered, paged reads (the Signals page and the REST API) ----------------------------
def _outcome_clause(outcome: str) -> Any:
    """``ordered``/``noop``/``rejected`` match the outcome's kind; anything else matches exactly."""
    if outcome in ("rejected", "ordered", "noop"):
        return SignalRow.outcome.like(f"{outcome}%")
    return SignalRow.outcome == outcome


def signal_page(store: Any, *, bot: str | None = None, instrument: str | None = None, gate: str | None = None,
                outcome: str | None = None, since_ns: int | None = None, until_ns: int | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of signals (newest first) matching every filter given, and how many match.

    ``gate`` keeps the signals that gate rejected.
    """
    where = []
    if bot:
        where.append(SignalRow.bot == bot)
    if instrument:
        where.append(SignalRow.instrument == instrument)
    if outcome:
        where.append(_outcome_clause(outcome))
    if since_ns is not None:
        where.append(SignalRow.ts_event >= since_ns)
    if until_ns is not None:
        where.append(SignalRow.ts_event < until_ns)
    if gate:  # the gate that rejected it: named in the outcome, so no join over every decision
        pat = gate.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(SignalRow.outcome.like(f"rejected:{pat}:%", escape="\\"))
    pick = (select(SignalRow.signal_id).where(*where)
            .order_by(SignalRow.ts_event.desc(), SignalRow.signal_id.desc()).limit(limit).offset(offset))
    with reading(store, "signal page") as conn:
        total = int(conn.execute(select(func.count()).select_from(SignalRow).where(*where)).scalar_one())
        ids = [r[0] for r in conn.execute(pick)]
    return _signals_by_id(store, ids), total


def _signals_by_id(store: Any, ids: list[str]) -> list[dict[str, Any]]:
    keys = ("signal_id", "bot", "instrument", "direction", "confidence", "entry", "ts_event", "outcome", "meta")
    by_id: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    with reading(store, "signals") as conn:
        wide = select(SignalRow.signal_id, SignalRow.bot, SignalRow.instrument, SignalRow.direction,
                      SignalRow.confidence, SignalRow.entry, SignalRow.ts_event, SignalRow.outcome,
                      SignalRow.meta).where(SignalRow.signal_id.in_(ids))
        found = {r[0]: dict(zip(keys, r, strict=True)) for r in conn.execute(wide)}
        dq = select(GateDecisionRow.signal_id, GateDecisionRow.gate, GateDecisionRow.verdict,
                    GateDecisionRow.reason, GateDecisionRow.detail, GateDecisionRow.scale,
                    GateDecisionRow.data).where(GateDecisionRow.signal_id.in_(ids)).order_by(
            GateDecisionRow.signal_id, GateDecisionRow.seq)
        for r in conn.execute(dq):
            by_id[r[0]].append({"gate": r[1], "verdict": r[2], "reason": r[3], "detail": r[4],
                                "scale": r[5], "data": dict(r[6] or {})})
    out = []
    for i in ids:
        s = found[i]
        s["meta"] = dict(s["meta"] or {})
        s["decisions"] = by_id[i]
        out.append(s)
    return out


def signal_facets(store: Any) -> dict[str, list[str]]:
    """The values the signal filters offer: bots, instruments, gates."""
    with reading(store, "signal facets") as conn:
        bots = [r[0] for r in conn.execute(select(SignalRow.bot).distinct().order_by(SignalRow.bot))]
        insts = [r[0] for r in conn.execute(select(SignalRow.instrument).distinct().order_by(SignalRow.instrument))]
        gates = [r[0] for r in conn.execute(select(GateDecisionRow.gate).distinct().order_by(GateDecisionRow.gate))]
    return {"bots": bots, "instruments": insts, "gates": gates, "outcomes": ["ordered", "rejected", "noop"]}


def order_page(store: Any, *, bot: str | None = None, status: str | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of orders (newest first) and how many match."""
    where = []
    if bot:
        where.append(OrderRow.bot == bot)
    if status:
        where.append(OrderRow.status == status.upper())
    q = select(OrderRow.client_order_id, OrderRow.bot, OrderRow.instrument, OrderRow.account,
               OrderRow.side, OrderRow.quantity, OrderRow.order_type, OrderRow.limit_price,
               OrderRow.status, OrderRow.filled_quantity, OrderRow.avg_price, OrderRow.reason,
               OrderRow.ts_init, OrderRow.ts_updated).where(*where).order_by(
        OrderRow.ts_init.desc(), OrderRow.client_order_id.desc()).limit(limit).offset(offset)
    keys = ("client_order_id", "bot", "instrument", "account", "side", "quantity", "order_type",
            "limit_price", "status", "filled_quantity", "avg_price", "reason", "ts_init", "ts_updated")
    with reading(store, "order page") as conn:
        total = int(conn.execute(select(func.count()).select_from(OrderRow).where(*where)).scalar_one())
        return [dict(zip(keys, r, strict=True)) for r in conn.execute(q).all()], total


def fill_page(store: Any, *, bot: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of fills (newest first) with their order's bot, and how many match."""
    base = select(FillRow.id).join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
    q = (select(FillRow.id, OrderRow.bot, FillRow.client_order_id, FillRow.venue, FillRow.trade_id,
                FillRow.instrument, FillRow.side, FillRow.quantity, FillRow.price, FillRow.fee, FillRow.ts_event)
         .join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id)
         .order_by(FillRow.id.desc()).limit(limit).offset(offset))
    if bot:
        q = q.where(OrderRow.bot == bot)
        base = base.where(OrderRow.bot == bot)
    keys = ("id", "bot", "client_order_id", "venue", "trade_id", "instrument", "side", "quantity",
            "price", "fee", "ts_event")
    with reading(store, "fill page") as conn:
        total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar_one())
        return [dict(zip(keys, r, strict=True)) for r in conn.execute(q).all()], total


# -- regime history (the store's regime_history table, migration 0005) ----------------------
def regime_markets(store: Any) -> list[str]:
    """Markets that have stored regime rows."""
    from tradefleet.ai.regime.store_history import REGIME_HISTORY as t

    try:
        with reading(store, "regime markets") as conn:
            return [r[0] for r in conn.execute(select(t.c.market).distinct().order_by(t.c.market))]
    except StoreError:
        return []


def regime_history(store: Any, market: str) -> list[Any]:
    """The market's stored regime rows in time order (empty if none)."""
    from tradefleet.ai.regime.history import RegimeRow
    from tradefleet.ai.regime.store_history import REGIME_HISTORY as t

    q = select(t.c.market, t.c.ts_event, t.c.regime, t.c.p_bull, t.c.p_bear, t.c.p_sideways,
               t.c.model_version).where(t.c.market == market).order_by(t.c.ts_event)
    try:
        with reading(store, f"regime history of {market}") as conn:
            return [RegimeRow(*r) for r in conn.execute(q)]
    except StoreError:
        return []


def latest_regime(store: Any, market: str) -> Any:
    """The market's newest stored regime row, or None."""
    from tradefleet.ai.regime.history import RegimeRow
    from tradefleet.ai.regime.store_history import REGIME_HISTORY as t

    q = select(t.c.market, t.c.ts_event, t.c.regime, t.c.p_bull, t.c.p_bear, t.c.p_sideways,
               t.c.model_version).where(t.c.market == market).order_by(t.c.ts_event.desc()).limit(1)
    try:
        with reading(store, f"latest regime of {market}") as conn:
            row = conn.execute(q).first()
    except StoreError:
        return None
    return None if row is None else RegimeRow(*row)
