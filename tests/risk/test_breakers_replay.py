"""Circuit breakers act on the instrument concerned, through the real replay engine on
bundled prices: a BTC shock does not refuse equity entries, and recorded prediction
contracts going stale do not halt other instruments. Each test also runs the fleet-wide
setting on the same window, to prove the window does trip the breaker."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tradefleet.bots.prediction.bots import PREDICTION_SPECS
from tradefleet.app.config import AppConfig
from tradefleet.app.replay import run_replay

BTC = ["btc-monthly-momentum", "btc-sma-trend", "btc-fast-momentum"]
SPX = ["spx-rsi2", "spx-ibs-reversion", "spx-cci-reversion"]


def _refusals(tmp_path: Path, name: str, bots: list[str], start: str, end: str, breakers: dict[str, str],
              snapshots: str | None = None) -> list[tuple[str, str, str, str]]:
    """(bot, instrument, outcome, risk detail) of every entry refused by a trading state."""
    raw: dict = {"risk": {"breakers": breakers}}
    if snapshots:
        raw["replay"] = {"snapshots": snapshots}
    cfg = AppConfig.model_validate(raw)
    run_replay(cfg, bots=bots, start=start, end=end, store_url=f"sqlite:///{tmp_path}/{name}.db")
    con = sqlite3.connect(tmp_path / f"{name}.db")
    try:
        return con.execute("select s.bot, s.instrument, s.outcome, d.detail from signals s join gate_decisions d "
                           "on d.signal_id = s.signal_id and d.gate = 'risk' "
                           "where s.outcome like 'rejected:risk:state_%'").fetchall()
    finally:
        con.close()


def test_btc_shock_does_not_refuse_equity_entries(tmp_path: Path) -> None:
    # BTC/USD rose ~60% in the monthly bar of January 2013 (over 10% x sqrt(30.4 days))
    bots, window = BTC + SPX, ("2012-06-01", "2013-04-30")
    scoped = _refusals(tmp_path, "scoped", bots, *window, {})
    assert scoped and all(inst == "BTC/USD" for _, inst, _, _ in scoped)
    assert all("instrument:BTC/USD" in detail and "extreme_move:BTC/USD" in detail for *_, detail in scoped)
    fleet_wide = _refusals(tmp_path, "fleet", bots, *window, {"extreme_move_scope": "fleet"})
    assert any(inst == "SPX" for _, inst, _, _ in fleet_wide)  # the same shock, held fleet-wide, refuses SPX


def test_stale_prediction_contracts_do_not_halt_other_instruments(tmp_path: Path) -> None:
    # the hand-written synthetic session lasts 35 minutes on 2024-07-03; the contracts stay
    # held (and their feeds stale) until they settle at the end of the replay
    bots, window = [s.name for s in PREDICTION_SPECS] + BTC, ("2024-01-01", "2025-01-01")
    scoped = _refusals(tmp_path, "scoped", bots, *window, {}, "handwritten_synthetic")
    assert not [r for r in scoped if r[1] == "BTC/USD"]
    fleet_wide = _refusals(tmp_path, "fleet", bots, *window, {"stale_scope": "fleet"}, "handwritten_synthetic")
    assert any(inst == "BTC/USD" and "stale:" in detail for _, inst, _, detail in fleet_wide)
