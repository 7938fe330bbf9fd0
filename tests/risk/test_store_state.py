"""The daily-loss halt and risk state survive a restart of the real store (SQLite)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Direction
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.store import Store
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.engine import PortfolioRiskGate, _state_store
from tradefleet.risk.store_state import StoreRiskState
from tests.risk.fakes import T0, FakeMarket, FakePortfolio, signal, spec


def test_store_risk_state_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    with Store.open(url) as store:
        kv = StoreRiskState.of(store)
        assert kv.load_risk_state("k") is None
        kv.save_risk_state("k", {"a": 1, "b": [1.5, "x"]}, 1)
        kv.save_risk_state("k", {"a": 2}, 2)
    with Store.open(url) as store:
        assert StoreRiskState.of(store).load_risk_state("k") == {"a": 2}


def test_daily_loss_halt_survives_store_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    cfg = PortfolioRiskConfig.model_validate({"var": {"enabled": False}, "hrp": {"enabled": False}})
    clock = SimClock(T0)
    market = FakeMarket({"X": [100.0] * 30}, T0)
    pf = FakePortfolio(100_000.0, market)

    def run(store: Store) -> tuple[str, Decimal]:
        gate = PortfolioRiskGate(cfg, clock, control=store, state=_state_store(store), timezone="UTC")
        ctx = GateContext(clock.now_ns(), spec(), market, pf)
        dec, qty = gate.approve(signal("a", "X", Direction.LONG, 100.0, ts=clock.now_ns()), ctx, 1.0)
        return dec.reason, qty

    with Store.open(url) as store:
        assert run(store)[0] == "sized"
        pf._cash -= Decimal(5_000)  # exactly 5% down on the day
        clock.advance(60)
        assert run(store)[0] == "daily_loss_halt"
        assert store.control("fleet").halted
    clock.advance(60)
    pf._cash += Decimal(4_000)  # recovered most of it: still halted for the day
    with Store.open(url) as store:
        assert run(store) == ("daily_loss_halt", Decimal(0))
        clock.advance(86_400)  # next day (UTC): reset
        assert run(store)[0] == "sized"
        assert not store.control("fleet").halted


def test_store_risk_state_joins_the_store_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tf.db'}"
    with Store.open(url) as store:
        kv = StoreRiskState.of(store)
        with store.batch():
            store.set_control("fleet", halted=True, reason="x", actor="risk", ts_ns=1)
            kv.save_risk_state("daily_loss", {"halted": True}, 1)  # no 'database is locked'
            assert kv.load_risk_state("daily_loss") == {"halted": True}
        assert kv.load_risk_state("daily_loss") == {"halted": True}
