"""The whale tracker votes in the ensemble: a prediction bot's signal carries its snapshot's
large-order flow, and that vote alone turns a pass into a refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradefleet.ai.config import EnsembleConfig
from tradefleet.ai.ensemble.gate import EnsembleGate, builtin_sources
from tradefleet.ai.ensemble.sources.technical import TechnicalSource
from tradefleet.ai.ensemble.sources.whale import WhaleFlowSource
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.bots.prediction.bots import LongshotFaderBot, LongshotParams
from tradefleet.bots.prediction.market import BinaryQuote, PredictionSnapshot
from tradefleet.orchestrator.bot import TickContext
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import AssetClass, Verdict
from tests.ai.fakes import FrameData, FrameMarket, make_ctx, make_spec

SYM = "KXHIGHNY-T90"
T0 = pd.Timestamp("2026-11-18", tz="UTC")


def _signal(flow: dict[str, float], now: int):
    snap = PredictionSnapshot(now, {SYM: BinaryQuote(SYM, "kalshi", 0.05, 0.07, now, 500, 400)}, flow=flow)
    (sig,) = LongshotFaderBot(LongshotParams()).on_tick(TickContext("fader", now, (SYM,), None, snap))
    return sig


def _gate(clock: SimClock) -> tuple[EnsembleGate, FrameData]:
    idx = pd.date_range(T0 - pd.Timedelta(minutes=5 * 199), T0, freq="5min").as_unit("ns")
    mid = np.full(len(idx), 0.06)
    frame = pd.DataFrame({"open": mid, "high": mid + 0.01, "low": mid - 0.01, "close": mid, "volume": 0.0}, index=idx)
    data = FrameData({SYM: frame}, clock)
    return EnsembleGate(EnsembleConfig(adaptive=False), data, [TechnicalSource(), WhaleFlowSource()],
                        SignalTracker()), data


def test_whale_flow_against_the_entry_turns_a_pass_into_a_refusal() -> None:
    clock = SimClock(int(T0.value))
    now = clock.now_ns()
    spec = make_spec("fader", SYM, AssetClass.PREDICTION)
    gate, data = _gate(clock)
    ctx = make_ctx(clock, spec, FrameMarket(data))
    quiet = _signal({}, now)  # the fader buys NO on a longshot; no large orders
    assert quiet.direction.sign == -1 and "flow" not in quiet.meta
    d_quiet = gate.evaluate(quiet, ctx)
    assert d_quiet.verdict is not Verdict.REJECT
    gate2, _ = _gate(clock)
    loud = _signal({SYM: 0.9}, now)  # whales have been buying YES hard
    assert loud.meta["flow"] == 0.9
    d_loud = gate2.evaluate(loud, ctx)
    assert d_loud.verdict is Verdict.REJECT and d_loud.reason == "ensemble_disagrees"
    whale = next(v for v in d_loud.data["votes"] if v["source"] == "whale")
    assert whale["score"] == 0.9 and whale["confidence"] == 1.0
    # whale selling agrees with the NO entry: it passes
    gate3, _ = _gate(clock)
    assert gate3.evaluate(_signal({SYM: -0.9}, now), ctx).verdict is Verdict.PASS


def test_whale_is_a_builtin_voter_that_abstains_without_flow() -> None:
    assert "whale" in builtin_sources() and "whale" in EnsembleConfig().sources
