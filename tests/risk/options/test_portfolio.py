"""Portfolio Greeks: sum of position x multiplier x unit Greek, priced from a chain or a model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.domain import Position
from tradefleet.risk.options.binomial import crr_tree
from tradefleet.risk.options.bsm import bsm_price, bsm_valuation
from tradefleet.risk.options.chain import OptionChain, OptionContract, OptionQuote
from tradefleet.risk.options.errors import ChainDataError, OptionsError
from tradefleet.risk.options.greeks import GREEK_NAMES, Greeks
from tradefleet.risk.options.portfolio import (
    ChainPricer,
    ModelPricer,
    OptionPosition,
    UnderlyingPosition,
    portfolio_greeks,
    portfolio_greeks_by_underlying,
    positions_from_book,
)

ASOF = dt_to_ns(datetime(2024, 1, 2, 21, 0, tzinfo=UTC))
EXP = date(2024, 3, 15)
CALL = OptionContract("SPY", "call", 470.0, EXP, "european")
PUT = OptionContract("SPY", "put", 450.0, EXP, "european")
QQQ = OptionContract("QQQ", "call", 400.0, EXP, "european", multiplier=10)


def _unit(c: OptionContract, spot: float, vol: float, rate: float = 0.05) -> Greeks:
    return bsm_valuation(c.kind, spot, c.strike, c.years_to_expiry(ASOF), rate, vol).greeks_at(0)


def test_book_greeks_are_position_times_multiplier_times_unit_greek() -> None:
    pricer = ModelPricer(ASOF, {"SPY": 472.0, "QQQ": 405.0}, {"SPY": 0.14, "QQQ": 0.2}, 0.05)
    book = [OptionPosition(CALL, 3), OptionPosition(PUT, -2), OptionPosition(QQQ, 5), UnderlyingPosition("SPY", -150)]
    got = portfolio_greeks(book, pricer)
    want = (_unit(CALL, 472.0, 0.14).scaled(300) + _unit(PUT, 472.0, 0.14).scaled(-200)
            + _unit(QQQ, 405.0, 0.2).scaled(50) + Greeks(delta=-150))
    for g in GREEK_NAMES:
        assert getattr(got, g) == pytest.approx(getattr(want, g), rel=1e-12)
    per = portfolio_greeks_by_underlying(book, pricer)
    assert set(per) == {"SPY", "QQQ"}
    assert per["QQQ"].vega == pytest.approx(_unit(QQQ, 405.0, 0.2).vega * 50)


def test_chain_marks_at_its_implied_vols() -> None:
    t = CALL.years_to_expiry(ASOF)
    fair = float(bsm_price("put", 472.0, 450.0, t, 0.05, 0.19))
    quotes = (OptionQuote(CALL, 9.9, 10.1, iv=0.13), OptionQuote(PUT, fair - 0.01, fair + 0.01))
    chain = OptionChain("SPY", ASOF, quotes, 472.0)
    got = portfolio_greeks([OptionPosition(CALL, 1), OptionPosition(PUT, 1)], chain, rate=0.05)
    want = _unit(CALL, 472.0, 0.13).scaled(100) + _unit(PUT, 472.0, 0.19).scaled(100)
    assert got.delta == pytest.approx(want.delta, rel=1e-6)
    assert got.vega == pytest.approx(want.vega, rel=1e-4)  # put IV solved from a mid one cent wide


def test_chain_pricer_names_missing_contracts() -> None:
    chain = OptionChain("SPY", ASOF, (OptionQuote(CALL, 9.9, 10.1, iv=0.13),), 472.0)
    with pytest.raises(ChainDataError, match="no implied vol for SPY240315P00450000"):
        ChainPricer(chain, 0.05).value([PUT])


def test_american_contracts_use_the_tree() -> None:
    am = OptionContract("SPY", "put", 480.0, EXP, "american")
    g = portfolio_greeks([OptionPosition(am, 1)], ModelPricer(ASOF, {"SPY": 472.0}, {"SPY": 0.2}, 0.05, steps=300))
    tree = crr_tree("put", 472.0, 480.0, am.years_to_expiry(ASOF), 0.05, 0.2, 0.0, 300, "american")
    assert g.delta == pytest.approx(100 * float(tree.delta), rel=1e-12)
    assert g.gamma == pytest.approx(100 * float(tree.gamma), rel=1e-12)


def test_expired_and_unpriced_contracts_are_errors() -> None:
    old = OptionContract("SPY", "call", 470.0, date(2023, 12, 15))
    pricer = ModelPricer(ASOF, {"SPY": 472.0}, {"SPY": 0.14}, 0.05)
    with pytest.raises(OptionsError, match="expired contracts SPY231215C00470000"):
        portfolio_greeks([OptionPosition(old, 1)], pricer)
    with pytest.raises(OptionsError, match="no spot for underlying QQQ"):
        portfolio_greeks([OptionPosition(QQQ, 1)], pricer)


def test_shares_only_book_needs_no_pricing() -> None:
    pricer = ModelPricer(ASOF, {}, {}, 0.05)
    assert portfolio_greeks([UnderlyingPosition("SPY", 10), UnderlyingPosition("SPY", -4)], pricer) == Greeks(delta=6)


def test_positions_from_book_splits_options_and_shares() -> None:
    book = [Position("b1", "SPY240315C00470000", Decimal("-2"), Decimal("9.5")),
            Position("b2", "SPY", Decimal("100"), Decimal("470"))]
    out = positions_from_book(book)
    assert out == [OptionPosition(OptionContract("SPY", "call", 470.0, EXP), -2.0), UnderlyingPosition("SPY", 100.0)]


def test_book_greeks_are_additive_over_positions() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pricer = ModelPricer(ASOF, {"SPY": 472.0, "QQQ": 405.0}, {"SPY": 0.14, "QQQ": 0.2}, 0.05)
    pool = [CALL, PUT, QQQ]

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 2), st.integers(-5, 5)), min_size=1, max_size=6), st.integers(0, 6))
    def check(legs: list[tuple[int, int]], cut: int) -> None:
        book = [OptionPosition(pool[i], float(q)) for i, q in legs]
        whole = portfolio_greeks(book, pricer)
        parts = portfolio_greeks(book[:cut], pricer) + portfolio_greeks(book[cut:], pricer)
        for g in GREEK_NAMES:
            assert getattr(whole, g) == pytest.approx(getattr(parts, g), rel=1e-9, abs=1e-9)

    check()
