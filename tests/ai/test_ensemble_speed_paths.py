"""The ensemble's fast paths give the answers of the code they replace (issue 23).

Each reference below is the replaced implementation, kept here verbatim in spirit: the
numpy/scipy indicators of ``indicators.py``, the signal tracker's full scan, the IC
tracker's per-call resolve and IC, the macro source's per-vote computation. The new paths
must match them exactly (votes, multipliers, decisions), not approximately.
"""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefleet.ai.config import EnsembleConfig
from tradefleet.ai.ensemble.combine import ICTracker, _spearman
from tradefleet.ai.ensemble.gate import EnsembleGate
from tradefleet.ai.ensemble.indicators import bollinger_pct_b, macd, rsi
from tradefleet.ai.ensemble.source import SourceContext, Vote
from tradefleet.ai.ensemble.sources.consensus import BotConsensusSource
from tradefleet.ai.ensemble.sources.external import MLModelSource
from tradefleet.ai.ensemble.sources.macro import MacroSource
from tradefleet.ai.ensemble.sources.technical import MACD_MIN_BARS, MultiTimeframeSource, TechnicalSource
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.orchestrator.clock import SimClock
from tradefleet.orchestrator.domain import AssetClass, Direction, Signal
from tradefleet.orchestrator.market import MarketState
from tradefleet.scrapers.bundled import load_dataset
from tests.ai.fakes import make_ctx, make_spec

SERIES = {name: load_dataset(name) for name in ("eurusd", "sp500", "btcusd")}


# -- the replaced implementations ----------------------------------------------------------
def technical_reference(c: np.ndarray) -> Vote:
    _, hist = macd(c)
    spread = float(np.std(hist[-50:]))
    macd_c = float(np.tanh(hist[-1] / spread)) if spread > 0 else 0.0
    r = rsi(c)
    rsi_c = (30.0 - r) / 30.0 if r < 30 else -(r - 70.0) / 30.0 if r > 70 else 0.0
    pb = bollinger_pct_b(c)
    bb_c = float(np.clip(-pb, 0, 1)) if pb < 0 else float(-np.clip(pb - 1.0, 0, 1)) if pb > 1 else 0.0
    parts = np.array([macd_c, rsi_c, bb_c])
    score = float(np.clip(0.5 * macd_c + 0.25 * rsi_c + 0.25 * bb_c, -1, 1))
    nz = np.sign(parts[parts != 0])
    agreement = abs(nz.sum()) / nz.size if nz.size else 0.0
    return Vote("technical", score, 0.5 + 0.5 * agreement,
                detail={"macd": round(macd_c, 4), "rsi": round(r, 2), "pct_b": round(pb, 4)})


def mtf_reference(closes: np.ndarray, factors: list[int]) -> dict[str, int]:
    dirs = {}
    for f in factors:
        series = closes[::-1][::f][::-1]
        if series.size < 26 + 10:
            continue
        line, _ = macd(series)
        dirs[f"x{f}"] = int(np.sign(line[-1]))
    return dirs


def recent_reference(kept, instrument_now: int, window_ns: int, exclude_bot):
    latest = {}
    for s in kept:
        if s.bot == exclude_bot or s.ts_event > instrument_now or s.ts_event < instrument_now - window_ns:
            continue
        if s.bot not in latest or s.ts_event >= latest[s.bot].ts_event:
            latest[s.bot] = s
    return [latest[b] for b in sorted(latest)]


