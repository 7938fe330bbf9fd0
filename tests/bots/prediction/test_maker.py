"""The market maker through the real engine: quotes as Quote intents through every gate, the
paper broker filling its resting levels only against trade prints of the bundled SYNTHETIC
session (generated, not recorded), inventory within its bound, withdrawal on stale data."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay
from tradefleet.bots.prediction.maker import PREDICTION_MARKET_MAKER as MM
from tradefleet.bots.prediction.maker import MakerParams, MarketMakerBot
from tradefleet.bots.prediction.market import BinaryQuote, BookOdds, ContractTerms, PredictionSnapshot
from tradefleet.bots.prediction.source import PredictionTickSource
from tradefleet.orchestrator.bot import TickContext
from tradefleet.orchestrator.intents import Cancel, Quote
from tradefleet.orchestrator.registry import Registry

NS = 10**9


def registry() -> Registry:
    reg = Registry.discover()
    if MM.name not in reg.ok("bots"):
        reg.add_entry("bots", MM.name, "tradefleet.bots.prediction.maker:PREDICTION_MARKET_MAKER", lambda: MM)
    return reg


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, list[tuple], list[tuple]]:
    db = tmp_path_factory.mktemp("mm") / "mm.db"
    s = run_replay(AppConfig(), bots=[MM.name], start="2026-11-18", end="2026-11-19", store_url=f"sqlite:///{db}",
                   registry=registry())
    con = sqlite3.connect(db)
    fills = con.execute("select o.instrument, o.side, o.order_type, o.limit_price, o.ts_init, o.reduce_only, "
                        "f.quantity, f.price, f.ts_event from fills f join orders o on o.client_order_id = "
                        "f.client_order_id order by f.rowid").fetchall()
    orders = con.execute("select instrument, side, order_type, limit_price, status, quantity from orders").fetchall()
    con.close()
    return s, fills, orders


def test_maker_quotes_both_sides_through_the_engine_and_fills_only_on_prints(replayed) -> None:
    s, fills, orders = replayed
    assert s.skipped_bots == {} and s.open_positions == 0
    limits = [o for o in orders if o[2] == "limit"]
    assert {o[1] for o in limits} == {"buy", "sell"}  # two-sided
    assert any(o[4] == "canceled" for o in limits)  # re-quoted on moves / withdrawn
    maker = [f for f in fills if f[2] == "limit"]
    assert maker, "no maker fill on the session"
    tape = PredictionTickSource("synthetic_session").tape()
    for inst, side, _, limit, placed, _, qty, price, ts in maker:
        assert Decimal(str(price)) == Decimal(str(limit))  # a maker fills at its own level
        t, px, size = tape[inst]
        limit = float(limit)
        # a print after the order was placed, at or through its level, at or before the fill
        ok = (t > placed) & (t <= ts) & ((px <= limit + 1e-9) if side == "buy" else (px >= limit - 1e-9))
        assert ok.any(), (inst, side, limit, placed, ts)


def test_maker_inventory_stays_within_its_bound(replayed) -> None:
    _, fills, _ = replayed
    bound = MM.bot.Params(**MM.params).max_inventory
    held: dict[str, Decimal] = {}
    for inst, side, _, _, _, reduce_only, qty, _, _ in fills:
        held[inst] = held.get(inst, Decimal(0)) + (Decimal(str(qty)) if side == "buy" else -Decimal(str(qty)))
        assert abs(held[inst]) <= bound, (inst, held[inst])


def _snap(ts: int, quote_ts: int, odds_age: float = 60.0) -> PredictionSnapshot:
    q = BinaryQuote("K", "kalshi", 0.40, 0.46, quote_ts, 100, 100)
    terms = ContractTerms("K", "sports", "game", 0.0)
    return PredictionSnapshot(ts, {"K": q}, {"K": terms}, {}, {"K": (BookOdds("a", 2.1, 1.9), BookOdds("b", 2.0, 1.95))},
                              ages={"odds:K": odds_age})


def _tick(bot: MarketMakerBot, snap: PredictionSnapshot, now: int, held: int = 0) -> list:
    return bot.on_tick(TickContext("mm", now, ("K",), None, snap, lambda _s: Decimal(held)))


def test_quotes_skew_with_inventory_and_cancel_on_stale_data() -> None:
    bot = MarketMakerBot(MakerParams(half_spread=0.02, skew=0.04, max_inventory=50))
    now = 1_000 * NS
    (flat,) = _tick(bot, _snap(now, now), now)
    (long,) = _tick(MarketMakerBot(MakerParams(half_spread=0.02, skew=0.04, max_inventory=50)), _snap(now, now), now, 50)
    assert isinstance(flat, Quote) and isinstance(long, Quote) and flat.max_inventory == 50
    assert long.bids[0].price < flat.bids[0].price and long.asks[0].price < flat.asks[0].price
    assert flat.bids[0].price < Decimal("0.46") and flat.asks[0].price > Decimal("0.40")  # post-only
    # the book is older than the limit: the resting quote is withdrawn
    (stale,) = _tick(bot, _snap(now + 700 * NS, now), now + 700 * NS)
    assert stale == Cancel(flat.id)
    # the odds are older than the source limit: no fair value, withdrawn
    (old,) = _tick(bot, _snap(now, now, odds_age=7 * 3600.0), now)
    assert old == Cancel(flat.id)
