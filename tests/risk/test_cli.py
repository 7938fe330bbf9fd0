"""``tradefleet risk [--json]`` against a real store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradefleet.app.cli.main import build_app
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Direction
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.store import Store
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.store_state import StoreRiskState
from tests.risk.fakes import T0, FakeMarket, FakePortfolio, random_walks, signal, spec


def test_risk_cli_without_a_report_shows_configured_limits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    res = CliRunner().invoke(build_app(), ["risk", "--json", "--store", url])
    assert res.exit_code == 1 and not (tmp_path / "tf.db").exists()  # 'risk' only reads: it never creates a store
    Store.open(url).close()
    res = CliRunner().invoke(build_app(), ["risk", "--json", "--store", url])
    assert res.exit_code == 0, res.output
    view = json.loads(res.output)
    assert view["report_saved"] is False and view["state"] == "active"
    assert {lim["limit"] for lim in view["limits"]} >= {"gross_exposure_pct", "max_positions"}
    res = CliRunner().invoke(build_app(), ["risk", "--store", url])
    assert "no risk report yet" in res.output


def test_risk_cli_shows_saved_report_and_live_halt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    cfg = PortfolioRiskConfig()
    clock = SimClock(T0)
    market = FakeMarket(random_walks(["A", "B"], 150, seed=4, corr=0.9), T0)
    pf = FakePortfolio(100_000.0, market)
    with Store.open(url) as store:
        gate = PortfolioRiskGate(cfg, clock, control=store, state=StoreRiskState.of(store),
                                 universe=market.symbols, timezone="UTC")
        ctx = GateContext(clock.now_ns(), spec(), market, pf)
        for bot, sym, d in (("a", "A", Direction.LONG), ("b", "B", Direction.LONG), ("a", "A", Direction.FLAT)):
            clock.advance(120)
            ctx = GateContext(clock.now_ns(), spec(bot), market, pf)
            _, qty = gate.approve(signal(bot, sym, d, market.last_close(sym) or 0.0, ts=clock.now_ns()), ctx, 1.0)
            assert qty
            pf.fill(bot, sym, qty)
        clock.advance(120)  # the next tick saves the report (with the cooldown)
        ctx = GateContext(clock.now_ns(), spec(), market, pf)
        gate.approve(signal("c", "B", Direction.FLAT, 1.0, ts=clock.now_ns()), ctx, 1.0)
        store.set_control("fleet", halted=True, reason="manual stop", actor="cli:ops", ts_ns=clock.now_ns())
    res = CliRunner().invoke(build_app(), ["risk", "--json", "--store", url])
    assert res.exit_code == 0, res.output
    view = json.loads(res.output)
    assert view["report_saved"] and view["state"] == "halted" and view["reason"] == "manual stop"
    assert view["var"]["measured"] and view["clusters"][0]["members"] == ["A", "B"]
    assert view["cooldowns"][0]["bot"] == "a"
    res = CliRunner().invoke(build_app(), ["risk", "--store", url])
    assert res.exit_code == 0 and "HALTED" in res.output and "VaR 95" in res.output