def spearman_reference(a: np.ndarray, b: np.ndarray) -> float:
    """The rank correlation as it was: ``np.corrcoef`` of the two rank vectors."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    if np.std(ra) == 0 or np.std(rb) == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


class ICReference:
    """ICTracker as it was: every resolve scans every pending vote, every IC is recomputed."""

    def __init__(self, window: int, horizon: int, strength: float) -> None:
        self.window, self.horizon, self.strength = window, horizon, strength
        self._pending = defaultdict(list)
        self._pairs = defaultdict(lambda: deque(maxlen=window))

    def record(self, instrument, bar_ts, close, votes):
        for v in votes:
            if v.voted:
                self._pending[instrument].append((bar_ts, v.source, v.score, close))

    def resolve(self, instrument, bar_ts, closes):
        keep = []
        for ts, source, score, close in self._pending.get(instrument, []):
            i = int(np.searchsorted(bar_ts, ts))
            if i < len(bar_ts) and bar_ts[i] == ts:
                if i + self.horizon < len(bar_ts):
                    self._pairs[source].append((score, float(closes[i + self.horizon] / close - 1.0)))
                else:
                    keep.append((ts, source, score, close))
            elif len(bar_ts) and ts > bar_ts[0]:
                keep.append((ts, source, score, close))
        self._pending[instrument] = keep[-4 * self.window:]

    def ic(self, source):
        pairs = self._pairs.get(source)
        if not pairs or len(pairs) < max(10, self.window // 2):
            return None
        arr = np.asarray(pairs)
        return spearman_reference(arr[:, 0], arr[:, 1])

    def multipliers(self, sources):
        out = {}
        for s in sources:
            ic = self.ic(s)
            out[s] = 1.0 if ic is None else float(np.clip(1.0 + self.strength * ic, 0.0, 2.0))
        return out


# -- tests -----------------------------------------------------------------------------------
def _ctx(closes: np.ndarray, ts: np.ndarray | None, instrument: str = "X") -> SourceContext:
    clock = SimClock(int(ts[-1]) if ts is not None and len(ts) else 0)
    sig = Signal("t-bot", instrument, Direction.LONG, 0.6, 1.0, clock.now_ns(), clock.now_ns())
    return SourceContext(sig, make_ctx(clock, make_spec(instrument=instrument), None), lambda: None, closes,
                         SignalTracker(), ts)


def test_technical_and_mtf_votes_equal_the_numpy_scipy_reference_exactly():
    rng = np.random.default_rng(23)
    tech, mtf = TechnicalSource(), MultiTimeframeSource([1, 4, 12])
    checked = 0
    for name, frame in SERIES.items():
        close = frame["close"].to_numpy(dtype=np.float64)
        ts = frame.index.as_unit("ns").asi8
        for end in rng.integers(MACD_MIN_BARS, len(close) + 1, 120):
            start = max(0, end - 512)
            c, t = close[start:end], ts[start:end]
            got = tech.vote(_ctx(c, t, name))
            ref = technical_reference(c)
            assert (got.score, got.confidence, got.detail) == (ref.score, ref.confidence, ref.detail), (name, end)
            # the same types too: round() of a numpy float and of a float can differ in the last digit
            assert (type(got.score), type(got.confidence)) == (type(ref.score), type(ref.confidence))
            assert tech.vote(_ctx(c, t, name)) == got  # the same bars again: the kept vote
            want = mtf_reference(c, [1, 4, 12])
            vote = mtf.vote(_ctx(c, t, name))
            assert vote.detail.get("timeframes") == want, (name, end)
            checked += 1
    assert checked == 360
    # no bar times (a hand-built context): computed every time, never mixed up
    c = SERIES["sp500"]["close"].to_numpy()[:300]
    assert tech.vote(_ctx(c, None)).score == technical_reference(c).score


def test_technical_vote_is_recomputed_when_the_bars_move():
    frame = SERIES["sp500"]
    close, ts = frame["close"].to_numpy(), frame.index.as_unit("ns").asi8
    tech = TechnicalSource()
    a = tech.vote(_ctx(close[100:612], ts[100:612], "SPX"))
    b = tech.vote(_ctx(close[101:613], ts[101:613], "SPX"))
    assert b == technical_reference(close[101:613]) and a == technical_reference(close[100:612])
    assert a != b


@settings(max_examples=60, deadline=None)
@given(events=st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 40), st.sampled_from([-1, 1]),
                                 st.floats(0.1, 1.0)), min_size=1, max_size=80),
       cap=st.integers(3, 30), now=st.integers(0, 45), window=st.integers(0, 20))
def test_recent_equals_the_full_scan(events, cap, now, window):
    tracker = SignalTracker(max_per_instrument=cap)
    t = 0
    for i, (bot, step, sign, conf) in enumerate(events):
        t = max(0, t + step) if step >= 0 else max(0, t + step)  # mostly forward, sometimes back
        d = Direction.LONG if sign > 0 else Direction.SHORT
        tracker.note_signal(Signal(f"b{bot}", "X", d, conf, 1.0, t, i))
        for exclude in (None, "b0", "b3"):
            got = tracker.recent("X", now, window, exclude_bot=exclude)
            assert got == recent_reference(tracker._signals["X"], now, window, exclude)
            assert tracker.recent("X", t, window, exclude_bot=exclude) == \
                recent_reference(tracker._signals["X"], t, window, exclude)


def test_recent_index_follows_new_bots_later_signals_evictions_and_late_stamps():
    """The per-bot index behind ``recent``: a bot seen for the first time, a later signal
    of a known bot, a signal falling out of the kept deque and a late-stamped arrival
    each change the answer at once (nothing answered from a stale index)."""
    tracker = SignalTracker(max_per_instrument=3)

    def sig(bot, t, i, d=Direction.LONG):
        return Signal(bot, "X", d, 0.5, 1.0, t, i)  # ts_init: the label

    def bots(now=100):
        return [(s.bot, f"s{s.ts_init}") for s in tracker.recent("X", now, 100)]

    tracker.note_signal(sig("b", 10, 1))
    assert bots() == [("b", "s1")]
    tracker.note_signal(sig("a", 11, 2))  # a new bot, sorting first
    assert bots() == [("a", "s2"), ("b", "s1")]
    tracker.note_signal(sig("b", 12, 3))  # b's later signal replaces its first
    assert bots() == [("a", "s2"), ("b", "s3")]
    tracker.note_signal(sig("c", 13, 4))  # s1 falls out of the deque (cap 3)
    assert bots(now=11) == [("a", "s2")]  # (b's s1, stamped 10, is gone)
    tracker.note_signal(sig("d", 14, 5))  # s2 falls out: bot a has nothing left
    assert bots() == [("b", "s3"), ("c", "s4"), ("d", "s5")]
    tracker.note_signal(sig("d", 9, 6))  # a late-stamped arrival: d's newest stays s5
    assert bots() == [("c", "s4"), ("d", "s5")] and bots(now=9) == [("d", "s6")]
    assert all(tracker.recent("X", n, w, exclude_bot=e) == recent_reference(tracker._signals["X"], n, w, e)
               for n in range(0, 20) for w in (0, 3, 100) for e in (None, "c", "d"))


def test_ic_tracker_equals_the_per_call_reference():
    frame = SERIES["eurusd"]
    close, ts = frame["close"].to_numpy(), frame.index.as_unit("ns").asi8
    rng = np.random.default_rng(5)
    new, ref = ICTracker(10, 5, 2.0), ICReference(10, 5, 2.0)  # the pending cap (40) is reached
    sources = ["a", "b", "c"]
    i, capped = 600, 0
    for _ in range(700):
        i += int(rng.choice([0] * 9 + [1, 1, 3]))  # many signals per bar, new bars, gaps
        w = slice(max(0, i + 1 - 64), i + 1)
        votes = [Vote(s, float(rng.uniform(-1, 1)), 1.0) if rng.random() > 0.2 else Vote.abstained(s, "x")
                 for s in sources]
        for t in (new, ref):
            t.resolve("EUR/USD", ts[w], close[w])
            t.record("EUR/USD", int(ts[i]), float(close[i]), votes)
        assert new.multipliers(sources) == ref.multipliers(sources)
        assert [new.ic(s) for s in sources] == [ref.ic(s) for s in sources]
        assert new._pending["EUR/USD"] == ref._pending["EUR/USD"]
        capped += len(ref._pending["EUR/USD"]) == 40
    assert all(new.ic(s) is not None for s in sources) and capped > 5


def test_ic_tracker_drops_votes_older_than_the_history_and_keeps_off_bar_ones_like_the_reference():
    """Votes whose bar is not in the history handed over: kept while newer than its first
    bar, dropped once older (a history that jumped ahead), as the per-call reference does."""
    ts = np.arange(2000, dtype=np.int64) * 10
    close = 100.0 + np.sin(np.arange(2000) / 7.0)
    new, ref = ICTracker(10, 5, 2.0), ICReference(10, 5, 2.0)
    rng = np.random.default_rng(9)
    for end, stamp in ((100, 1000), (101, 1005), (102, 1015), (106, 1060), (400, 3995), (420, 4000), (800, 4001), (805, 8045)):
        w = slice(end - 63, end + 1)
        votes = [Vote(s, float(rng.uniform(-1, 1)), 1.0) for s in ("a", "b")]
        for t in (new, ref):
            t.resolve("X", ts[w], close[w])
            t.record("X", stamp, float(close[end]), votes)
        assert new._pending["X"] == ref._pending["X"], end
        assert [new.resolved(s) for s in "ab"] == [len(ref._pairs[s]) for s in "ab"], end
    assert new._pending["X"] and any(new.resolved(s) for s in "ab")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(60, 400), st.integers(1, 3), st.integers(1, 64)), min_size=1, max_size=60),
       st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_ic_tracker_equals_the_reference_for_any_history_and_stamp_order(steps, horizon, seed):
    """Histories that move on, stay, jump ahead, shrink or go back (votes then arrive out of
    bar order); votes stamped, as the gate stamps them, on the history's last bar: the
    tracker's pending votes and pairs are the reference's after every call (it looks only at
    votes that can resolve while they arrive in bar order)."""
    ts = np.arange(500, dtype=np.int64) * 10
    close = 100.0 + np.sin(np.arange(500) / 5.0)
    rng = np.random.default_rng(seed)
    new, ref = ICTracker(6, horizon, 2.0), ICReference(6, horizon, 2.0)
    for end, nvotes, length in steps:
        w = slice(max(0, end + 1 - length), end + 1)
        votes = [Vote(f"s{j}", float(rng.uniform(-1, 1)), 1.0) for j in range(nvotes)]
        for t in (new, ref):
            t.resolve("X", ts[w], close[w])
            t.record("X", int(ts[end]), float(close[end]), votes)
        assert new._pending["X"] == ref._pending["X"], end
        assert [list(zip(new._scores[f"s{j}"], new._returns[f"s{j}"], strict=True)) for j in range(3)] == [
            list(ref._pairs[f"s{j}"]) for j in range(3)]


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 300), st.integers(0, 2**32 - 1), st.sampled_from(["free", "ties", "same", "reversed", "related"]))
def test_rank_correlation_equals_corrcoef_of_the_ranks_to_the_last_bit(n, seed, shape):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = {"free": rng.normal(size=n), "ties": np.round(rng.normal(size=n), 1), "same": a.copy(), "reversed": -a,
         "related": a * rng.uniform(-2, 2) + rng.normal(size=n)}[shape]
    if shape == "ties":
        a = np.round(a, 1)
    assert _spearman(a, b) == spearman_reference(a, b)


def test_macro_votes_equal_a_fresh_source_every_day():
    kept = MacroSource()
    spec = make_spec(instrument="SPX", asset_class=AssetClass.INDEX)
    start = 1_420_070_400 * 10**9  # 2015-01-01
    for day in range(0, 900, 3):
        for hour in (0, 13):
            clock = SimClock(start + (day * 24 + hour) * 3600 * 10**9)
            sig = Signal("t-bot", "SPX", Direction.LONG, 0.6, 1.0, clock.now_ns(), clock.now_ns())
            ctx = SourceContext(sig, make_ctx(clock, spec, None), lambda: None, np.ones(1), SignalTracker())
            assert kept.vote(ctx) == MacroSource().vote(ctx)


def test_macro_published_counts_equal_searchsorted():
    from tradefleet.ai.ensemble.sources.macro import _DAY, _known, _known_count, _series

    for name, age in (("vix", 7), ("credit", 75)):
        avail, values = _series(name)
        probes = np.concatenate([avail[::37], avail[::41] - 1, avail[::43] + 1, [avail[0] - 1, avail[-1] + 400 * _DAY]])
        for now in probes.tolist():
            n = int(np.searchsorted(avail, now, side="right"))
            want = -1 if n == 0 or now - avail[n - 1] > age * _DAY else n
            assert _known_count(name, now, age) == want
            got = _known(name, now, age)
            assert (got is None) if want < 0 else np.array_equal(got, values[:n])


class _Predictor:
    def __init__(self) -> None:
        self.frames: list = []

    def predict(self, instrument, frame):
        self.frames.append(frame)
        return 0.7


def test_gate_reads_arrays_and_builds_a_frame_only_for_a_source_that_asks():
    frame = SERIES["eurusd"]
    market = MarketState()
    market.load("EUR/USD", frame)
    ts = frame.index.as_unit("ns").asi8
    market.advance("EUR/USD", 1500)
    built = []
    real_frame = market.frame
    market.frame = lambda *a, **k: built.append(a) or real_frame(*a, **k)  # type: ignore[method-assign]
    clock = SimClock(int(ts[1500]))
    cfg = EnsembleConfig()
    sources = [MultiTimeframeSource(cfg.mtf_factors), BotConsensusSource(24), TechnicalSource()]
    gate = EnsembleGate(cfg, market, sources, SignalTracker())
    sig = Signal("t-bot", "EUR/USD", Direction.LONG, 0.6, 1.1, clock.now_ns(), clock.now_ns())
    d = gate.evaluate(sig, make_ctx(clock, make_spec(), market))
    assert built == [] and d.data["voters"] == 2
    predictor = _Predictor()
    gate.sources.append(MLModelSource(predictor))
    sig2 = Signal("u-bot", "EUR/USD", Direction.LONG, 0.6, 1.1, clock.now_ns(), clock.now_ns())
    d2 = gate.evaluate(sig2, make_ctx(clock, make_spec(), market))
    assert len(built) == 1 and d2.data["voters"] == 4
    assert predictor.frames[0].equals(real_frame("EUR/USD", cfg.history_bars))
    assert d2.data["votes"][-1] == {"source": "ml", "score": pytest.approx(0.4), "confidence": pytest.approx(0.4),
                                    "detail": {"p_up": 0.7}}


class _NoModels:
    def load_promoted(self, asset):
        from tradefleet.ml_models.errors import ModelNotReady

        raise ModelNotReady(f"models {asset}: none promoted")


def test_the_registry_ml_source_builds_no_frame_per_signal():
    from tradefleet.ai.ensemble.sources.external import RegistryPredictor

    frame = SERIES["eurusd"]
    market = MarketState()
    market.load("EUR/USD", frame)
    market.advance("EUR/USD", 900)
    built = []
    real_frame = market.frame
    market.frame = lambda *a, **k: built.append(a) or real_frame(*a, **k)  # type: ignore[method-assign]
    clock = SimClock(int(frame.index.as_unit("ns").asi8[900]))
    source = MLModelSource(RegistryPredictor(_NoModels(), market, clock))
    gate = EnsembleGate(EnsembleConfig(), market, [source, TechnicalSource()], SignalTracker())
    sig = Signal("t-bot", "EUR/USD", Direction.LONG, 0.6, 1.1, clock.now_ns(), clock.now_ns())
    d = gate.evaluate(sig, make_ctx(clock, make_spec(), market))
    assert d.data["votes"][0] == {"source": "ml", "abstain": "unavailable: models EUR/USD: none promoted"}
    assert built == []
