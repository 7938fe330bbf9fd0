"""The offline ``rules`` veto, rule by rule."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradefleet.ai.config import VetoConfig
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.ai.veto.events import load_calendar
from tradefleet.ai.veto.rules import RulesVeto
from tradefleet.orchestrator.clock import NS, SimClock, dt_to_ns
from tradefleet.orchestrator.domain import AssetClass, Direction, Fill, Order, Side, Signal
from tests.ai.fakes import FixedMarket, make_ctx, make_spec


def _at(*args):
    return SimClock(datetime(*args, tzinfo=UTC))


def _review(clock, *, direction=Direction.LONG, entry=100.0, price=100.0, bar_age_h=0.0, spec=None,
            stop=None, target=None, tracker=None, halted=False, **cfg):
    spec = spec or make_spec(instrument="EUR/USD", asset_class=AssetClass.FX, timeframe="1h")
    market = FixedMarket(spec.instruments[0], clock.now_ns() - int(bar_age_h * 3600 * NS), price)
    sig = Signal("t-bot", spec.instruments[0], direction, 0.7, entry, clock.now_ns(), clock.now_ns(), stop, target)
    veto = RulesVeto(VetoConfig(**cfg), tracker or SignalTracker())
    ctx = make_ctx(clock, spec, market)
    if halted:
        from dataclasses import replace

        ctx = replace(ctx, halted=True, halt_reason="daily loss limit")
    return veto.review(sig, ctx)


WED = (2017, 5, 10, 14, 0)  # a Wednesday with no FOMC/CPI within 24 h


def test_clean_signal_is_approved():
    v = _review(_at(*WED))
    assert v.approve and v.reason == "ok"


def test_stale_data():
    assert _review(_at(*WED), bar_age_h=2).approve
    v = _review(_at(*WED), bar_age_h=5)
    assert not v.approve and v.reason == "stale_data" and v.category == "stale_data"


def test_daily_bars_allow_weekends():
    spec = make_spec(instrument="SPX", asset_class=AssetClass.INDEX, timeframe="1d")
    monday = _at(2017, 5, 15, 20, 5)  # 16:05 New York
    assert _review(monday, spec=spec, bar_age_h=72).approve  # Friday's close
    assert _review(monday, spec=spec, bar_age_h=24 * 8).reason == "stale_data"


def test_monthly_bars_are_mean_months_long():
    """"1mo" is the kernel's mean month (30.4375 days; this veto used to count 30)."""
    spec = make_spec(instrument="BTC/USD", asset_class=AssetClass.CRYPTO, timeframe="1mo")
    assert _review(_at(*WED), spec=spec, bar_age_h=24 * 91).approve  # 3 x 30.4375 = 91.3 days
    assert _review(_at(*WED), spec=spec, bar_age_h=24 * 92).reason == "stale_data"


@pytest.mark.parametrize(("direction", "price", "reason"), [
    (Direction.LONG, 100.4, "ok"), (Direction.LONG, 100.6, "price_past_entry"),
    (Direction.SHORT, 99.6, "ok"), (Direction.SHORT, 99.4, "price_past_entry"),
    (Direction.LONG, 98.0, "price_past_stop"), (Direction.SHORT, 101.0, "price_past_stop"),
    (Direction.LONG, 104.0, "price_past_target"),
])
def test_price_moved(direction, price, reason):
    stop, target = (98.5, 103.0) if direction is Direction.LONG else (100.8, 97.0)
    v = _review(_at(*WED), direction=direction, price=price, stop=stop, target=target)
    assert v.reason == reason


def test_event_conflict_fomc_for_usd_pairs_only():
    before = _at(2017, 9, 19, 19, 0)  # FOMC statement 2017-09-20 14:00 New York = 18:00 UTC
    v = _review(before)
    assert not v.approve and v.reason == "event_conflict" and "FOMC" in v.detail
    assert v.data["event_ts"] == dt_to_ns(datetime(2017, 9, 20, 18, 0, tzinfo=UTC))
    eurgbp = make_spec(instrument="EUR/GBP", asset_class=AssetClass.FX)
    assert _review(before, spec=eurgbp).approve
    assert _review(_at(2017, 9, 20, 18, 1)).approve  # after the release
    assert _review(before, event_horizon_hours=12).approve
    assert "CPI" in _review(_at(2017, 6, 13, 19, 0)).detail  # June 2017: CPI came first, same day


def test_event_conflict_cpi():
    v = _review(_at(2018, 3, 12, 20, 0))  # CPI 2018-03-13 08:30 New York
    assert v.reason == "event_conflict" and "CPI" in v.detail


def test_bundled_calendar_is_sorted_and_known_dates_present():
    cal = load_calendar(None)
    ts = [e.ts_ns for e in cal.events]
    assert ts == sorted(ts) and len(ts) > 100
    assert dt_to_ns(datetime(2024, 9, 18, 18, 0, tzinfo=UTC)) in ts  # the Sep 2024 50 bp cut


def test_against_just_closed_trade():
    clock = _at(*WED)
    tracker = SignalTracker()
    now = clock.now_ns()
    for coid, side, ts in (("o1", Side.BUY, now - 10 * 3600 * NS), ("o2", Side.SELL, now - 2 * 3600 * NS)):
        tracker.note_order(Order(coid, "t-bot", "EUR/USD", side, Decimal(1000), ts))
        tracker.note_fill(Fill(coid, "paper", coid, "t" + coid, "EUR/USD", side, Decimal(1000), Decimal("1.1"),
                               Decimal(0), ts, ts))
    v = _review(clock, direction=Direction.SHORT, tracker=tracker)
    assert not v.approve and v.reason == "against_closed_trade"
    assert _review(clock, direction=Direction.LONG, tracker=tracker).approve
    assert _review(clock, direction=Direction.SHORT, tracker=tracker, closed_trade_cooldown_hours=1).approve


def test_outside_session():
    spx = make_spec(instrument="SPX", asset_class=AssetClass.INDEX, timeframe="1d")
    assert _review(_at(2017, 5, 10, 15, 0), spec=spx).approve                       # 11:00 New York
    assert _review(_at(2017, 5, 10, 20, 30), spec=spx).approve                      # 16:30, within grace
    assert _review(_at(2017, 5, 10, 23, 0), spec=spx).reason == "outside_session"   # 19:00
    assert _review(_at(2017, 5, 13, 15, 0), spec=spx, bar_age_h=20).reason == "outside_session"  # Saturday
    fx_sat = _review(_at(2017, 5, 13, 15, 0))
    assert fx_sat.reason == "outside_session"
    btc = make_spec(instrument="BTC/USD", asset_class=AssetClass.CRYPTO, timeframe="1h")
    assert _review(_at(2017, 5, 13, 15, 0), spec=btc).approve


def test_halted():
    v = _review(_at(*WED), halted=True)
    assert v.reason == "halted" and "daily loss" in v.detail
