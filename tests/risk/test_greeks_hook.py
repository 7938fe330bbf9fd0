"""The default Greeks provider (risk.options under the hood) and the gate's Greek limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Direction, Position
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.greeks_hook import MarketGreeksProvider
from tradefleet.risk.persistence import MemoryRiskStore
from tests.risk.fakes import T0, FakeMarket, FakePortfolio, random_walks, signal, spec

CALL = "SPY260320C00050000"  # deep in the money with SPY near 100


def test_provider_values_options_and_shares() -> None:
    market = FakeMarket(random_walks(["SPY"], 80, seed=2))
    prov = MarketGreeksProvider(market, SimClock(T0))
    g = prov([Position("a", CALL, Decimal(2), Decimal(50)), Position("b", "SPY", Decimal(-30), Decimal(100))])
    assert g.delta == pytest.approx(2 * 100 * 1.0 - 30, abs=2.0)  # deep ITM call: delta ~ 1 per share
    assert g.gamma >= -1e-6 and g.vega >= -1e-6  # ~0 deep in the money (bumped: tiny noise)
    shares = prov([Position("b", "SPY", Decimal(-30), Decimal(100))])
    assert shares.delta == -30 and shares.vega == 0
    assert MarketGreeksProvider(FakeMarket({}), SimClock(T0))([Position("a", CALL, Decimal(1), Decimal(1))]) is None


def test_realised_vol_annualised() -> None:
    import numpy as np

    closes = random_walks(["X"], 200, seed=3, vol=0.01)["X"]
    prov = MarketGreeksProvider(FakeMarket({"X": closes}), SimClock(T0), lookback=199)
    r = np.diff(np.log(closes))
    assert prov.realised_vol("X") == pytest.approx(r.std(ddof=1) * np.sqrt(252), rel=1e-12)


def test_gate_blocks_entries_while_portfolio_delta_is_over_its_limit() -> None:
    cfg = PortfolioRiskConfig.model_validate({"greeks": {"max_abs_delta": 150.0}, "var": {"enabled": False}})
    clock = SimClock(T0)
    market = FakeMarket(random_walks(["SPY", "QQQ"], 80, seed=2))
    pf = FakePortfolio(100_000.0, market)
    pf.books[("opt", CALL)] = Position("opt", CALL, Decimal(2), Decimal(50))
    store = MemoryRiskStore()
    gate = PortfolioRiskGate(cfg, clock, control=store, state=store, universe=market.symbols, timezone="UTC",
                             greeks_provider=MarketGreeksProvider(market, clock))
    dec, qty = gate.approve(signal("a", "QQQ", Direction.LONG, 100.0), GateContext(T0, spec(), market, pf), 1.0)
    assert dec.reason == "greeks_delta" and qty == 0
    assert gate.report()["greeks"]["delta"] > 150  # type: ignore[index]
