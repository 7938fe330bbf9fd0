"""Every prediction bot end to end in paper: ``run_live`` with books read from the Kalshi and
Polymarket loopback fakes through kalshi-python and py-clob-client, domain sources read by
the scrapers from their offline fixtures, every signal through every gate, fills from the
paper broker at the venue touch with each venue's fees."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradefleet.bots.prediction.bots import PREDICTION_SPECS
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.app.live import run_live
from tradefleet.orchestrator.scheduler import SimScheduler, build_trigger
from tests.fakes.kalshi import FakeKalshi, new_rsa_pem
from tests.fakes.polymarket import TOKEN, FakePolymarket

NYC = {"lat": 40.7812, "lon": -73.9665, "day": "2026-11-23"}
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
# (bid, ask) of each Kalshi contract: one entry per bot, for the reason in the comment
KALSHI = {
    "KXHIGHNY-T80": (0.10, 0.12),  # NO at 0.90: over the weather bot's price cap
    "KXHIGHNY-T85": (0.75, 0.77),  # NYC high ~51F: NO at 0.25 is the weather bot's edge
    "KXHIGHNY-T90": (0.05, 0.07),  # a longshot: the fader buys NO at 0.95
    "KXFED-T500": (0.50, 0.52),
    "KXFED-T425": (0.38, 0.40),    # YES at 0.40 here + NO at 0.55 on Polymarket < $1
    "KXCPI-T3.0": (0.75, 0.77),    # CPI m/m nowcast ~0.2% vs strike 0.5%: NO at 0.25
    "KXGDP-T2.0": (0.60, 0.62),
    "KXNBA-LAL-BOS": (0.20, 0.22),  # books say ~47% for the Lakers: YES at 0.22
}
POLY = (0.45, 0.47)


def _markets() -> dict[str, Any]:
    m: dict[str, Any] = {s: {"venue": "kalshi"} for s in KALSHI}
    for k in ("80", "85", "90"):
        m[f"KXHIGHNY-T{k}"] = {"venue": "kalshi", "domain": "weather", "variable": "nyc_high", "strike": float(k)}
    m["KXCPI-T3.0"] = {"venue": "kalshi", "domain": "economics", "variable": "cpi_mom", "strike": 0.5}
    m["KXGDP-T2.0"] = {"venue": "kalshi", "domain": "economics", "variable": "gdp", "strike": 2.0}
    m["KXNBA-LAL-BOS"] = {"venue": "kalshi", "domain": "sports", "variable": "lal_win", "strike": 0.5,
                          "odds": {"sport": "basketball_nba", "team": "Los Angeles Lakers"}}
    m["POLY-FED-CUT-DEC"] = {"venue": "polymarket", "venue_id": TOKEN}
    return m


VARIABLES = {
    "nyc_high": {"feeds": [{"source": "gfs_ensemble", **NYC, "sigma": 1.5}, {"source": "nws", **NYC}]},
    "cpi_mom": {"feeds": [{"source": "cleveland_fed", "field": "cpi", "sigma": 0.1},
                          {"source": "fred", "series": "CPIAUCSL", "change": "mom_pct", "sigma": 0.1}]},
    "gdp": {"feeds": [{"source": "gdpnow", "sigma": 0.8}, {"source": "fred", "series": "GDPNOW", "sigma": 0.8}]},
}


@pytest.fixture
def venues():
    _, pub = new_rsa_pem()
    kalshi, poly = FakeKalshi(pub), FakePolymarket()
    for sym, (bid, ask) in KALSHI.items():
        kalshi.set_book(sym, [(bid, 500)], [(round(1 - ask, 2), 400)])
    poly.set_book(TOKEN, [(POLY[0], 800.0)], [(POLY[1], 600.0)], last=0.46)
    yield kalshi, poly
    kalshi.server.close()
    poly.server.close()


def _config(tmp_path: Path, kalshi: FakeKalshi, poly: FakePolymarket, max_age_min: float = 20_000) -> AppConfig:
    # five bots each sized up to their capital budget in one tick: room for all of them on the account
    return AppConfig(mode="paper", data={"offline": True, "cache_dir": str(tmp_path / "cache")},
                     risk={"gross_exposure_pct": 2.0},
                     prediction={"kalshi_url": kalshi.base, "polymarket_url": poly.base,
                                 "max_source_age_minutes": max_age_min, "markets": _markets(),
                                 "variables": VARIABLES})


def _run(config: AppConfig, url: str, fires: int = 1, bots: list[str] | None = None) -> Any:
    clock = SimClock(NOW)

    def scheduler(enqueue, specs, jobs):
        sched = SimScheduler(clock)
        for s in specs:
            sched.add(s.name, build_trigger(s.schedule))
        for fire_ns, job in sched.pop_due(clock.now_ns() + fires * 300 * 10**9):
            clock.set_ns(fire_ns)
            enqueue(job, fire_ns)

        class Done:
            def shutdown(self) -> None: ...
        return Done()

    return run_live(config, live=False, bots=bots or [s.name for s in PREDICTION_SPECS], store_url=url, clock=clock,
                    scheduler=scheduler, install_signals=False, stop_when_idle=True)


def _fills(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    rows = con.execute("select o.bot, f.instrument, f.side, f.quantity, f.price, f.fee from fills f "
                       "join orders o on o.client_order_id = f.client_order_id").fetchall()
    con.close()
    return rows


def test_every_event_bot_trades_in_paper_from_the_venue_books(tmp_path: Path, venues) -> None:
    kalshi, poly = venues
    runner = _run(_config(tmp_path, kalshi, poly), f"sqlite:///{tmp_path}/p.db")
    rows = _fills(tmp_path / "p.db")
    by_bot: dict[str, list[tuple]] = {}
    for r in rows:
        by_bot.setdefault(r[0], []).append(r)
    assert set(by_bot) == {s.name for s in PREDICTION_SPECS}, rows
    books = {**KALSHI, "POLY-FED-CUT-DEC": POLY}
    for bot, inst, side, qty, price, fee in rows:
        bid, ask = books[inst]
        # a buy pays the venue's YES ask, a sell (buying NO) receives the YES bid: the live touch
        assert Decimal(price) == Decimal(repr(ask if side == "buy" else bid)), (bot, inst, side, price)
        assert (Decimal(fee) > 0) if inst.startswith("KX") else (Decimal(fee) == 0)
    expected = {"kalshi-weather-nyc": ("KXHIGHNY-T85", "sell"), "kalshi-longshot-fader": ("KXHIGHNY-T90", "sell"),
                "kalshi-cpi-nowcast": ("KXCPI-T3.0", "sell"), "kalshi-sports-odds": ("KXNBA-LAL-BOS", "buy")}
    for bot, (inst, side) in expected.items():
        assert [(r[1], r[2]) for r in by_bot[bot]] == [(inst, side)]
    assert sorted((r[1], r[2]) for r in by_bot["kalshi-polymarket-arb"]) == [
        ("KXFED-T425", "buy"), ("POLY-FED-CUT-DEC", "sell")]
    feed = runner.tick_feeds["kalshi-sports-odds"]
    snap = feed.by_contracts[("KXNBA-LAL-BOS",)]
    # built on the engine's clock, every input with its age
    assert snap.ts_ns >= int(NOW.timestamp()) * 10**9 and snap.quotes["KXNBA-LAL-BOS"].ts_ns == snap.ts_ns
    assert snap.ages["kalshi:KXNBA-LAL-BOS"] == 0.0 and "odds:KXNBA-LAL-BOS" in snap.ages
    assert len(snap.odds["KXNBA-LAL-BOS"]) >= 2
    weather = feed.by_contracts[("KXHIGHNY-T80", "KXHIGHNY-T85", "KXHIGHNY-T90")]
    assert {f.source for f in weather.forecasts["nyc_high"]} == {"gfs_ensemble", "nws"}
    assert weather.ages["nws:nyc_high"] > 0  # the NWS forecast states its update time


def test_stale_sources_leave_the_edge_bots_without_consensus(tmp_path: Path, venues) -> None:
    kalshi, poly = venues
    runner = _run(_config(tmp_path, kalshi, poly, max_age_min=60), f"sqlite:///{tmp_path}/s.db")
    bots = {r[0] for r in _fills(tmp_path / "s.db")}
    # FRED and the Cleveland Fed nowcast are days old: the CPI bot has no consensus and stays out;
    # the quote-only bots still trade
    assert "kalshi-cpi-nowcast" not in bots
    assert {"kalshi-longshot-fader", "kalshi-polymarket-arb"} <= bots
    notes = runner.tick_feeds["kalshi-cpi-nowcast"].by_contracts[("KXCPI-T3.0", "KXGDP-T2.0")].notes
    assert notes["fred:cpi_mom"].startswith("stale") and notes["cleveland_fed:cpi_mom"].startswith("stale")
