"""The prediction-market bots: longshot fader, cross-venue arbitrage and three edge bots
(weather from the GFS ensemble and NWS, economics from nowcasts, sports from book odds).

Each edge bot only looks at contracts of its own domain, with only the sources competent
for it (routing), needs at least two independent sources on the same side of the price
(consensus), and enters only below a price cap.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from tradefleet.bots.prediction.base import PREDICTION_POLL, PredictionBot, spread_ok
from tradefleet.bots.prediction.edge import best_edge, book_consensus, consensus, forecast_probs, venue_fee
from tradefleet.bots.prediction.market import BinaryQuote, PredictionSnapshot
from tradefleet.orchestrator.bot import BotParams, BotSpec, TickContext
from tradefleet.orchestrator.domain import AssetClass, Direction, Signal

Found = tuple[int, float, float, dict[str, Any]] | None


class LongshotParams(BotParams):
    """Which contracts count as longshots and how overpriced they are taken to be."""

    max_yes_price: float = Field(0.10, gt=0, le=0.3, description="a longshot's YES ask is at most this")
    calibration: float = Field(0.6, gt=0, lt=1, description="true probability = calibration * YES mid")
    min_edge: float = Field(0.01, ge=0, le=0.2)
    max_spread: float = Field(0.04, gt=0, le=0.5)


class LongshotFaderBot(PredictionBot):
    """Sell overpriced longshots (buy NO) where the favourite-longshot bias is strongest."""

    description: ClassVar[str] = "Longshot fader: buy NO on cheap YES contracts that win less often than priced"
    Params: ClassVar[type[BotParams]] = LongshotParams
    params: LongshotParams

    def evaluate(self, snap: PredictionSnapshot, symbol: str) -> Found:
        p = self.params
        q = snap.quotes[symbol]
        if q.yes_ask > p.max_yes_price or not spread_ok(q, p.max_spread):
            return None
        p_true = p.calibration * q.mid
        e = best_edge(p_true, q, p.min_edge)
        if e.side != -1:
            return None
        return -1, min(1.0, e.edge / 0.05), e.price, {"p_model": p_true, "edge": e.edge, "edge_basis": "touch"}


class ArbParams(BotParams):
    """Threshold of :class:`CrossVenueArbBot`."""

    min_edge: float = Field(0.01, ge=0, le=0.5, description="locked profit per pair after fees, $")


class CrossVenueArbBot(PredictionBot):
    """Kalshi vs Polymarket on the same event: buy YES where it is cheap and NO where YES is
    rich when the pair costs less than $1 after both venues' fees at the current touch.
    Instruments come in equivalent pairs.

    The pair is ONE intent: a two-leg order (buy YES on one venue, sell YES = buy NO on the
    other), approved or refused and sized together by the risk gate. Two venues cannot fill
    atomically, so it carries a hedge-on-fill plan: if one leg fills and the other does not
    (refused, rejected by the venue), the filled leg is unwound at once with a reduce-only
    order, and the residual exposure is reported."""

    description: ClassVar[str] = "Polymarket-Kalshi arbitrage: YES on one venue + NO on the other for < $1"
    Params: ClassVar[type[BotParams]] = ArbParams
    params: ArbParams
    cooldown_minutes: ClassVar[int] = 0

    def evaluate(self, snap: PredictionSnapshot, symbol: str) -> Found:
        return None  # pairs are handled in on_tick

    def on_tick(self, ctx: TickContext) -> list[Any]:
        from tradefleet.orchestrator.intents import Atomic, LegRisk, OrderIntent

        snap = ctx.data
        if not isinstance(snap, PredictionSnapshot):
            return []
        out: list[Any] = []
        inst = ctx.instruments
        for a, b in zip(inst[0::2], inst[1::2], strict=False):
            qa, qb = snap.quotes.get(a), snap.quotes.get(b)
            if qa is None or qb is None:
                continue
            for cheap, rich in ((qa, qb), (qb, qa)):
                locked = locked_edge(cheap, rich)
                if locked >= self.params.min_edge and cheap.yes_ask > 0 and rich.yes_bid > 0:
                    out.append(OrderIntent.combo({cheap.symbol: 1, rich.symbol: -1}, atomic=Atomic.ALL_OR_NONE,
                                                 leg_risk=LegRisk.HEDGE, tag=f"arb locked {locked:.4f}/pair",
                                                 edge=locked))
                    break
        return out


def locked_edge(cheap: BinaryQuote, rich: BinaryQuote, contracts: int = 100) -> float:
    """Profit per pair locked by buying YES at ``cheap``'s ask and NO at ``rich``'s NO ask
    (1 - YES bid), after both venues' taker fees: one of the two pays $1 whatever happens."""
    cost = cheap.yes_ask + rich.no_ask
    fees = venue_fee(cheap, cheap.yes_ask, contracts) + venue_fee(rich, rich.no_ask, contracts)
    return 1.0 - cost - fees


class EdgeParams(BotParams):
    """Consensus, edge and price cap of the forecast-driven edge bots."""

    sources: tuple[str, ...] = Field(..., min_length=1)
    min_sources: int = Field(2, ge=1, le=10, description="independent sources that must agree")
    min_edge: float = Field(0.05, ge=0, le=0.5, description="probability minus price minus fee")
    max_price: float = Field(0.30, gt=0, le=1, description="entry price cap per contract")
    max_spread: float = Field(0.06, gt=0, le=0.5)


