"""Entries per local day (max_trades_per_day): counted per scope, reset at the local midnight
of the counter's timezone, kept across a restart on the same day (risk/limits.py TradeCounter)."""

from __future__ import annotations

from tradefleet.risk.config import PortfolioRiskConfig
from tradefleet.risk.limits import KEY, TradeCounter, resolve
from tradefleet.risk.persistence import MemoryRiskStore
from tests.risk.fakes import T0

H = 3_600 * 1_000_000_000
NY_MIDNIGHT = T0 + 17 * H  # T0 is 2026-01-01 07:00 in New York; the next local midnight is 05:00 UTC


def _limits(**kw: object):  # type: ignore[no-untyped-def]
    return resolve(PortfolioRiskConfig.model_validate(kw), "a", "fx")


def test_each_entry_counts_once_for_the_account_its_bot_and_its_fleet() -> None:
    tc = TradeCounter("UTC")
    tc.add("a", "fx", T0)
    tc.add("a", "fx", T0)
    tc.add("b", "eq", T0)
    assert (tc.today("global", ""), tc.today("bot", "a"), tc.today("fleet", "fx")) == (3, 2, 2)
    assert (tc.today("bot", "b"), tc.today("fleet", "eq"), tc.today("bot", "c")) == (1, 1, 0)


def test_trades_per_day_binds_at_its_cap_in_each_scope() -> None:
    tc = TradeCounter("UTC")
    lim = _limits(max_trades_per_day=3, bots={"a": {"max_trades_per_day": 1}}, fleets={"fx": {"max_trades_per_day": 2}})
    assert tc.breach(lim, "a", "fx", T0) is None  # nothing yet today
    tc.add("a", "fx", T0)
    assert tc.breach(lim, "a", "fx", T0) == "max_trades_per_day_bot"
    b = resolve(PortfolioRiskConfig.model_validate({"max_trades_per_day": 3, "fleets": {"fx": {"max_trades_per_day": 2}}}),
                "b", "fx")
    assert tc.breach(b, "b", "fx", T0) is None  # fleet fx: 1 of 2
    tc.add("b", "fx", T0)
    assert tc.breach(b, "b", "fx", T0) == "max_trades_per_day_fleet"
    c = _limits(max_trades_per_day=3)
    assert tc.breach(c, "c", "eq", T0) is None  # 2 of 3 overall
    tc.add("c", "eq", T0)
    assert tc.breach(c, "c", "eq", T0) == "max_trades_per_day_global"


def test_a_cap_of_zero_allows_no_entry_and_a_count_over_the_cap_still_binds() -> None:
    tc = TradeCounter("UTC")
    assert tc.breach(_limits(bots={"a": {"max_trades_per_day": 0}}), "a", "fx", T0) == "max_trades_per_day_bot"
    for _ in range(3):
        tc.add("a", "fx", T0)
    # the cap was lowered during the day below what was already done
    assert tc.breach(_limits(max_trades_per_day=2), "a", "fx", T0) == "max_trades_per_day_global"


def test_counts_reset_exactly_at_local_midnight_of_the_counter_timezone() -> None:
    tc = TradeCounter("America/New_York")
    lim = _limits(max_trades_per_day=1)
    tc.add("a", "fx", T0)
    assert tc.breach(lim, "a", "fx", NY_MIDNIGHT - 1) == "max_trades_per_day_global"  # 23:59:59.999999999 local
    assert tc.day == "2026-01-01"
    assert tc.breach(lim, "a", "fx", NY_MIDNIGHT) is None  # 00:00 local: a new day
    assert tc.day == "2026-01-02" and tc.today("global", "") == 0
    tc.add("a", "fx", NY_MIDNIGHT + H)
    assert tc.breach(lim, "a", "fx", NY_MIDNIGHT + 23 * H) == "max_trades_per_day_global"  # still Jan 2 locally
    assert tc.breach(lim, "a", "fx", NY_MIDNIGHT + 24 * H) is None  # and the next midnight resets again
    assert tc.day == "2026-01-03"


def test_counts_survive_a_restart_on_the_same_day_only() -> None:
    store = MemoryRiskStore()
    lim = _limits(max_trades_per_day=2)
    tc = TradeCounter("UTC", store)
    tc.add("a", "fx", T0)
    tc.add("b", "eq", T0)
    assert store.load_risk_state(KEY) == {"day": "2026-01-01",
                                          "counts": {"global:": 2, "bot:a": 1, "fleet:fx": 1, "bot:b": 1, "fleet:eq": 1}}
    again = TradeCounter("UTC", store)  # a restart later the same day
    assert again.today("bot", "a") == 1
    assert again.breach(lim, "a", "fx", T0 + H) == "max_trades_per_day_global"
    later = TradeCounter("UTC", store)  # a restart the next day starts from zero
    assert later.breach(lim, "a", "fx", T0 + 24 * H) is None and later.today("global", "") == 0


def test_counts_saved_for_another_day_never_count_today_whichever_way_the_dates_run() -> None:
    store = MemoryRiskStore()
    store.save_risk_state(KEY, {"day": "2026-01-05", "counts": {"global:": 9}}, T0)  # a later day's state
    tc = TradeCounter("UTC", store)
    assert tc.breach(_limits(max_trades_per_day=2), "a", "fx", T0) is None  # now is 2026-01-01
    assert tc.today("global", "") == 0


def test_a_counter_without_a_store_counts_in_memory() -> None:
    tc = TradeCounter("UTC")
    tc.add("a", "fx", T0)
    assert tc.today("global", "") == 1 and tc.store is None
