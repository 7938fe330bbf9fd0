"""SourceClient against a loopback server: retries on reads with doubling waits on the
injected sleeper, 429 cooldown without network, budget, TTL cache, masked secrets, timeouts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.scrapers.config import SourcePolicy
from tradefleet.scrapers.http import SourceClient, SourceUnavailable
from tradefleet.scrapers.limits import BudgetExhausted, RateLimited
from tests.fakes.fake_http import FakeServer, Reply


@pytest.fixture
def server() -> Iterator[FakeServer]:
    srv = FakeServer([("GET", r"/v1/thing", lambda req: {"ok": True, "q": req.arg("q")})])
    yield srv
    srv.close()


def _client(server: FakeServer, clock: SimClock, sleeps: list[float], **pol: float) -> SourceClient:
    def sleep(s: float) -> None:
        sleeps.append(s)
        clock.advance(s)

    policy = SourcePolicy(**{"retries": 2, "backoff_seconds": 1.0, "ttl_seconds": 60, "timeout_seconds": 2, **pol})
    return SourceClient("demo", server.base, policy, clock, sleep=sleep, params={"api_key": "SECRET"},
                        secret_params=("api_key",))


def test_get_parses_json_and_masks_the_key(server: FakeServer, clock: SimClock) -> None:
    c = _client(server, clock, [])
    f = c.get("/v1/thing", {"q": "x"})
    assert f.json() == {"ok": True, "q": "x"}
    assert "SECRET" not in f.url and "api_key=***" in f.url
    assert server.requests()[0].arg("api_key") == "SECRET"
    assert f.fetched_at == clock.now_ns()


def test_retries_5xx_with_doubling_waits(server: FakeServer, clock: SimClock) -> None:
    sleeps: list[float] = []
    c = _client(server, clock, sleeps)
    server.fault("GET", "/v1/thing", "status", status=503, times=2)
    t0 = clock.now_ns()
    assert c.get("/v1/thing").json()["ok"] is True
    assert sleeps == [1.0, 2.0]
    assert clock.now_ns() - t0 == 3 * NS
    assert len(server.requests()) == 3 and c.budget.used == 3


def test_gives_up_after_retries(server: FakeServer, clock: SimClock) -> None:
    sleeps: list[float] = []
    c = _client(server, clock, sleeps)
    server.fault("GET", "/v1/thing", "status", status=500, times=10)
    with pytest.raises(SourceUnavailable, match=r"demo: .*/v1/thing\?api_key=\*\*\* failed after 3 attempt\(s\): HTTP 500"):
        c.get("/v1/thing")
    assert sleeps == [1.0, 2.0]


def test_dropped_connection_is_retried(server: FakeServer, clock: SimClock) -> None:
    c = _client(server, clock, [])
    server.fault("GET", "/v1/thing", "reset")
    assert c.get("/v1/thing").json()["ok"] is True
    assert len(server.requests()) == 2


def test_429_starts_cooldown_without_network_until_it_ends(server: FakeServer, clock: SimClock) -> None:
    c = _client(server, clock, [], cooldown_seconds=60)
    server.fault("GET", "/v1/thing", "status", status=429, headers={"Retry-After": "90"})
    with pytest.raises(RateLimited, match="HTTP 429"):
        c.get("/v1/thing")
    clock.advance(89)
    with pytest.raises(RateLimited, match="cooling down"):
        c.get("/v1/thing")
    assert len(server.requests()) == 1  # no request while cooling down
    clock.advance(1)
    assert c.get("/v1/thing").json()["ok"] is True
    assert c.cooldown.strikes == 0


def test_budget_exhausted_sends_nothing(server: FakeServer, clock: SimClock) -> None:
    c = _client(server, clock, [], daily_budget=2, ttl_seconds=0)
    c.get("/v1/thing", {"q": "1"})
    c.get("/v1/thing", {"q": "2"})
    with pytest.raises(BudgetExhausted):
        c.get("/v1/thing", {"q": "3"})
    assert len(server.requests()) == 2


def test_ttl_cache_serves_without_network(server: FakeServer, clock: SimClock) -> None:
    c = _client(server, clock, [])
    first = c.get("/v1/thing", {"q": "a"})
    clock.advance(30)
    again = c.get("/v1/thing", {"q": "a"})
    assert again.from_cache and again.fetched_at == first.fetched_at
    assert len(server.requests()) == 1
    clock.advance(30)
    assert not c.get("/v1/thing", {"q": "a"}).from_cache
    assert len(server.requests()) == 2


def test_rate_limit_waits_on_the_sleeper(server: FakeServer, clock: SimClock) -> None:
    sleeps: list[float] = []
    c = _client(server, clock, sleeps, rate_per_minute=60, burst=1, ttl_seconds=0)
    c.get("/v1/thing")
    c.get("/v1/thing")
    assert sleeps == [pytest.approx(1.0)]


def test_401_is_a_refused_key_not_retried(server: FakeServer, clock: SimClock) -> None:
    c = _client(server, clock, [])
    server.fault("GET", "/v1/thing", "status", status=401)
    with pytest.raises(SourceUnavailable, match="key refused"):
        c.get("/v1/thing")
    assert len(server.requests()) == 1


def test_timeout_is_retried_then_reported(clock: SimClock) -> None:
    import threading

    gate = threading.Event()

    def slow(req: object) -> Reply:
        gate.wait(5)
        return Reply({"late": True})

    srv = FakeServer([("GET", r"/slow", slow)])
    try:
        c = SourceClient("slowpoke", srv.base, SourcePolicy(retries=1, timeout_seconds=0.2, backoff_seconds=0),
                         clock, sleep=lambda s: None)
        with pytest.raises(SourceUnavailable, match="slowpoke: .* failed after 2 attempt\\(s\\): ReadTimeout"):
            c.get("/slow")
    finally:
        gate.set()
        srv.close()
