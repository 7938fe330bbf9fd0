"""Alpaca (US stocks, crypto and options) on alpaca-py's ``TradingClient``.

The client order id is sent as ``client_order_id``; an order is looked up with
``GET /v2/orders:by_client_order_id``; fills come from ``GET /v2/account/activities/FILL``
(activity id = trade id). The client's own 429/504 retry loop is switched off (it would
resend writes and sleeps 3 s); requests get a timeout (alpaca-py sets none).

Options: an OCC symbol (``GOOG240119C00150000``) is an option contract; quantities are
contracts. Alpaca takes option orders as market or limit, good for the day (a GTC option
order is sent as DAY; a stop or trailing one is refused before it is sent). A multi-leg
option intent sent as a venue combo (:meth:`AlpacaBroker.submit_combo`) is ONE ``mleg``
order: ``qty`` units of the structure, each leg a ``ratio_qty`` with its side and position
intent (``*_to_close`` for a reduce-only leg), at a net limit (positive: debit, negative:
credit) or at the market; Alpaca fills the legs together or not at all, each leg with its
own venue id, whose fills are booked to that leg's client order id.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, ClassVar

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.sections import AccountConfig
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.domain import TimeInForce as TIF
from tradefleet.orchestrator.errors import OrderRejected
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.occ import is_occ
from tradefleet.orchestrator.execution.linked import Linked
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
    native_brackets: ClassVar[bool] = True  # order_class bracket (both exits) or oto (one)
    native_oco: ClassVar[bool] = True       # order_class oco: a limit take-profit and a stop-loss
    supports_combo: ClassVar[bool] = True   # order_class mleg: multi-leg option orders, all legs or none
    combo_scope: ClassVar[str] = "options (mleg)"

    @staticmethod
    def combo_for(instruments: tuple[str, ...] | list[str]) -> bool:
        """Alpaca's multi-leg orders take option legs only."""
        return all(is_occ(s) for s in instruments)

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
        self._leg_cid: dict[str, str] = {}  # venue id of a leg -> our client id
        self._leg_vid: dict[str, str] = {}  # our client id -> venue id (legs, and ids the store kept)

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
        # a bracket/OCO leg carries a client id Alpaca made up: it is reported under ours
        cid = self._leg_cid.get(str(o.id), o.client_order_id)
        self.remember(str(o.id), cid)
        return VenueOrder(cid, str(o.id), self.symbols.local(o.symbol or ""), side, qty, filled, status, avg)

    # -- native brackets and OCO ------------------------------------------------------------
    def linked_problem(self, group: Linked) -> str | None:
        symbol = self.symbols.venue(group.orders[0].instrument)
        if "/" in symbol:
            return f"alpaca holds brackets and OCO orders for US equities only, not {symbol}"
        entry = group.entry
        if entry is not None:
            if entry.order_type not in (OrderType.MARKET, OrderType.LIMIT):
                return f"alpaca brackets enter with a market or limit order, not {entry.order_type.value}"
            if entry.time_in_force not in (TIF.DAY, TIF.GTC):
                return f"alpaca brackets are day or GTC, not {entry.time_in_force.value}"
            if entry.post_only or entry.trail_amount is not None or entry.trail_percent is not None:
                return "alpaca brackets carry no post-only or trailing entry"
        for o in group.exits:
            if o.time_in_force not in (TIF.DAY, TIF.GTC):
                return f"alpaca exits are day or GTC, not {o.time_in_force.value}"
        return None

    def _submit_linked(self, group: Linked) -> list[VenueOrder]:
        from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
        from alpaca.trading.requests import (LimitOrderRequest, MarketOrderRequest, StopLossRequest,
                                             TakeProfitRequest)

        tp, sl = group.take_profit, group.stop_loss
        legs: dict[str, Any] = {}
        if tp is not None:
            legs["take_profit"] = TakeProfitRequest(limit_price=float(tp.limit_price or 0))
        if sl is not None:
            legs["stop_loss"] = StopLossRequest(
                stop_price=float(sl.stop_price or 0),
                **({"limit_price": float(sl.limit_price)} if sl.order_type is OrderType.STOP_LIMIT else {}))
        primary = group.entry if group.entry is not None else tp
        assert primary is not None
        tif = primary.time_in_force.value if primary.time_in_force in (TIF.DAY, TIF.GTC) else "gtc"
        common: dict[str, Any] = dict(
            symbol=self.symbols.venue(primary.instrument), qty=float(primary.quantity),
            side=OrderSide.BUY if primary.side is Side.BUY else OrderSide.SELL,
            time_in_force=TimeInForce(tif), client_order_id=primary.client_order_id, **legs)
        if group.entry is None:
            klass = OrderClass.OCO
        else:
            klass = OrderClass.BRACKET if tp is not None and sl is not None else OrderClass.OTO
        common["order_class"] = klass
        if primary.order_type is OrderType.LIMIT:
            req: Any = LimitOrderRequest(limit_price=float(primary.limit_price or 0), **common)
        else:
            req = MarketOrderRequest(**common)
        placed = self.client.submit_order(req)
        self._learn_legs(group, placed)
        head = self._venue_order(placed)
        by_role = {self._role_of(leg): leg for leg in placed.legs or []}
        out = [head]
        for o in group.exits[1:] if group.entry is None else group.exits:
            leg = by_role.get(group.role(o.client_order_id))
            out.append(self._venue_order(leg) if leg is not None else
                       VenueOrder(o.client_order_id, "", o.instrument, o.side, o.quantity, Decimal(0),
                                  OrderStatus.UNKNOWN, reason="leg missing from alpaca's answer"))
        return out

    @staticmethod
    def _role_of(leg: Any) -> str:
        kind = str(getattr(leg.type, "value", leg.type) or getattr(leg.order_type, "value", ""))
        return "take_profit" if kind == "limit" else "stop_loss"

    def _learn_legs(self, group: Linked, placed: Any) -> None:
        """Remember which Alpaca leg is which of our exits (by its type)."""
        ours = {group.role(o.client_order_id): o.client_order_id for o in group.exits}
        if group.entry is None and group.take_profit is not None:
            ours.pop("take_profit", None)  # the OCO's primary order is the take-profit itself
        for leg in placed.legs or []:
            cid = ours.get(self._role_of(leg))
            if cid:
                self._leg_cid[str(leg.id)] = cid
                self._leg_vid[cid] = str(leg.id)
                self.remember(str(leg.id), cid)

    def register_ids(self, ids: dict[str, str]) -> None:
        """Venue ids the store kept (after a restart): bracket legs are found by them."""
        for cid, vid in ids.items():
            if vid:
                self._leg_vid[cid] = vid
                self._leg_cid.setdefault(vid, cid)
                self.remember(vid, cid)

    def _leg(self, client_order_id: str) -> VenueOrder | None:
        """A leg of a native bracket/OCO: by its venue id, else found under its primary order
        (a restart before the venue's answer was stored)."""
        vid = self._leg_vid.get(client_order_id)
        if vid:
            return self._by_venue_id(vid)
        group = self.groups.get(client_order_id)
        if group is None:
            return None
        primary = group.entry if group.entry is not None else group.take_profit
        if primary is None or primary.client_order_id == client_order_id:
            return None
        try:
            placed = self.client.get_order_by_client_id(primary.client_order_id)
        except Exception as exc:
            if self.classify(exc) is not None and getattr(exc, "status_code", None) == 404:
                return None
            raise
        self._learn_legs(group, placed)
        vid = self._leg_vid.get(client_order_id)
        return self._by_venue_id(vid) if vid else None

    # -- venue calls ----------------------------------------------------------------
    def _submit(self, order: Order) -> VenueOrder:
        from alpaca.trading.enums import OrderSide, TimeInForce
        from alpaca.trading.requests import (LimitOrderRequest, MarketOrderRequest, StopLimitOrderRequest,
                                             StopOrderRequest, TrailingStopOrderRequest)

        tif = order.time_in_force.value
        if order.order_type is OrderType.MARKET and order.time_in_force is TIF.GTC:
            tif = self.cfg.extra.get("time_in_force", "day")  # the account's default for plain market orders
        if is_occ(order.instrument):
            if order.order_type not in (OrderType.MARKET, OrderType.LIMIT):
                raise OrderRejected(f"order {order.client_order_id}: alpaca takes option orders as market or limit, "
                                    f"not {order.order_type.value}")
            if order.time_in_force is TIF.GTC:
                tif = "day"  # alpaca's option orders are day orders
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

    def submit_combo(self, orders: list[Order], units: Decimal, net_limit: Decimal | None) -> list[VenueOrder]:
        """Send ``orders`` (the legs, each ``ratio x units`` contracts) as one mleg order;
        return each leg's venue order, in the order given."""
        return self._write(f"submit combo {orders[0].client_order_id}",
                           lambda: self._submit_combo(orders, units, net_limit))

    def _submit_combo(self, orders: list[Order], units: Decimal, net_limit: Decimal | None) -> list[VenueOrder]:
        from alpaca.trading.enums import OrderClass, OrderSide, PositionIntent, TimeInForce
        from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, OptionLegRequest

        legs = []
        for o in orders:
            if not is_occ(o.instrument):
                raise OrderRejected(f"combo {orders[0].client_order_id}: alpaca's multi-leg orders take option "
                                    f"legs only, not {o.instrument}")
            ratio = o.quantity / units
            if ratio != ratio.to_integral_value():
                raise OrderRejected(f"combo {orders[0].client_order_id}: leg {o.instrument} is {o.quantity} for "
                                    f"{units} units, not a whole ratio")
            buy = o.side is Side.BUY
            intent = (PositionIntent.BUY_TO_CLOSE if buy else PositionIntent.SELL_TO_CLOSE) if o.reduce_only else \
                (PositionIntent.BUY_TO_OPEN if buy else PositionIntent.SELL_TO_OPEN)
            legs.append(OptionLegRequest(symbol=self.symbols.venue(o.instrument), ratio_qty=float(ratio),
                                         side=OrderSide.BUY if buy else OrderSide.SELL, position_intent=intent))
        common: dict[str, Any] = dict(qty=float(units), time_in_force=TimeInForce.DAY, order_class=OrderClass.MLEG,
                                      legs=legs, client_order_id=combo_id(orders))
        req: Any = (LimitOrderRequest(limit_price=float(net_limit), **common) if net_limit is not None
                    else MarketOrderRequest(**common))
        placed = self.client.submit_order(req)
        return self._learn_combo(orders, placed)

    def _learn_combo(self, orders: list[Order], placed: Any) -> list[VenueOrder]:
        """Map each leg Alpaca made to our leg order (by symbol); report each as ours."""
        by_symbol = {self.symbols.local(str(leg.symbol)): leg for leg in placed.legs or []}
        out = []
        for o in orders:
            leg = by_symbol.get(o.instrument)
            if leg is None:
                out.append(VenueOrder(o.client_order_id, "", o.instrument, o.side, o.quantity, Decimal(0),
                                      OrderStatus.UNKNOWN, reason="leg missing from alpaca's answer"))
                continue
            self._leg_cid[str(leg.id)] = o.client_order_id
            self._leg_vid[o.client_order_id] = str(leg.id)
            self.remember(str(leg.id), o.client_order_id)
            out.append(self._venue_order(leg))
        return out

    def _query(self, client_order_id: str) -> VenueOrder | None:
        if client_order_id in self._leg_vid or client_order_id in self.groups:
            leg = self._leg(client_order_id)
            if leg is not None:
                return leg
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


def combo_id(orders: list[Order]) -> str:
    """The client id of a combo: derived from its first leg's (the same legs, the same id)."""
    return Order.child_id(orders[0].client_order_id, "combo")


def _iso_ns(text: str) -> int:
    from datetime import datetime

    return dt_to_ns(datetime.fromisoformat(text.replace("Z", "+00:00")))
