"""Sources fed by other components, each abstaining (``"unavailable: ..."``) when its
input is missing; none ever fabricates a score.

* ``ml``: the promoted per-asset model of the ML registry (``tradefleet.ml_models.registry``).
  A model trained on data past "now" is refused (it would look ahead in a replay).
* ``news``: headlines from the data hub (NewsAPI, else RSS) scored by
  ``tradefleet.ml_models.sentiment`` (a local FinBERT-style model, else the Loughran-McDonald lexicon).
  Live and paper only: headlines are not recorded for replay.
* ``derivatives``: perpetual funding rate and open interest from the data hub (ccxt).
  Live and paper only, for the same reason.

Tests and integrations can inject ``services.extras["ml.predictor"]`` (``predict(instrument,
frame) -> float | None``, an up-probability) and ``services.extras["news.sentiment"]``
(``sentiment(instrument, since_ns, until_ns) -> list[(ts_ns, score)]``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tradefleet.ai.ensemble.source import SourceContext, Vote
from tradefleet.orchestrator.clock import NS
from tradefleet.orchestrator.errors import TradefleetError

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.orchestrator.services import MarketData, Services

NEWS_QUERIES = {"SPX": "S&P 500", "IXIC": "Nasdaq", "GOOG": "Alphabet Google", "EUR/USD": "euro dollar",
                "BTC/USD": "bitcoin"}


class MLPredictor(Protocol):
    def predict(self, instrument: str, frame: pd.DataFrame) -> float | None: ...


class NewsSentiment(Protocol):
    def sentiment(self, instrument: str, since_ns: int, until_ns: int) -> list[tuple[int, float]]: ...


class RegistryPredictor:
    """The ML registry's promoted model per asset, as an up-probability (None: no model)."""

    def __init__(self, registry: Any, data: MarketData, clock: Any) -> None:
        self.registry = registry
        self.data = data
        self.clock = clock
        self.last_reason = ""

    def predict(self, instrument: str, frame: pd.DataFrame) -> float | None:
        import pandas as pd

        from tradefleet.ml_models.errors import MLError

        now = self.clock.now_ns()
        try:
            model = self.registry.load_promoted(instrument)
            end = pd.Timestamp(model.card.train_end)
            end_ns = int((end if end.tzinfo else end.tz_localize("UTC")).as_unit("ns").value)
            if end_ns > now:
                self.last_reason = f"promoted {instrument} model was trained through {model.card.train_end}, after now"
                return None
            return float(model.predict_proba(self.data.frame(instrument), now))
        except MLError as exc:
            self.last_reason = str(exc)
            return None


class MLModelSource:
    """Source ``ml``: score = 2p - 1 from the per-asset model's up-probability p."""

    name: ClassVar[str] = "ml"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self, predictor: MLPredictor | None) -> None:
        self.predictor = predictor

    @classmethod
    def build(cls, services: Services) -> MLModelSource:
        injected = services.extras.get("ml.predictor")
        if injected is not None:
            return cls(injected)
        from tradefleet.ml_models.registry import ModelRegistry

        return cls(RegistryPredictor(ModelRegistry.from_config(services.config, services.clock),
                                     services.data, services.clock))

    def vote(self, ctx: SourceContext) -> Vote:
        if self.predictor is None:
            return Vote.abstained(self.name, "unavailable: no ML model registry")
        p = self.predictor.predict(ctx.signal.instrument, ctx.frame)
        if p is None or not 0.0 <= p <= 1.0:
            why = getattr(self.predictor, "last_reason", "") or f"no model for {ctx.signal.instrument}"
            return Vote.abstained(self.name, f"unavailable: {why}")
        score = 2.0 * p - 1.0
        return Vote(self.name, score, abs(score), detail={"p_up": round(p, 4)})


