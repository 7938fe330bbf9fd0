from __future__ import annotations

import pytest

from tradefleet.bots.prediction.base import MINUTE_NS
from tradefleet.bots.prediction.bots import (
    KALSHI_CPI,
    KALSHI_LONGSHOT_FADER,
    KALSHI_POLY_ARB,
    KALSHI_SPORTS,
    KALSHI_WEATHER,
    PREDICTION_SPECS,
)
from tradefleet.bots.prediction.edge import devig, kalshi_fee
from tradefleet.bots.prediction.market import PredictionSnapshot, load_fixture
from tradefleet.orchestrator.bot import BotSpec, EventBot, TickContext
from tradefleet.orchestrator.domain import Direction, Signal
from tradefleet.orchestrator.errors import DataError


@pytest.fixture(scope="module")
def snaps() -> list[PredictionSnapshot]:
    return load_fixture("handwritten_synthetic")


def _tick(spec: BotSpec, snap: PredictionSnapshot, bot: EventBot | None = None,
          now: int | None = None) -> list[Signal]:
    b = bot or spec.build()
    assert isinstance(b, EventBot)
    return b.on_tick(TickContext(spec.name, now or snap.ts_ns, spec.instruments, market=None, data=snap))


def test_specs_are_valid_event_bots() -> None:
    for spec in PREDICTION_SPECS:
        bot = spec.build()
        assert isinstance(bot, EventBot) and spec.family == "prediction" and spec.bot.description


def test_longshot_fader_buys_no_on_overpriced_longshots(snaps: list[PredictionSnapshot]) -> None:
    sigs = _tick(KALSHI_LONGSHOT_FADER, snaps[0])
    by = {s.instrument: s for s in sigs}
    # KXHIGHNY-T90 at 5/6c: p_true = 0.6 * 0.055 = 0.033; NO costs 0.95 + fee
    fee = kalshi_fee(0.95, 100) / 100
    assert by["KXHIGHNY-T90"].direction is Direction.SHORT
    assert by["KXHIGHNY-T90"].meta["edge"] == pytest.approx(1 - 0.033 - 0.95 - fee)
    # KXFED-T500 at 3/4c: NO costs 0.97 and p_true 0.021: edge 0.009 - fee < 1c: not worth it
    assert "KXFED-T500" not in by


def test_cross_venue_arb_is_one_two_leg_intent_with_a_hedge_plan(snaps: list[PredictionSnapshot]) -> None:
    from tradefleet.bots.prediction.bots import locked_edge
    from tradefleet.orchestrator.intents import Atomic, LegRisk, OrderIntent

    (intent,) = _tick(KALSHI_POLY_ARB, snaps[0])
    assert isinstance(intent, OrderIntent)
    assert [(leg.instrument, int(leg.ratio)) for leg in intent.legs] == [("KXFED-T425", 1), ("POLY-FED-CUT-DEC", -1)]
    assert intent.atomic is Atomic.ALL_OR_NONE and intent.leg_risk is LegRisk.HEDGE
    # YES at 0.40 on Kalshi + NO at 1 - 0.45 on Polymarket, after Kalshi's fee (Polymarket: none)
    locked = 1 - 0.40 - 0.55 - kalshi_fee(0.40, 100) / 100
    q = snaps[0].quotes
    assert locked_edge(q["KXFED-T425"], q["POLY-FED-CUT-DEC"]) == pytest.approx(locked)
    assert f"{locked:.4f}" in intent.tag


def test_weather_needs_consensus_and_the_price_cap(snaps: list[PredictionSnapshot]) -> None:
    sigs = _tick(KALSHI_WEATHER, snaps[0])
    by = {s.instrument: s for s in sigs}
    # T85: GFS ~0.9 and NWS ~0.79 both far above the 25c ask: buy YES under the 30c cap
    assert by["KXHIGHNY-T85"].direction is Direction.LONG and by["KXHIGHNY-T85"].entry == 0.25
    # T80: YES is 58c: over the cap; T90: the models say ~0.07-0.23, NO costs 95c: over the cap
    assert set(by) == {"KXHIGHNY-T85"}
    assert len(by["KXHIGHNY-T85"].meta["sources"]) == 2


def test_weather_routing_ignores_other_domains(snaps: list[PredictionSnapshot]) -> None:
    spec = BotSpec(name="w", bot=KALSHI_WEATHER.bot, instruments=("KXCPI-T3.0",), schedule=KALSHI_WEATHER.schedule,
                   timeframe="5m", asset_class=KALSHI_WEATHER.asset_class, params=dict(KALSHI_WEATHER.params))
    assert _tick(spec, snaps[0]) == []


