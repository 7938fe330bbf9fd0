"""Fee schedules against the venues' published examples; prediction settlement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.domain import Side
from tradefleet.orchestrator.execution.fees import (KalshiFees, schedule_for, settlement_fill, settlement_pnl)


@pytest.mark.parametrize("contracts, price, fee", [
    (100, "0.50", "1.75"),   # 0.07 * 100 * 0.5 * 0.5 = 1.75
    (1, "0.50", "0.02"),     # 0.0175 rounds up to a cent
    (10, "0.90", "0.07"),    # 0.063 -> 0.07
    (100, "0.01", "0.07"),   # 0.0693 -> 0.07
])
def test_kalshi_taker_fee_matches_published_formula(contracts: int, price: str, fee: str) -> None:
    assert KalshiFees().fee(Side.BUY, Decimal(contracts), Decimal(price)) == Decimal(fee)


def test_kalshi_maker_fee_is_a_quarter_of_taker() -> None:
    assert KalshiFees().fee(Side.BUY, Decimal(100), Decimal("0.50"), "maker") == Decimal("0.44")  # 0.4375 up


def test_equity_fees_only_on_sells_with_taf_cap() -> None:
    f = schedule_for("alpaca")
    assert f.fee(Side.BUY, Decimal(100), Decimal(200)) == 0
    # $20,000 proceeds: SEC 0.556 -> 0.56; TAF 100 * 0.000166 = 0.0166 -> 0.02
    assert f.fee(Side.SELL, Decimal(100), Decimal(200)) == Decimal("0.58")
    assert f.fee(Side.SELL, Decimal(100_000), Decimal(1)) == Decimal("2.78") + Decimal("8.30")


def test_bps_schedules() -> None:
    assert schedule_for("coinbase").fee(Side.BUY, Decimal("0.5"), Decimal(42000)) == Decimal("126.00")
    assert schedule_for("coinbase").fee(Side.BUY, Decimal("0.5"), Decimal(42000), "maker") == Decimal("84.00")
    assert schedule_for("binance").fee(Side.SELL, Decimal(1), Decimal(42000)) == Decimal("42.00")
    assert schedule_for("alpaca", "crypto").fee(Side.BUY, Decimal(1), Decimal(1000)) == Decimal("2.50")
    assert schedule_for("oanda").fee(Side.BUY, Decimal(100_000), Decimal("1.1")) == 0
    assert schedule_for("x", taker_bps=5).fee(Side.BUY, Decimal(1), Decimal(100)) == Decimal("0.05")
    with pytest.raises(KeyError, match="no fee schedule"):
        schedule_for("nowhere")


def test_prediction_contracts_settle_at_one_or_zero() -> None:
    yes = settlement_fill("KX-A", Decimal(10), True, 5)
    assert yes is not None and yes.side is Side.SELL and yes.price == 1 and yes.quantity == 10
    no = settlement_fill("KX-A", Decimal(-4), False, 5)
    assert no is not None and no.side is Side.BUY and no.price == 0
    assert settlement_fill("KX-A", Decimal(0), True, 5) is None
    assert settlement_pnl(Decimal(10), Decimal("0.42"), True) == Decimal("5.80")
    assert settlement_pnl(Decimal(10), Decimal("0.42"), False) == Decimal("-4.20")
