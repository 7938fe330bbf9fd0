"""Options in the risk gate: a held contract counts its multiplier times its premium against the
caps; an option's premium is no return series of the market model and trips no breaker (its
risk is its underlying's, through the Greeks), while a stock's extreme move still does. A held
option's delta counts in the VaR of an entry in its underlying."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import AssetClass, Direction, Instrument, Position
from tradefleet.orchestrator.occ import parse_occ
from tradefleet.risk.engine import PortfolioRiskGate
from tradefleet.risk.state import TradingState
from tests.risk.fakes import random_walks
from tests.risk.test_engine import Rig, _cfg

OCC = "SPY260116C00500000"


def _rig(listed: bool) -> Rig:
    closes = {**random_walks(["X", "Y"], 80, seed=5), OCC: [5.0] * 79 + [7.5]}  # generated; the premium jumps 50%
    rig = Rig(_cfg(gross_exposure_pct=0.105), closes)
    insts = {OCC: Instrument(OCC, AssetClass.OPTION, multiplier=Decimal(100), option=parse_occ(OCC))} if listed else {}
    rig.gate = PortfolioRiskGate(rig.gate.config, rig.clock, control=rig.store, state=rig.store, instruments=insts,
                                 universe=rig.market.symbols, timezone="UTC")
    rig.pf.books[("a", OCC)] = Position("a", OCC, Decimal(2), Decimal("5.0"), Decimal(0))
    return rig


def test_a_held_option_counts_its_multiplier_against_gross_exposure() -> None:
    for listed in (True, False):  # an OCC symbol not listed yet is taken as 100 shares a contract
        rig = _rig(listed)
        x = rig.market.last_close("X") or 0.0
        dec, qty = rig.go("b", "X", Direction.LONG, fill=False)
        equity = 100_000.0 + 2 * 7.5 * 100
        assert dec.reason == "gross_exposure_global"
        assert qty == math.floor((0.105 * equity - 2 * 7.5 * 100) / x), listed


def test_an_options_premium_trips_no_breaker_and_is_not_modelled_but_a_stocks_move_does() -> None:
    rig = _rig(listed=True)
    rig.pf.fill("b", "Y", Decimal(10))
    rig.market.closes_by["Y"].append(rig.market.closes_by["Y"][-1] * 1.2)  # a 20% bar on a held stock
    rig.gate.observe(rig.ctx())
    assert rig.gate.states.effective((f"instrument:{OCC}",))[0] is TradingState.ACTIVE
    assert rig.gate.states.effective(("instrument:Y",))[0] is TradingState.REDUCING
    assert "X" in rig.gate.model.symbols
    assert OCC not in {*rig.gate.model.symbols, *rig.gate.model.unmeasured}


def _var_rig(calls: int) -> Rig:
    walk = random_walks(["SPY"], 300, seed=7, vol=0.01)["SPY"]  # generated, rescaled to end at 500
    closes = {"SPY": [500.0 * c / walk[-1] for c in walk], OCC: [7.5] * 300}
    rig = Rig(_cfg(var={"enabled": True, "var95_pct": 1, "var99_pct": 1, "cvar95_pct": 1, "cvar99_pct": 1}), closes)
    insts = {OCC: Instrument(OCC, AssetClass.OPTION, multiplier=Decimal(100), option=parse_occ(OCC))}
    rig.gate = PortfolioRiskGate(rig.gate.config, rig.clock, control=rig.store, state=rig.store, instruments=insts,
                                 universe=rig.market.symbols, timezone="UTC")
    if calls:
        rig.pf.books[("a", OCC)] = Position("a", OCC, Decimal(calls), Decimal("7.5"), Decimal(0))
    return rig


def test_a_held_calls_delta_counts_in_the_var_of_a_long_in_its_underlying() -> None:
    dec, qty = _var_rig(0).go("b", "SPY", Direction.LONG, fill=False)
    assert (dec.reason, qty) == ("sized", Decimal(20))  # 10,000 at 500
    alone = dec.data["var"]["after"]["historical_var95"]
    dec, qty = _var_rig(2).go("b", "SPY", Direction.LONG, fill=False)
    assert (dec.reason, qty) == ("sized", Decimal(20))
    # two at-the-money calls, 15 days out, vol about 16%: delta about 0.5 x 200 shares, 100 shares of SPY more
    # than the 20 bought (6 x); the gamma term gives back about a fifth of that in a 1.6% fall: 4.8 x
    assert 4.0 < dec.data["var"]["after"]["historical_var95"] / alone < 6.0


def test_an_entry_after_an_unfilled_option_approval_sees_the_var_of_the_filled_option() -> None:
    rig = _var_rig(0)
    dec, qty = rig.go("a", OCC, Direction.LONG, fill=False, fleet_weight=0.75)
    assert (dec.reason, qty) == ("scaled", Decimal(10))  # 7,500 / (7.50 x 100)
    after_approval = rig.go("b", "SPY", Direction.LONG, fill=False)[0].data["var"]["after"]["historical_var95"]
    filled = _var_rig(10)  # the same ten calls, read from the portfolio
    filled.pf._cash -= Decimal(7_500)  # paid for: 10 x 100 x 7.50
    after_fill = filled.go("b", "SPY", Direction.LONG, fill=False)[0].data["var"]["after"]["historical_var95"]
    assert after_approval == pytest.approx(after_fill)


def test_a_plain_signal_on_an_option_is_sized_in_contracts_of_one_hundred_shares() -> None:
    """Was a strict xfail: the notional was divided by the premium per share, so a plain signal on an OCC
    symbol bought 1,333 contracts (999,750 of premium) for a 10,000 budget."""
    dec, qty = _var_rig(0).go("a", OCC, Direction.LONG, fill=False)
    assert qty == Decimal(13)  # 10,000 / (7.50 x 100) = 13.3 contracts
    assert dec.data["notional"] == pytest.approx(9_750.0)  # 13 x 100 x 7.50


def test_a_new_option_entry_is_measured_through_its_underlying() -> None:
    dec, qty = _var_rig(0).go("a", OCC, Direction.LONG, fill=False, fleet_weight=0.75)
    assert (dec.reason, qty) == ("scaled", Decimal(10))
    # measured (its own scenario column), not left out as unmeasured
    assert "unmeasured" not in dec.data["var"] and dec.data["var"]["after"]["historical_var95"] > 0


def test_each_options_var_column_is_built_once_a_tick_and_equals_a_fresh_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate's VaR model with option columns is asked for with a different set of options
    by each decision of a tick (the held ones plus the intent's); each option's delta-gamma
    column is computed once a tick and the model is the same as one built from scratch."""
    import numpy as np

    import tradefleet.risk.options.scenarios as scenarios

    others = ["SPY260116C00520000", "SPY260116P00480000"]
    rig = _var_rig(0)
    for sym in others:
        rig.market.closes_by[sym] = [6.0] * 300  # hand-written flat premium
        rig.gate.instruments[sym] = Instrument(sym, AssetClass.OPTION, multiplier=Decimal(100), option=parse_occ(sym))
    rig.go("b", "SPY", Direction.LONG, fill=False)  # fits the market model
    gate, ctx = rig.gate, rig.ctx()
    real = scenarios.option_columns
    asked: list[set[str]] = []

    def counted(pv, symbols, *a, **k):  # type: ignore[no-untyped-def]
        asked.append(set(symbols))
        return real(pv, symbols, *a, **k)

    monkeypatch.setattr(scenarios, "option_columns", counted)
    gate.var_model(ctx, {"SPY", OCC, others[0]})
    got = gate.var_model(ctx, {"SPY", others[0], others[1]})
    assert asked == [{OCC, others[0]}, {others[1]}]
    pv = gate.model.var
    fresh = pv.with_columns(real(pv, {others[0], others[1]}, gate.instruments, ctx.market, ctx.now_ns))
    assert got.symbols == fresh.symbols and np.array_equal(got.returns, fresh.returns)
    rig.clock.advance(60)  # the next tick computes its columns again
    gate.var_model(rig.ctx(), {"SPY", OCC})
    assert asked[-1] == {OCC}
