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


# -- figures the operator reads, and the edges of the rules (issue 25: mutation survivors) --

NY = __import__("zoneinfo").ZoneInfo(TZ)


def _local_midnight_ns(y: int, mo: int, d: int) -> int:
    """Local midnight in New York, computed independently of the guard."""
    return dt_to_ns(datetime(y, mo, d, tzinfo=NY))


def test_report_gives_the_exact_figures_before_and_after_a_halt() -> None:
    store = MemoryRiskStore()
    g = _guard(store)
    fresh = g.report(100_000.0)
    assert fresh["start_equity"] == 0.0 and fresh["limit"] == 0.0 and fresh["use"] == 0.0 and fresh["day"] is None
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 98_000.0)
    r = g.report(98_000.0)
    assert (r["scope"], r["day"], r["start_equity"], r["loss"], r["limit"]) == ("fleet", "2026-03-02", 100_000.0,
                                                                                2_000.0, 5_000.0)
    assert r["use"] == pytest.approx(0.4) and not r["halted"] and r["reason"] == ""
    assert r["since_ns"] is None and r["expires_ns"] is None
    tripped = _ns(2026, 3, 2, 17)
    assert g.update(tripped, 94_000.0)
    r = g.report(94_000.0)
    assert r["loss"] == 6_000.0 and r["use"] == pytest.approx(1.2) and r["halted"]
    assert r["reason"] == "daily_loss: lost 6,000.00 since start of day (6.00% of 100,000.00) >= limit 5,000.00"
    assert r["since_ns"] == tripped and r["expires_ns"] == _local_midnight_ns(2026, 3, 3)
    saved = store.load_risk_state("daily_loss")
    assert saved is not None and saved["expires_ns"] == _local_midnight_ns(2026, 3, 3) and saved["halted"]
    assert saved["base"] == 100_000.0 and saved["mark"] == 94_000.0 and saved["scope"] == "fleet"


def test_an_up_day_is_a_negative_loss_and_never_halts() -> None:
    g = _guard(MemoryRiskStore())
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    assert g.loss(130_000.0) == -30_000.0
    assert not g.update(_ns(2026, 3, 2, 16), 130_000.0)
    assert g.report(130_000.0)["use"] == pytest.approx(-6.0)


def test_an_account_with_no_equity_at_the_start_of_the_day_never_halts() -> None:
    g = _guard(MemoryRiskStore())
    g.update(_ns(2026, 3, 2, 15), 0.0)
    assert not g.update(_ns(2026, 3, 2, 16), -50.0)  # nothing to take a percentage of


def test_the_day_rolls_exactly_at_local_midnight_across_the_clock_change() -> None:
    """US clocks go forward on 2026-03-08: that local day is 23 hours long."""
    g = _guard(MemoryRiskStore())
    g.update(_local_midnight_ns(2026, 3, 7) + 12 * 3600 * 10**9, 100_000.0)
    assert g.day_end_ns() == _local_midnight_ns(2026, 3, 8)
    g.update(_local_midnight_ns(2026, 3, 8) - 1, 99_000.0)
    assert g.day == "2026-03-07"
    g.update(_local_midnight_ns(2026, 3, 8), 98_000.0)  # exactly midnight: a new day
    assert g.day == "2026-03-08" and g.base == 99_000.0  # based on the last mark before midnight
    assert g.day_end_ns() == _local_midnight_ns(2026, 3, 9)
    assert g.day_end_ns() - _local_midnight_ns(2026, 3, 8) == 23 * 3600 * 10**9


def test_a_halted_guard_reads_the_store_once_per_poll_interval() -> None:
    store, bus = MemoryRiskStore(), InProcessBus()
    alerts: list[object] = []
    bus.subscribe(Topic.ALERTS, lambda t, e: alerts.append(e))
    g = _guard(store, bus=bus)  # default poll: one second
    t = _ns(2026, 3, 2, 15)
    g.update(t, 100_000.0)
    assert g.update(t + 10**9, 90_000.0)
    assert g.update(t + 11 * 10**8, 90_000.0)  # polls now (nothing changed); the next poll is a second later
    store.set_control("fleet", halted=False, reason="checked", actor="cli:alice", ts_ns=t + 12 * 10**8)
    assert g.update(t + 21 * 10**8 - 1, 90_000.0)  # not yet: under a second since the last poll
    assert not g.update(t + 21 * 10**8, 90_000.0)  # the poll picks up the operator's resume
    assert g.base == 90_000.0
    resumed = [a for a in alerts if a.kind == "daily_loss_resumed"]  # type: ignore[attr-defined]
    assert [a.reason for a in resumed] == ["resumed by cli:alice"]  # type: ignore[attr-defined]


