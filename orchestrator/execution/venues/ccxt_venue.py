"""Any ccxt exchange by id (Coinbase Advanced Trade and Binance spot are tested).

``[accounts.<name>]`` with ``venue = "ccxt"`` (or ``"coinbase"``/``"binance"``) and
``extra = {exchange = "coinbase", markets = ["BTC/USD"]}``; ``base_url`` rewrites every URL in
``urls['api']`` keeping its path (how tests reach the loopback fake). The client order id
goes out as ccxt's unified ``clientOrderId`` (binance ``newClientOrderId``, coinbase
``client_order_id``). ccxt's own rate limiter is off: the adapter's token bucket runs on the
injected clock instead.

Positions on a spot exchange are the base-currency balances of the configured markets.
Coinbase market buys are sent with ``base_size`` (ccxt would otherwise size them in quote).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from tradefleet.orchestrator.sections import AccountConfig
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.domain import TimeInForce as TIF
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.retry import parse_retry_after
from tradefleet.orchestrator.execution.secrets import resolve_secret
from tradefleet.orchestrator.execution.venues.base import (AdapterOptions, Failure, FailureKind, SymbolMap, VenueBroker,
                                                VenueNotFound, dec, status_of)

_EXCHANGE_OPTIONS: dict[str, dict[str, Any]] = {
    "binance": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False,
                "warnOnFetchOpenOrdersWithoutSymbol": False},
    "coinbase": {"fetchBalance": "v3PrivateGetBrokerageAccounts", "createMarketBuyOrderRequiresPrice": False},
}


def point_at(urls: Any, base: str) -> Any:
    """Rewrite scheme and host of every URL in ccxt's ``urls['api']`` to ``base``."""
    if isinstance(urls, str):
        return re.sub(r"^(https?|wss?)://[^/]+", base.rstrip("/"), urls)
    if isinstance(urls, dict):
        return {k: point_at(v, base) for k, v in urls.items()}
    return urls


