"""Sources fed by other components: the ML model (``ml_models``), news sentiment
(FinBERT, the ML issue) and crypto derivatives (funding rates through ccxt).

Each looks for its input and abstains with ``"unavailable: ..."`` when it is missing; no
source ever fabricates a score. The ML and news inputs are plugged in through
``services.extras`` by whichever component provides them:

* ``services.extras["ml.predictor"]``: an object with
  ``predict(instrument, frame) -> float | None`` (the probability that the next bar closes up);
* ``services.extras["news.sentiment"]``: an object with
  ``sentiment(instrument, since_ns, until_ns) -> list[tuple[int, float]]`` (ts, score in [-1, 1]).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ai.ensemble.source import SourceContext, Vote
from orchestrator.clock import NS

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.services import Services


class MLPredictor(Protocol):
    def predict(self, instrument: str, frame: pd.DataFrame) -> float | None: ...


class NewsSentiment(Protocol):
    def sentiment(self, instrument: str, since_ns: int, until_ns: int) -> list[tuple[int, float]]: ...


class MLModelSource:
    """Source ``ml``: score = 2p - 1 from the per-asset model's up-probability p."""

    name: ClassVar[str] = "ml"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False

    def __init__(self, predictor: MLPredictor | None) -> None:
        self.predictor = predictor

    @classmethod
    def build(cls, services: Services) -> MLModelSource:
        return cls(services.extras.get("ml.predictor"))

    def vote(self, ctx: SourceContext) -> Vote:
        if self.predictor is None:
            return Vote.abstained(self.name, "unavailable: no ML predictor installed (ml_models has no trained model)")
        p = self.predictor.predict(ctx.signal.instrument, ctx.frame)
        if p is None or not 0.0 <= p <= 1.0:
            return Vote.abstained(self.name, f"unavailable: no model for {ctx.signal.instrument}")
        score = 2.0 * p - 1.0
        return Vote(self.name, score, abs(score), detail={"p_up": round(p, 4)})


class NewsSentimentSource:
    """Source ``news``: mean sentiment of the instrument's headlines in the last day."""

    name: ClassVar[str] = "news"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = False
    lookback_ns: ClassVar[int] = 86_400 * NS

    def __init__(self, provider: NewsSentiment | None) -> None:
        self.provider = provider

    @classmethod
    def build(cls, services: Services) -> NewsSentimentSource:
        return cls(services.extras.get("news.sentiment"))

    def vote(self, ctx: SourceContext) -> Vote:
        if self.provider is None:
            return Vote.abstained(self.name, "unavailable: no news sentiment provider installed")
        items = [(t, s) for t, s in self.provider.sentiment(
            ctx.signal.instrument, ctx.now_ns - self.lookback_ns, ctx.now_ns) if t <= ctx.now_ns]
        if not items:
            return Vote.abstained(self.name, "no headlines in the last day")
        score = sum(s for _, s in items) / len(items)
        return Vote(self.name, max(-1.0, min(1.0, score)), min(1.0, len(items) / 5.0),
                    detail={"headlines": len(items)})


def _point_at(exchange: Any, base: str) -> None:
    """Send every REST endpoint of a ccxt exchange to ``base`` (loopback fakes)."""
    def rw(v: Any) -> Any:
        if isinstance(v, str):
            return re.sub(r"^(https?|wss?)://[^/]+", base, v)
        if isinstance(v, dict):
            return {k: rw(x) for k, x in v.items()}
        return v

    exchange.urls["api"] = rw(exchange.urls["api"])


class CryptoDerivativesSource:
    """Source ``derivatives``: perpetual funding rate through ccxt, read contrarian
    (crowded longs paying high funding is bearish): score = -tanh(rate / 0.0005).

    Live and paper only: funding history is not recorded for replay, so there it abstains."""

    name: ClassVar[str] = "derivatives"
    api_version: ClassVar[int] = 1
    network: ClassVar[bool] = True
    cache_ns: ClassVar[int] = 300 * NS

    def __init__(self, exchange: Any | None, reason: str = "") -> None:
        self.exchange = exchange
        self.reason = reason
        self._cache: dict[str, tuple[int, float]] = {}

    @classmethod
    def build(cls, services: Services) -> CryptoDerivativesSource:
        cfg = services.config.ensemble
        if cfg.derivatives_exchange is None:
            return cls(None, "unavailable: no [ensemble].derivatives_exchange configured")
        if services.config.mode == "replay":
            return cls(None, "unavailable: funding history is not recorded for replay")
        import ccxt

        ex = getattr(ccxt, cfg.derivatives_exchange)({"timeout": 5000, "options": {"defaultType": "swap"}})
        if cfg.derivatives_base_url:
            _point_at(ex, cfg.derivatives_base_url)
        return cls(ex)

    def vote(self, ctx: SourceContext) -> Vote:
        if ctx.gate.spec.asset_class.value != "crypto":
            return Vote.abstained(self.name, "not applicable: not a crypto instrument")
        if self.exchange is None:
            return Vote.abstained(self.name, self.reason)
        base = ctx.signal.instrument.split("/")[0]
        symbol = f"{base}/USDT:USDT"
        hit = self._cache.get(symbol)
        if hit is not None and ctx.now_ns - hit[0] < self.cache_ns:
            rate = hit[1]
        else:
            try:
                rate = float(self.exchange.fetch_funding_rate(symbol)["fundingRate"])
            except Exception as exc:  # ccxt raises many types; any failure is an abstention
                return Vote.abstained(self.name, f"unavailable: {type(exc).__name__}: {str(exc)[:120]}")
            self._cache[symbol] = (ctx.now_ns, rate)
        return Vote(self.name, -math.tanh(rate / 0.0005), 0.5, detail={"symbol": symbol, "funding_rate": rate})
