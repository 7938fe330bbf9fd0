"""Model-priced chains: the listed grid, causal inputs, skew, spread, and their label."""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pytest

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.risk.options.bsm import bsm_price
from tradefleet.risk.options.errors import OptionInputError
from tradefleet.risk.options.model_chain import (PROVENANCE, SPX_MODEL, ChainModel, model_chain, monthly_expiries,
                                      strike_increment)

ASOF = dt_to_ns(datetime(2008, 9, 12, 20, 0, tzinfo=timezone.utc))


def test_monthly_expiries_are_third_fridays_after_today() -> None:
    assert monthly_expiries(date(2008, 9, 12), 3) == [date(2008, 9, 19), date(2008, 10, 17), date(2008, 11, 21)]
    assert monthly_expiries(date(2008, 9, 19), 1) == [date(2008, 10, 17)]


def test_strike_grid_follows_listing_increments() -> None:
    assert [strike_increment(s) for s in (3, 20, 60, 150, 500, 1250)] == [0.5, 1.0, 2.5, 5.0, 10.0, 25.0]


def test_spx_chain_is_european_bsm_with_skew_and_spread() -> None:
    chain = model_chain("SPX", ASOF, 1251.7, 0.30, SPX_MODEL)
    assert len(chain) == 3 * 2 * 21
    assert chain.expiries() == monthly_expiries(date(2008, 9, 12), 3)
    strikes = chain.strikes(chain.expiries()[1])
    assert strikes[10] == 1250.0 and strikes[1] - strikes[0] == 25.0
    q = chain.quote("put", 1150.0, chain.expiries()[1])
    assert q.contract.style == "european"
    vol = 0.30 + SPX_MODEL.skew * np.log(1150 / 1251.7)
    assert q.iv == pytest.approx(vol)
    mid = float(bsm_price("put", 1251.7, 1150, q.contract.years_to_expiry(ASOF), SPX_MODEL.rate, vol))
    assert q.bid <= mid <= q.ask
    assert q.ask - q.bid == pytest.approx(max(mid * SPX_MODEL.spread_share, SPX_MODEL.min_spread), abs=0.051)
    low_put = chain.quote("put", 1100.0, chain.expiries()[1]).iv
    assert low_put is not None and q.iv is not None and low_put > q.iv  # put skew


def test_chain_is_labelled_model_priced_and_refuses_bad_inputs() -> None:
    assert "model-priced" in PROVENANCE and "not recorded" in PROVENANCE
    with pytest.raises(OptionInputError, match="spot"):
        model_chain("GOOG", ASOF, float("nan"), 0.3)
    with pytest.raises(OptionInputError):
        ChainModel(months=0)


def test_consecutive_chains_list_what_each_bar_lists_afresh() -> None:
    """A chain's contracts are kept from bar to bar while the date and the centre strike stay;
    every chain still lists exactly its own date's expiries and its own spot's strikes, and
    its years to expiry are its own instant's."""
    from tradefleet.risk.options.chain import OptionContract
    from tradefleet.risk.options.model_chain import EQUITY_MODEL, model_quotes

    hour = 3_600 * 10**9
    for i, spot in enumerate([101.0, 101.2, 104.0, 104.0, 96.0, 96.0]):
        asof = ASOF + i * 24 * 13 * hour  # 13 days apart: expiries roll
        chain = model_chain("XYZ", asof, spot, 0.3, EQUITY_MODEL)
        today = datetime.fromtimestamp(asof / 1e9, tz=timezone.utc).date()
        step = strike_increment(spot)
        centre = round(spot / step) * step
        strikes = [centre + j * step for j in range(-EQUITY_MODEL.strikes_each_side, EQUITY_MODEL.strikes_each_side + 1)]
        want = [OptionContract("XYZ", kind, k, e, EQUITY_MODEL.style, EQUITY_MODEL.multiplier)
                for e in monthly_expiries(today, EQUITY_MODEL.months) for kind in ("call", "put") for k in strikes if k > 0]
        assert [q.contract for q in chain] == want
        t = np.array([c.years_to_expiry(asof) for c in want])
        bid, ask, _, _ = model_quotes(EQUITY_MODEL, np.array([c.kind for c in want]), spot,
                                      np.array([c.strike for c in want]), t, 0.3)
        assert [q.bid for q in chain] == bid.tolist() and [q.ask for q in chain] == ask.tolist()
