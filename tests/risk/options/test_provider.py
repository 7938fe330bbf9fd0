"""The Greeks provider wired into the portfolio risk gate."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import Bar, Position
from tradefleet.risk.config import GreeksConfig
from tradefleet.risk.options.bsm import bsm_valuation
from tradefleet.risk.options.chain import OptionContract
from tradefleet.risk.options.errors import OptionsError
from tradefleet.risk.options.provider import MarketGreeksProvider, currency_greeks
from tradefleet.risk.options.greeks import Greeks
from tradefleet.risk.prechecks import greeks_breach

CLOCK = SimClock(datetime(2024, 1, 2, 21, 0, tzinfo=UTC))


class FakeMarket:
    """A MarketView over fixed close histories."""

    def __init__(self, closes: dict[str, list[float]]) -> None:
        self.data = closes

    def last_bar(self, symbol: str) -> Bar | None:
        c = self.data.get(symbol)
        return None if not c else Bar(symbol, CLOCK.now_ns(), c[-1], c[-1], c[-1], c[-1], 0.0)

    def quote(self, symbol: str) -> tuple[float, float] | None:
        return None

    def closes(self, symbol: str, n: int) -> list[float]:
        return self.data.get(symbol, [])[-n:]


def _path(start: float, moves: list[float]) -> list[float]:
    out = [start]
    for m in moves:
        out.append(out[-1] * math.exp(m))
    return out


SPY = _path(470.0, [0.01, -0.01] * 40)[::-1]  # ends at 470 after alternating moves
MARKET = FakeMarket({"SPY": SPY, "AAPL": [190.0] * 10})


def test_provider_returns_currency_greeks_of_the_ledger() -> None:
    provider = MarketGreeksProvider(MARKET, CLOCK, rate=0.05, vol_window=63)
    vol = provider.vol("SPY")
    rets = [math.log(b / a) for a, b in zip(SPY[-64:-1], SPY[-63:], strict=True)]
    assert vol == pytest.approx(math.sqrt(sum((r - sum(rets) / 63) ** 2 for r in rets) / 62 * 252))
    positions = [Position("wheel", "SPY240315P00460000", Decimal("-2"), Decimal("8")),
                 Position("cc", "SPY", Decimal("100"), Decimal("465")),
                 Position("eq", "AAPL", Decimal("50"), Decimal("180"))]
    got = provider(positions)
    c = OptionContract("SPY", "put", 460.0, date(2024, 3, 15))
    from tradefleet.risk.options.binomial import crr_tree

    tree = crr_tree("put", SPY[-1], 460.0, c.years_to_expiry(CLOCK.now_ns()), 0.05, vol, 0.0, 100, "american")
    spy_delta = 100 + (-2 * 100) * float(tree.delta)
    assert got.delta == pytest.approx(spy_delta * SPY[-1] + 50 * 190.0, rel=1e-9)
    assert got.gamma == pytest.approx(-200 * float(tree.gamma) * SPY[-1] ** 2 / 100, rel=1e-9)
    assert got.vega < 0  # short puts


def test_provider_feeds_the_risk_gates_greek_limit() -> None:
    provider = MarketGreeksProvider(MARKET, CLOCK)
    g = provider([Position("b", "SPY", Decimal("100"), Decimal("470"))])
    assert g == Greeks(delta=pytest.approx(47_000.0))
    reason, detail = greeks_breach(GreeksConfig(max_abs_delta=40_000), g)
    assert reason == "greeks_delta" and "47,000.00" in detail
    assert greeks_breach(GreeksConfig(max_abs_delta=50_000), g) is None


def test_provider_errors_name_the_missing_data() -> None:
    provider = MarketGreeksProvider(FakeMarket({"SPY": [470.0, 471.0]}), CLOCK)
    with pytest.raises(OptionsError, match="no market price for QQQ"):
        provider([Position("b", "QQQ", Decimal("1"), Decimal("1"))])
    with pytest.raises(OptionsError, match="2 closes of SPY"):
        provider([Position("b", "SPY240315C00470000", Decimal("1"), Decimal("1"))])
    assert provider([]) == Greeks()


def test_currency_greeks_add_across_underlyings() -> None:
    v = bsm_valuation("call", 100.0, 100.0, 1.0, 0.0, 0.2).greeks_at(0)
    total = currency_greeks({"A": v, "B": Greeks(delta=10)}, {"A": 100.0, "B": 50.0})
    assert total.delta == pytest.approx(v.delta * 100 + 500)
    assert total.gamma == pytest.approx(v.gamma * 100.0)
