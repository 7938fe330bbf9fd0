from __future__ import annotations

from tradefleet.bots.prediction.bots import KALSHI_WEATHER
from tradefleet.bots.prediction.guards import GuardLimits, QuoteGuard
from tradefleet.bots.prediction.market import BinaryQuote, PredictionSnapshot, load_fixture
from tradefleet.orchestrator.bot import TickContext


def _q(mid: float, size: float = 10.0) -> BinaryQuote:
    return BinaryQuote("X", "kalshi", round(mid - 0.01, 4), round(mid + 0.01, 4), 0, size, size)


def _feed(guard: QuoteGuard, mids: list[float]) -> None:
    for m in mids:
        guard.observe(_q(m))


def test_guard_passes_a_quiet_book_and_flags_a_spike() -> None:
    g = QuoteGuard(GuardLimits(window=5, max_spike=0.10, max_drift=0.5, max_vwap_dev=0.5))
    assert g.check(_q(0.30)) is None            # no history yet
    _feed(g, [0.30, 0.31, 0.30, 0.29])
    assert g.check(_q(0.32)) is None
    assert g.check(_q(0.45)) == "spike"


def test_guard_flags_drift_and_vwap_deviation() -> None:
    g = QuoteGuard(GuardLimits(window=5, max_spike=1.0, max_drift=0.15, max_vwap_dev=1.0))
    _feed(g, [0.20, 0.25, 0.30, 0.34, 0.38])     # steady climb: window starts at 0.20
    assert g.check(_q(0.40)) == "drift"
    v = QuoteGuard(GuardLimits(window=5, max_spike=1.0, max_drift=1.0, max_vwap_dev=0.05))
    v.observe(_q(0.30, size=1000.0))             # the heavy quote dominates the VWAP
    v.observe(_q(0.40, size=1.0))
    assert v.check(_q(0.40)) == "vwap"


def test_bot_skips_a_spiking_contract() -> None:
    snaps = load_fixture("handwritten_synthetic")
    bot = KALSHI_WEATHER.build()
    raw = {"ts_ns": snaps[0].ts_ns - 60_000_000_000,
           "quotes": [{"symbol": "KXHIGHNY-T85", "venue": "kalshi", "yes_bid": 0.60, "yes_ask": 0.62}]}
    pre = PredictionSnapshot.from_json(raw)
    ctx = lambda s: TickContext("w", s.ts_ns, KALSHI_WEATHER.instruments, market=None, data=s)  # noqa: E731
    assert bot.on_tick(ctx(pre)) == []           # no terms at 61c: nothing, but the quote is remembered
    assert bot.on_tick(ctx(snaps[0])) == []      # 61c -> 24c in a minute: a spike, skipped
    assert bot.skipped["KXHIGHNY-T85"] == "spike"  # type: ignore[attr-defined]
