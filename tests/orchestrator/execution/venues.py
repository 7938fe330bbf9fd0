"""Builders of (loopback fake, real-client adapter) pairs for every venue, on a SimClock."""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradefleet.orchestrator.clock import SimClock
from tradefleet.app.config import AccountConfig
from tradefleet.orchestrator.domain import Order, OrderType, Side
from tradefleet.orchestrator.execution.venues.base import AdapterOptions, VenueBroker
from tests.fakes.fake_http import FakeServer, VenueBook

VENUES = ("alpaca", "oanda", "kalshi", "polymarket", "coinbase", "binance")
T0 = 1_795_305_600 * 10**9

CANARY = {"key": "CANARY-KEY-7f3a9c", "secret": "CANARY-SECRET-b81e44d2", "pass": "CANARY-PASS-55aa"}


@functools.lru_cache(maxsize=1)
def _rsa() -> tuple[str, Any]:
    from tests.fakes.kalshi import new_rsa_pem

    return new_rsa_pem()


@dataclass
class VenueCase:
    """One venue under test: its fake, its adapter and what to trade there."""

    name: str
    broker: VenueBroker
    fake: Any
    clock: SimClock
    symbol: str
    qty: Decimal
    rest_price: Decimal       # a limit that does not cross: the order rests
    submit_path: str          # regex of the order-entry route
    read_path: str            # regex of the account route
    submit_method: str = "POST"
    reports_partial: bool = True
    environ: dict[str, str] = field(default_factory=dict)

    @property
    def server(self) -> FakeServer:
        return self.fake.server

    @property
    def book(self) -> VenueBook:
        return self.fake.book

    def order(self, cid: str, qty: Decimal | None = None, side: Side = Side.BUY,
              limit: Decimal | None = None, account: str = "") -> Order:
        return Order(cid, "bot-a", self.symbol, side, qty if qty is not None else self.qty, self.clock.now_ns(),
                     OrderType.LIMIT if limit is not None else OrderType.MARKET, limit,
                     account=account or self.broker.account_name)

    def venue_order_for(self, cid: str) -> Any:
        """The fake's record of the order with client id ``cid`` (or its hash on Polymarket)."""
        if self.name == "polymarket":
            digest = self.broker._hash_of.get(cid)
            return self.book.orders.get(digest) if digest else None
        return self.book.by_client(cid)


def make_case(name: str, timeout_s: float = 3.0, account: str = "acct", environ: dict[str, str] | None = None,
              book: VenueBook | None = None) -> VenueCase:
    """Start the fake for ``name`` and build its adapter through the real client."""
    clock = SimClock(T0)
    env = dict(environ or {})
    opts = lambda: AdapterOptions(clock=clock, sleep=clock.advance, timeout_s=timeout_s,  # noqa: E731
                                  environ=env, retry_attempts=3)
    if name == "alpaca":
        from tradefleet.orchestrator.execution.venues.alpaca import AlpacaBroker
        from tests.fakes.alpaca import FakeAlpaca

        env |= {"K": CANARY["key"], "S": CANARY["secret"]}
        fake = FakeAlpaca(book)
        cfg = AccountConfig(venue="alpaca", base_url=fake.base, api_key="env:K", api_secret="env:S")
        b: VenueBroker = AlpacaBroker(account, cfg, opts())
        return VenueCase(name, b, fake, clock, "AAPL", Decimal(4), Decimal(50), r"/v2/orders", r"/v2/account",
                         environ=env)
    if name == "oanda":
        from tradefleet.orchestrator.execution.venues.oanda import OandaBroker
        from tests.fakes.oanda import ACCOUNT, FakeOanda

        env |= {"K": CANARY["secret"]}
        fake = FakeOanda(book)
        cfg = AccountConfig(venue="oanda", base_url=fake.base, api_key="env:K", account_id=ACCOUNT)
        b = OandaBroker(account, cfg, opts())
        return VenueCase(name, b, fake, clock, "EUR_USD", Decimal(1000), Decimal("1.05000"),
                         rf"/v3/accounts/{ACCOUNT}/orders", rf"/v3/accounts/{ACCOUNT}/summary",
                         reports_partial=False, environ=env)
    if name == "kalshi":
        from tradefleet.orchestrator.execution.venues.kalshi import KalshiBroker
        from tests.fakes.kalshi import FakeKalshi

        pem, pub = _rsa()
        env |= {"K": CANARY["key"], "S": pem}
        fake = FakeKalshi(pub, book)
        cfg = AccountConfig(venue="kalshi", base_url=fake.base, api_key="env:K", api_secret="env:S")
        b = KalshiBroker(account, cfg, opts())
        return VenueCase(name, b, fake, clock, "KXBTC-26NOV30-B42000", Decimal(10), Decimal("0.30"),
                         r"/trade-api/v2/portfolio/orders", r"/trade-api/v2/portfolio/balance", environ=env)
    if name == "polymarket":
        from tradefleet.orchestrator.execution.venues.polymarket import PolymarketBroker
        from tests.fakes.polymarket import TOKEN, FakePolymarket

        env |= {"K": CANARY["key"], "S": base64.urlsafe_b64encode(CANARY["secret"].encode().ljust(32, b"x")).decode(),
                "P": CANARY["pass"], "W": "0x" + "11" * 32}
        fake = FakePolymarket(book)
        cfg = AccountConfig(venue="polymarket", base_url=fake.base, api_key="env:K", api_secret="env:S",
                            extra={"passphrase": "env:P", "private_key": "env:W", "markets": [TOKEN]})
        b = PolymarketBroker(account, cfg, opts())
        return VenueCase(name, b, fake, clock, TOKEN, Decimal(10), Decimal("0.30"), r"/order", r"/balance-allowance",
                         environ=env)
    if name in ("coinbase", "binance"):
        from tradefleet.orchestrator.execution.venues.ccxt_venue import BinanceBroker, CoinbaseBroker

        env |= {"K": CANARY["key"], "S": CANARY["secret"]}
        if name == "coinbase":
            from tests.fakes.ccxt_coinbase import FakeCoinbase

            fake = FakeCoinbase(book)
            cfg = AccountConfig(venue="coinbase", base_url=fake.base, api_key="env:K", api_secret="env:S",
                                extra={"markets": ["BTC/USD"], "quote": "USD"})
            b = CoinbaseBroker(account, cfg, opts())
            return VenueCase(name, b, fake, clock, "BTC/USD", Decimal("0.5"), Decimal(30000),
                             r"/api/v3/brokerage/orders", r"/api/v3/brokerage/accounts", environ=env)
        from tests.fakes.ccxt_binance import FakeBinance

        fake = FakeBinance(book)
        cfg = AccountConfig(venue="binance", base_url=fake.base, api_key="env:K", api_secret="env:S",
                            extra={"markets": ["BTC/USDT"], "quote": "USDT"})
        b = BinanceBroker(account, cfg, opts())
        return VenueCase(name, b, fake, clock, "BTC/USDT", Decimal("0.5"), Decimal(30000), r"/api/v3/order",
                         r"/api/v3/account", environ=env)
    raise ValueError(name)
