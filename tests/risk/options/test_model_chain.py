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
