"""Alpaca (US stocks and crypto) on alpaca-py's ``TradingClient``.

The client order id is sent as ``client_order_id``; an order is looked up with
``GET /v2/orders:by_client_order_id``; fills come from ``GET /v2/account/activities/FILL``
(activity id = trade id). The client's own 429/504 retry loop is switched off (it would
resend writes and sleeps 3 s); requests get a timeout (alpaca-py sets none).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, ClassVar

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.sections import AccountConfig
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.domain import TimeInForce as TIF
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.retry import parse_retry_after
from tradefleet.orchestrator.execution.secrets import REDACTOR, resolve_secret
from tradefleet.orchestrator.execution.venues.base import (AdapterOptions, Failure, FailureKind, SymbolMap, VenueBroker,
                                                VenueNotFound,
                                                dec, http_failure)

_STATUS = {
    "new": OrderStatus.ACCEPTED, "accepted": OrderStatus.ACCEPTED, "pending_new": OrderStatus.SUBMITTED,
    "accepted_for_bidding": OrderStatus.ACCEPTED, "held": OrderStatus.ACCEPTED, "calculated": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED, "filled": OrderStatus.FILLED, "done_for_day": OrderStatus.CANCELED,
    "canceled": OrderStatus.CANCELED, "expired": OrderStatus.CANCELED, "replaced": OrderStatus.CANCELED,
    "pending_cancel": OrderStatus.ACCEPTED, "pending_replace": OrderStatus.ACCEPTED, "stopped": OrderStatus.ACCEPTED,
    "rejected": OrderStatus.REJECTED, "suspended": OrderStatus.ACCEPTED,
}


_PAGE = 100


class AlpacaBroker(VenueBroker):
    """An Alpaca account (paper or live endpoint, or any ``base_url``)."""

    name: ClassVar[str] = "alpaca"
    venue: ClassVar[str] = "alpaca"
    native_types: ClassVar[frozenset[OrderType]] = frozenset(OrderType)
    native_tif: ClassVar[frozenset[TIF]] = frozenset({TIF.DAY, TIF.GTC, TIF.IOC, TIF.FOK})

    def __init__(self, account: str, cfg: AccountConfig, opts: AdapterOptions) -> None:
        super().__init__(account, cfg, opts)
        from alpaca.trading.client import TradingClient

        key = resolve_secret(self.require(cfg.api_key, "api_key"), opts.environ)
        secret = resolve_secret(self.require(cfg.api_secret, "api_secret"), opts.environ)
        assert key is not None and secret is not None
        REDACTOR.pair(key.get_secret_value(), secret.get_secret_value())
        self.client = TradingClient(key.get_secret_value(), secret.get_secret_value(),
                                    paper=not cfg.live, url_override=cfg.base_url)
        self.client._retry = 0          # never let the client resend a write by itself
        self.client._retry_codes = []
        self.client._retry_wait = 0
        session = self.client._session
        session.request = functools.partial(session.request, timeout=opts.timeout_s)  # type: ignore[method-assign]
        self.symbols = SymbolMap(cfg.extra.get("symbols"))
        self._fill_cursor: str | None = None

    # -- classification -------------------------------------------------------------
    def classify(self, exc: Exception) -> Failure | None:
        from alpaca.common.exceptions import APIError
        from requests import RequestException

        if isinstance(exc, APIError):
            status = exc.status_code
            resp = exc.response
            retry_after = parse_retry_after(resp.headers.get("Retry-After")) if resp is not None else None
            try:
                message = exc.message
            except Exception:  # the body was not Alpaca's JSON
                message = str(exc)[:200]
            # 403 on orders = insufficient buying power / forbidden: a definitive reject
            return http_failure(status, message, retry_after, reject_statuses=(400, 403, 422))
        if isinstance(exc, RequestException):
            return Failure(FailureKind.TRANSIENT, f"{type(exc).__name__}: connection failed")
        return None

    # -- conversions ----------------------------------------------------------------
    def _venue_order(self, o: Any) -> VenueOrder:
        qty, filled = dec(o.qty), dec(o.filled_qty)
        status = _STATUS.get(str(o.status.value if hasattr(o.status, "value") else o.status), OrderStatus.ACCEPTED)
        avg = dec(o.filled_avg_price) if o.filled_avg_price not in (None, "", "0") and filled else None
        side = Side.BUY if str(getattr(o.side, "value", o.side)) == "buy" else Side.SELL
        self.remember(str(o.id), o.client_order_id)
        return VenueOrder(o.client_order_id, str(o.id), self.symbols.local(o.symbol or ""), side, qty, filled,
                          status, avg)

    # -- venue calls ----------------------------------------------------------------
    def _submit(self, order: Order) -> VenueOrder:
        from alpaca.trading.enums import OrderSide, TimeInForce
        from alpaca.trading.requests import (LimitOrderRequest, MarketOrderRequest, StopLimitOrderRequest,
                                             StopOrderRequest, TrailingStopOrderRequest)

        tif = order.time_in_force.value
        if order.order_type is OrderType.MARKET and order.time_in_force is TIF.GTC:
            tif = self.cfg.extra.get("time_in_force", "day")  # the account's default for plain market orders
        common: dict[str, Any] = dict(
            symbol=self.symbols.venue(order.instrument), qty=float(order.quantity),
            side=OrderSide.BUY if order.side is Side.BUY else OrderSide.SELL,
            time_in_force=TimeInForce(tif), client_order_id=order.client_order_id)
        t = order.order_type
        if t is OrderType.LIMIT:
            req: Any = LimitOrderRequest(limit_price=float(order.limit_price or 0), **common)
        elif t is OrderType.STOP:
            req = StopOrderRequest(stop_price=float(order.stop_price or 0), **common)
        elif t is OrderType.STOP_LIMIT:
            req = StopLimitOrderRequest(stop_price=float(order.stop_price or 0),
                                        limit_price=float(order.limit_price or 0), **common)
        elif t is OrderType.TRAILING_STOP:
            trail = ({"trail_price": float(order.trail_amount)} if order.trail_amount is not None
                     else {"trail_percent": float(order.trail_percent or 0)})
            req = TrailingStopOrderRequest(**trail, **common)
        else:
            req = MarketOrderRequest(**common)
        return self._venue_order(self.client.submit_order(req))

    def _query(self, client_order_id: str) -> VenueOrder | None:
        try:
            return self._venue_order(self.client.get_order_by_client_id(client_order_id))
        except Exception as exc:
            if self.classify(exc) is not None and getattr(exc, "status_code", None) == 404:
                return None
            raise

    def _by_venue_id(self, venue_order_id: str) -> VenueOrder | None:
        try:
            return self._venue_order(self.client.get_order_by_id(venue_order_id))
        except Exception as exc:
            if self.classify(exc) is not None and getattr(exc, "status_code", None) == 404:
                return None
            raise

    def _cancel(self, client_order_id: str) -> VenueOrder:
        current = self._query(client_order_id)
        if current is None:
            raise VenueNotFound(f"no order with client id {client_order_id}")
        if current.status.is_open:
            self.client.cancel_order_by_id(current.venue_order_id)
        return self._venue_order(self.client.get_order_by_id(current.venue_order_id))

    def _open_orders(self) -> list[VenueOrder]:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        orders = self.client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500))
        return [self._venue_order(o) for o in orders]

    def _positions(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for p in self.client.get_all_positions():
            qty = dec(p.qty)
            side = str(getattr(p.side, "value", p.side))
            out[self.symbols.local(p.symbol)] = -abs(qty) if side == "short" else qty
        return out

    def _account(self) -> AccountSnapshot:
        a = self.client.get_account()
        return AccountSnapshot(self.name, str(a.currency or "USD"), dec(a.cash), dec(a.equity),
                               dec(a.buying_power) if a.buying_power is not None else None)

    def _fills(self) -> list[Fill]:
        """Fill activities after the last one seen, oldest first, every page."""
        out = []
        for _ in range(1000):  # pages
            params: dict[str, Any] = {"direction": "asc", "page_size": _PAGE}
            if self._fill_cursor:
                params["page_token"] = self._fill_cursor
            rows = self.client.get("/account/activities/FILL", params) or []
            for r in rows:
                out.append(Fill(
                    client_order_id=self.cid_for(str(r["order_id"])), venue=self.name,
                    venue_order_id=str(r["order_id"]), trade_id=str(r["id"]),
                    instrument=self.symbols.local(r["symbol"]), side=Side(r["side"]),
                    quantity=dec(r["qty"]), price=dec(r["price"]), fee=Decimal(0),
                    ts_event=_iso_ns(r["transaction_time"]), ts_init=self.now_ns()))
                self._fill_cursor = str(r["id"])
            if len(rows) < _PAGE:
                break
        return out


def _iso_ns(text: str) -> int:
    from datetime import datetime

    return dt_to_ns(datetime.fromisoformat(text.replace("Z", "+00:00")))
