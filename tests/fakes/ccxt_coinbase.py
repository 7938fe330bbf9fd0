"""A loopback fake of Coinbase Advanced Trade REST (the subset ccxt's coinbase uses)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.fakes.fake_http import BookOrder, DuplicateClientId, FakeServer, Reply, Request, VenueBook

TS = "2026-11-22T00:00:00Z"
_STATUS = {"new": "OPEN", "partially_filled": "OPEN", "filled": "FILLED", "canceled": "CANCELLED",
           "rejected": "FAILED"}
PRODUCT = {"product_id": "BTC-USD", "price": "42000", "base_increment": "0.00000001", "quote_increment": "0.01",
           "quote_min_size": "1", "quote_max_size": "150000000", "base_min_size": "0.00000001",
           "base_max_size": "3400", "base_name": "Bitcoin", "quote_name": "US Dollar", "is_disabled": False,
           "status": "online", "cancel_only": False, "limit_only": False, "post_only": False,
           "trading_disabled": False, "product_type": "SPOT", "quote_currency_id": "USD",
           "base_currency_id": "BTC", "display_name": "BTC-USD", "alias_to": []}


def _order(o: BookOrder) -> dict[str, Any]:
    if o.price:
        conf = {"limit_limit_gtc": {"base_size": str(o.qty), "limit_price": str(o.price), "post_only": False}}
    else:
        conf = {"market_market_ioc": {"base_size": str(o.qty)}}
    return {"order_id": o.venue_id, "product_id": o.symbol, "user_id": "u1", "order_configuration": conf,
            "side": o.side.upper(), "client_order_id": o.client_id, "status": _STATUS[o.status],
            "time_in_force": "GOOD_UNTIL_CANCELLED" if o.price else "IMMEDIATE_OR_CANCEL",
            "created_time": TS, "completion_percentage": "0", "filled_size": str(o.filled),
            "average_filled_price": str(o.avg or 0), "number_of_fills": "0", "filled_value": str(o.notional),
            "pending_cancel": False, "size_in_quote": False, "total_fees": "0", "order_type": "LIMIT" if o.price
            else "MARKET", "reject_reason": "", "settled": True, "product_type": "SPOT"}


class FakeCoinbase:
    """Coinbase Advanced Trade on 127.0.0.1 backed by a :class:`VenueBook` (cash in USD)."""

    def __init__(self, book: VenueBook | None = None) -> None:
        self.book = book or VenueBook(prices={"BTC-USD": Decimal(42000)})
        self.server = FakeServer([
            ("GET", r"/api/v3/brokerage/market/products", self.products),
            ("GET", r"/api/v3/brokerage/transaction_summary", self.fees),
            ("GET", r"/api/v3/brokerage/accounts", self.accounts),
            ("POST", r"/api/v3/brokerage/orders", self.submit),
            ("GET", r"/api/v3/brokerage/orders/historical/batch", self.batch),
            ("GET", r"/api/v3/brokerage/orders/historical/fills", self.fills),
            ("GET", r"/api/v3/brokerage/orders/historical/([^/]+)", self.get_order),
            ("POST", r"/api/v3/brokerage/orders/batch_cancel", self.cancel),
        ])
        self.base = self.server.base

    def _signed(self, req: Request) -> Reply | None:
        if not req.headers.get("CB-ACCESS-KEY") or not req.headers.get("CB-ACCESS-SIGN"):
            return Reply({"error": "unauthorized", "error_details": "invalid signature"}, 401)
        return None

    def products(self, req: Request) -> Any:
        if req.arg("product_type") == "FUTURE":
            return {"products": [], "num_products": 0}
        return {"products": [PRODUCT], "num_products": 1}

    def fees(self, req: Request) -> Any:
        return self._signed(req) or {"total_volume": 0, "total_fees": 0, "fee_tier": {
            "pricing_tier": "Advanced 1", "taker_fee_rate": "0.006", "maker_fee_rate": "0.004"}}

    def _acct(self, cur: str, value: Decimal) -> dict[str, Any]:
        return {"uuid": str(uuid.uuid5(uuid.NAMESPACE_OID, cur)), "name": f"{cur} Wallet", "currency": cur,
                "available_balance": {"value": str(value), "currency": cur}, "default": True, "active": True,
                "type": "ACCOUNT_TYPE_CRYPTO" if cur != "USD" else "ACCOUNT_TYPE_FIAT", "ready": True,
                "hold": {"value": "0", "currency": cur}}

    def accounts(self, req: Request) -> Any:
        bad = self._signed(req)
        if bad:
            return bad
        accts = [self._acct("USD", self.book.cash), self._acct("BTC", self.book.positions.get("BTC-USD", Decimal(0)))]
        return {"accounts": accts, "has_next": False, "cursor": "", "size": len(accts)}

    def submit(self, req: Request) -> Any:
        bad = self._signed(req)
        if bad:
            return bad
        body = req.json()
        conf = body["order_configuration"]
        leg = conf.get("limit_limit_gtc") or conf.get("market_market_ioc") or {}
        if "base_size" not in leg:
            return Reply({"error": "INVALID_ARGUMENT", "error_details": "base_size required", "message": "bad"}, 400)
        price = Decimal(leg["limit_price"]) if "limit_price" in leg else None
        try:
            o = self.book.place(str(uuid.uuid4()), body["client_order_id"], body["product_id"],
                                body["side"].lower(), Decimal(leg["base_size"]), price)
        except DuplicateClientId:
            return {"success": False, "error_response": {"error": "INVALID_ARGUMENT", "message": "duplicate client_order_id",
                                                         "preview_failure_reason": "INVALID_ARGUMENT"}}
        if o.status == "rejected":
            return {"success": False, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": o.venue_id,
                    "error_response": {"error": "INSUFFICIENT_FUND", "message": "Insufficient balance in source account",
                                       "preview_failure_reason": "PREVIEW_INSUFFICIENT_FUND"}}
        return {"success": True, "success_response": {"order_id": o.venue_id, "product_id": o.symbol,
                                                      "side": o.side.upper(), "client_order_id": o.client_id},
                "order_configuration": conf}

    def batch(self, req: Request) -> Any:
        pid = req.arg("product_id")
        statuses = req.query.get("order_status")
        orders = [_order(o) for o in self.book.orders.values() if pid in (None, o.symbol)]
        if statuses:
            orders = [o for o in orders if o["status"] in statuses]
        return {"orders": orders, "sequence": "0", "has_next": False, "cursor": ""}

    def get_order(self, req: Request, oid: str) -> Any:
        o = self.book.orders.get(oid)
        return {"order": _order(o)} if o else Reply({"error": "NOT_FOUND", "message": "order not found"}, 404)

    def cancel(self, req: Request) -> Any:
        results = []
        for oid in req.json().get("order_ids", []):
            o = self.book.orders.get(oid)
            ok = o is not None and o.open
            if ok:
                self.book.cancel(oid)
            results.append({"success": ok, "failure_reason": "UNKNOWN_CANCEL_FAILURE_REASON" if ok
                            else "UNKNOWN_CANCEL_ORDER", "order_id": oid})
        return {"results": results}

    def fills(self, req: Request) -> Any:
        pid = req.arg("product_id")
        return {"fills": [{"entry_id": f"e{f.trade_id}", "trade_id": f.trade_id, "order_id": f.venue_id,
                           "trade_time": TS, "trade_type": "FILL", "price": str(f.price), "size": str(f.qty),
                           "commission": str(f.fee), "product_id": f.symbol, "sequence_timestamp": TS,
                           "liquidity_indicator": "TAKER", "size_in_quote": False, "user_id": "u1",
                           "side": f.side.upper()} for f in self.book.fills if pid in (None, f.symbol)],
                "cursor": ""}
