"""The Alpaca chain loader, driven through the real alpaca-py clients against the
loopback fake in tests/fakes/alpaca_options.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import AuthError, TransientBrokerError
from tradefleet.risk.options.alpaca_chain import ChainFilter, load_alpaca_chain, make_clients
from tradefleet.risk.options.chain import OptionContract
from tests.fakes.alpaca_options import FakeAlpacaOptions, FakeOption

EXP1, EXP2 = date(2024, 1, 19), date(2024, 2, 16)
CLOCK = SimClock(datetime(2024, 1, 2, 21, 0, tzinfo=UTC))


def _book() -> list[FakeOption]:
    out = []
    for exp in (EXP1, EXP2):
        for k in (460.0, 465.0, 470.0, 475.0, 480.0):
            for kind in ("call", "put"):
                c = OptionContract("SPY", kind, k, exp)
                out.append(FakeOption(c.symbol, "SPY", kind, k, exp, bid=round(k / 100, 2), ask=round(k / 100 + 0.1, 2),
                                      iv=0.12 + k / 10_000, open_interest=int(k) * 10, last=round(k / 100 + 0.05, 2),
                                      greeks={"delta": 0.5, "gamma": 0.01, "rho": 0.1, "theta": -0.2, "vega": 0.3}))
    out.append(FakeOption("QQQ240119C00400000", "QQQ", "call", 400.0, EXP1, 1.0, 1.1, 0.2, 5))
    return out


@pytest.fixture(scope="module")
def server() -> Iterator[FakeAlpacaOptions]:
    f = FakeAlpacaOptions(_book(), {"SPY": 472.65}, page_size=3)
    yield f
    f.close()


@pytest.fixture
def fake(server: FakeAlpacaOptions) -> FakeAlpacaOptions:
    server.server.log.clear()
    server.server.faults.clear()
    return server


def test_loads_a_paged_chain_with_open_interest_and_spot(fake: FakeAlpacaOptions) -> None:
    data, trading, stocks = make_clients("KEY", "SECRET", fake.base, retry_wait=0)
    chain = load_alpaca_chain(data, "SPY", CLOCK.now_ns(), trading=trading, stocks=stocks)
    assert len(chain) == 20 and chain.underlying == "SPY" and chain.asof_ns == CLOCK.now_ns()
    assert chain.spot == 472.65
    q = chain.quote("put", 470.0, EXP2)
    assert (q.bid, q.ask, q.last, q.open_interest) == (4.7, 4.8, 4.75, 4700)
    assert q.iv == pytest.approx(0.167)
    assert q.contract.style == "american" and q.contract.multiplier == 100
    # paging: 20 contracts in pages of 3 on both endpoints
    assert len(fake.server.requests("GET", r"/v1beta1/options/snapshots/SPY")) == 7
    assert len(fake.server.requests("GET", r"/v2/options/contracts")) == 7
    hdr = fake.server.requests("GET", r"/v1beta1/options/snapshots/SPY")[0].headers
    assert hdr["APCA-API-KEY-ID"] == "KEY" and hdr["APCA-API-SECRET-KEY"] == "SECRET"


def test_filters_go_to_the_server(fake: FakeAlpacaOptions) -> None:
    data, trading, _ = make_clients("KEY", "SECRET", fake.base, retry_wait=0)
    f = ChainFilter(kind="call", expiry_lte=EXP1, strike_gte=465.0, strike_lte=475.0)
    chain = load_alpaca_chain(data, "SPY", CLOCK.now_ns(), f, trading=trading, spot=470.0)
    assert [(q.contract.kind, q.contract.strike) for q in chain] == [("call", 465.0), ("call", 470.0), ("call", 475.0)]
    first = fake.server.requests("GET", r"/v1beta1/options/snapshots/SPY")[0]
    assert first.arg("type") == "call" and first.arg("strike_price_gte") == "465.0"
    assert first.arg("expiration_date_lte") == "2024-01-19"
    assert fake.server.requests("GET", r"/v2/options/contracts")[0].arg("type") == "call"


def test_without_trading_client_open_interest_is_unknown(fake: FakeAlpacaOptions) -> None:
    data, _, _ = make_clients("KEY", "SECRET", fake.base, retry_wait=0)
    chain = load_alpaca_chain(data, "SPY", CLOCK.now_ns())
    assert chain.spot is None and all(q.open_interest is None for q in chain)
    assert not fake.server.requests("GET", r"/v2/options/contracts")


def test_bad_credentials_raise_auth_error(fake: FakeAlpacaOptions) -> None:
    data, _, _ = make_clients("KEY", "WRONG", fake.base, retry_wait=0)
    with pytest.raises(AuthError, match="credentials refused \\(401\\)"):
        load_alpaca_chain(data, "SPY", CLOCK.now_ns())


def test_a_single_429_is_retried_by_the_client(fake: FakeAlpacaOptions) -> None:
    data, _, _ = make_clients("KEY", "SECRET", fake.base, retry_wait=0)
    fake.server.fault("GET", r"/v1beta1/options/snapshots/SPY", "status", status=429, headers={"Retry-After": "1"})
    assert len(load_alpaca_chain(data, "SPY", CLOCK.now_ns())) == 20


def test_persistent_429_and_5xx_are_transient(fake: FakeAlpacaOptions) -> None:
    data, _, _ = make_clients("KEY", "SECRET", fake.base, retry_wait=0)
    fake.server.fault("GET", r"/v1beta1/options/snapshots/SPY", "status", status=429,
                      headers={"Retry-After": "7"}, body={"code": 42910000, "message": "too many requests"}, times=10)
    with pytest.raises(TransientBrokerError) as info:
        load_alpaca_chain(data, "SPY", CLOCK.now_ns())
    assert info.value.retry_after == 7.0
    fake.server.faults.clear()
    fake.server.fault("GET", r"/v1beta1/options/snapshots/SPY", "status", status=503)
    with pytest.raises(TransientBrokerError, match="HTTP 503"):
        load_alpaca_chain(data, "SPY", CLOCK.now_ns())


def test_dropped_connection_is_transient(fake: FakeAlpacaOptions) -> None:
    data, _, _ = make_clients("KEY", "SECRET", fake.base, retry_wait=0)
    fake.server.fault("GET", r"/v1beta1/options/snapshots/SPY", "reset")
    with pytest.raises(TransientBrokerError, match="ConnectionError"):
        load_alpaca_chain(data, "SPY", CLOCK.now_ns())
