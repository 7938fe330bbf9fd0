"""Benchmark the store's hot path: signal + order intent + fill per second.

Run: ``.venv/bin/python -m bench.store_bench [--n 3000] [--pg URL] [--json]``

One "trade" is what the replay writes per approved signal: ``record_signal`` (with two
gate decisions), ``record_order_intent`` and ``record_fill``. Measured on SQLite (WAL,
synchronous=NORMAL) three ways: all trades in one ``batch()``; inside a batch but with
every intent committed before its "send" (the live default, ``commit=True``); and every
write on its own commit (no batch). Set side by side with the same rows written by raw
``sqlite3`` in one transaction (the floor the SQLAlchemy layer adds to). With ``--pg`` the
batch and own-commit cases also run on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from tradefleet.orchestrator.domain import Decision, Direction, Fill, Order, Side, Signal
from tradefleet.orchestrator.store import Store

DECISIONS = [Decision.passed("regime", data={"p_bull": 0.71}),
             Decision.resized("risk", 0.5, "max_position", data={"limit": 0.2})]


def _trade(i: int) -> tuple[Signal, Order, Fill]:
    sig = Signal(f"bot{i % 10}", "SPX", Direction.LONG if i % 2 else Direction.SHORT, 0.6,
                 4000.0 + i, i * 1_000, i * 1_000 + 1, meta={"fast": 20, "slow": 100})
    order = Order(Order.make_id(sig.signal_id), sig.bot, "SPX", Side.BUY, Decimal("3"),
                  sig.ts_init, signal_id=sig.signal_id)
    fill = Fill(order.client_order_id, "paper", f"p-{i}", f"t-{i}", "SPX", Side.BUY,
                Decimal("3"), Decimal("4000.25") + i, Decimal("0.12"), sig.ts_init, sig.ts_init)
    return sig, order, fill


def _write(store: Store, trades: list[tuple[Signal, Order, Fill]], commit_intent: bool) -> None:
    for sig, order, fill in trades:
        store.record_signal(sig, DECISIONS, "ordered")
        store.record_order_intent(order, commit=commit_intent)
        store.record_fill(fill)


def _timed(url: str, n: int, mode: str) -> float:
    trades = [_trade(i) for i in range(n)]
    with Store.open(url) as store:
        t0 = time.perf_counter()
        if mode == "batch":
            with store.batch():
                _write(store, trades, commit_intent=False)
        elif mode == "batch+intent-commit":
            with store.batch():
                _write(store, trades, commit_intent=True)
        else:
            _write(store, trades, commit_intent=True)
        elapsed = time.perf_counter() - t0
        assert len(store.fills()) == n, "every fill must be stored"
    return n / elapsed


def _raw_sqlite(url: str, n: int) -> float:
    """The same rows through plain sqlite3 executes in one transaction."""
    with Store.open(url):
        pass  # create the schema
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("PRAGMA foreign_keys = ON")
    trades = [_trade(i) for i in range(n)]
    t0 = time.perf_counter()
    with con:
        for sig, order, fill in trades:
            sid = sig.signal_id
            con.execute("insert into signals values (?,?,?,?,?,?,?,?,?,?,?,?) on conflict do nothing",
                        (sid, sig.bot, sig.instrument, sig.direction.value, sig.confidence,
                         sig.entry, None, None, sig.ts_event, sig.ts_init,
                         json.dumps(sig.meta), "ordered")).rowcount
            con.executemany("insert into gate_decisions (signal_id, seq, gate, verdict, reason,"
                            " detail, scale, data) values (?,?,?,?,?,?,?,?)",
                            [(sid, i, d.gate, d.verdict.value, d.reason, d.detail, d.scale,
                              json.dumps(d.data)) for i, d in enumerate(DECISIONS)])
            con.execute("insert into orders (client_order_id, signal_id, bot, instrument, account, side,"
                        " quantity, order_type, limit_price, status, venue_order_id, filled_quantity,"
                        " avg_price, reason, reduce_only, ts_init, ts_updated) values"
                        " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) on conflict do nothing",
                        (order.client_order_id, sid, order.bot, order.instrument, order.account,
                         order.side.value, str(order.quantity), order.order_type.value, None,
                         "intent", None, "0", None, None, False, order.ts_init,
                         order.ts_init)).rowcount
            con.execute("insert into fills (client_order_id, venue, venue_order_id, trade_id,"
                        " instrument, side, quantity, price, fee, ts_event, ts_init) values"
                        " (?,?,?,?,?,?,?,?,?,?,?) on conflict do nothing",
                        (fill.client_order_id, fill.venue, fill.venue_order_id, fill.trade_id,
                         fill.instrument, fill.side.value, str(fill.quantity), str(fill.price),
                         str(fill.fee), fill.ts_event, fill.ts_init)).rowcount
    elapsed = time.perf_counter() - t0
    con.close()
    return n / elapsed


def _pg_url(base: str, schema: str) -> Callable[[], str]:
    def make() -> str:
        import psycopg

        admin = base.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop schema if exists "{schema}" cascade')
            conn.execute(f'create schema "{schema}"')
        return f"{base}?options=-csearch_path%3D{schema}"
    return make


def _drop_pg(base: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{schema}" cascade')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="trades per batch measurement")
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (postgresql+psycopg://...)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    n_commit = max(args.n // 4, 100)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        def url(name: str) -> str:
            return f"sqlite:///{Path(tmp) / name}.db"
        results["sqlite raw sqlite3, one transaction"] = _raw_sqlite(url("raw"), args.n)
        results["sqlite batch"] = _timed(url("batch"), args.n, "batch")
        results["sqlite batch, intent committed"] = _timed(url("bic"), n_commit, "batch+intent-commit")
        results["sqlite own commits"] = _timed(url("own"), n_commit, "own")
    if args.pg:
        schema = "tf_store_bench"
        try:
            results["postgresql batch"] = _timed(_pg_url(args.pg, schema)(), args.n, "batch")
            results["postgresql own commits"] = _timed(_pg_url(args.pg, schema)(), n_commit, "own")
        finally:
            _drop_pg(args.pg, schema)
    if args.json:
        print(json.dumps({k: round(v, 1) for k, v in results.items()}, indent=2))
        return
    base = results["sqlite batch"]
    print(f"{'case':40s} {'trades/s':>10s} {'rows/s':>10s} {'vs sqlite batch':>16s}")
    for name, rate in results.items():
        print(f"{name:40s} {rate:10,.0f} {rate * 5:10,.0f} {rate / base:15.2f}x")


if __name__ == "__main__":
    main()
