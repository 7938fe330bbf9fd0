from decimal import Decimal

from tradefleet.orchestrator.bot import BotSpec, Schedule
from tradefleet.app.config import RiskConfig
from tradefleet.orchestrator.domain import AssetClass, Direction, Fill, Instrument, Side, Signal, Verdict
from tradefleet.orchestrator.pipeline.gate import GateContext
from tradefleet.orchestrator.portfolio import Ledger
from tradefleet.risk.basic import BasicRiskGate
from tests.orchestrator.helpers import market_with

D = Decimal
INST = {"X": Instrument("X", AssetClass.EQUITY)}


def _spec() -> BotSpec:
    from tradefleet.bots.equities.trend import SPX_SMA_TREND

    return BotSpec("t", SPX_SMA_TREND.bot, ("X",), Schedule.interval("1d"), "1d", AssetClass.EQUITY)


def _ctx(ledger: Ledger, halted: bool = False) -> GateContext:
    return GateContext(0, _spec(), market_with("X", [100.0], spread_bps=0.0), ledger, halted, "test halt" if halted else "")


def _sig(direction: Direction) -> Signal:
    return Signal("t", "X", direction, 1.0, 100.0, 1, 1)


def _buy(ledger: Ledger, qty: str) -> None:
    ledger.apply_fill("t", Fill("c", "paper", "v", "1", "X", Side.BUY, D(qty), D("100"), D(0), 0, 0))


def test_basic_risk_sizes_fraction_of_equity() -> None:
    led = Ledger(D("100000"), {"X": 100.0}.get)
    d, qty = BasicRiskGate(RiskConfig(position_pct=0.1), INST).approve(_sig(Direction.LONG), _ctx(led), 1.0)
    assert d.verdict is Verdict.PASS and qty == D("100")


def test_basic_risk_scale_and_cap() -> None:
    led = Ledger(D("100000"), {"X": 100.0}.get)
    gate = BasicRiskGate(RiskConfig(position_pct=0.5, max_position_pct=0.2), INST)
    d, qty = gate.approve(_sig(Direction.LONG), _ctx(led), 1.0)
    assert qty == D("200")
    d, qty = gate.approve(_sig(Direction.LONG), _ctx(led), 0.25)
    assert d.verdict is Verdict.RESIZE and qty == D("125")


def test_basic_risk_exit_closes_whole_position_even_when_halted() -> None:
    led = Ledger(D("100000"), {"X": 100.0}.get)
    _buy(led, "30")
    d, qty = BasicRiskGate(RiskConfig(), INST).approve(_sig(Direction.FLAT), _ctx(led, halted=True), 1.0)
    assert d.verdict is Verdict.PASS and qty == D("-30")


def test_basic_risk_halted_denies_new_exposure_and_flip_only_closes() -> None:
    led = Ledger(D("100000"), {"X": 100.0}.get)
    gate = BasicRiskGate(RiskConfig(), INST)
    d, qty = gate.approve(_sig(Direction.LONG), _ctx(led, halted=True), 1.0)
    assert d.verdict is Verdict.REJECT and d.reason == "halted" and qty == 0
    _buy(led, "30")
    d, qty = gate.approve(_sig(Direction.SHORT), _ctx(led, halted=True), 1.0)
    assert d.reason == "halted_exit_only" and qty == D("-30")


def test_basic_risk_max_positions_and_cash() -> None:
    led = Ledger(D("1000"), {"X": 100.0, "Y": 1.0}.get)
    led.apply_fill("o", Fill("c", "paper", "v", "1", "Y", Side.BUY, D(1), D(1), D(0), 0, 0))
    d, _ = BasicRiskGate(RiskConfig(max_positions=1), INST).approve(_sig(Direction.LONG), _ctx(led), 1.0)
    assert d.reason == "max_positions"
    d, qty = BasicRiskGate(RiskConfig(position_pct=1.0, max_position_pct=1.0), INST).approve(_sig(Direction.LONG), _ctx(led), 1.0)
    assert d.verdict is Verdict.RESIZE and d.reason == "cash_limited" and qty * 100 <= led.cash()


def test_basic_risk_short_not_allowed() -> None:
    led = Ledger(D("1000"), {"X": 100.0}.get)
    d, qty = BasicRiskGate(RiskConfig(allow_short=False), INST).approve(_sig(Direction.SHORT), _ctx(led), 1.0)
    assert d.verdict is Verdict.REJECT and d.reason == "short_not_allowed" and qty == 0
