"""The ensemble: weights, sources on real bundled data, suppression, and no lookahead."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefleet.ai.config import DEFAULT_WEIGHTS, EnsembleConfig
from tradefleet.ai.ensemble.combine import combine
from tradefleet.ai.ensemble.gate import EnsembleGate, builtin_sources
from tradefleet.ai.ensemble.source import SourceContext, Vote
from tradefleet.ai.ensemble.sources.consensus import BotConsensusSource
from tradefleet.ai.ensemble.sources.external import MLModelSource, NewsSentimentSource
from tradefleet.ai.ensemble.sources.macro import MacroSource
from tradefleet.ai.ensemble.sources.technical import MultiTimeframeSource, TechnicalSource
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.orchestrator.clock import SimClock, dt_to_ns
from tradefleet.orchestrator.domain import AssetClass, Direction, Signal, Verdict
from tradefleet.scrapers.bundled import load_dataset
from tests.ai.fakes import FrameData, FrameMarket, make_ctx, make_spec

EUR = load_dataset("eurusd")
TS = EUR.index.as_unit("ns").asi8


def _offline_sources(cfg: EnsembleConfig) -> list:
    return [MLModelSource(None), MultiTimeframeSource(cfg.mtf_factors), BotConsensusSource(cfg.consensus_window_hours),
            TechnicalSource(), MacroSource(), NewsSentimentSource(None)]


def _gate(clock, frames=None, **cfg):
    config = EnsembleConfig(**cfg)
    data = FrameData(frames or {"EUR/USD": EUR}, clock)
    return EnsembleGate(config, data, _offline_sources(config), SignalTracker()), data


def _sig(clock, bot="t-bot", direction=Direction.LONG, conf=0.6, instrument="EUR/USD"):
    return Signal(bot, instrument, direction, conf, 1.1, clock.now_ns(), clock.now_ns())


def test_default_weights_and_builtin_sources():
    assert sum(DEFAULT_WEIGHTS.values()) == 105  # the brief's eight (95) plus the whale tracker (10)
    assert set(builtin_sources()) == set(DEFAULT_WEIGHTS)
    assert DEFAULT_WEIGHTS["ml"] == 20 and DEFAULT_WEIGHTS["news"] == 5


def test_combine_normalises_over_voters():
    votes = [Vote("technical", 1.0, 1.0), Vote("mtf", -0.5, 0.8), Vote.abstained("ml", "unavailable: x")]
    res = combine(votes, DEFAULT_WEIGHTS)
    assert res.voters == 2 and res.weights == pytest.approx({"technical": 0.4, "mtf": 0.6})
    assert res.score == pytest.approx(0.4 * 1.0 - 0.6 * 0.5 * 0.8)
    assert combine([Vote.abstained("ml", "x")], DEFAULT_WEIGHTS).voters == 0


def test_vote_rejects_out_of_range():
    with pytest.raises(ValueError):
        Vote("x", 1.5, 0.5)
    with pytest.raises(ValueError):
        Vote("x", 0.5, -0.1)


def test_technical_matches_pandas_reference():
    closes = EUR["close"].to_numpy()[:400]
    s = pd.Series(closes)
    line = s.ewm(span=12, adjust=False).mean() - s.ewm(span=26, adjust=False).mean()
    hist = line - line.ewm(span=9, adjust=False).mean()
    clock = SimClock(int(TS[399]))
    ctx = make_ctx(clock, make_spec(), None)
    vote = TechnicalSource().vote(SourceContext(_sig(clock), ctx, EUR.iloc[:400], closes, SignalTracker()))
    expect_macd = np.tanh(hist.iloc[-1] / hist.iloc[-50:].std(ddof=0))
    assert vote.detail["macd"] == pytest.approx(expect_macd, abs=1e-4)
    assert -1 <= vote.score <= 1 and 0.5 <= vote.confidence <= 1


def test_gate_records_every_vote_and_abstention():
    clock = SimClock(int(TS[1200]))
    gate, data = _gate(clock)
    d = gate.evaluate(_sig(clock), make_ctx(clock, make_spec(), FrameMarket(data)))
    votes = {v["source"]: v for v in d.data["votes"]}
    assert set(votes) == {"ml", "mtf", "consensus", "technical", "macro", "news"}
    assert votes["ml"]["abstain"].startswith("unavailable:")
    assert votes["news"]["abstain"].startswith("unavailable:")
    assert votes["macro"]["abstain"].startswith("not applicable")  # FX
    assert "score" in votes["technical"] and "score" in votes["mtf"]
    assert d.data["voters"] == 2 and set(d.data["weights"]) == {"technical", "mtf"}
    expected = {Verdict.PASS: d.data["aligned"] >= 0.05, Verdict.REJECT: d.data["aligned"] <= -0.30}
    assert expected.get(d.verdict, -0.30 < d.data["aligned"] < 0.05)


def test_gate_decision_follows_signal_direction():
    clock = SimClock(int(TS[1200]))
    decisions = []
    for direction in (Direction.LONG, Direction.SHORT):  # fresh gates: no consensus between them
        gate, data = _gate(clock, pass_threshold=0.0, reject_threshold=0.0001)
        ctx = make_ctx(clock, make_spec(), FrameMarket(data))
        decisions.append(gate.evaluate(_sig(clock, direction=direction), ctx))
    long_d, short_d = decisions
    assert long_d.data["score"] == short_d.data["score"] != 0
    assert {long_d.verdict, short_d.verdict} == {Verdict.PASS, Verdict.REJECT}


def test_gate_suppresses_weaker_opposing_signal():
    clock = SimClock(int(TS[1200]))
    gate, data = _gate(clock)
    ctx = make_ctx(clock, make_spec(), FrameMarket(data))
    gate.evaluate(_sig(clock, bot="strong", conf=0.9), ctx)
    weak = gate.evaluate(_sig(clock, bot="weak", direction=Direction.SHORT, conf=0.5), ctx)
    assert weak.verdict is Verdict.REJECT and weak.reason == "opposing_signal"
    assert weak.data["opposing"]["bot"] == "strong"
    exit_ = gate.evaluate(_sig(clock, bot="weak", direction=Direction.FLAT), ctx)
    assert exit_.verdict is Verdict.PASS


def test_consensus_counts_other_bots_only():
    clock = SimClock(int(TS[1200]))
    tracker = SignalTracker()
    for bot, direction in (("a", Direction.LONG), ("b", Direction.LONG), ("c", Direction.SHORT)):
        tracker.note_signal(_sig(clock, bot=bot, direction=direction, conf=1.0))
    src = BotConsensusSource(24)
    ctx = make_ctx(clock, make_spec(), None)
    vote = src.vote(SourceContext(_sig(clock, bot="a"), ctx, EUR.iloc[:10], np.ones(10), tracker))
    assert vote.score == pytest.approx(0.0) and vote.confidence == pytest.approx(2 / 3)
    clock.advance(25 * 3600)
    ctx = make_ctx(clock, make_spec(), None)
    assert not src.vote(SourceContext(_sig(clock, bot="z"), ctx, EUR.iloc[:10], np.ones(10), tracker)).voted


def test_ml_and_news_sources_use_installed_providers():
    class Predictor:
        def predict(self, instrument, frame):
            return 0.7 if instrument == "EUR/USD" else None

    class News:
        def sentiment(self, instrument, since, until):
            return [(since + 1, 0.5), (until - 1, -0.1), (until + 10, 1.0)]  # the last is in the future

    clock = SimClock(int(TS[1200]))
    sctx = SourceContext(_sig(clock), make_ctx(clock, make_spec(), None), EUR.iloc[:10], np.ones(10), SignalTracker())
    ml = MLModelSource(Predictor()).vote(sctx)
    assert ml.score == pytest.approx(0.4) and ml.confidence == pytest.approx(0.4)
    news = NewsSentimentSource(News()).vote(sctx)
    assert news.score == pytest.approx(0.2) and news.detail["headlines"] == 2


def test_macro_source_uses_only_published_values():
    src = MacroSource()
    spec = make_spec(instrument="SPX", asset_class=AssetClass.INDEX)
    clock = SimClock(datetime(2016, 2, 12, 21, tzinfo=UTC))  # early-2016 sell-off: VIX high, spreads wide
    sctx = SourceContext(_sig(clock, instrument="SPX"), make_ctx(clock, spec, None), EUR.iloc[:1], np.ones(1), SignalTracker())
    vote = src.vote(sctx)
    assert set(vote.detail) == {"vix", "credit"} and vote.detail["vix"] < 0 and vote.score < 0
    late = SimClock(datetime(2021, 6, 1, tzinfo=UTC))
    sctx = SourceContext(_sig(late, instrument="SPX"), make_ctx(late, spec, None), EUR.iloc[:1], np.ones(1), SignalTracker())
    assert src.vote(sctx).abstain.startswith("unavailable: no bundled macro series covers 2021-06-01")
    # the VIX close of 2016-02-11 is known on the 12th, the 12th's only from the 13th
    from tradefleet.ai.ensemble.sources.macro import _known

    assert _known("vix", dt_to_ns(datetime(2016, 2, 12, 23, tzinfo=UTC)), 7)[-1] == pytest.approx(28.14, abs=0.01)


def test_broken_source_abstains_without_stopping_others():
    class Boom:
        name = "boom"
        network = False

        def vote(self, ctx):
            raise RuntimeError("kaput")

    clock = SimClock(int(TS[1200]))
    config = EnsembleConfig(weights={**DEFAULT_WEIGHTS, "boom": 50})
    data = FrameData({"EUR/USD": EUR}, clock)
    gate = EnsembleGate(config, data, [Boom(), TechnicalSource()], SignalTracker())
    d = gate.evaluate(_sig(clock), make_ctx(clock, make_spec(), FrameMarket(data)))
    assert d.data["votes"][0]["abstain"].startswith("error: RuntimeError") and d.data["voters"] == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(times=st.lists(st.integers(700, 1400), min_size=2, max_size=6, unique=True), noise_seed=st.integers(0, 10**6),
       adaptive=st.booleans())
def test_future_bars_never_change_past_votes(times, noise_seed, adaptive):
    times = sorted(times)
    cut = times[len(times) // 2]
    rng = np.random.default_rng(noise_seed)
    future = EUR.copy()
    bump = np.exp(rng.normal(0, 0.01, len(future) - cut - 1))
    for col in ("open", "high", "low", "close"):
        future.iloc[cut + 1:, future.columns.get_loc(col)] *= bump
    runs = []
    for frame in (EUR, future):
        clock = SimClock(int(TS[times[0]]))
        gate, data = _gate(clock, {"EUR/USD": frame}, adaptive=adaptive, ic_window=10, ic_horizon_bars=2)
        out = []
        for i, t in enumerate(times):
            clock.set_ns(int(TS[t]))
            ctx = make_ctx(clock, make_spec(), FrameMarket(data))
            d = gate.evaluate(_sig(clock, bot=f"b{i % 2}", conf=0.5 + 0.05 * i), ctx)
            out.append((t, d.verdict, d.reason, d.scale, d.data))
        runs.append(out)
    for (t, *a), (_, *b) in zip(*runs, strict=True):
        if t <= cut:
            assert a == b