def test_a_resume_without_an_actor_is_credited_to_the_operator() -> None:
    store, bus = MemoryRiskStore(), InProcessBus()
    alerts: list[object] = []
    bus.subscribe(Topic.ALERTS, lambda t, e: alerts.append(e))
    g = _guard(store, bus=bus)
    t = _ns(2026, 3, 2, 15)
    g.update(t, 100_000.0)
    g.update(t + 10**9, 90_000.0)
    store.set_control("fleet", halted=False, reason="", actor="", ts_ns=t + 2 * 10**9)
    assert not g.update(t + 3 * 10**9, 90_000.0)
    assert [a.reason for a in alerts if a.kind == "daily_loss_resumed"] == ["resumed by operator"]  # type: ignore[attr-defined]


def test_resume_clears_the_stored_halt() -> None:
    store = MemoryRiskStore()
    g = _guard(store)
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 90_000.0)
    assert store.control("fleet").halted  # type: ignore[union-attr]
    g.resume("operator", _ns(2026, 3, 2, 16, 5), 90_000.0, reason="checked the book")
    row = store.control("fleet")
    assert row is not None and not row.halted and row.reason == "daily_loss: checked the book" and row.actor == "operator"
    assert store.load_risk_state("daily_loss")["expires_ns"] is None  # type: ignore[index]


def test_midnight_clears_only_the_daily_loss_halt_not_a_breaker_at_the_same_scope() -> None:
    """A circuit breaker also writes its halt as the risk actor: the daily reset must not lift it."""
    store = MemoryRiskStore()
    g = _guard(store)
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 90_000.0)
    store.set_control("fleet", halted=True, reason="extreme_move: SPX -12%", actor="risk", ts_ns=_ns(2026, 3, 2, 17))
    g.update(_ns(2026, 3, 3, 15), 90_000.0)
    row = store.control("fleet")
    assert row is not None and row.halted and row.reason.startswith("extreme_move")


def test_resume_actors_match_by_kind_as_well_as_by_name() -> None:
    from tradefleet.risk.daily_loss import authorised

    allowed = ["operator", "cli"]
    assert authorised("operator", allowed) and authorised("cli", allowed)
    assert authorised("cli:alice", allowed)  # the kind of cli:alice is listed
    assert not authorised("mallory", allowed) and not authorised("mallory:cli", allowed)
    assert not authorised("dashboard:bob", allowed)
    store = MemoryRiskStore()
    g = _guard(store, DailyLossConfig(resume_actors=["cli"]))
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 90_000.0)
    with pytest.raises(ResumeRefused):
        g.resume("dashboard:bob", _ns(2026, 3, 2, 16, 1), 90_000.0)
    g.resume("cli:alice", _ns(2026, 3, 2, 16, 2), 90_000.0)
    assert not g.halted


def test_an_account_in_deficit_reports_no_limit() -> None:
    g = _guard(MemoryRiskStore())
    g.update(_ns(2026, 3, 2, 15), -100.0)
    r = g.report(-100.0)
    assert r["limit"] == 0.0 and r["use"] == 0.0 and not r["halted"]


def test_a_limit_under_one_unit_still_reports_its_use() -> None:
    g = _guard(MemoryRiskStore(), DailyLossConfig(pct=None, amount=0.5))
    g.update(_ns(2026, 3, 2, 15), 100.0)
    assert g.report(99.8)["use"] == pytest.approx(0.4)


@pytest.mark.parametrize("actor", ["operator", "telegram:bob"])
def test_midnight_never_clears_an_operators_daily_loss_halt(actor: str) -> None:
    """An operator who re-halts after a daily-loss trip (naming the daily loss as the reason)
    keeps the fleet halted past midnight: only the risk actor's own halt is reset."""
    store = MemoryRiskStore()
    g = _guard(store)
    g.update(_ns(2026, 3, 2, 15), 100_000.0)
    g.update(_ns(2026, 3, 2, 16), 90_000.0)
    store.set_control("fleet", halted=True, reason="daily_loss: keep it halted until I look", actor=actor,
                      ts_ns=_ns(2026, 3, 2, 17))
    g.update(_ns(2026, 3, 3, 15), 90_000.0)
    row = store.control("fleet")
    assert row is not None and row.halted and row.actor == actor


def test_midnight_reset_through_the_real_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The store hands back its own strings (not the risk module's constants): the reset still matches."""
    from tradefleet.orchestrator.store import Store

    with Store.open(f"sqlite:///{tmp_path}/s.db") as store:
        g = DailyLossGuard(DailyLossConfig(), TZ, store, MemoryRiskStore(), AlertSink(None))
        g.update(_ns(2026, 3, 2, 15), 100_000.0)
        assert g.update(_ns(2026, 3, 2, 16), 90_000.0) and store.control("fleet").halted
        assert not g.update(_ns(2026, 3, 3, 15), 90_000.0)
        assert not store.control("fleet").halted
