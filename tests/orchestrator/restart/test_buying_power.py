"""Buys are capped by the venue account's buying power, not by its cash.

Through the real engine (``run_live`` in paper mode, the alpaca-py client against the
loopback Alpaca fake, which reports and enforces buying power as Alpaca does):

- a cash account whose sale proceeds have not settled may spend less than its cash: an
  order sized by cash is refused by the venue ("insufficient buying power");
- a margin account may spend more than its cash: an entry is not cut to the cash left.

Bars are generated (synthetic), not recorded.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import OrderStatus
from tradefleet.orchestrator.store import Store
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.fake_http import VenueBook
from tests.orchestrator.restart.harness import T0, PriceFeed, config, registry, run, spec


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_TEST_ALPACA_KEY", "k-test")
    monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "s-test")


def _cfg(base: str, symbols: list[str], **risk: Any) -> Any:
    cfg = config(base, symbols, **risk)
    return type(cfg).model_validate({**cfg.model_dump(), "engine": {**cfg.engine.model_dump(), "starting_cash": 1000.0}})


def _orders(url: str) -> list[Any]:
    store = Store.open(url)
    try:
        return list(store.orders())
    finally:
        store.close()


def test_a_cash_account_with_unsettled_funds_buys_within_its_buying_power(tmp_path: Path) -> None:
    # 100,000 cash of which 95,000 are unsettled sale proceeds: 5,000 may be spent
    fake = FakeAlpaca(VenueBook(cash=Decimal(100_000), prices={"AAPL": Decimal(100)}), unsettled=Decimal(95_000))
    try:
        url = f"sqlite:///{tmp_path}/s.db"
        runner = run(_cfg(fake.base, ["AAPL"]), url, registry(spec("flip-a", "AAPL")), ["flip-a"],
                     PriceFeed({"AAPL": [101.0] * 4}), SimClock(T0), 1, 3)
        (order,) = _orders(url)
        assert order.status is OrderStatus.FILLED, \
            f"order {order.status.value} ({order.reason}): sized {order.quantity} from cash, not buying power"
        assert 0 < order.quantity * Decimal(100) <= Decimal(5_000)
        assert fake.book.positions["AAPL"] == order.quantity
        ledger = runner.kernel.engine.ledger
        assert ledger.buying_power_of("alpaca") == fake.buying_power()  # refreshed after the fill
    finally:
        fake.server.close()


def test_a_margin_account_buys_beyond_its_cash(tmp_path: Path) -> None:
    # Reg T margin (2x): after MSFT uses up most of the cash, AAPL may still be bought on margin
    fake = FakeAlpaca(VenueBook(cash=Decimal(10_000), prices={"AAPL": Decimal(100), "MSFT": Decimal(100)}),
                      multiplier=2)
    try:
        url = f"sqlite:///{tmp_path}/s.db"
        cfg = _cfg(fake.base, ["AAPL", "MSFT"], max_position_pct=1.0, gross_exposure_pct=4.0,
                   correlation={"cluster_cap_pct": 4.0}, var={"enabled": False},
                   bots={"flip-m": {"capital_pct": 0.8}, "flip-a": {"capital_pct": 0.8}})
        feed = PriceFeed({"MSFT": [101.0] * 5, "AAPL": [100.0, 100.0, 101.0, 101.0, 101.0]})
        run(cfg, url, registry(spec("flip-m", "MSFT"), spec("flip-a", "AAPL")), ["flip-m", "flip-a"],
            feed, SimClock(T0), 1, 3)
        by_symbol = {o.instrument: o for o in _orders(url)}
        msft, aapl = by_symbol["MSFT"], by_symbol["AAPL"]
        assert msft.status is OrderStatus.FILLED and aapl.status is OrderStatus.FILLED, (msft.reason, aapl.reason)
        cash_left = Decimal(10_000) + Decimal(1000) - msft.quantity * Decimal(100)
        assert aapl.quantity * Decimal(100) > cash_left, \
            f"AAPL cut to {aapl.quantity * 100} by the cash left ({cash_left}), not the margin buying power"
        assert fake.book.cash < 0  # the venue lent the difference
    finally:
        fake.server.close()
