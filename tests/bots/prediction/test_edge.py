from __future__ import annotations

import pytest
from scipy.stats import norm

from tradefleet.bots.prediction.edge import (
    best_edge,
    book_consensus,
    consensus,
    devig,
    kalshi_fee,
    normal_sf,
    prob_from_forecast,
    venue_fee,
)
from tradefleet.bots.prediction.market import BinaryQuote, BookOdds, ContractTerms, Forecast


def _q(bid: float, ask: float, venue: str = "kalshi") -> BinaryQuote:
    return BinaryQuote("X", venue, bid, ask, 0)  # type: ignore[arg-type]


def test_kalshi_fee_matches_published_schedule() -> None:
    # Kalshi: fee = ceil_to_cent(0.07 * C * P * (1 - P)); 100 contracts at 50c pay $1.75, 1 pays 2c
    assert kalshi_fee(0.50, 100) == pytest.approx(1.75)
    assert kalshi_fee(0.50, 1) == pytest.approx(0.02)
    assert kalshi_fee(0.10, 10) == pytest.approx(0.07)   # 0.063 rounds up
    assert venue_fee(_q(0.4, 0.5, "polymarket"), 0.5) == 0.0


def test_normal_sf_and_forecast_probability_match_scipy() -> None:
    assert normal_sf(85, 87, 2.5) == pytest.approx(norm.sf(85, 87, 2.5))
    t_above = ContractTerms("X", "weather", "v", 85.0)
    t_below = ContractTerms("X", "weather", "v", 85.0, above=False)
    fc = Forecast("nws", "v", 87.0, 2.5)
    assert prob_from_forecast(t_above, fc) == pytest.approx(norm.sf(85, 87, 2.5))
    assert prob_from_forecast(t_below, fc) == pytest.approx(norm.cdf(85, 87, 2.5))
    ens = Forecast("gfs_ensemble", "v", 0, 1.0, members=(84.0, 86.0))
    assert prob_from_forecast(t_above, ens) == pytest.approx((norm.sf(85, 84, 1) + norm.sf(85, 86, 1)) / 2)


def test_devig_and_book_consensus() -> None:
    assert devig(BookOdds("a", 1.91, 1.91)) == pytest.approx(0.5)
    assert devig(BookOdds("a", 3.0, 1.5)) == pytest.approx((1 / 3) / (1 / 3 + 1 / 1.5))
    books = [BookOdds("a", 2.9, 1.45), BookOdds("b", 2.8, 1.47), BookOdds("c", 3.0, 1.42)]
    assert book_consensus(books) == pytest.approx(devig(books[0]))  # the median book
    assert book_consensus(books[:1]) is None                        # one book is no consensus
    assert book_consensus([BookOdds("a", 2.0, 2.0), BookOdds("b", 3.0, 1.5)]) is None  # they disagree


def test_consensus_needs_enough_sources_on_one_side() -> None:
    assert consensus([0.7, 0.8], 0.5) == pytest.approx(0.75)
    assert consensus([0.7], 0.5) is None
    assert consensus([0.7, 0.4], 0.5) is None
    assert consensus([0.2, 0.3], 0.5) == pytest.approx(0.25)


def test_best_edge_picks_the_side_and_respects_cap() -> None:
    q = _q(0.20, 0.22, "polymarket")
    e = best_edge(0.40, q, min_edge=0.05)
    assert e.side == 1 and e.edge == pytest.approx(0.18) and e.price == 0.22
    e = best_edge(0.05, q, min_edge=0.05)
    assert e.side == -1 and e.edge == pytest.approx(0.95 - 0.80) and e.price == pytest.approx(0.80)
    assert best_edge(0.05, q, min_edge=0.05, max_price=0.30).side == 0   # NO at 80c is over the cap
    assert best_edge(0.21, q, min_edge=0.01).side == 0                   # inside the spread
