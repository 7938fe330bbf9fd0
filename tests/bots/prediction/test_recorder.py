"""Recorder round trip: ``record`` reads the Kalshi and Polymarket fakes through their real
clients (and the sources through the scrapers' offline fixtures), writes a Parquet session
marked recorded; the session reads back to the same snapshots, and the kernel's replay
trades it through every gate."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tradefleet.bots.prediction.recorder import check_markets, parse_every, record
from tradefleet.bots.prediction.session import load_session
from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.orchestrator.errors import ConfigError
from tests.bots.prediction.test_live_paper import KALSHI, NOW, POLY, _config, venues  # noqa: F401
from tests.fakes.polymarket import TOKEN


def _recording(tmp_path: Path, kalshi, poly, venue: str, markets: list[str], ticks: int = 3):
    config = _config(tmp_path, kalshi, poly)
    clock = SimClock(NOW)
    moves = iter(range(1, 100))

    def sleep(seconds: float) -> None:  # the book moves a cent between ticks; a trade prints
        k = next(moves)
        clock.set_ns(clock.now_ns() + int(seconds * NS))
        bid, ask = KALSHI["KXHIGHNY-T85"]
        kalshi.set_book("KXHIGHNY-T85", [(round(bid + k / 100, 2), 500)], [(round(1 - ask - k / 100, 2), 400)])
        kalshi.add_trade("KXHIGHNY-T85", round(ask + k / 100, 2), 10 * k, "yes", f"2026-11-22T15:0{k}:00Z")
        poly.set_book(TOKEN, [(POLY[0] + k / 100, 800.0)], [(POLY[1] + k / 100, 600.0)], last=0.46)

    out = tmp_path / "rec"
    stats = record(config, venue, markets, 30.0, out, clock, sleep, count=ticks)
    return config, out, stats


def test_recorder_round_trip_kalshi(tmp_path: Path, venues) -> None:
    kalshi, poly = venues
    kalshi.add_trade("KXHIGHNY-T85", 0.77, 5, "yes", "2026-11-22T14:59:00Z")
    markets = ["KXHIGHNY-T80", "KXHIGHNY-T85", "KXHIGHNY-T90"]
    config, out, stats = _recording(tmp_path, kalshi, poly, "kalshi", markets)
    assert stats.snapshots == 3
    prov = json.loads((out / "session.json").read_text())
    assert prov["kind"] == "recorded" and prov["venue"] == "kalshi" and prov["client"].startswith("kalshi-python")
    assert prov["markets"] == markets and prov["interval_s"] == 30.0
    import pyarrow.parquet as pq

    part = sorted((out / "quotes").glob("*.parquet"))[0]
    assert json.loads(pq.read_schema(part).metadata[b"tradefleet.provenance"])["kind"] == "recorded"
    session = load_session(out)
    assert not session.synthetic
    snaps = session.snapshots
    assert [s.ts_ns for s in snaps] == [int(NOW.timestamp()) * NS + k * 30 * NS for k in range(3)]
    q = [s.quotes["KXHIGHNY-T85"] for s in snaps]
    assert [(x.yes_bid, x.yes_ask) for x in q] == [(0.75, 0.77), (0.76, 0.78), (0.77, 0.79)]
    # each public trade once, in the snapshot that first saw it
    assert [[(t.yes_price, t.size) for t in s.trades.get("KXHIGHNY-T85", ())] for s in snaps] == [
        [(0.77, 5.0)], [(0.78, 10.0)], [(0.79, 20.0)]]
    assert {f.source for f in snaps[0].forecasts["nyc_high"]} == {"gfs_ensemble", "nws"}
    assert snaps[0].ages["nws:nyc_high"] > 0 and snaps[0].terms["KXHIGHNY-T85"].strike == 85.0


def test_recorded_polymarket_session_replays_through_the_engine(tmp_path: Path, venues) -> None:
    from tradefleet.app.replay import run_replay

    kalshi, poly = venues
    _, out, _ = _recording(tmp_path, kalshi, poly, "polymarket", ["POLY-FED-CUT-DEC"], ticks=2)
    snaps = load_session(out).snapshots
    assert [(s.quotes["POLY-FED-CUT-DEC"].yes_bid, s.quotes["POLY-FED-CUT-DEC"].yes_ask) for s in snaps] == [
        (0.45, 0.47), (0.46, 0.48)]
    _, kout, _ = _recording(tmp_path / "k", kalshi, poly, "kalshi", ["KXHIGHNY-T90", "KXFED-T500"], ticks=2)
    # replay reads recorded sessions by path: the fader trades the recorded Kalshi longshot
    from tradefleet.app.config import AppConfig

    cfg = AppConfig(replay={"snapshots": str(kout)})
    s = run_replay(cfg, bots=["kalshi-longshot-fader"], store_url=f"sqlite:///{tmp_path}/r.db")
    assert s.skipped_bots == {}
    con = sqlite3.connect(tmp_path / "r.db")
    fills = con.execute("select instrument, side, price from fills").fetchall()
    con.close()
    assert ("KXHIGHNY-T90", "sell", "0.05") in fills


def test_recorder_refuses_bad_input_before_creating_anything(tmp_path: Path, venues) -> None:
    kalshi, poly = venues
    config = _config(tmp_path, kalshi, poly)
    with pytest.raises(ConfigError, match="not in \\[prediction.markets\\]"):
        check_markets(config, "kalshi", ["NOPE"])
    with pytest.raises(ConfigError, match="trades on polymarket"):
        check_markets(config, "kalshi", ["POLY-FED-CUT-DEC"])
    with pytest.raises(ConfigError, match="--every"):
        parse_every("0s")
    assert parse_every("30s") == 30 and parse_every("5m") == 300
    with pytest.raises(ConfigError):
        record(config, "kalshi", ["NOPE"], 30, tmp_path / "never", SimClock(NOW), lambda s: None, 1)
    assert not (tmp_path / "never").exists()