class CcxtBroker(VenueBroker):
    """A spot account on any ccxt exchange."""

    name: ClassVar[str] = "ccxt"
    venue: ClassVar[str] = "ccxt"
    native_types: ClassVar[frozenset[OrderType]] = frozenset(
        {OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT})
    native_tif: ClassVar[frozenset[TIF]] = frozenset({TIF.GTC, TIF.IOC, TIF.FOK})
    post_only: ClassVar[bool] = True

    def __init__(self, account: str, cfg: AccountConfig, opts: AdapterOptions) -> None:
        import ccxt

        self.exchange_id = str(cfg.extra.get("exchange") or (cfg.venue if cfg.venue != "ccxt" else ""))
        if not self.exchange_id or not hasattr(ccxt, self.exchange_id):
            from tradefleet.orchestrator.errors import ConfigError

            raise ConfigError(f"[accounts.{account}] extra.exchange: unknown ccxt exchange {self.exchange_id!r}")
        super().__init__(account, cfg, opts)
        key = resolve_secret(cfg.api_key, opts.environ)
        secret = resolve_secret(cfg.api_secret, opts.environ)
        params: dict[str, Any] = {"enableRateLimit": False, "timeout": int(opts.timeout_s * 1000),
                                  "options": dict(_EXCHANGE_OPTIONS.get(self.exchange_id, {}))}
        if key is not None:
            params["apiKey"] = key.get_secret_value()
        if secret is not None:
            params["secret"] = secret.get_secret_value()
        self.ex = getattr(ccxt, self.exchange_id)(params)
        if cfg.base_url:
            self.ex.urls["api"] = point_at(self.ex.urls["api"], cfg.base_url)
        elif not cfg.live:  # a paper account must never reach the live endpoint
            try:
                self.ex.set_sandbox_mode(True)
            except ccxt.NotSupported:
                from tradefleet.orchestrator.errors import ConfigError

                raise ConfigError(f"[accounts.{account}] {self.exchange_id} has no sandbox in ccxt: set base_url "
                                  "to a test endpoint, or live = true (and run with --live)") from None
        self.ex.has["fetchCurrencies"] = False
        self._last_status: int | None = None
        self.ex.session.hooks["response"].append(self._keep_status)
        self.markets: list[str] = list(cfg.extra.get("markets", []))
        self.symbols = SymbolMap(cfg.extra.get("symbols"))
        self._loaded = False
        self._symbol_of: dict[str, str] = {}
        self._trades_since: dict[str, int] = {}

    def _keep_status(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        self._last_status = response.status_code
        return response

    def _load(self) -> None:
        if not self._loaded:
            self.ex.load_markets()
            self._loaded = True

    # -- classification -------------------------------------------------------------
    def classify(self, exc: Exception) -> Failure | None:
        import ccxt

        msg = f"{type(exc).__name__}: {str(exc)[:300]}"
        status = self._last_status if isinstance(exc, ccxt.BaseError) else None
        self._last_status = None
        if status == 401:  # whatever the exchange-specific body parser made of it
            return Failure(FailureKind.AUTH, msg)
        if isinstance(exc, ccxt.OrderNotFound):
            return Failure(FailureKind.NOT_FOUND, msg)
        if isinstance(exc, (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.AccountSuspended,
                            ccxt.InvalidNonce)):  # InvalidNonce = timestamp outside recvWindow: clock skew
            return Failure(FailureKind.AUTH, msg)
        if isinstance(exc, ccxt.NetworkError):  # timeouts, resets, 5xx, 429 (DDoSProtection)
            headers = getattr(self.ex, "last_response_headers", None) or {}
            retry_after = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
            return Failure(FailureKind.TRANSIENT, msg, retry_after)
        if isinstance(exc, (ccxt.InsufficientFunds, ccxt.InvalidOrder, ccxt.BadRequest, ccxt.BadSymbol,
                            ccxt.NotSupported, ccxt.ArgumentsRequired, ccxt.MarginModeAlreadySet)):
            return Failure(FailureKind.REJECT, msg)  # definitive answers about the order itself
        if isinstance(exc, ccxt.BaseError):
            # a generic ExchangeError may be a 5xx with a JSON body (coinbase maps
            # internal_server_error to ExchangeError): never read it as a reject
            return Failure(FailureKind.TRANSIENT, msg)
        return None

    # -- conversions ----------------------------------------------------------------
    def _venue_order(self, o: dict[str, Any], order: Order | None = None) -> VenueOrder:
        cid = o.get("clientOrderId") or (order.client_order_id if order else "")
        vid = str(o.get("id") or "")
        self.remember(vid, cid)
        symbol = o.get("symbol") or (self.symbols.venue(order.instrument) if order else "")
        qty = dec(o.get("amount")) if o.get("amount") is not None else (order.quantity if order else Decimal(0))
        filled = dec(o.get("filled"))
        st = o.get("status")
        status = status_of(qty, filled, st == "closed", st in ("canceled", "expired"), st == "rejected")
        if st is None:
            status = OrderStatus.SUBMITTED if filled == 0 else status
        side_raw = o.get("side") or (order.side.value if order else "buy")
        avg = dec(o["average"]) if o.get("average") and filled else None
        return VenueOrder(cid, vid, self.symbols.local(symbol), Side(side_raw), qty, filled, status, avg)

    def _symbol_for(self, client_order_id: str) -> list[str]:
        known = self._symbol_of.get(client_order_id)
        return [known] if known else [self.symbols.venue(m) for m in self.markets]

    # -- venue calls ----------------------------------------------------------------
    def _submit(self, order: Order) -> VenueOrder:
        self._load()
        symbol = self.symbols.venue(order.instrument)
        self._symbol_of[order.client_order_id] = symbol
        params: dict[str, Any] = {"clientOrderId": order.client_order_id}
        if self.exchange_id == "coinbase":  # ccxt 4.5 omits the unified clientOrderId there
            params["client_order_id"] = order.client_order_id
        t = order.order_type
        limited = t in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        price = float(order.limit_price) if limited and order.limit_price else None
        if t in (OrderType.STOP, OrderType.STOP_LIMIT):
            # ccxt's unified trigger: binance spot names its stop orders STOP_LOSS(_LIMIT)
            key = "stopLossPrice" if self.exchange_id == "binance" else "triggerPrice"
            params[key] = float(order.stop_price or 0)
        if order.post_only:
            params["postOnly"] = True
        if order.time_in_force in (TIF.IOC, TIF.FOK):  # GTC is ccxt's default for limits
            params["timeInForce"] = order.time_in_force.value.upper()
        if self.exchange_id == "coinbase" and t is OrderType.MARKET and order.side is Side.BUY:
            params["order_configuration"] = {"market_market_ioc": {
                "base_size": self.ex.amount_to_precision(symbol, float(order.quantity))}}
        kind = "limit" if limited else "market"
        o = self.ex.create_order(symbol, kind, order.side.value, float(order.quantity), price, params)
        return self._venue_order(o, order)

    def _find(self, client_order_id: str) -> dict[str, Any] | None:
        import ccxt

        self._load()
        for symbol in self._symbol_for(client_order_id):
            if self.exchange_id == "binance":
                try:
                    return dict(self.ex.fetch_order(None, symbol, {"clientOrderId": client_order_id}))
                except ccxt.OrderNotFound:
                    continue
            for o in self.ex.fetch_orders(symbol):
                if o.get("clientOrderId") == client_order_id:
                    return dict(o)
        return None

    def _query(self, client_order_id: str) -> VenueOrder | None:
        o = self._find(client_order_id)
        return self._venue_order(o) if o is not None else None

    def _cancel(self, client_order_id: str) -> VenueOrder:
        o = self._find(client_order_id)
        if o is None:
            raise VenueNotFound(f"no order with client id {client_order_id}")
        current = self._venue_order(o)
        if current.status.is_open:
            self.ex.cancel_order(current.venue_order_id, o.get("symbol"))
        again = self._find(client_order_id)
        return self._venue_order(again) if again else current

    def _open_orders(self) -> list[VenueOrder]:
        self._load()
        out: list[VenueOrder] = []
        for symbol in [self.symbols.venue(m) for m in self.markets] or [None]:
            out.extend(self._venue_order(o) for o in self.ex.fetch_open_orders(symbol))
        return out

    def _positions(self) -> dict[str, Decimal]:
        self._load()
        bal = self.ex.fetch_balance()
        out: dict[str, Decimal] = {}
        for m in self.markets:
            base = self.ex.market(self.symbols.venue(m))["base"]
            total = (bal.get("total") or {}).get(base)
            if total:
                out[m] = dec(total)
        return out

    def _account(self) -> AccountSnapshot:
        self._load()
        bal = self.ex.fetch_balance()
        quote = str(self.cfg.extra.get("quote", "USD"))
        cash = dec((bal.get("total") or {}).get(quote))
        return AccountSnapshot(self.exchange_id, quote, cash, cash)

    def _fills(self) -> list[Fill]:
        self._load()
        out = []
        for m in self.markets:
            # from the last trade seen (inclusive: duplicates are dropped by trade id)
            for t in self.ex.fetch_my_trades(self.symbols.venue(m), self._trades_since.get(m)):
                if t.get("timestamp"):
                    self._trades_since[m] = max(self._trades_since.get(m, 0), int(t["timestamp"]))
                fee = (t.get("fee") or {}).get("cost")
                out.append(Fill(self.cid_for(str(t["order"])), self.exchange_id, str(t["order"]), str(t["id"]),
                                m, Side(t["side"]), dec(t["amount"]), dec(t["price"]), dec(fee),
                                int(t["timestamp"] or 0) * 1_000_000, self.now_ns()))
        return out


class CoinbaseBroker(CcxtBroker):
    """Coinbase Advanced Trade through ccxt. ccxt's coinbase takes stop-limit triggers only
    ("only stop limit orders are supported"): a stop (market) or trailing stop is held by the
    order manager and released as a market order."""

    name: ClassVar[str] = "coinbase"
    venue: ClassVar[str] = "coinbase"
    native_types: ClassVar[frozenset[OrderType]] = frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LIMIT})


class BinanceBroker(CcxtBroker):
    """Binance spot through ccxt."""

    name: ClassVar[str] = "binance"
    venue: ClassVar[str] = "binance"