def test_reentry_cooldown_and_contradictory_thresholds(snaps: list[PredictionSnapshot]) -> None:
    bot = KALSHI_WEATHER.build()
    assert len(_tick(KALSHI_WEATHER, snaps[0], bot)) == 1          # YES on > 85 at t0
    # +10 min: T85 again is inside the 30-minute cooldown (and T80's YES at 92c is over the cap)
    assert _tick(KALSHI_WEATHER, snaps[1], bot) == []
    # +35 min: the cooldown has passed
    again = _tick(KALSHI_WEATHER, snaps[2], bot)
    assert [s.instrument for s in again] == ["KXHIGHNY-T85"]
    assert snaps[2].ts_ns - snaps[0].ts_ns == 35 * MINUTE_NS


def test_contradictory_threshold_is_blocked() -> None:
    from tradefleet.bots.prediction.base import _Interval, implied_interval
    from tradefleet.bots.prediction.market import ContractTerms

    yes85 = implied_interval(ContractTerms("a", "weather", "v", 85.0), 1, _Interval())
    assert yes85.lo == 85.0
    no80 = implied_interval(ContractTerms("b", "weather", "v", 80.0), -1, yes85)
    assert no80.lo >= no80.hi                                   # X > 85 and X <= 80: impossible
    no90 = implied_interval(ContractTerms("c", "weather", "v", 90.0), -1, yes85)
    assert (no90.lo, no90.hi) == (85.0, 90.0)                   # consistent: 85 < X <= 90


def test_nowcast_bot_uses_economics_sources(snaps: list[PredictionSnapshot]) -> None:
    sigs = _tick(KALSHI_CPI, snaps[0])
    by = {s.instrument: s for s in sigs}
    # CPI > 3.0: Cleveland Fed (3.1 +- 0.1) and FRED (3.15 +- 0.2) both say ~0.77-0.84 vs a 20c ask
    assert by["KXCPI-T3.0"].direction is Direction.LONG
    # GDP > 2.0: only GDPNow speaks: one source is no consensus
    assert "KXGDP-T2.0" not in by


def test_sports_bot_against_devigged_books(snaps: list[PredictionSnapshot]) -> None:
    sigs = _tick(KALSHI_SPORTS, snaps[0])
    fair = devig(snaps[0].odds["KXNBA-LAL-BOS"][0])   # the median book
    assert fair == pytest.approx(0.3333, abs=1e-3)
    assert [s.direction for s in sigs] == [Direction.LONG]
    assert sigs[0].meta["edge"] == pytest.approx(fair - 0.26 - kalshi_fee(0.26, 100) / 100)


def test_event_bot_ignores_ticks_without_a_snapshot() -> None:
    assert KALSHI_WEATHER.build().on_tick(TickContext("x", 0, ("KXHIGHNY-T85",), market=None, data=None)) == []


def test_bad_fixture_is_reported() -> None:
    with pytest.raises(DataError, match="no prediction fixture"):
        load_fixture("nope")
    with pytest.raises(DataError, match="bid"):
        PredictionSnapshot.from_json({"ts_ns": 1, "quotes": [{"symbol": "a", "venue": "kalshi", "yes_bid": 0.6,
                                                              "yes_ask": 0.5}]})


def test_on_tick_blocks_a_bet_that_contradicts_an_open_one(snaps: list[PredictionSnapshot]) -> None:
    bot = KALSHI_WEATHER.build()
    assert [s.instrument for s in _tick(KALSHI_WEATHER, snaps[0], bot)] == ["KXHIGHNY-T85"]   # X > 85
    later = snaps[0].ts_ns + 60 * MINUTE_NS
    cold = {  # the forecasts turn cold: NO on "> 80" (X <= 80) now has a big edge at 25c
        "ts_ns": later,
        "quotes": [{"symbol": "KXHIGHNY-T80", "venue": "kalshi", "yes_bid": 0.75, "yes_ask": 0.78}],
        "terms": [{"symbol": "KXHIGHNY-T80", "domain": "weather", "variable": "nyc_high_2024-07-03", "strike": 80.0}],
        "forecasts": [{"source": "gfs_ensemble", "variable": "nyc_high_2024-07-03", "mean": 77.0, "sigma": 1.5},
                      {"source": "nws", "variable": "nyc_high_2024-07-03", "mean": 77.5, "sigma": 2.0}],
    }
    snap = PredictionSnapshot.from_json(cold)
    assert _tick(KALSHI_WEATHER, snap, bot) == []                      # contradicts X > 85
    fresh = [s.instrument for s in _tick(KALSHI_WEATHER, snap)]         # a bot without the open bet
    assert fresh == ["KXHIGHNY-T80"]
