"""An option structure's direction on its underlying (the contradiction rule's view of it):
the sign of its expiry payoff across the spot, one entry per bot in the exposure book."""

from __future__ import annotations

from datetime import date

import pytest

from tradefleet.orchestrator.occ import occ_symbol
from tradefleet.risk.blockers import Blockers
from tradefleet.risk.config import BlockersConfig
from tradefleet.risk.exposure import ExposureBook, Holding
from tradefleet.risk.structure import direction

EXP = date(2015, 3, 20)


def c(strike: float) -> str:
    return occ_symbol("XYZ", EXP, "call", strike)


def p(strike: float) -> str:
    return occ_symbol("XYZ", EXP, "put", strike)


@pytest.mark.parametrize(("name", "legs", "want"), [
    ("shares", [("XYZ", 100, 1)], 1),
    ("short shares", [("XYZ", -100, 1)], -1),
    ("long call", [(c(105), 1, 100)], 1),
    ("long put", [(p(95), 1, 100)], -1),
    ("short put", [(p(100), -1, 100)], 1),
    ("covered call", [("XYZ", 100, 1), (c(102), -1, 100)], 1),
    ("protective put", [("XYZ", 100, 1), (p(97), 1, 100)], 1),
    ("bull call spread", [(c(100), 1, 100), (c(105), -1, 100)], 1),
    ("bear put spread", [(p(100), 1, 100), (p(95), -1, 100)], -1),
    ("iron condor, shorts outside the band", [(p(90), 1, 100), (p(94), -1, 100), (c(106), -1, 100),
                                              (c(110), 1, 100)], 0),
    ("iron condor, shorts inside the band, symmetric", [(p(92), 1, 100), (p(97), -1, 100), (c(103), -1, 100),
                                                        (c(108), 1, 100)], 0),
    ("collar (shares, long put, short call)", [("XYZ", 100, 1), (p(95), 1, 100), (c(105), -1, 100)], 1),
    ("long straddle", [(c(100), 1, 100), (p(100), 1, 100)], 0),
])
def test_direction_of_common_structures_around_the_spot(name: str, legs: list, want: int) -> None:
    assert direction(legs, 100.0) == want, name


def test_direction_without_a_spot_reads_around_the_middle_of_the_strikes() -> None:
    assert direction([(c(100), 1, 100), (c(110), -1, 100)], None) == 1
    assert direction([], 100.0) == 0
    assert direction([("XYZ", 100, 1)], 0.0) == 0


def _book(*holdings: tuple[str, str, float, float, float]) -> ExposureBook:
    book = ExposureBook(cash=1e6, equity=1e6)
    for bot, sym, qty, mark, mult in holdings:
        book._add(Holding(bot, sym, "default", qty, mark, 0.0, mult), +1)
    return book


def test_a_bot_holding_options_is_one_entry_with_its_structure_direction() -> None:
    book = _book(("stock", "XYZ", 50, 100.0, 1),
                 ("condor", p(90), 1, 0.5, 100), ("condor", p(94), -1, 1.0, 100),
                 ("condor", c(106), -1, 1.0, 100), ("condor", c(110), 1, 0.5, 100),
                 ("hedger", p(95), 2, 1.5, 100),
                 ("covered", "XYZ", 100, 100.0, 1), ("covered", c(104), -1, 2.0, 100))
    spot = {"XYZ": 100.0}.get
    got = sorted(book.holders("XYZ", spot))
    # the condor is neutral (left out); a lone long put is short XYZ; a covered call is long
    assert got == [("covered", "XYZ", 1), ("hedger", "XYZ", -1), ("stock", "XYZ", 1)]
    blockers = Blockers(BlockersConfig())
    assert blockers.contradiction("new", "XYZ", 1, got) == ("hedger", "XYZ")
    assert blockers.contradiction("new", "XYZ", -1, got) == ("covered", "XYZ")
    # without options on the underlying, each holding is its own entry, signed by its quantity
    assert book.holders("ABC") == []
    assert sorted(_book(("a", "ABC", -3, 10.0, 1)).holders("ABC")) == [("a", "ABC", -1)]


def test_the_spot_defaults_to_the_underlyings_mark_in_the_book() -> None:
    # short 20 shares hedged by one long 100 call: long when the spot is near the strike,
    # short when it is far below (the shares' loss over the wider range outweighs the call)
    book = _book(("w", "XYZ", -20, 50.0, 1), ("w", c(100), 1, 0.5, 100))
    assert book.holders("XYZ") == [("w", "XYZ", -1)]  # read around the book's mark, 50
    assert book.holders("XYZ", {"XYZ": 100.0}.get) == [("w", "XYZ", 1)]
