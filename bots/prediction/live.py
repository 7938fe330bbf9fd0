"""Live prediction-market snapshots: venue books joined with the domain sources, on the engine's clock.

:class:`LiveSnapshotSource` is the paper/live counterpart of the recorded
:class:`~tradefleet.bots.prediction.source.PredictionTickSource`. On each fire of an event bot the
runner calls :meth:`refresh` for the bot's contracts: every book is read through its venue's
reader (kalshi-python, py-clob-client), every variable the contracts settle on is read
once from its configured feeds (GFS ensemble, NWS, Cleveland Fed, GDPNow, FRED) and odds
from the sportsbooks, and the join becomes one :class:`PredictionSnapshot` stamped with the
engine's clock and each input's age. Inputs older than their bound, or unavailable, are left
out and noted, so a bot needing consensus simply finds none. Quotes come back as bars (low =
YES bid, high = YES ask) so the gates and the paper broker see the same touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from tradefleet.bots.prediction.config import MarketConfig, PredictionConfig
from tradefleet.bots.prediction.feeds import Reading, read_forecast, read_odds
from tradefleet.bots.prediction.market import BinaryQuote, BookOdds, ContractTerms, Forecast, PredictionSnapshot, Trade
from tradefleet.bots.prediction.whale import WhaleTracker
from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.domain import AssetClass, Bar, Instrument
from tradefleet.orchestrator.errors import DataError

if TYPE_CHECKING:
    from tradefleet.orchestrator.sections import KernelConfig
    from tradefleet.scrapers.hub import DataHub
    from tradefleet.scrapers.venue_books import BookReader, BookTop


def contract_terms(symbol: str, m: MarketConfig) -> ContractTerms | None:
    """The settlement terms of a configured market (None without a variable)."""
    if not m.variable:
        return None
    settles = 0
    if m.settles:
        import pandas as pd

        settles = int(pd.Timestamp(m.settles, tz="UTC").as_unit("ns").value)
    return ContractTerms(symbol, m.domain, m.variable, m.strike, m.above, settles)


def prediction_instrument(symbol: str, venue: str) -> Instrument:
    """A binary contract: cents tick, whole contracts."""
    return Instrument(symbol, AssetClass.PREDICTION, venue=venue, tick_size=Decimal("0.01"), lot_size=Decimal(1))


class LiveSnapshotSource:
    """Builds snapshots of the configured markets from live books and sources."""

    name: ClassVar[str] = "prediction-live"

    def __init__(self, config: PredictionConfig, readers: Mapping[str, BookReader], hub: DataHub | Any,
                 clock: Clock) -> None:
        self.config = config
        self.readers = dict(readers)
        self.hub = hub
        self.clock = clock
        self.latest: PredictionSnapshot | None = None
        self.whales = WhaleTracker()
        #: the latest snapshot of each set of contracts (one per bot), for operators and tests
        self.by_contracts: dict[tuple[str, ...], PredictionSnapshot] = {}
        self._bar_ts: dict[str, int] = {}

    @classmethod
    def from_app(cls, app: KernelConfig, clock: Clock, hub: DataHub | None = None) -> LiveSnapshotSource:
        """Readers for the venues the configured markets use, on the app's data hub."""
        from tradefleet.scrapers.hub import DataHub
        from tradefleet.scrapers.venue_books import book_reader

        cfg = app.prediction
        urls = {"kalshi": cfg.kalshi_url, "polymarket": cfg.polymarket_url}
        readers = {v: book_reader(v, urls[v], clock) for v in sorted({m.venue for m in cfg.markets.values()})}
        return cls(cfg, readers, hub or DataHub(app.data, clock, app_mode=app.mode), clock)

    # -- the tick-feed contract ----------------------------------------------------------
    def instruments(self) -> dict[str, Instrument]:
        return {s: prediction_instrument(s, m.venue) for s, m in self.config.markets.items()}

    def at(self, now_ns: int) -> PredictionSnapshot | None:
        """The latest snapshot built at or before ``now_ns``."""
        snap = self.latest
        return snap if snap is not None and snap.ts_ns <= now_ns else None

    def refresh(self, symbols: Iterable[str], now_ns: int) -> list[Bar]:
        """Build the snapshot of ``symbols`` now; return the new quotes as bars."""
        wanted = tuple(symbols)
        snap = self.build(list(wanted), now_ns)
        self.latest = self.by_contracts[wanted] = snap
        bars = []
        for sym, q in snap.quotes.items():
            if self._bar_ts.get(sym, -1) >= q.ts_ns:
                continue  # another bot already brought this book up to now
            self._bar_ts[sym] = q.ts_ns
            mid = (q.yes_bid + q.yes_ask) / 2
            volume = sum(t.size for t in snap.trades.get(sym, ()))
            bars.append(Bar(sym, q.ts_ns, mid, q.yes_ask, q.yes_bid, mid, volume, now_ns))
        return bars

    def tape(self, symbol: str) -> tuple[tuple[float, float] | None, list[tuple[int, float, float]]]:
        """The latest snapshot's displayed sizes at ``symbol``'s touch and its public trades
        read since the previous refresh (what paper maker quotes fill against)."""
        snap = self.latest
        q = snap.quotes.get(symbol) if snap is not None else None
        if snap is None or q is None:
            return None, []
        return (q.bid_size, q.ask_size), [(t.ts_ns, t.yes_price, t.size) for t in snap.trades.get(symbol, ())]

    # -- the join --------------------------------------------------------------------------
    def build(self, symbols: list[str], now_ns: int) -> PredictionSnapshot:
        """One snapshot of ``symbols``: books, terms, forecasts and odds with their ages."""
        quotes: dict[str, BinaryQuote] = {}
        trades: dict[str, tuple[Trade, ...]] = {}
        terms: dict[str, ContractTerms] = {}
        odds: dict[str, tuple[BookOdds, ...]] = {}
        ages: dict[str, float] = {}
        notes: dict[str, str] = {}
        max_quote = self.config.max_quote_age_seconds
        variables: set[str] = set()
        for sym in symbols:
            m = self.config.markets.get(sym)
            if m is None:
                notes[sym] = "not in [prediction.markets]"
                continue
            key = f"{m.venue}:{sym}"
            try:
                top = self.readers[m.venue].read(sym, m.venue_id or sym)
            except Exception as exc:  # one bad book never blinds the others
                notes[key] = f"unavailable: {' '.join(str(exc).split())[:160]}"
                continue
            ages[key] = age = max(0.0, (now_ns - top.ts_ns) / NS)
            if age > max_quote:
                notes[key] = f"stale: {age:.0f}s > {max_quote:.0f}s"
                continue
            q = _quote(top)
            if q is None:
                notes[key] = f"no two-sided book (bid {top.yes_bid}, ask {top.yes_ask})"
                continue
            quotes[sym] = q
            trades[sym] = tuple(Trade(t.symbol, t.ts_ns, t.yes_price, t.size, t.taker_side) for t in top.trades)
            self.whales.observe_all(trades[sym])
            t = contract_terms(sym, m)
            if t is not None:
                terms[sym] = t
                variables.add(t.variable)
            if m.odds is not None:
                got = self._read(f"odds:{sym}", lambda m=m: read_odds(self.hub, m.odds, now_ns), ages, notes)
                if got is not None:
                    odds[sym] = got.value
        forecasts: dict[str, tuple[Forecast, ...]] = {}
        for var in sorted(variables):
            vc = self.config.variables.get(var)
            for feed in vc.feeds if vc is not None else ():
                got = self._read(f"{feed.source}:{var}",
                                 lambda feed=feed, var=var: read_forecast(self.hub, feed, var, now_ns), ages, notes)
                if got is not None:
                    forecasts[var] = (*forecasts.get(var, ()), got.value)
        flow = {sym: round(self.whales.at(sym, now_ns), 6) for sym in quotes}
        return PredictionSnapshot(now_ns, quotes, terms, forecasts, odds, trades, ages, notes, flow)

    def _read(self, key: str, read: Any, ages: dict[str, float], notes: dict[str, str]) -> Reading | None:
        try:
            got: Reading = read()
        except Exception as exc:  # a source that fails is left out, with the reason
            notes[key] = f"unavailable: {' '.join(str(exc).split())[:160]}"
            return None
        ages[key] = got.age_s
        limit = self.config.max_source_age_minutes * 60
        if got.age_s > limit:
            notes[key] = f"stale: {got.age_s / 60:.0f} min > {limit / 60:.0f} min"
            return None
        return got


def _quote(top: BookTop) -> BinaryQuote | None:
    if not 0.0 < top.yes_bid <= top.yes_ask < 1.0:
        return None
    try:
        return BinaryQuote(top.symbol, top.venue, top.yes_bid, top.yes_ask, top.ts_ns, top.bid_size, top.ask_size)
    except DataError:
        return None
