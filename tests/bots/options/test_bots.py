"""The option bots on the bundled S&P 500: structures priced like the strategy builders,
signals and levels consistent with them, and causal."""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np
import pandas as pd
import pytest

from tradefleet.bots.options.bots import (
    SPX_COVERED_CALL,
    SPX_PROTECTIVE_PUT,
    SPX_VERTICAL_SPREAD,
    SPX_WHEEL,
    IronCondorBot,
    next_monthly_expiry,
    third_friday,
)
from tradefleet.bots.options.strategies import Market, bear_put_spread, bull_call_spread, covered_call, iron_condor
from tradefleet.scrapers.bundled import load_dataset


@cache
def _spx() -> pd.DataFrame:
    return load_dataset("sp500")


def _market(row: pd.Series, close: float, dte: int = 30) -> Market:
    return Market(close, 0.02, float(row["vol"]), dte / 365.0)


def test_vertical_spread_structure_matches_the_builder() -> None:
    frame = _spx().iloc[:1500]
    bot = SPX_VERTICAL_SPREAD.build()
    st, out = bot.structure(frame), bot.compute(frame)
    for i in (300, 800, 1499):
        row, close = st.iloc[i], float(frame["close"].iloc[i])
        if row["view"] > 0:
            ref = bull_call_spread(_market(row, close), row["long_strike"], row["short_strike"])
        else:
            ref = bear_put_spread(_market(row, close), row["short_strike"], row["long_strike"])
        assert row["premium"] == pytest.approx(ref.net_premium, rel=1e-12)
        assert row["max_profit"] == pytest.approx(ref.max_profit(), rel=1e-12)
        assert row["max_loss"] == pytest.approx(ref.max_loss(), rel=1e-12)
        assert row["breakeven"] == pytest.approx(ref.breakevens()[0], rel=1e-12)
        assert out["signal"].iloc[i] == row["view"]
        assert out["target"].iloc[i] == row["short_strike"]
    sig = out["signal"].to_numpy()
    assert {-1, 1} <= set(np.unique(sig))


def test_covered_call_and_protective_put_levels() -> None:
    frame = _spx().iloc[:600]
    cc, pp = SPX_COVERED_CALL.build(), SPX_PROTECTIVE_PUT.build()
    st = cc.structure(frame)
    i = 500
    close = float(frame["close"].iloc[i])
    ref = covered_call(_market(st.iloc[i], close), st["call_strike"].iloc[i])
    assert st["max_profit"].iloc[i] == pytest.approx(ref.max_profit(), rel=1e-12)
    assert st["breakeven"].iloc[i] == pytest.approx(ref.breakevens()[0], rel=1e-12)
    assert st["call_strike"].iloc[i] % 5 == 0 and st["call_strike"].iloc[i] >= close * 1.03
    out = cc.compute(frame)
    assert (out["signal"].iloc[25:] == 1).all() and (out["signal"].iloc[:20] == 0).all()
    pout, pst = pp.compute(frame), pp.structure(frame)
    assert (pout["stop"].iloc[25:] == pst["put_strike"].iloc[25:]).all()
    assert (pst["put_strike"].iloc[25:] <= frame["close"].iloc[25:] * 0.95).all()


def test_iron_condor_structure_and_flat_signal() -> None:
    frame = _spx().iloc[:400]
    bot = IronCondorBot()
    st = bot.structure(frame)
    row, close = st.iloc[-1], float(frame["close"].iloc[-1])
    ref = iron_condor(_market(row, close), row["put_long"], row["put_short"], row["call_short"], row["call_long"])
    assert row["max_profit"] == pytest.approx(ref.max_profit(), rel=1e-12)
    assert row["max_loss"] == pytest.approx(ref.max_loss(), rel=1e-12)
    assert [row["breakeven_low"], row["breakeven_high"]] == pytest.approx(ref.breakevens(), rel=1e-12)
    assert (bot.compute(frame)["signal"] == 0).all()


def test_monthly_expiries_are_third_fridays() -> None:
    assert third_friday(2024, 1) == date(2024, 1, 19) and third_friday(2023, 9) == date(2023, 9, 15)
    assert next_monthly_expiry(date(2024, 1, 2), 20) == date(2024, 2, 16)
    assert next_monthly_expiry(date(2024, 1, 2), 10) == date(2024, 1, 19)
    assert next_monthly_expiry(date(2024, 12, 20), 20) == date(2025, 1, 17)


def test_wheel_cycles_follow_assignment_and_call_away() -> None:
    frame = _spx()
    bot = SPX_WHEEL.build()
    st, out = bot.structure(frame), bot.compute(frame)
    close = frame["close"].to_numpy()
    phase = st["phase"].to_numpy()
    opened = np.flatnonzero(np.isfinite(st["premium"].to_numpy()))
    assert len(opened) > 200  # about one cycle a month over 20 years
    days = frame.index.tz_convert("America/New_York").date
    for a, b in zip(opened[:-1], opened[1:], strict=True):
        settle = b  # the bar that settled the cycle opened at `a` also opened the next one
        k = st["strike"].iloc[a]
        if phase[a] == 0:
            assert phase[settle] == (1 if close[settle] < k else 0)
        else:
            assert phase[settle] == (0 if close[settle] > k else 1)
        assert days[settle] >= next_monthly_expiry(days[a], 20) or settle == len(frame) - 1
    assert set(np.unique(phase[np.isfinite(phase)])) == {0.0, 1.0}
    np.testing.assert_array_equal(out["signal"].to_numpy(), np.nan_to_num(phase).astype(int))
    assert st["income"].iloc[-1] > 0 and np.all(np.diff(st["income"].dropna().to_numpy()) >= 0)


@pytest.mark.parametrize("spec", [SPX_VERTICAL_SPREAD, SPX_COVERED_CALL, SPX_PROTECTIVE_PUT, SPX_WHEEL])
def test_structure_is_causal(spec: object) -> None:
    frame = _spx().iloc[:900]
    bot = spec.build()  # type: ignore[attr-defined]
    full = bot.structure(frame)
    part = bot.structure(frame.iloc[:600])
    pd.testing.assert_frame_equal(part, full.iloc[:600])


def test_realized_vol_model_option() -> None:
    frame = _spx().iloc[:300]
    bot = SPX_COVERED_CALL.build({"vol_model": "realized", "vol_window": 21})
    st = bot.structure(frame)
    assert st["vol"].iloc[:21].isna().all() and st["vol"].iloc[21:].notna().all()
