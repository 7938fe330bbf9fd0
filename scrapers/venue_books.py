"""Public order books and trades of binary-contract venues, read through their official clients.

* Kalshi (kalshi-python): ``GET /markets/{ticker}/orderbook`` lists the resting *bids* of
  both sides in cents (``yes`` and ``no``, ascending). A NO bid at ``p`` is a YES offer at
  ``1 - p``, so YES bid = best YES bid and YES ask = 1 - best NO bid. ``GET /markets/trades``
  lists public trades (``yes_price`` in cents, ``count``, ``taker_side``).
* Polymarket (py-clob-client): ``GET /book?token_id=`` gives the token's bids and asks in
  dollars and shares; there is no public trade tape in the CLOB client, only the last trade
  price (recorded as such; trades stay empty).

Both readers answer in the same :class:`BookTop` on the injected clock: ``ts_ns`` is when we
read the book (the engine's clock), which is what a snapshot's age is measured from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from tradefleet.orchestrator.clock import Clock
from tradefleet.orchestrator.errors import DataError

Venue = Literal["kalshi", "polymarket"]


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """One public trade of a contract: YES price in dollars, contracts, the taker's side."""

    symbol: str
    ts_ns: int
    yes_price: float
    size: float
    taker_side: Literal["yes", "no"]
    trade_id: str = ""


@dataclass(frozen=True, slots=True)
class BookTop:
    """Top of a binary contract's YES book on one venue, read at ``ts_ns``."""

    symbol: str
    venue: Venue
    yes_bid: float
    yes_ask: float
    bid_size: float
    ask_size: float
    ts_ns: int
    last_price: float | None = None
    trades: tuple[PublicTrade, ...] = field(default=())


class BookReader(Protocol):
    """What the snapshot builder and the recorder need from a venue."""

    venue: ClassVar[str]

    def read(self, symbol: str, venue_id: str) -> BookTop: ...


def _top(levels: Sequence[tuple[float, float]], best_high: bool) -> tuple[float, float]:
    if not levels:
        return (0.0, 0.0) if best_high else (1.0, 0.0)
    p, s = max(levels) if best_high else min(levels)
    return p, s


class KalshiBookReader:
    """Kalshi books and trades through ``kalshi_python.MarketsApi`` (public endpoints)."""

    venue: ClassVar[str] = "kalshi"

    def __init__(self, base_url: str, clock: Clock, timeout_s: float = 10.0) -> None:
        import kalshi_python

        conf = kalshi_python.Configuration(host=f"{base_url.rstrip('/')}/trade-api/v2")
        conf.retries = 0
        self.api = kalshi_python.MarketsApi(kalshi_python.ApiClient(conf))
        self.clock = clock
        self.timeout_s = timeout_s
        self._seen: dict[str, set[str]] = {}

    def _raw(self, call: Any, **kwargs: Any) -> Any:
        # the raw JSON: kalshi-python 2.1's generated orderbook model expects keys the API does not send
        resp = call(_request_timeout=self.timeout_s, **kwargs)
        if resp.status >= 400:
            raise DataError(f"kalshi: {resp.status} {resp.data[:160]!r}")
        return json.loads(resp.data)

    def read(self, symbol: str, venue_id: str) -> BookTop:
        """The top of ``venue_id``'s book and its public trades not seen before."""
        ticker = venue_id or symbol
        body = self._raw(self.api.get_market_orderbook_without_preload_content, ticker=ticker)
        ob = body.get("orderbook") or {}
        yes = [(c / 100.0, float(n)) for c, n in (ob.get("yes") or [])]
        no = [(c / 100.0, float(n)) for c, n in (ob.get("no") or [])]
        bid, bid_size = _top(yes, True)
        no_bid, ask_size = _top(no, True)
        ask = round(1.0 - no_bid, 9) if no else 1.0
        now = self.clock.now_ns()
        trades = self._trades(symbol, ticker)
        last = trades[-1].yes_price if trades else None
        return BookTop(symbol, "kalshi", bid, ask, bid_size, ask_size, now, last, trades)

    def _trades(self, symbol: str, ticker: str) -> tuple[PublicTrade, ...]:
        import pandas as pd

        body = self._raw(self.api.get_trades_without_preload_content, ticker=ticker, limit=100)
        seen = self._seen.setdefault(ticker, set())
        out = []
        for t in reversed(body.get("trades") or []):  # the venue lists newest first
            tid = str(t.get("trade_id", ""))
            if tid in seen:
                continue
            seen.add(tid)
            cents = t.get("yes_price", t.get("price"))
            ts = int(pd.Timestamp(t["created_time"]).as_unit("ns").value) if t.get("created_time") else self.clock.now_ns()
            out.append(PublicTrade(symbol, ts, float(cents) / 100.0, float(t.get("count", 0)),
                                   "no" if t.get("taker_side") == "no" else "yes", tid))
        return tuple(out)


class PolymarketBookReader:
    """Polymarket books through ``py_clob_client.ClobClient`` (Level-0: no credentials)."""

    venue: ClassVar[str] = "polymarket"

    def __init__(self, host: str, clock: Clock, chain_id: int = 137) -> None:
        from py_clob_client.client import ClobClient

        self.client = ClobClient(host.rstrip("/"), chain_id=chain_id)
        self.clock = clock

    def read(self, symbol: str, venue_id: str) -> BookTop:
        """The top of token ``venue_id``'s book."""
        from py_clob_client.exceptions import PolyApiException

        try:
            ob = self.client.get_order_book(venue_id or symbol)
        except PolyApiException as exc:
            raise DataError(f"polymarket: book of {symbol} ({venue_id}): {exc}") from None
        bids = [(float(o.price), float(o.size)) for o in ob.bids or []]
        asks = [(float(o.price), float(o.size)) for o in ob.asks or []]
        bid, bid_size = _top(bids, True)
        ask, ask_size = _top(asks, False)
        last = float(ob.last_trade_price) if ob.last_trade_price not in (None, "") else None
        return BookTop(symbol, "polymarket", bid, ask, bid_size, ask_size, self.clock.now_ns(), last)


def book_reader(venue: str, base_url: str, clock: Clock) -> BookReader:
    """The reader of ``venue`` (kalshi or polymarket) at ``base_url``."""
    if venue == "kalshi":
        return KalshiBookReader(base_url, clock)
    if venue == "polymarket":
        return PolymarketBookReader(base_url, clock)
    raise DataError(f"no order-book reader for venue {venue!r} (kalshi, polymarket)")
