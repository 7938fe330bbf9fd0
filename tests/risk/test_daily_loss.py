"""Daily loss limit: trips, persists across restarts, resets at local midnight, resumes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.orchestrator.bus import InProcessBus, Topic
from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.risk.alerts import AlertSink
from tradefleet.risk.config import DailyLossConfig
from tradefleet.risk.daily_loss import DailyLossGuard, ResumeRefused
from tradefleet.risk.persistence import MemoryRiskStore

TZ = "America/New_York"


def _ns(y: int, mo: int, d: int, h: int, mi: int = 0) -> int:
    return dt_to_ns(datetime(y, mo, d, h, mi, tzinfo=UTC))


def _guard(store: MemoryRiskStore, cfg: DailyLossConfig | None = None, bus: InProcessBus | None = None) -> DailyLossGuard:
    return DailyLossGuard(cfg or DailyLossConfig(), TZ, store, store, AlertSink(bus))


def test_daily_loss_trips_at_five_percent_and_writes_fleet_halt() -> None:
    store, bus = MemoryRiskStore(), InProcessBus()
    alerts: list[object] = []
    bus.subscribe(Topic.ALERTS, lambda t, e: alerts.append(e))
    g = _guard(store, bus=bus)
    assert not g.update(_ns(2026, 3, 2, 15), 100_000.0)
    assert not g.update(_ns(2026, 3, 2, 16), 95_001.0)
    assert g.update(_ns(2026, 3, 2, 17), 95_000.0)
    row = store.control("fleet")
    assert row is not None and row.halted and row.actor == "risk" and row.reason.startswith("daily_loss")
    assert [a.kind for a in alerts] == ["daily_loss_halt"]  # type: ignore[attr-defined]


def test_daily_loss_halt_survives_restart_same_day_and_resets_at_local_midnight() -> None:
    store = MemoryRiskStore()
    g = _guard(store)
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 20), 90_000.0)
    assert g.halted
    g2 = _guard(store)  # restart
    assert g2.update(_ns(2026, 3, 2, 23), 99_000.0)  # still halted, even though recovered
    assert g2.base == 100_000.0
    # 04:59 UTC on Mar 3 is 23:59 in New York: same local day
    assert g2.update(_ns(2026, 3, 3, 4, 59), 99_000.0)
    assert not g2.update(_ns(2026, 3, 3, 5, 1), 99_000.0)
    assert g2.base == 99_000.0 and not store.control("fleet").halted  # type: ignore[union-attr]


def test_daily_loss_midnight_never_clears_an_operator_halt() -> None:
    store = MemoryRiskStore()
    g = _guard(store)
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 80_000.0)
    store.set_control("fleet", halted=True, reason="manual", actor="operator", ts_ns=_ns(2026, 3, 2, 16, 5))
    g.update(_ns(2026, 3, 3, 15), 80_000.0)
    assert store.control("fleet").halted  # type: ignore[union-attr]


def test_daily_loss_resume_requires_authorised_actor_and_rebases() -> None:
    store = MemoryRiskStore()
    g = _guard(store)
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 94_000.0)
    with pytest.raises(ResumeRefused):
        g.resume("mallory", _ns(2026, 3, 2, 16, 1), 94_000.0)
    g.resume("operator", _ns(2026, 3, 2, 16, 1), 94_000.0)
    assert not g.halted and g.base == 94_000.0
    assert not g.update(_ns(2026, 3, 2, 17), 90_000.0)
    assert g.update(_ns(2026, 3, 2, 18), 89_300.0)  # 5% of the new base


def test_daily_loss_follows_operator_resume_written_to_store() -> None:
    store = MemoryRiskStore()
    g = _guard(store)
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 94_000.0)
    store.set_control("fleet", halted=False, reason="ok", actor="cli", ts_ns=_ns(2026, 3, 2, 16, 2))
    assert not g.update(_ns(2026, 3, 2, 16, 3), 94_000.0)


def test_daily_loss_amount_and_pct_use_the_tighter() -> None:
    store = MemoryRiskStore()
    g = _guard(store, DailyLossConfig(pct=0.05, amount=1_000.0))
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    assert g.limit() == 1_000.0
    assert g.update(_ns(2026, 3, 2, 16), 98_999.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6 * 3600), st.floats(50_000, 150_000)), min_size=1, max_size=30),
       st.integers(1, 29))
def test_daily_loss_halt_survives_restart_property(steps: list[tuple[int, float]], cut: int) -> None:
    """Whatever the path, a guard rebuilt from the store agrees with the one that ran."""
    store = MemoryRiskStore()
    g = _guard(store)
    now = _ns(2026, 3, 2, 14)
    for i, (dt, eq) in enumerate(steps):
        now += dt * 1_000_000_000
        g.update(now, eq)
        if i == min(cut, len(steps) - 1):
            break
    restarted = _guard(store)
    assert restarted.update(now, eq) == g.halted
    assert restarted.base == g.base