class ForecastEdgeBot(PredictionBot):
    """Trade contracts of one domain whose forecast-implied probability beats the price."""

    description: ClassVar[str] = "Forecast edge: consensus of >= 2 sources vs the contract price, after fees"
    Params: ClassVar[type[BotParams]] = EdgeParams
    params: EdgeParams
    domain: ClassVar[str] = ""

    def evaluate(self, snap: PredictionSnapshot, symbol: str) -> Found:
        p = self.params
        terms, q = snap.terms.get(symbol), snap.quotes[symbol]
        if terms is None or terms.domain != self.domain or not spread_ok(q, p.max_spread):
            return None
        probs = forecast_probs(terms, snap.forecasts.get(terms.variable, ()), p.sources)
        p_yes = consensus(probs, q.mid, p.min_sources)
        if p_yes is None:
            return None
        e = best_edge(p_yes, q, p.min_edge, p.max_price)
        if e.side == 0:
            return None
        return e.side, min(1.0, e.edge / 0.2), e.price, {"p_model": p_yes, "edge": e.edge, "edge_basis": "touch",
                                                         "sources": probs}


class WeatherEdgeBot(ForecastEdgeBot):
    """Kalshi temperature contracts priced from the GFS ensemble and the NWS forecast."""

    description: ClassVar[str] = "Kalshi weather: GFS-ensemble and NWS consensus probability vs price"
    domain: ClassVar[str] = "weather"


class NowcastEdgeBot(ForecastEdgeBot):
    """CPI / GDP contracts priced from the Cleveland Fed nowcast, GDPNow and FRED."""

    description: ClassVar[str] = "Economics: Cleveland Fed / GDPNow / FRED nowcast consensus vs price"
    domain: ClassVar[str] = "economics"


class SportsParams(BotParams):
    """Book consensus, edge and price cap of :class:`SportsOddsEdgeBot`."""

    min_books: int = Field(2, ge=2, le=20)
    max_book_spread: float = Field(0.05, gt=0, le=0.5, description="de-vigged books must agree within this")
    min_edge: float = Field(0.03, ge=0, le=0.5)
    max_price: float = Field(0.30, gt=0, le=1)
    max_spread: float = Field(0.06, gt=0, le=0.5)


class SportsOddsEdgeBot(PredictionBot):
    """Sports contracts priced from the de-vigged consensus of several sportsbooks."""

    description: ClassVar[str] = "Sports: de-vigged cross-book odds consensus vs contract price"
    Params: ClassVar[type[BotParams]] = SportsParams
    params: SportsParams

    def evaluate(self, snap: PredictionSnapshot, symbol: str) -> Found:
        p = self.params
        terms, q = snap.terms.get(symbol), snap.quotes[symbol]
        if terms is None or terms.domain != "sports" or not spread_ok(q, p.max_spread):
            return None
        fair = book_consensus(snap.odds.get(symbol, ()), p.min_books, p.max_book_spread)
        if fair is None:
            return None
        e = best_edge(fair, q, p.min_edge, p.max_price)
        if e.side == 0:
            return None
        return e.side, min(1.0, e.edge / 0.2), e.price, {"p_model": fair, "edge": e.edge, "edge_basis": "touch"}


_P = AssetClass.PREDICTION
KALSHI_LONGSHOT_FADER = BotSpec(
    name="kalshi-longshot-fader", bot=LongshotFaderBot, instruments=("KXHIGHNY-T90", "KXFED-T500"),
    schedule=PREDICTION_POLL, timeframe="5m", asset_class=_P, params={},
    description="Kalshi longshot fader (YES <= 10c)",
)
KALSHI_POLY_ARB = BotSpec(
    name="kalshi-polymarket-arb", bot=CrossVenueArbBot, instruments=("KXFED-T425", "POLY-FED-CUT-DEC"),
    schedule=PREDICTION_POLL, timeframe="5m", asset_class=_P, params={"min_edge": 0.01},
    description="Fed-decision arbitrage between Kalshi and Polymarket",
)
KALSHI_WEATHER = BotSpec(
    name="kalshi-weather-nyc", bot=WeatherEdgeBot, instruments=("KXHIGHNY-T80", "KXHIGHNY-T85", "KXHIGHNY-T90"),
    schedule=PREDICTION_POLL, timeframe="5m", asset_class=_P,
    params={"sources": ("gfs_ensemble", "nws")}, description="NYC daily-high contracts from GFS ensemble + NWS",
)
KALSHI_CPI = BotSpec(
    name="kalshi-cpi-nowcast", bot=NowcastEdgeBot, instruments=("KXCPI-T3.0", "KXGDP-T2.0"),
    schedule=PREDICTION_POLL, timeframe="5m", asset_class=_P,
    params={"sources": ("cleveland_fed", "gdpnow", "fred")}, description="CPI and GDP contracts from Fed nowcasts",
)
KALSHI_SPORTS = BotSpec(
    name="kalshi-sports-odds", bot=SportsOddsEdgeBot, instruments=("KXNBA-LAL-BOS",), schedule=PREDICTION_POLL,
    timeframe="5m", asset_class=_P, params={}, description="Sports contracts vs de-vigged sportsbook consensus",
)
#: Not yet registered as entry points: the replay loads bar data for every registered bot's
#: instruments; these trade on recorded snapshots (``fixtures/``) instead.
PREDICTION_SPECS = (KALSHI_LONGSHOT_FADER, KALSHI_POLY_ARB, KALSHI_WEATHER, KALSHI_CPI, KALSHI_SPORTS)
