"""Option chains from Alpaca's market data API, through alpaca-py.

Quotes, trades, implied volatility and greeks come from the option chain snapshot
endpoint (``OptionHistoricalDataClient.get_option_chain``: ``GET
/v1beta1/options/snapshots/{underlying}``, paged by the client). Open interest, exercise
style and contract size are not in snapshots: when a ``TradingClient`` is given they come
from the contracts endpoint (``GET /v2/options/contracts``, paged here). The underlying's
spot comes from ``StockHistoricalDataClient.get_stock_latest_trade`` when a stock client is
given. Every client takes ``url_override``, which is how the tests point them at the
loopback fake in ``tests/fakes/alpaca_options.py``.

Errors: 401/403 raise :class:`~tradefleet.orchestrator.errors.AuthError`; 429, 5xx and connection
failures raise :class:`~tradefleet.orchestrator.errors.TransientBrokerError` (after alpaca-py's own
retries of 429/504); anything else :class:`~tradefleet.risk.options.errors.ChainDataError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from tradefleet.orchestrator.errors import AuthError, TransientBrokerError
from tradefleet.risk.options.chain import OptionChain, OptionContract, OptionKind, OptionQuote, parse_occ
from tradefleet.risk.options.errors import ChainDataError

if TYPE_CHECKING:
    from alpaca.data.historical import OptionHistoricalDataClient, StockHistoricalDataClient
    from alpaca.trading.client import TradingClient

T = TypeVar("T")


@dataclass(frozen=True)
class ChainFilter:
    """Server-side filters of a chain request (all optional)."""

    kind: OptionKind | None = None
    expiry_gte: date | None = None
    expiry_lte: date | None = None
    strike_gte: float | None = None
    strike_lte: float | None = None


def load_alpaca_chain(data: OptionHistoricalDataClient, underlying: str, asof_ns: int,
                      filters: ChainFilter | None = None, trading: TradingClient | None = None,
                      stocks: StockHistoricalDataClient | None = None,
                      spot: float | None = None) -> OptionChain:
    """Fetch the chain of ``underlying`` through alpaca-py clients and return it.

    ``asof_ns`` stamps the chain (read it from the injected clock). ``trading`` adds open
    interest, style and size; ``stocks`` fills ``spot`` when it is not given.
    """
    from alpaca.data.requests import OptionChainRequest

    f = filters or ChainFilter()
    req = OptionChainRequest(underlying_symbol=underlying, type=f.kind, strike_price_gte=f.strike_gte,
                             strike_price_lte=f.strike_lte, expiration_date_gte=f.expiry_gte,
                             expiration_date_lte=f.expiry_lte)
    snaps = _call(f"option chain {underlying}", lambda: data.get_option_chain(req))
    if not isinstance(snaps, dict):
        raise ChainDataError(f"alpaca option chain {underlying}: unexpected answer {type(snaps).__name__}")
    quotes = [_quote(sym, snap) for sym, snap in snaps.items()]
    if trading is not None:
        meta = _contracts(trading, underlying, f)
        quotes = [_with_meta(q, meta.get(q.contract.symbol)) for q in quotes]
    if spot is None and stocks is not None:
        spot = _latest_price(stocks, underlying)
    # an OCC root can differ from the underlying (adjusted contracts): key them by the underlying
    quotes = [q if q.contract.underlying == underlying
              else replace(q, contract=replace(q.contract, underlying=underlying)) for q in quotes]
    return OptionChain(underlying, asof_ns, tuple(quotes), spot)


def _quote(symbol: str, snap: Any) -> OptionQuote:
    contract = parse_occ(symbol)
    q, t = snap.latest_quote, snap.latest_trade
    bid = float(q.bid_price) if q is not None and q.bid_price > 0 else None
    ask = float(q.ask_price) if q is not None and q.ask_price > 0 else None
    if bid is not None and ask is not None and bid > ask:
        raise ChainDataError(f"alpaca snapshot {symbol}: bid {bid:g} above ask {ask:g}")
    iv = snap.implied_volatility
    return OptionQuote(contract, bid, ask, float(iv) if iv is not None and iv > 0 else None, None,
                       float(t.price) if t is not None else None)


@dataclass(frozen=True)
class _Meta:
    style: str
    size: int
    open_interest: int | None


def _contracts(trading: TradingClient, underlying: str, f: ChainFilter) -> dict[str, _Meta]:
    from alpaca.trading.enums import ContractType
    from alpaca.trading.requests import GetOptionContractsRequest

    out: dict[str, _Meta] = {}
    token: str | None = None
    for _ in range(1000):  # a hard stop against a server that pages forever
        req = GetOptionContractsRequest(
            underlying_symbols=[underlying], page_token=token, limit=10_000,
            type=ContractType(f.kind) if f.kind else None,
            expiration_date_gte=f.expiry_gte, expiration_date_lte=f.expiry_lte,
            strike_price_gte=None if f.strike_gte is None else str(f.strike_gte),
            strike_price_lte=None if f.strike_lte is None else str(f.strike_lte))
        resp = _call(f"option contracts {underlying}", lambda r=req: trading.get_option_contracts(r))
        for c in resp.option_contracts or []:  # type: ignore[union-attr]
            oi = c.open_interest
            out[c.symbol] = _Meta(c.style.value, int(float(c.size)), None if oi in (None, "") else int(float(oi)))
        token = resp.next_page_token  # type: ignore[union-attr]
        if not token:
            return out
    raise ChainDataError(f"alpaca option contracts {underlying}: more than 1000 pages")


def _with_meta(q: OptionQuote, meta: _Meta | None) -> OptionQuote:
    if meta is None:
        return q
    c: OptionContract = replace(q.contract, style=meta.style, multiplier=meta.size)  # type: ignore[arg-type]
    return replace(q, contract=c, open_interest=meta.open_interest)


def _latest_price(stocks: StockHistoricalDataClient, symbol: str) -> float:
    from alpaca.data.requests import StockLatestTradeRequest

    trades = _call(f"latest trade {symbol}",
                   lambda: stocks.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=symbol)))
    trade = trades.get(symbol) if isinstance(trades, dict) else None
    if trade is None or not trade.price > 0:
        raise ChainDataError(f"alpaca latest trade {symbol}: no price in the answer")
    return float(trade.price)


def _call(what: str, fn: Callable[[], T]) -> T:
    """Run one alpaca-py call and translate its failures into the tradefleet error tree."""
    import requests
    from alpaca.common.exceptions import APIError

    try:
        return fn()
    except APIError as exc:
        status = exc.status_code
        text = " ".join(str(exc).split())[:200]
        if status in (401, 403):
            raise AuthError(f"alpaca {what}: credentials refused ({status}): {text}") from None
        if status == 429 or (status is not None and status >= 500):
            raw = exc.response.headers.get("Retry-After") if exc.response is not None else None
            raise TransientBrokerError(f"alpaca {what}: HTTP {status}: {text}", _seconds(raw)) from None
        raise ChainDataError(f"alpaca {what}: HTTP {status}: {text}") from None
    except requests.RequestException as exc:
        raise TransientBrokerError(f"alpaca {what}: {type(exc).__name__}: {exc}") from None
    except ValueError as exc:  # pydantic validation of a malformed answer
        raise ChainDataError(f"alpaca {what}: malformed answer: {' '.join(str(exc).split())[:200]}") from None


def _seconds(raw: str | None) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except ValueError:  # an HTTP date: let the caller's backoff decide
        return None


def make_clients(api_key: str, secret_key: str, url_override: str | None = None,
                 retry_wait: float | None = None) -> tuple[OptionHistoricalDataClient, TradingClient,
                                                           StockHistoricalDataClient]:
    """Build the three alpaca-py clients (data, trading for open interest, stocks for spot).

    ``url_override`` points them all at one base URL (a proxy or the loopback fake);
    ``retry_wait`` overrides alpaca-py's 3 s sleep between retries of 429/504.
    """
    from alpaca.data.historical import OptionHistoricalDataClient, StockHistoricalDataClient
    from alpaca.trading.client import TradingClient

    data = OptionHistoricalDataClient(api_key, secret_key, url_override=url_override)
    trading = TradingClient(api_key, secret_key, paper=True, url_override=url_override)
    stocks = StockHistoricalDataClient(api_key, secret_key, url_override=url_override)
    if retry_wait is not None:
        for c in (data, trading, stocks):
            c._retry_wait = retry_wait
    return data, trading, stocks


@dataclass
class AlpacaChainSource:
    """The chain of an underlying in paper and live runs, from Alpaca's snapshot endpoint.

    Called with ``(underlying, now_ns)`` by the option listing
    (:mod:`tradefleet.risk.options.listing`) on every bar and fire of the underlying; each
    call is one fetch (paged by alpaca-py), stamped ``now_ns`` and labelled
    ``alpaca snapshot <UTC time>``. Its quotes are what the paper broker fills at.
    """

    data: Any
    trading: Any = None
    stocks: Any = None
    fetches: int = 0

    @classmethod
    def from_keys(cls, api_key: str, secret_key: str, url_override: str | None = None) -> AlpacaChainSource:
        return cls(*make_clients(api_key, secret_key, url_override))

    def __call__(self, underlying: str, now_ns: int) -> OptionChain:
        from tradefleet.orchestrator.clock import ns_to_dt

        chain = load_alpaca_chain(self.data, underlying, now_ns, trading=self.trading, stocks=self.stocks)
        self.fetches += 1
        stamp = ns_to_dt(now_ns).strftime("%Y-%m-%dT%H:%M:%SZ")
        return replace(chain, provenance=f"alpaca snapshot {stamp}")
