"""The prediction-market event bots in the kernel's replay of the bundled SYNTHETIC session
(generated, not recorded): the full gate pipeline, paper fills at the session's touch with
each venue's fee, settlement at 1 or 0."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from tradefleet.bots.prediction.bots import PREDICTION_SPECS
from tradefleet.bots.prediction.source import PredictionTickSource
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay

NAMES = [s.name for s in PREDICTION_SPECS]


def test_prediction_bots_trade_recorded_quotes_and_settle(tmp_path: Path) -> None:
    s = run_replay(AppConfig(), bots=NAMES, store_url=f"sqlite:///{tmp_path}/p.db")
    assert s.skipped_bots == {} and s.fills > 0 and s.open_positions == 0
    by = {b.name: b for b in s.bots}
    assert all(b.evaluations > 0 and b.status == "ok" for b in by.values())
    source = PredictionTickSource("synthetic_session")
    assert source.synthetic and source.provenance["kind"] == "synthetic"
    settled = source.settlements()
    con = sqlite3.connect(tmp_path / "p.db")
    rows = con.execute(
        "select o.bot, f.instrument, f.side, f.quantity, f.price, f.fee, o.reduce_only, d.reason from fills f "
        "join orders o on o.client_order_id = f.client_order_id "
        "join gate_decisions d on d.signal_id = o.signal_id and d.gate = 'risk' order by f.rowid").fetchall()
    con.close()
    settlements = [r for r in rows if r[7] == "settlement"]
    entries = [r for r in rows if r[7] != "settlement"]
    assert settlements and entries
    for bot, inst, side, qty, price, fee, reduce_only, _ in settlements:
        assert reduce_only and Decimal(fee) == 0
        assert Decimal(price) == (Decimal(1) if settled[inst] else Decimal(0))
    venues = {sym: i.venue for sym, i in source.instruments().items()}
    held: dict[tuple[str, str], Decimal] = {}
    for bot, inst, side, qty, price, fee, _, _ in entries:  # in fill order
        assert Decimal("0") < Decimal(price) < Decimal("1")
        # Kalshi's fee on the touch; Polymarket charges none
        assert Decimal(fee) > 0 if venues[inst] == "kalshi" else Decimal(fee) == 0
        before = held.get((bot, inst), Decimal(0))
        if side == "sell":  # a binary short buys NO: its capital at risk is (1 - YES bid) per contract
            opened = Decimal(qty) - max(before, Decimal(0))
            # within the bot's capital budget (five bots share the account) and max_position_pct 20%
            assert opened * (1 - Decimal(price)) <= Decimal("0.20") * 100_000, (bot, inst, qty, price)
        held[(bot, inst)] = before + (Decimal(qty) if side == "buy" else -Decimal(qty))
    # every bot entered through every gate (the veto once refused every NO-side entry)
    assert {r[0] for r in entries} == set(NAMES)
    assert {r[1] for r in entries if r[0] == "kalshi-polymarket-arb"} == {"KXFED-T425", "POLY-FED-CUT-DEC"}
    # the session resolves both ways
    assert set(settled.values()) == {True, False}
