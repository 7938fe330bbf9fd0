"""The sources fed by other components: ML registry, news through the data hub and the
sentiment scorer, funding through the data hub. Each abstains rather than guess."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tradefleet.ai.ensemble.source import SourceContext
from tradefleet.ai.ensemble.sources.external import (
    CryptoDerivativesSource,
    HubNewsSentiment,
    MLModelSource,
    NewsSentimentSource,
    RegistryPredictor,
)
from tradefleet.ai.ensemble.tracker import SignalTracker
from tradefleet.orchestrator.clock import NS, SimClock, dt_to_ns
from tradefleet.app.config import AppConfig
from tradefleet.orchestrator.domain import AssetClass, Direction, Signal
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.alt.derivatives import Derivatives
from tradefleet.scrapers.alt.news import Article
from tradefleet.scrapers.bundled import load_dataset
from tradefleet.scrapers.provenance import Provenance, Sourced
from tests.ai.fakes import make_ctx, make_services, make_spec

NOW = datetime(2024, 3, 12, 15, 0, tzinfo=UTC)
BTC = make_spec(instrument="BTC/USD", asset_class=AssetClass.CRYPTO, timeframe="1h")


class FakeHub:
    """A data hub whose sources answer from memory (the real hub is tested in tests/scrapers)."""

    def __init__(self, **sources):
        self.sources = sources

    def source(self, name):
        return self.sources[name]


class Funding:
    def __init__(self, rate, published_at, fail=False):
        self.rate, self.published_at, self.fail = rate, published_at, fail
        self.asked = []

    def latest(self, symbol):
        self.asked.append(symbol)
        if self.fail:
            raise DataError("funding: binance BTC/USDT:USDT: NetworkError: down")
        return Sourced(Derivatives(symbol, self.rate, None, 70_000.0, 1.5e5, 1.0e10),
                       Provenance("funding", "ccxt:binance", self.published_at, self.published_at))


class News:
    def __init__(self, articles):
        self.articles = articles

    def headlines(self, query, limit=20):
        self.query = query
        return Sourced(self.articles, Provenance("news", "rss", 0, None))


def _sctx(clock, spec, instrument="BTC/USD"):
    now = clock.now_ns()
    sig = Signal("t-bot", instrument, Direction.LONG, 0.6, 100.0, now, now)
    return SourceContext(sig, make_ctx(clock, spec, None), load_dataset("btcusd").iloc[:10], np.ones(10), SignalTracker())


def test_derivatives_funding_is_read_contrarian():
    clock = SimClock(NOW)
    funding = Funding(0.0005, clock.now_ns() - 600 * NS)
    vote = CryptoDerivativesSource(FakeHub(funding=funding)).vote(_sctx(clock, BTC))
    assert vote.score == pytest.approx(-np.tanh(1.0)) and vote.confidence == 0.5
    assert funding.asked == ["BTC/USDT:USDT"] and vote.detail["open_interest"] == 1.5e5


def test_derivatives_abstains_on_errors_stale_data_and_non_crypto():
    clock = SimClock(NOW)
    src = CryptoDerivativesSource(FakeHub(funding=Funding(0.0, 0, fail=True)))
    assert src.vote(_sctx(clock, BTC)).abstain.startswith("unavailable: funding: binance")
    stale = CryptoDerivativesSource(FakeHub(funding=Funding(0.0001, clock.now_ns() - 3 * 86_400 * NS)))
    assert "not current" in stale.vote(_sctx(clock, BTC)).abstain
    future = CryptoDerivativesSource(FakeHub(funding=Funding(0.0001, clock.now_ns() + NS)))
    assert "not current" in future.vote(_sctx(clock, BTC)).abstain
    assert src.vote(_sctx(clock, make_spec(), "EUR/USD")).abstain.startswith("not applicable")
    replay = make_services(AppConfig(), clock, {})
    assert CryptoDerivativesSource.build(replay).vote(_sctx(clock, BTC)).abstain.endswith("not recorded for replay")


def test_news_through_hub_and_lexicon_scorer():
    clock = SimClock(NOW)
    now = clock.now_ns()
    arts = [Article("Bitcoin rally achieves record profitability and improvement", "u1", "x", now - 3600 * NS),
            Article("Bitcoin slumps on losses and fraud concerns", "u2", "x", now - 7200 * NS),
            Article("Old news", "u3", "x", now - 3 * 86_400 * NS),
            Article("From the future", "u4", "x", now + NS),
            Article("Undated", "u5", "x", None)]
    news = News(arts)
    provider = HubNewsSentiment(FakeHub(news=news), None)
    items = provider.sentiment("BTC/USD", now - 86_400 * NS, now)
    assert news.query == "bitcoin" and [t for t, _ in items] == [now - 3600 * NS, now - 7200 * NS]
    from tradefleet.ml_models.sentiment import score_texts

    expected = score_texts([arts[0].title, arts[1].title])
    assert [s for _, s in items] == pytest.approx(expected)
    assert expected[0] > 0 > expected[1]
    vote = NewsSentimentSource(provider).vote(_sctx(clock, BTC))
    assert vote.score == pytest.approx(sum(expected) / 2) and vote.detail["headlines"] == 2


def test_news_abstains_in_replay_and_without_headlines():
    clock = SimClock(NOW)
    replay = make_services(AppConfig(), clock, {})
    assert NewsSentimentSource.build(replay).vote(_sctx(clock, BTC)).abstain.endswith("not recorded for replay")
    empty = NewsSentimentSource(HubNewsSentiment(FakeHub(news=News([])), None))
    assert empty.vote(_sctx(clock, BTC)).abstain == "no headlines in the last day"


def test_ml_source_reads_the_registry_and_abstains_without_a_model(tmp_path):
    from tradefleet.ml_models.registry import ModelRegistry

    clock = SimClock(NOW)
    services = make_services(AppConfig.model_validate({"ml": {"root": str(tmp_path)}}), clock, {})
    src = MLModelSource.build(services)
    assert isinstance(src.predictor, RegistryPredictor)
    assert isinstance(src.predictor.registry, ModelRegistry) and src.predictor.registry.root == tmp_path
    vote = src.vote(_sctx(clock, BTC))
    assert vote.abstain.startswith("unavailable:") and "no promoted model" in vote.abstain
    assert dt_to_ns(NOW) == clock.now_ns()


class _Promotions:
    """A registry whose promotion is switched by the test; counts the reads."""

    def __init__(self) -> None:
        self.reads = 0
        self.model: object | None = None

    def load_promoted(self, asset):
        from tradefleet.ml_models.errors import ModelNotReady

        self.reads += 1
        if self.model is None:
            raise ModelNotReady(f"models {asset}: no promoted model (read {self.reads})")
        return self.model


class _Card:
    train_end = "2020-01-01"
    params: dict = {}


class _Model:
    card = _Card()

    def predict_proba(self, frame, now):
        return 0.8


class _Frames:
    def frame(self, instrument, bars=None):
        return None


@pytest.mark.parametrize("mode, pinned", [("replay", True), ("paper", False), ("live", False)])
def test_a_replay_pins_the_promotion_it_started_with_and_paper_or_live_follow_promotions(mode, pinned, tmp_path):
    """A replay reads each asset's promotion once: a promotion made while it runs never
    changes its votes (reproducible), and the promotion pointer is not read per vote. A
    paper or live run reads it at every vote: a promotion takes effect at the next signal."""
    clock = SimClock(NOW)
    services = make_services(AppConfig.model_validate({"mode": mode, "ml": {"root": str(tmp_path)}}), clock, {})
    src = MLModelSource.build(services)
    assert src.predictor.pinned is pinned
    reg = src.predictor.registry = _Promotions()
    src.predictor.data = _Frames()
    first = src.vote(_sctx(clock, BTC))
    assert first.abstain == "unavailable: models BTC/USD: no promoted model (read 1)"
    reg.model = _Model()  # promoted while the run goes on
    votes = [src.vote(_sctx(clock, BTC)) for _ in range(3)]
    if pinned:
        assert reg.reads == 1 and all(v == first for v in votes)
    else:
        assert reg.reads == 4 and all(v.score == pytest.approx(0.6) for v in votes)
