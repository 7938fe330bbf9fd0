"""Rate limit, daily budget, 429 cooldown and TTL cache, all on a SimClock."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefleet.orchestrator.clock import NS, SimClock
from tradefleet.scrapers.limits import DAY_NS, BudgetExhausted, Cooldown, DailyBudget, RateLimited, RateLimiter, TTLCache


def test_rate_limiter_allows_burst_then_paces(clock: SimClock) -> None:
    rl = RateLimiter(per_minute=60, burst=3, clock=clock)
    for _ in range(3):
        assert rl.wait_seconds() == 0
        rl.take()
    assert rl.wait_seconds() == pytest.approx(1.0)
    clock.advance(0.5)
    assert rl.wait_seconds() == pytest.approx(0.5)
    clock.advance(0.5)
    assert rl.wait_seconds() == 0


def test_daily_budget_resets_at_utc_midnight() -> None:
    clock = SimClock(3 * DAY_NS - 10 * NS)  # 23:59:50 UTC
    b = DailyBudget("newsapi", 2, clock)
    b.spend()
    b.spend()
    with pytest.raises(BudgetExhausted, match="newsapi: daily budget of 2 requests spent"):
        b.spend()
    assert b.remaining == 0
    clock.advance(10)  # 00:00:00 UTC
    assert b.remaining == 2
    b.spend()


def test_cooldown_escalates_honours_retry_after_and_resets(clock: SimClock) -> None:
    cd = Cooldown("newsapi", base_s=60, cap_s=600, clock=clock)
    cd.check()
    assert cd.strike(None) == 60
    with pytest.raises(RateLimited) as err:
        cd.check()
    assert err.value.retry_at_ns == clock.now_ns() + 60 * NS
    clock.advance(60)
    cd.check()
    assert cd.strike(None) == 120
    assert cd.strike(5) == 240  # a short Retry-After does not shorten the escalated wait
    assert cd.strike(None) == 480
    assert cd.strike(None) == 600  # capped
    assert cd.strike(10_000) == 600  # Retry-After is capped too
    cd.reset()
    assert cd.strike(None) == 60


def test_cooldown_longer_retry_after_wins(clock: SimClock) -> None:
    cd = Cooldown("odds", base_s=60, cap_s=3600, clock=clock)
    assert cd.strike(300) == 300


def test_ttl_cache_expires_on_clock(clock: SimClock) -> None:
    c: TTLCache[str] = TTLCache(ttl_s=10, clock=clock)
    c.put("k", "v")
    clock.advance(9.9)
    hit = c.get("k")
    assert hit is not None and hit.value == "v"
    clock.advance(0.1)
    assert c.get("k") is None


def test_budget_survives_a_restart_through_the_ledger(tmp_path: Path, clock: SimClock) -> None:
    from tradefleet.scrapers.limits import BudgetLedger

    path = tmp_path / "budgets.json"
    first = DailyBudget("odds", 3, clock, BudgetLedger(path))
    first.spend()
    first.spend()
    again = DailyBudget("odds", 3, clock, BudgetLedger(path))  # a new process, same day
    assert again.used == 2
    again.spend()
    with pytest.raises(BudgetExhausted):
        again.spend()
    clock.advance(86_400)
    assert DailyBudget("odds", 3, clock, BudgetLedger(path)).remaining == 3  # a new day starts empty


def test_corrupt_ledger_is_named(tmp_path: Path) -> None:
    from tradefleet.orchestrator.errors import DataError
    from tradefleet.scrapers.limits import BudgetLedger

    p = tmp_path / "budgets.json"
    p.write_text("{not json")
    with pytest.raises(DataError, match="unreadable budget ledger"):
        BudgetLedger(p)
