"""Sizing from the venue account: a paper run with an Alpaca account sizes from the money
the venue reports (refreshed at reconciliation and on fills), not from starting_cash."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.store import Store
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.fake_http import VenueBook
from tests.orchestrator.restart.harness import T0, PriceFeed, config, registry, run, spec


def test_orders_are_sized_from_the_venue_accounts_equity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_TEST_ALPACA_KEY", "k-test")
    monkeypatch.setenv("TF_TEST_ALPACA_SECRET", "s-test")
    fake = FakeAlpaca(VenueBook(cash=Decimal(1_000_000), prices={"AAPL": Decimal(100)}))
    try:
        cfg = config(fake.base, ["AAPL"]).model_copy(deep=True)
        cfg = type(cfg).model_validate({**cfg.model_dump(), "engine": {**cfg.engine.model_dump(),
                                                                       "starting_cash": 1000.0}})
        url = f"sqlite:///{tmp_path}/s.db"
        runner = run(cfg, url, registry(spec("flip-a", "AAPL")), ["flip-a"], PriceFeed({"AAPL": [101.0] * 4}),
                     SimClock(T0), 1, 3)
        store = Store.open(url)
        try:
            (order,) = store.orders()
        finally:
            store.close()
        equity = Decimal(1_000_000) + Decimal(1000)  # the Alpaca account plus the in-process paper account
        notional = order.quantity * Decimal(100)
        assert notional > Decimal(10_000), f"sized {order.quantity} from starting_cash, not the venue's equity"
        assert notional <= equity * Decimal("0.20")  # max_position_pct of the venue-reported equity
        ledger = runner.kernel.engine.ledger
        assert ledger.cash() == fake.book.cash + Decimal(1000)  # refreshed after the fill
        assert ledger.buying_power == fake.book.cash + Decimal(1000)
    finally:
        fake.server.close()
