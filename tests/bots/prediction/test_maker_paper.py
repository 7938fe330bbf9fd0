"""The market maker in paper against the Kalshi and Polymarket loopback fakes (books and
public trades read through kalshi-python and py-clob-client): its quotes rest in the paper
broker and fill only when a public trade prints through them; a halt withdraws them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from tradefleet.app.live import LiveRunner, run_live
from tradefleet.bots.prediction.maker import PREDICTION_MARKET_MAKER as MM
from tradefleet.orchestrator.clock import SimClock
from tests.bots.prediction.test_live_paper import NOW, _config, venues  # noqa: F401 (fixture)
from tests.bots.prediction.test_maker import registry

NS = 10**9
STEP = 300 * NS


def _run(tmp_path: Path, venues: Any, monkeypatch: Any, between: dict[int, Any], fires: int = 3) -> Path:
    """Fire the maker ``fires`` times five minutes apart; ``between[k]`` runs before fire k."""
    kalshi, poly = venues
    clock = SimClock(NOW)
    t0 = clock.now_ns()
    original = LiveRunner.handle_fire

    def handle_fire(self: LiveRunner, job_id: str, fire_ns: int) -> None:
        clock.set_ns(fire_ns)
        k = (fire_ns - t0) // STEP
        if k in between:
            between[k](fire_ns)
        original(self, job_id, fire_ns)

    monkeypatch.setattr(LiveRunner, "handle_fire", handle_fire)

    def scheduler(enqueue, specs, jobs):
        for k in range(fires):
            enqueue(MM.name, t0 + k * STEP)

        class Done:
            def shutdown(self) -> None: ...
        return Done()

    db = tmp_path / "mm.db"
    run_live(_config(tmp_path, kalshi, poly), live=False, bots=[MM.name], store_url=f"sqlite:///{db}", clock=clock,
             scheduler=scheduler, install_signals=False, stop_when_idle=True, registry=registry())
    return db


def _iso(ns: int) -> str:
    return pd.Timestamp(ns, unit="ns", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_paper_quotes_fill_only_on_a_print_through_them(tmp_path: Path, venues, monkeypatch) -> None:
    kalshi, _ = venues

    def trade(fire_ns: int) -> None:  # someone sells YES at 0.15, through our bid, a minute after fire 0
        kalshi.add_trade("KXNBA-LAL-BOS", 0.15, 7, "no", _iso(fire_ns - 4 * 60 * NS))

    db = _run(tmp_path, venues, monkeypatch, {2: trade})
    orders = _rows(db, "select instrument, side, order_type, limit_price, status, ts_init from orders")
    quoted = {(o[0], o[1]) for o in orders if o[2] == "limit"}
    # both sides on both venues (the Polymarket contract around its mid)
    assert {("KXNBA-LAL-BOS", "buy"), ("KXNBA-LAL-BOS", "sell"), ("POLY-FED-CUT-DEC", "buy"),
            ("POLY-FED-CUT-DEC", "sell")} <= quoted
    fills = _rows(db, "select f.instrument, f.side, f.quantity, f.price, o.limit_price from fills f "
                      "join orders o on o.client_order_id = f.client_order_id")
    # only the print fills: 7 contracts at our bid, nothing on Polymarket (no prints), no ask
    assert [(i, s, float(q)) for i, s, q, _, _ in fills] == [("KXNBA-LAL-BOS", "buy", 7.0)]
    assert float(fills[0][3]) == float(fills[0][4]) > 0.15


def test_paper_quotes_without_prints_never_fill(tmp_path: Path, venues, monkeypatch) -> None:
    db = _run(tmp_path, venues, monkeypatch, {})
    assert _rows(db, "select count(*) from orders where order_type = 'limit'")[0][0] > 0
    assert _rows(db, "select count(*) from fills")[0][0] == 0


def test_a_halt_withdraws_resting_quotes(tmp_path: Path, venues, monkeypatch) -> None:
    state: dict[str, Any] = {}

    def halt(fire_ns: int) -> None:
        from tradefleet.orchestrator.store import Store

        store = Store.open(f"sqlite:///{tmp_path / 'mm.db'}")
        try:
            store.set_control("fleet", paused=False, halted=True, reason="test halt", actor="test", ts_ns=fire_ns)
        finally:
            store.close()
        state["halted"] = fire_ns

    db = _run(tmp_path, venues, monkeypatch, {1: halt}, fires=2)
    statuses = _rows(db, "select status, count(*) from orders where order_type = 'limit' group by 1")
    assert dict(statuses).get("canceled", 0) > 0 and "accepted" not in dict(statuses), statuses
