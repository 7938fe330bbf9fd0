"""The market maker's inventory never passes its bound, whatever trades print: random trade
streams (hypothesis) on a small generated (SYNTHETIC) session, replayed through the real
engine (Quote intents trimmed by the dispatcher, fills from the paper broker's print
matching)."""

from __future__ import annotations

import sqlite3
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay
from tradefleet.bots.prediction.base import PREDICTION_POLL
from tradefleet.bots.prediction.maker import MarketMakerBot
from tradefleet.bots.prediction.market import BinaryQuote, BookOdds, ContractTerms, PredictionSnapshot, Trade
from tradefleet.bots.prediction.session import SessionWriter
from tradefleet.orchestrator.bot import BotSpec
from tradefleet.orchestrator.domain import AssetClass
from tradefleet.orchestrator.registry import Registry

T0 = 1_794_787_200 * 10**9  # 2026-11-16 UTC
STEP = 300 * 10**9
BOUND = 20
SPEC = BotSpec(name="mm-inventory", bot=MarketMakerBot, instruments=("KXTEST",), schedule=PREDICTION_POLL,
               timeframe="5m", asset_class=AssetClass.PREDICTION,
               params={"max_inventory": BOUND, "size": 15, "half_spread": 0.01, "skew": 0.0})

trade = st.tuples(st.integers(1, 299), st.integers(-6, 6), st.integers(1, 60))  # seconds in, cents off mid, size
streams = st.lists(st.lists(trade, max_size=4), min_size=12, max_size=24)


def _session(path: Path, stream: list[list[tuple[int, int, int]]]) -> None:
    w = SessionWriter(path, {"kind": "synthetic", "generator": "tests/bots/prediction/test_maker_inventory.py"}).open()
    terms = {"KXTEST": ContractTerms("KXTEST", "sports", "game", 0.0, True, T0 + (len(stream) + 1) * STEP)}
    odds = {"KXTEST": (BookOdds("a", 2.0, 2.0), BookOdds("b", 2.02, 1.98))}  # fair ~0.50
    for k, prints in enumerate(stream):
        ts = T0 + (k + 1) * STEP
        q = BinaryQuote("KXTEST", "kalshi", 0.47, 0.53, ts, 200, 200)
        trades = tuple(sorted((Trade("KXTEST", ts - STEP + s * 10**9, round(0.50 + c / 100, 2), float(n),
                                     "yes" if c > 0 else "no") for s, c, n in prints), key=lambda t: t.ts_ns))
        w.append(PredictionSnapshot(ts, {"KXTEST": q}, terms, {}, odds, {"KXTEST": trades} if trades else {},
                                    {"odds:KXTEST": 60.0}))
    w.settle({"game": 1.0})
    w.flush()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams)
def test_inventory_never_exceeds_the_bound(stream: list[list[tuple[int, int, int]]]) -> None:
    reg = Registry.discover()
    reg.add_entry("bots", SPEC.name, "test:mm-inventory", lambda: SPEC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "session"
        _session(path, stream)
        cfg = AppConfig(replay={"snapshots": str(path)}, risk={"max_trades_per_day": 10_000})
        run_replay(cfg, bots=[SPEC.name], store_url=f"sqlite:///{tmp}/i.db", registry=reg)
        con = sqlite3.connect(Path(tmp) / "i.db")
        fills = con.execute("select f.side, f.quantity, o.reduce_only from fills f join orders o "
                            "on o.client_order_id = f.client_order_id order by f.rowid").fetchall()
        con.close()
    held = Decimal(0)
    for side, qty, _ in fills:
        held += Decimal(str(qty)) if side == "buy" else -Decimal(str(qty))
        assert abs(held) <= BOUND, (held, fills)
