"""Sources fed by other components, each abstaining (``"unavailable: ..."``) when its
input is missing; none ever fabricates a score.

* ``ml``: the promoted per-asset model of the ML registry (``tradefleet.ml_models.registry``).
  A model that read a bar past "now" is refused (it would look ahead in a replay). With
  ``[ml] replay_walk_forward`` a replay instead retrains on its simulated clock
  (:mod:`tradefleet.ml_models.walkforward`): each vote names its model's cut-off and last bar.
* ``news``: headlines from the data hub (NewsAPI, else RSS) scored by
  ``tradefleet.ml_models.sentiment`` (a local FinBERT-style model, else the Loughran-McDonald lexicon).
  In a replay: from ``[replay] news`` (recorded headlines, point in time), else it abstains.
* ``derivatives``: perpetual funding rate and open interest from the data hub (ccxt).
  In a replay: from ``[replay] funding``, else it abstains (:mod:`.replayed`: nothing of
  the kind is bundled).

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

    #: reads its own bars (the model's feature history) once it has a model: the source
    #: need not build the window's frame for it
    uses_frame = False

    def __init__(self, registry: Any, data: MarketData, clock: Any, *, pinned: bool = False) -> None:
        self.registry = registry
        self.data = data
        self.clock = clock
        self.last_reason = ""
        #: a replay (``pinned``) reads each asset's promoted model once and keeps it for the
        #: run, so its votes never depend on a promotion made while it runs; live reads the
        #: promotion pointer at every vote, so a promotion takes effect at the next signal
        self.pinned = pinned
        self._pinned: dict[str, Any] = {}  # asset -> its model, or why it has none (str)

    def _promoted(self, instrument: str) -> Any:
        """The promoted model of ``instrument``, or why there is none (a str)."""
        got = self._pinned.get(instrument) if self.pinned else None
        if got is None:
            from tradefleet.ml_models.errors import MLError

            try:
                got = self.registry.load_promoted(instrument)
            except MLError as exc:
                got = str(exc)
            if self.pinned:
                self._pinned[instrument] = got
        return got

    def predict(self, instrument: str, frame: pd.DataFrame) -> float | None:
        model = self._promoted(instrument)
        if isinstance(model, str):  # no model (every vote of a replay on an unmodelled asset)
            self.last_reason = model
            return None
        import pandas as pd

        from tradefleet.ml_models.errors import MLError

        now = self.clock.now_ns()
        try:
            end = pd.Timestamp(model.card.train_end)
            end_ns = int((end if end.tzinfo else end.tz_localize("UTC")).as_unit("ns").value)
            # the last bar it read (labels look ahead by the horizon); older cards: the last row
            end_ns = max(end_ns, int(model.card.params.get("data_end_ns") or 0))
            if end_ns > now:
                self.last_reason = (f"promoted {instrument} model saw bars through "
                                    f"{pd.Timestamp(end_ns, tz='UTC'):%Y-%m-%d %H:%M}, after now")
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
        ml = getattr(services.config, "ml", None)
        if services.config.mode == "replay" and ml is not None and ml.replay_walk_forward:
            # point in time: models retrained on the simulated clock from bars before each cut-off
            from tradefleet.ml_models.training.schedule import spec_from_config
            from tradefleet.ml_models.walkforward import WalkForwardModels, WalkForwardPredictor

            models = WalkForwardModels(services.data.frame, spec_from_config(ml), ml.replay_retrain_days)
            return cls(WalkForwardPredictor(models, services.data, services.clock))
        from tradefleet.ml_models.registry import ModelRegistry

        return cls(RegistryPredictor(ModelRegistry.from_config(services.config, services.clock),
                                     services.data, services.clock, pinned=services.config.mode == "replay"))

    def vote(self, ctx: SourceContext) -> Vote:
        if self.predictor is None:
            return Vote.abstained(self.name, "unavailable: no ML model registry")
        # a predictor that reads its own bars gets no frame (building one per signal is costly)
        frame = ctx.frame if getattr(self.predictor, "uses_frame", True) else None
        p = self.predictor.predict(ctx.signal.instrument, frame)  # type: ignore[arg-type]
        if p is None or not 0.0 <= p <= 1.0:
            why = getattr(self.predictor, "last_reason", "") or f"no model for {ctx.signal.instrument}"
            return Vote.abstained(self.name, f"unavailable: {why}")
        score = 2.0 * p - 1.0
        return Vote(self.name, score, abs(score),
                    detail={"p_up": round(p, 4), **getattr(self.predictor, "last_detail", {})})


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
        ml = getattr(services.config, "ml", None)
        if services.config.mode == "replay":
            recorded = getattr(getattr(services.config, "replay", None), "news", None)
            if not recorded:  # nothing of the kind is bundled (see ai.ensemble.sources.replayed)
                return cls(None, "unavailable: headlines are not recorded for replay")
            from tradefleet.ai.ensemble.sources.replayed import RecordedHeadlines

            return cls(RecordedHeadlines(recorded, getattr(ml, "sentiment_model_dir", None)),
                       "no recorded headlines")
        from tradefleet.scrapers.hub import DataHub

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

    def __init__(self, hub: Any | None, reason: str = "", recorded: Any = None) -> None:
        self.hub = hub
        self.reason = reason
        self.recorded = recorded  # a replay's RecordedFunding (ai.ensemble.sources.replayed)

    @classmethod
    def build(cls, services: Services) -> CryptoDerivativesSource:
        if services.config.mode == "replay":
            recorded = getattr(getattr(services.config, "replay", None), "funding", None)
            if not recorded:  # nothing of the kind is bundled (see ai.ensemble.sources.replayed)
                return cls(None, "unavailable: funding history is not recorded for replay")
            from tradefleet.ai.ensemble.sources.replayed import RecordedFunding

            return cls(None, recorded=RecordedFunding(recorded))
        from tradefleet.scrapers.hub import DataHub

        return cls(DataHub.from_services(services))

    def vote(self, ctx: SourceContext) -> Vote:
        if ctx.gate.spec.asset_class.value != "crypto":
            return Vote.abstained(self.name, "not applicable: not a crypto instrument")
        if self.recorded is not None:
            return self._vote_recorded(ctx)
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

    def _vote_recorded(self, ctx: SourceContext) -> Vote:
        """Vote from the replay's recorded funding: the latest record at or before now."""
        got = self.recorded.latest(ctx.signal.instrument, ctx.now_ns)
        if got is None:
            return Vote.abstained(self.name, f"no recorded funding for {ctx.signal.instrument} at or before now")
        if ctx.now_ns - got.ts_ns > self.max_age_ns:
            return Vote.abstained(self.name, f"unavailable: recorded funding stamped {got.ts_ns} is not current")
        return Vote(self.name, -math.tanh(got.funding_rate / 0.0005), 0.5,
                    detail={"instrument": ctx.signal.instrument, "funding_rate": got.funding_rate,
                            "open_interest": got.open_interest, "recorded_ns": got.ts_ns})
