"""Router: picking the account; paper/live guards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import Order, Side
from tradefleet.orchestrator.errors import ConfigError, PluginError
from tradefleet.orchestrator.execution.router import Router, check_accounts, check_store_mode


class _Recorder:
    name = "rec"

    def __init__(self) -> None:
        self.sent: list[Order] = []

    def submit(self, order: Order) -> Any:
        self.sent.append(order)
        return order


def _order(instrument: str, account: str = "paper") -> Order:
    return Order("tf-1", "b", instrument, Side.BUY, Decimal(1), 0, account=account)


def test_router_picks_by_account_then_instrument_then_default() -> None:
    paper, kalshi, alpaca = _Recorder(), _Recorder(), _Recorder()
    cfg = AppConfig.model_validate({"accounts": {
        "k": {"venue": "kalshi", "extra": {"instruments": ["KX*"]}},
        "a": {"venue": "alpaca", "extra": {"instruments": ["AAPL"]}}}})
    r = Router.from_config({"paper": paper, "k": kalshi, "a": alpaca}, cfg)  # type: ignore[dict-item]
    assert r.account_for("KXBTC-26NOV30-B42000", "unknown") == "k"
    assert r.account_for("AAPL", "unknown") == "a"
    assert r.account_for("MSFT", "unknown") == "paper"
    assert r.account_for("AAPL", "k") == "k"  # an explicit, configured account wins
    r.submit(_order("KXFED-26DEC", account="nope"))
    assert kalshi.sent[0].account == "k" and paper.sent == []


def test_router_unknown_default_account_is_an_error() -> None:
    r = Router({}, {}, default="paper")
    with pytest.raises(PluginError, match="no broker for account 'paper'"):
        r.account_for("AAPL")


def test_live_run_builds_only_live_accounts_and_needs_one() -> None:
    cfg = AppConfig.model_validate({"accounts": {"a": {"venue": "alpaca", "live": True},
                                                 "b": {"venue": "alpaca"}}})
    assert check_accounts(cfg, live=True) == ["a"]
    assert check_accounts(cfg, live=False) == ["b"]
    with pytest.raises(ConfigError, match="live = true"):
        check_accounts(AppConfig.model_validate({"accounts": {"b": {"venue": "alpaca"}}}), live=True)


@pytest.mark.parametrize("accounts, match", [
    ({"a": {"venue": "alpaca", "live": True, "base_url": "https://paper-api.alpaca.markets"}}, "sandbox"),
    ({"a": {"venue": "alpaca", "base_url": "https://api.alpaca.markets"}}, "live endpoint"),
    ({"a": {"venue": "alpaca", "live": True, "base_url": "http://127.0.0.1:9"},
      "b": {"venue": "alpaca", "base_url": "http://127.0.0.1:9/"}}, "share base_url"),
])
def test_paper_and_live_never_share_a_base_url(accounts: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        check_accounts(AppConfig.model_validate({"accounts": accounts}), live=True)


def test_live_start_on_a_paper_store_is_refused(store: Any) -> None:
    check_store_mode(store, live=True)  # a fresh store is fine
    store.start_run("paper", 1)
    with pytest.raises(ConfigError, match="live trading needs its own store"):
        check_store_mode(store, live=True)
    check_store_mode(store, live=False)


def test_paper_start_on_a_live_store_is_refused(store: Any) -> None:
    store.start_run("live", 1)
    with pytest.raises(ConfigError, match="paper and replay runs need their own store"):
        check_store_mode(store, live=False)


def test_build_brokers_builds_registered_adapters_from_config() -> None:
    from types import SimpleNamespace

    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.orchestrator.execution.router import build_brokers
    from tradefleet.orchestrator.execution.venues.base import AdapterOptions
    from tradefleet.orchestrator.registry import Registry
    from tests.fakes.alpaca import FakeAlpaca

    fake = FakeAlpaca()
    try:
        clock = SimClock(0)
        cfg = AppConfig.model_validate({"accounts": {
            "main": {"venue": "alpaca", "base_url": fake.base, "api_key": "env:TF_AK", "api_secret": "env:TF_AS"},
            "big": {"venue": "alpaca", "live": True, "api_key": "env:TF_AK", "api_secret": "env:TF_AS"}}})
        services = SimpleNamespace(config=cfg, clock=clock, registry=Registry.discover(["brokers"]),
                                   extras={})
        opts = AdapterOptions(clock=clock, sleep=clock.advance, timeout_s=2,
                              environ={"TF_AK": "build-key-1", "TF_AS": "build-secret-1"})
        paper = _Recorder()
        brokers = build_brokers(cfg, services, live=False, paper=paper, options=opts)  # type: ignore[arg-type]
        assert set(brokers) == {"paper", "main"} and brokers["paper"] is paper
        assert brokers["main"].account().cash > 0  # type: ignore[attr-defined]
        services.extras["adapter_options"] = opts
        from tradefleet.orchestrator.execution.venues.alpaca import AlpacaBroker

        built = AlpacaBroker.build(services, "main")
        assert built.account_name == "main"
        with pytest.raises(ConfigError, match="TF_MISSING"):
            bad = AppConfig.model_validate({"accounts": {"x": {"venue": "alpaca", "base_url": fake.base,
                                                               "api_key": "env:TF_MISSING", "api_secret": "env:TF_AS"}}})
            build_brokers(bad, services, live=False, options=opts)
    finally:
        fake.server.close()


def test_paper_accounts_never_default_to_live_endpoints() -> None:
    from tradefleet.orchestrator.clock import SimClock
    from tradefleet.app.config import AccountConfig
    from tradefleet.orchestrator.execution.venues.base import AdapterOptions
    from tradefleet.orchestrator.execution.venues.ccxt_venue import BinanceBroker
    from tradefleet.orchestrator.execution.venues.polymarket import PolymarketBroker

    opts = AdapterOptions(clock=SimClock(0), environ={"A": "aaaa1111", "B": "bbbb2222", "P": "pppp", "W": "0x" + "11" * 32})
    b = BinanceBroker("t", AccountConfig(venue="binance", api_key="env:A", api_secret="env:B"), opts)
    assert "testnet" in str(b.ex.urls["api"])
    with pytest.raises(ConfigError, match="no sandbox"):
        PolymarketBroker("p", AccountConfig(venue="polymarket", api_key="env:A", api_secret="env:B",
                                            extra={"passphrase": "env:P", "private_key": "env:W"}), opts)
