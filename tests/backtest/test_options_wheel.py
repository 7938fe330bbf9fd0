"""The wheel on listed, model-priced legs: premium, assignment, delivery and call-away,
checked by hand on crafted (hand-written) closes with a fixed volatility."""

from __future__ import annotations

import pandas as pd
import pytest

from tradefleet.backtest.options_wheel import WheelParams, backtest_wheel
from tradefleet.risk.options.model_chain import SPX_MODEL

P = WheelParams(take_profit=1.0, early_threshold=0.0, fee_per_contract=0.65)  # hold every leg to expiry


def crafted(values: dict[str, float], start: str = "2021-01-04", end: str = "2021-04-30") -> pd.Series:
    """Hand-written closes: 100 every weekday, with the given dates overridden (and held after)."""
    idx = pd.bdate_range(start, end, tz="UTC") + pd.Timedelta(hours=21)
    s = pd.Series(100.0, index=idx)
    for day, v in sorted(values.items()):
        s[s.index >= pd.Timestamp(day, tz="UTC")] = v
    return s


def test_put_assigned_at_expiry_then_covered_call_called_away() -> None:
    closes = crafted({"2021-02-19": 80.0, "2021-03-19": 90.0})
    r = backtest_wheel(closes, "XYZ", P, vol=pd.Series(0.3, index=closes.index))
    ev = [(e["date"], e["event"], e["symbol"]) for e in r.events]
    assert ev[:4] == [("2021-01-04", "sold_put", "XYZ210219P00095000"),
                      ("2021-02-19", "assigned", "XYZ210219P00095000"),
                      ("2021-02-19", "sold_call", "XYZ210319C00082500"),
                      ("2021-03-19", "assigned", "XYZ210319C00082500")]
    put, call = r.events[0]["price"], r.events[2]["price"]
    assert r.events[1]["cash"] == -9500.0 and r.events[1]["shares"] == 100.0      # bought 100 at 95
    assert r.events[3]["cash"] == 8250.0 and r.events[3]["shares"] == -100.0      # sold 100 at 82.50
    assert r.share_pnl == pytest.approx((82.5 - 95.0) * 100)
    # equity on the put's expiry: premium in, fee out, 100 shares bought at 95 now worth 80
    # (the call just written is marked at the premium it was sold for)
    day = pd.Timestamp("2021-02-19 21:00", tz="UTC")
    assert r.equity[day] == pytest.approx(100_000 + 100 * put - 0.65 - 9_500 + 8_000 - 0.65 + 100 * call - 100 * call)
    assert r.premium == pytest.approx(100 * (put + call + sum(e["price"] for e in r.events[4:] if e["event"].startswith("sold"))))
    assert "model-priced" in r.summary()["provenance"]


def test_out_of_the_money_put_expires_and_premium_is_kept() -> None:
    closes = crafted({}, end="2021-02-26")
    r = backtest_wheel(closes, "XYZ", P, vol=pd.Series(0.3, index=closes.index))
    assert [e["event"] for e in r.events][:2] == ["sold_put", "expired"]
    day = pd.Timestamp("2021-02-19 21:00", tz="UTC")
    assert r.equity[day] == pytest.approx(100_000 + 100 * r.events[0]["price"] - 0.65 + 100 * r.events[2]["price"]
                                          - 0.65 - 100 * r.events[2]["price"])


def test_deep_in_the_money_short_put_is_assigned_early() -> None:
    closes = crafted({"2021-01-11": 60.0}, end="2021-02-26")
    r = backtest_wheel(closes, "XYZ", WheelParams(take_profit=1.0, early_threshold=0.05),
                       vol=pd.Series(0.15, index=closes.index))
    assert [e["event"] for e in r.events][:2] == ["sold_put", "assigned_early"]
    assert r.events[1]["date"] == "2021-01-11" and r.events[1]["cash"] == -9500.0


def test_a_put_is_sold_only_when_cash_covers_its_strike_and_cash_settled_options_are_refused() -> None:
    closes = crafted({}, end="2021-02-26")
    r = backtest_wheel(closes, "XYZ", WheelParams(starting_cash=5_000.0), vol=pd.Series(0.3, index=closes.index))
    assert r.events == []
    with pytest.raises(ValueError, match="physically settled"):
        backtest_wheel(closes, "SPX", P, SPX_MODEL)