class HubNewsSentiment:
    """Headlines from the data hub, scored by ``tradefleet.ml_models.sentiment``."""

    def __init__(self, hub: Any, model_dir: str | None) -> None:
        self.hub = hub
        self.model_dir = model_dir

    def sentiment(self, instrument: str, since_ns: int, until_ns: int) -> list[tuple[int, float]]:
        from tradefleet.ml_models.sentiment import score_texts

        query = NEWS_QUERIES.get(instrument, instrument.split("/")[0])
        arts = [a for a in self.hub.source("news").headlines(query).value
                if a.published_ns is not None and since_ns <= a.published_ns <= until_ns]
        if not arts:
            return []
        scores = score_texts([a.title for a in arts], self.model_dir)
        return [(int(a.published_ns), float(s)) for a, s in zip(arts, scores, strict=True)]


class NewsSentimentSource:
    """Source ``news``: mean sentiment of the instrument's headlines in the last day."""

    name: ClassVar[str] = "news"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = True
    lookback_ns: ClassVar[int] = 86_400 * NS

    def __init__(self, provider: NewsSentiment | None, reason: str = "unavailable: no news sentiment provider") -> None:
        self.provider = provider
        self.reason = reason

    @classmethod
    def build(cls, services: Services) -> NewsSentimentSource:
        injected = services.extras.get("news.sentiment")
        if injected is not None:
            return cls(injected)
        if services.config.mode == "replay":
            return cls(None, "unavailable: headlines are not recorded for replay")
        from tradefleet.scrapers.hub import DataHub

        ml = getattr(services.config, "ml", None)
        return cls(HubNewsSentiment(DataHub.from_services(services), getattr(ml, "sentiment_model_dir", None)))

    def vote(self, ctx: SourceContext) -> Vote:
        if ctx.gate.spec.asset_class.value == "prediction":
            # an event contract's ticker names no company: headline tone has no YES/NO direction
            return Vote.abstained(self.name, "not applicable: headline sentiment does not cover event contracts")
        if self.provider is None:
            return Vote.abstained(self.name, self.reason)
        try:
            items = [(t, s) for t, s in self.provider.sentiment(
                ctx.signal.instrument, ctx.now_ns - self.lookback_ns, ctx.now_ns) if t <= ctx.now_ns]
        except TradefleetError as exc:
            return Vote.abstained(self.name, f"unavailable: {exc}")
        if not items:
            return Vote.abstained(self.name, "no headlines in the last day")
        score = sum(s for _, s in items) / len(items)
        return Vote(self.name, max(-1.0, min(1.0, score)), min(1.0, len(items) / 5.0),
                    detail={"headlines": len(items)})


class CryptoDerivativesSource:
    """Source ``derivatives``: the perpetual's funding rate, read contrarian (longs paying
    high funding are crowded): score = -tanh(rate / 0.0005); confidence 0.5. Open
    interest is recorded with the vote."""

    name: ClassVar[str] = "derivatives"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = True
    max_age_ns: ClassVar[int] = 86_400 * NS

    def __init__(self, hub: Any | None, reason: str = "") -> None:
        self.hub = hub
        self.reason = reason

    @classmethod
    def build(cls, services: Services) -> CryptoDerivativesSource:
        if services.config.mode == "replay":
            return cls(None, "unavailable: funding history is not recorded for replay")
        from tradefleet.scrapers.hub import DataHub

        return cls(DataHub.from_services(services))

    def vote(self, ctx: SourceContext) -> Vote:
        if ctx.gate.spec.asset_class.value != "crypto":
            return Vote.abstained(self.name, "not applicable: not a crypto instrument")
        if self.hub is None:
            return Vote.abstained(self.name, self.reason)
        symbol = f"{ctx.signal.instrument.split('/')[0]}/USDT:USDT"
        try:
            got = self.hub.source("funding").latest(symbol)
        except TradefleetError as exc:
            return Vote.abstained(self.name, f"unavailable: {exc}")
        stamp = got.provenance.published_at or got.provenance.fetched_at
        if stamp > ctx.now_ns or ctx.now_ns - stamp > self.max_age_ns:
            return Vote.abstained(self.name, f"unavailable: funding data stamped {stamp} is not current")
        d = got.value
        return Vote(self.name, -math.tanh(d.funding_rate / 0.0005), 0.5,
                    detail={"symbol": symbol, "funding_rate": d.funding_rate, "open_interest": d.open_interest})
