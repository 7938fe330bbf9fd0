"""An entry respects the trading state of every scope it belongs to: the whole fleet, its
bot's fleet (a signal's ``fleet`` meta overrides the configured one), its account (the
instrument's venue), its bot, the instrument, its asset class and its venue. An instrument the
gate does not know takes the bot's asset class and the paper venue."""

from __future__ import annotations

from tradefleet.orchestrator.domain import AssetClass, Direction, Instrument
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.state import TradingState
from tests.risk.fakes import signal
from tests.risk.test_engine import Rig, _cfg

L = Direction.LONG


def _rig() -> Rig:
    rig = Rig(_cfg(fleet_of={"a": "fx"}), {"EURUSD": [1.1] * 60, "X": [100.0] * 60})
    rig.gate = PortfolioRiskGate(rig.gate.config, rig.clock, control=rig.store, state=rig.store,
                                 instruments={"EURUSD": Instrument("EURUSD", AssetClass.FX, venue="oanda")},
                                 universe=rig.market.symbols, timezone="UTC")
    return rig


def _held(scope: str, symbol: str, bot: str = "a", **meta: object) -> str:
    rig = _rig()
    rig.gate.states.set(scope, "operator", TradingState.HALTED, "ops", rig.clock.now_ns())
    dec, _ = rig.gate.approve(signal(bot, symbol, L, rig.market.last_close(symbol) or 0.0, **meta), rig.ctx(), 1.0)
    return dec.reason


def test_every_scope_of_a_known_instrument_holds_its_entries() -> None:
    for scope in ("fleet", "fleet:fx", "account:oanda", "bot:a", "instrument:EURUSD", "class:fx", "venue:oanda"):
        assert _held(scope, "EURUSD") == "state_halted", scope
    for scope in ("fleet:default", "account:paper", "bot:b", "instrument:X", "class:equity", "venue:paper"):
        assert _held(scope, "EURUSD") == "sized", scope


def test_an_unknown_instrument_takes_the_bots_asset_class_and_the_paper_venue() -> None:
    for scope in ("account:paper", "class:equity", "venue:paper", "instrument:X"):  # the rig's bot trades equities
        assert _held(scope, "X") == "state_halted", scope
    assert _held("class:unknown", "X") == "sized"


def test_a_signals_fleet_overrides_the_configured_one() -> None:
    assert _held("fleet:macro", "EURUSD", fleet="macro") == "state_halted"
    assert _held("fleet:fx", "EURUSD", fleet="macro") == "sized"
    assert _held("fleet:default", "X", bot="b") == "state_halted"  # no fleet configured: default
