"""The chain model and its CSV loader."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.risk.options.bsm import bsm_price
from tradefleet.risk.options.chain import (
    OptionChain,
    OptionContract,
    OptionQuote,
    load_chain_csv,
    parse_occ,
    write_chain_csv,
)
from tradefleet.risk.options.errors import ChainDataError

ASOF = dt_to_ns(datetime(2024, 1, 2, 21, 0, tzinfo=UTC))  # 16:00 New York
EXP1, EXP2 = date(2024, 1, 19), date(2024, 2, 16)


def _chain(spot: float = 470.0) -> OptionChain:
    quotes = []
    for exp in (EXP1, EXP2):
        for k in (460.0, 470.0, 480.0):
            for kind in ("call", "put"):
                c = OptionContract("SPY", kind, k, exp, "european")
                fair = float(bsm_price(kind, spot, k, c.years_to_expiry(ASOF), 0.05, 0.14))
                quotes.append(OptionQuote(c, round(fair - 0.05, 2), round(fair + 0.05, 2), None, int(k), fair))
    return OptionChain("SPY", ASOF, tuple(reversed(quotes)), spot)


def test_occ_symbols_round_trip() -> None:
    c = parse_occ("SPY240119C00450000")
    assert (c.underlying, c.kind, c.strike, c.expiry) == ("SPY", "call", 450.0, EXP1)
    assert c.symbol == "SPY240119C00450000"
    assert parse_occ("BRKB 240621P00412500").strike == 412.5
    with pytest.raises(ChainDataError, match="not an OCC symbol"):
        parse_occ("SPY-JAN-450-C")


def test_year_fraction_counts_to_the_new_york_close() -> None:
    c = OptionContract("SPY", "call", 450.0, date(2024, 1, 3))
    assert c.years_to_expiry(ASOF) == pytest.approx(1 / 365)


def test_chain_orders_indexes_and_selects() -> None:
    ch = _chain()
    assert ch.expiries() == [EXP1, EXP2]
    assert ch.strikes() == [460.0, 470.0, 480.0]
    assert [q.contract.kind for q in ch.quotes[:3]] == ["call"] * 3
    assert len(ch.select(kind="put", expiry=EXP2)) == 3
    assert len(ch.select(min_strike=465, max_strike=475)) == 4
    q = ch.quote("put", 470, EXP1)
    assert q.mid == pytest.approx((q.bid + q.ask) / 2)
    with pytest.raises(ChainDataError, match="no call 500"):
        ch.quote("call", 500, EXP1)
    assert ch.nearest_expiry(0.1) == EXP2 and ch.nearest_expiry(0.01) == EXP1


def test_by_symbol_finds_a_quote_by_its_occ_symbol_first_in_chain_order() -> None:
    chain = _chain()
    for q in chain:
        assert chain.by_symbol(q.contract.symbol) is q
    assert chain.by_symbol("SPY240119C00465000") is None
    # two strikes that round to one symbol (tenths of a cent apart): the first in chain order
    near = [OptionQuote(OptionContract("SPY", "call", k, EXP1), 1.0, 1.1) for k in (470.0004, 470.0001)]
    twin = OptionChain("SPY", ASOF, tuple(near))
    assert twin.by_symbol("SPY240119C00470000") is twin.quotes[0]
    assert twin.quotes[0].contract.strike == 470.0001


def test_chain_rejects_duplicates_and_foreign_quotes() -> None:
    c = OptionContract("SPY", "call", 450.0, EXP1)
    with pytest.raises(ChainDataError, match="quoted twice"):
        OptionChain("SPY", ASOF, (OptionQuote(c), OptionQuote(c)))
    with pytest.raises(ChainDataError, match="is on QQQ"):
        OptionChain("SPY", ASOF, (OptionQuote(OptionContract("QQQ", "call", 400.0, EXP1)),))


def test_with_implied_vols_recovers_the_vol_from_mids() -> None:
    ch = _chain().with_implied_vols(rate=0.05)
    for q in ch:
        assert q.iv == pytest.approx(0.14, abs=2e-3)  # mids are the fair value rounded to cents


def test_csv_round_trip(tmp_path: Path) -> None:
    ch = _chain()
    path = tmp_path / "spy.csv"
    write_chain_csv(ch, path)
    back = load_chain_csv(path, ASOF, spot=470.0)
    assert back.underlying == "SPY" and back.spot == 470.0
    assert back.quotes == ch.quotes


def test_csv_accepts_occ_symbols_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Symbol,Bid,Ask,Implied_Volatility,OI\nSPY240119C00450000,1.0,1.2,0.15,12\n"
                    "SPY240119P00450000,2.0,2.1,,\n")
    ch = load_chain_csv(path, ASOF)
    call, put = ch.quote("call", 450, EXP1), ch.quote("put", 450, EXP1)
    assert (call.iv, call.open_interest, put.iv, put.open_interest) == (0.15, 12, None, None)


@pytest.mark.parametrize(("row", "message"), [
    ("call,450,2024-01-19,1.3,1.2", "line 2: bid 1.3 is above ask 1.2"),
    ("call,abc,2024-01-19,1.0,1.2", "line 2: strike: 'abc' is not a number"),
    ("straddle,450,2024-01-19,1.0,1.2", "line 2: type: 'straddle' is not call/put"),
    ("call,450,19/01/2024,1.0,1.2", "line 2: expiry: '19/01/2024' is not YYYY-MM-DD"),
    ("call,450,2024-01-19,-1,1.2", "line 2: bid: -1 is negative"),
])
def test_csv_errors_name_file_line_and_field(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"type,strike,expiry,bid,ask\n{row}\n")
    with pytest.raises(ChainDataError) as info:
        load_chain_csv(path, ASOF, underlying="SPY")
    assert str(info.value) == f"{path}: {message}"


def test_csv_missing_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(ChainDataError, match="not found"):
        load_chain_csv(tmp_path / "nope.csv", ASOF)
    path = tmp_path / "cols.csv"
    path.write_text("strike,bid\n450,1\n")
    with pytest.raises(ChainDataError, match="needs columns type, strike, expiry"):
        load_chain_csv(path, ASOF)


def test_with_implied_vols_solves_american_quotes_on_the_tree() -> None:
    from tradefleet.risk.options.binomial import crr_price

    c = OptionContract("SPY", "put", 480.0, EXP2)
    fair = float(crr_price("put", 470.0, 480.0, c.years_to_expiry(ASOF), 0.05, 0.2, 0.0, 150, "american"))
    ch = OptionChain("SPY", ASOF, (OptionQuote(c, fair - 0.001, fair + 0.001),), 470.0)
    assert ch.with_implied_vols(0.05, steps=150).quotes[0].iv == pytest.approx(0.2, abs=1e-6)
    below = OptionChain("SPY", ASOF, (OptionQuote(c, 5.0, 5.1),), 470.0)  # under intrinsic 10
    assert below.with_implied_vols(0.05).quotes[0].iv is None
