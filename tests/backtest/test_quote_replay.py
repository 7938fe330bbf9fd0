"""Validation of event bots by quote replay, on a crafted session whose answer is known:
two longshots the fader sells (buys NO at 0.95), one resolving NO (won), one YES (lost)."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest

from tradefleet.backtest.config import ValidationConfig
from tradefleet.app.quote_replay import RoundTrip, metrics, round_trips, validate_by_quote_replay
from tradefleet.bots.prediction.bots import KALSHI_LONGSHOT_FADER
from tradefleet.bots.prediction.market import BinaryQuote, ContractTerms, PredictionSnapshot
from tradefleet.bots.prediction.session import SessionWriter
from tradefleet.app.config import AppConfig

T0 = 1_794_787_200 * 10**9  # 2026-11-21 00:00 UTC
STEP = 300 * 10**9
N = 12  # one hour of 5-minute snapshots


def _session(path: Path, kind: str) -> Path:
    w = SessionWriter(path, {"kind": kind, "note": "crafted for a test"}).open()
    terms = {"KXHIGHNY-T90": ContractTerms("KXHIGHNY-T90", "weather", "high", 90.0),
             "KXFED-T500": ContractTerms("KXFED-T500", "politics", "rate", 5.0)}
    for i in range(N):
        ts = T0 + i * STEP
        quotes = {s: BinaryQuote(s, "kalshi", 0.05, 0.07, ts, 500, 500) for s in terms}
        w.append(PredictionSnapshot(ts, quotes, terms))
    w.settle({"high": 80.0, "rate": 6.0})  # 90F strike: NO pays; 5% strike: YES pays
    w.flush()
    return path


def _kalshi_fee(qty: Decimal, price: Decimal) -> Decimal:
    return (Decimal("0.07") * qty * price * (1 - price)).quantize(Decimal("0.01"), rounding="ROUND_CEILING")


LOOSE = ValidationConfig(min_trades=2, min_win_rate=0.5, min_sharpe=-100.0)


def test_quote_replay_validation_known_answer(tmp_path: Path) -> None:
    app = AppConfig(replay={"snapshots": str(_session(tmp_path / "rec", "recorded"))})
    rec = validate_by_quote_replay(KALSHI_LONGSHOT_FADER, app, LOOSE)
    assert rec.error == "" and rec.data.startswith("recorded:")
    vals = {c.name: c.value for c in rec.checks}
    assert vals["trades"] == 2 and vals["win_rate"] == 0.5 and vals["recorded_data"] is True
    assert rec.passed
    # the answer by hand: each trip bought NO at 1 - 0.05 (sold YES at the 0.05 bid, Kalshi's fee on
    # the touch) and settled at 0 (NO paid) or 1 (YES paid), without a fee
    trips = {t["instrument"]: t for t in rec.walk_forward["round_trips"]}
    assert set(trips) == {"KXHIGHNY-T90", "KXFED-T500"}
    for inst, settle in (("KXHIGHNY-T90", 0), ("KXFED-T500", 1)):
        q = Decimal(repr(trips[inst]["quantity"]))
        expected = q * (Decimal("0.05") - settle) - _kalshi_fee(q, Decimal("0.05"))
        assert trips[inst]["pnl"] == pytest.approx(float(expected), abs=1e-9)
        assert q * Decimal("0.95") <= Decimal(repr(AppConfig().risk.max_position_pct)) * 100_000  # sized at the NO price
    assert rec.metrics["pnl"] == pytest.approx(sum(t["pnl"] for t in trips.values()))
    r = [t["pnl"] / 100_000 for t in trips.values()]
    mean, sd = sum(r) / 2, math.sqrt(sum((x - sum(r) / 2) ** 2 for x in r))
    span_years = (N - 1) * STEP / 10**9 / (365.25 * 86_400)
    assert vals["sharpe"] == pytest.approx(mean / sd * math.sqrt(2 / span_years))


def test_round_trips_and_metrics_by_hand() -> None:
    d = Decimal
    fills = [("A", "sell", d(100), d("0.05"), _kalshi_fee(d(100), d("0.05")), 1),
             ("B", "sell", d(200), d("0.05"), _kalshi_fee(d(200), d("0.05")), 1),
             ("A", "buy", d(100), d(0), d(0), 10),      # settles NO: the short keeps 0.05
             ("B", "buy", d(200), d(1), d(0), 10),      # settles YES: the short pays 0.95
             ("C", "buy", d(10), d("0.40"), d("0.17"), 3),
             ("C", "sell", d(30), d("0.50"), d("0.36"), 5),  # closes 10 (flip) and opens -20
             ("C", "buy", d(20), d("0.45"), d(0), 7)]
    trips = round_trips(fills)
    assert [(t.instrument, t.closed_ns) for t in trips] == [("C", 5), ("A", 10), ("B", 10), ("C", 7)] or \
        sorted((t.instrument, t.closed_ns) for t in trips) == [("A", 10), ("B", 10), ("C", 5), ("C", 7)]
    by = {(t.instrument, t.closed_ns): t.pnl for t in trips}
    assert by[("A", 10)] == pytest.approx(100 * 0.05 - 0.34)
    assert by[("B", 10)] == pytest.approx(200 * (0.05 - 1) - 0.67)
    assert by[("C", 5)] == pytest.approx(10 * (0.50 - 0.40) - 0.17 - 0.12)
    assert by[("C", 7)] == pytest.approx(20 * (0.50 - 0.45) - 0.24)
    m = metrics([RoundTrip("x", 0, 1, 100.0), RoundTrip("y", 0, 1, -50.0)], 100_000.0, 365 * 86_400 * 10**9)
    r = [0.001, -0.0005]
    mean, sd = sum(r) / 2, math.sqrt(sum((x - sum(r) / 2) ** 2 for x in r))
    per_year = 2 / (365 / 365.25)
    assert m["trades"] == 2 and m["win_rate"] == 0.5 and m["sharpe"] == pytest.approx(mean / sd * math.sqrt(per_year))


def test_generated_data_never_counts_toward_the_live_gate(tmp_path: Path) -> None:
    app = AppConfig(replay={"snapshots": str(_session(tmp_path / "gen", "synthetic"))})
    rec = validate_by_quote_replay(KALSHI_LONGSHOT_FADER, app, LOOSE)
    vals = {c.name: c.value for c in rec.checks}
    assert vals["trades"] == 2 and vals["win_rate"] == 0.5  # the same result ...
    assert not rec.passed and rec.failed_checks == ["recorded_data"]  # ... marked generated: No-Go
    assert rec.data.startswith("synthetic:") and rec.metrics["synthetic"] == 1.0


def test_bundled_synthetic_session_validates_every_event_bot_as_no_go() -> None:
    rec = validate_by_quote_replay(KALSHI_LONGSHOT_FADER, AppConfig(), ValidationConfig())
    assert rec.error == "" and not rec.passed and "recorded_data" in rec.failed_checks
