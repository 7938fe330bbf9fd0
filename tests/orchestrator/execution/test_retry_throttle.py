"""Read retry policy and the token bucket, on a SimClock."""

from __future__ import annotations

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.errors import TransientBrokerError
from tradefleet.orchestrator.execution.retry import RetryPolicy, parse_retry_after
from tradefleet.orchestrator.execution.throttle import TokenBucket, bucket_for


def test_retry_honours_retry_after_then_backs_off_exponentially() -> None:
    clock = SimClock(0)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(clock.now_ns())
        if len(calls) == 1:
            raise TransientBrokerError("429", retry_after=3)
        if len(calls) < 4:
            raise TransientBrokerError("503")
        return "ok"

    policy = RetryPolicy(attempts=4, base_s=1.0, sleep=clock.advance)
    assert policy.call(flaky) == "ok"
    assert policy.waits[0] == 3.0
    assert 1.0 <= policy.waits[1] <= 2.0 and 2.0 <= policy.waits[2] <= 4.0  # base * 2**attempt, equal jitter


def test_retry_gives_up_and_caps_retry_after() -> None:
    policy = RetryPolicy(attempts=2, max_retry_after_s=5, sleep=lambda s: None)
    with pytest.raises(TransientBrokerError, match="gave up after 2"):
        policy.call(lambda: (_ for _ in ()).throw(TransientBrokerError("x", retry_after=600)))
    assert policy.waits == [5]


@pytest.mark.parametrize("raw, value", [("7", 7.0), (" 0.5 ", 0.5), ("Wed, 21 Oct 2026 07:28:00 GMT", None),
                                        (None, None), ("-3", 0.0)])
def test_parse_retry_after(raw: str | None, value: float | None) -> None:
    assert parse_retry_after(raw) == value


def test_token_bucket_rate_over_a_minute() -> None:
    clock = SimClock(0)
    bucket = TokenBucket(rate=200 / 60, burst=10, clock=clock, sleep=clock.advance)
    for _ in range(210):
        bucket.acquire()
    elapsed = clock.now_ns() / 1e9
    assert 59.0 <= elapsed <= 60.5  # 10 burst + 200 at 200/min


def test_token_bucket_without_sleep_reports_the_wait() -> None:
    clock = SimClock(0)
    bucket = TokenBucket(rate=2, burst=1, clock=clock)
    assert bucket.try_acquire() == 0
    assert bucket.try_acquire() == pytest.approx(0.5)
    with pytest.raises(RuntimeError):
        bucket.acquire()
    clock.advance(0.5)
    assert bucket.try_acquire() == 0


def test_bucket_for_uses_published_venue_limits() -> None:
    b = bucket_for("kalshi", SimClock(0), None)
    assert (b.rate, b.burst) == (10.0, 10)
    assert bucket_for("unknown", SimClock(0), None, override=(1, 2)).burst == 2
