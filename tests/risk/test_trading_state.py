"""The one trading state: ``run --json``, ``status``, ``risk``, the dashboard and Telegram
give the same answer, from a real replay through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradefleet.bots.prediction.bots import PREDICTION_SPECS
from tradefleet.dashboard.telegram_text import status_text
from tradefleet.dashboard.views import FleetView
from tradefleet.app.cli.main import build_app
from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.store import Store


def _cli(*args: str) -> dict:
    res = CliRunner().invoke(build_app(), [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def _surfaces(tmp_path: Path, url: str, run: dict) -> list[tuple[str, str, str]]:
    """(state, scope, reason) as each surface shows it."""
    status = _cli("status", "--store", url)
    risk = _cli("risk", "--store", url)
    with Store.open(url) as store:
        view = FleetView(AppConfig(), store, SimClock(0))
        dash = view.status()
        tg = status_text(view)
    ts = run["trading_state"]
    assert f"{ts['state'].upper()}" in tg and ts["reason"] in tg
    return [(ts["state"], ts["scope"], ts["reason"]),
            (status["trading_state"]["state"], status["trading_state"]["scope"], status["trading_state"]["reason"]),
            (risk["state"], risk["scope"], risk["reason"]),
            (dash["state"], dash["trading_state"]["scope"], dash["trading_state"]["reason"])]


def test_surfaces_agree_on_a_replay_that_ends_halted_by_daily_loss(tmp_path: Path) -> None:
    cfg = tmp_path / "tf.toml"
    cfg.write_text("[risk.daily_loss]\npct = 0.001\n")
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    # SPX fell 1.9% on 2010-01-21, the last bar: the replay's account ends halted until midnight
    run = _cli("run", "--config", str(cfg), "--store", url, "--no-view", "--no-dashboard",
               "--bot", "spx-rsi2", "--bot", "spx-sma-trend", "--from", "2010-01-01", "--to", "2010-01-21")
    seen = _surfaces(tmp_path, url, run)
    assert seen[0][0] == "halted" and seen[0][1] == f"account:{run['account']}"
    assert seen[0][2].startswith("daily_loss") and run["trading_state"]["holds"][0]["expires_ns"]
    assert all(s == seen[0] for s in seen), seen
    # an operator's halt of the whole fleet is the answer everywhere too
    res = CliRunner().invoke(build_app(), ["halt", "--reason", "desk closed", "--store", url])
    assert res.exit_code == 0, res.output
    status, risk = _cli("status", "--store", url), _cli("risk", "--store", url)
    assert status["trading_state"]["scope"] == risk["scope"] and risk["state"] == "halted"
    assert {h["reason"] for h in risk["trading_state"]["holds"]} >= {"desk closed"}


def test_risk_shows_no_position_the_run_settled(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    cfg = tmp_path / "tf.toml"
    cfg.write_text('[replay]\nsnapshots = "handwritten_synthetic"\n')
    # the contracts are bought in the hand-written synthetic session (2024-07-03) and settle at the end
    args = [a for s in PREDICTION_SPECS for a in ("--bot", s.name)] + ["--bot", "btc-monthly-momentum"]
    run = _cli("run", "--config", str(cfg), "--store", url, "--no-view", "--no-dashboard", "--from", "2024-06-01",
               "--to", "2025-01-01", *args)
    assert not run["skipped_bots"]
    assert all(b["fills"] > 0 for b in run["bots"] if b["family"] == "prediction")
    risk = _cli("risk", "--store", url)
    contracts = {i for s in PREDICTION_SPECS for i in s.instruments}
    assert risk["report_saved"]
    assert not [c for c in risk["clusters"] if set(c["members"]) & contracts]
    used = {lim["limit"]: lim["used"] for lim in risk["limits"]}
    assert used["max_positions"] == run["open_positions"]
    assert risk["state"] == run["trading_state"]["state"]
