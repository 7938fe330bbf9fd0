"""A loopback fake of Binance spot REST (the subset ccxt's binance uses for CcxtBroker)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes.fake_http import BookOrder, DuplicateClientId, FakeServer, Reply, Request, VenueBook

MARKETS = {"BTCUSDT": ("BTC", "USDT")}
_STATUS = {"new": "NEW", "partially_filled": "PARTIALLY_FILLED", "filled": "FILLED", "canceled": "CANCELED",
           "rejected": "REJECTED"}
T0 = 1795305600000


def _order(o: BookOrder) -> dict[str, Any]:
    return {"symbol": o.symbol, "orderId": int(o.venue_id), "orderListId": -1, "clientOrderId": o.client_id,
            "price": str(o.price or "0.00000000"), "origQty": str(o.qty), "executedQty": str(o.filled),
            "cummulativeQuoteQty": str(o.notional), "status": _STATUS[o.status], "timeInForce": "GTC",
            "type": "LIMIT" if o.price else "MARKET", "side": o.side.upper(), "time": T0 + o.seq,
            "updateTime": T0 + o.seq, "isWorking": True, "origQuoteOrderQty": "0", "transactTime": T0 + o.seq}


def _err(code: int, msg: str, status: int = 400) -> Reply:
    return Reply({"code": code, "msg": msg}, status)


class FakeBinance:
    """Binance spot API on 127.0.0.1 backed by a :class:`VenueBook` (cash in USDT)."""

    def __init__(self, book: VenueBook | None = None) -> None:
        self.book = book or VenueBook(prices={"BTCUSDT": Decimal(42000)})
        self.server = FakeServer([
            ("GET", r"/api/v3/exchangeInfo", self.info),
            ("GET", r"/api/v3/account", self.account),
            ("POST", r"/api/v3/order", self.submit),
            ("GET", r"/api/v3/order", self.get_order),
            ("DELETE", r"/api/v3/order", self.cancel),
            ("GET", r"/api/v3/openOrders", self.open_orders),
            ("GET", r"/api/v3/allOrders", self.all_orders),
            ("GET", r"/api/v3/myTrades", self.trades),
        ])
        self.base = self.server.base

    def _signed(self, req: Request) -> Reply | None:
        if not req.headers.get("X-MBX-APIKEY"):
            return _err(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return None

    def info(self, req: Request) -> Any:
        return {"timezone": "UTC", "serverTime": T0, "rateLimits": [], "exchangeFilters": [], "symbols": [
            {"symbol": s, "status": "TRADING", "baseAsset": b, "quoteAsset": q, "baseAssetPrecision": 8,
             "quotePrecision": 8, "quoteAssetPrecision": 8, "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
             "isSpotTradingAllowed": True, "isMarginTradingAllowed": False, "permissions": ["SPOT"],
             "permissionSets": [["SPOT"]], "filters": [
                 {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
                 {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"},
                 {"filterType": "NOTIONAL", "minNotional": "5", "maxNotional": "9000000"}]}
            for s, (b, q) in MARKETS.items()]}

    def account(self, req: Request) -> Any:
        bad = self._signed(req)
        if bad:
            return bad
        balances = [{"asset": "USDT", "free": str(self.book.cash), "locked": "0.0"}]
        for sym, (base, _) in MARKETS.items():
            balances.append({"asset": base, "free": str(self.book.positions.get(sym, Decimal(0))), "locked": "0.0"})
        return {"makerCommission": 10, "takerCommission": 10, "canTrade": True, "updateTime": T0,
                "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"]}

    def submit(self, req: Request) -> Any:
        bad = self._signed(req)
        if bad:
            return bad
        f = req.form()
        price = Decimal(f["price"]) if f.get("price") else None
        try:
            o = self.book.place(str(self.book.next_id()), f.get("newClientOrderId", ""), f["symbol"],
                                f["side"].lower(), Decimal(f["quantity"]), price)
        except DuplicateClientId:
            return _err(-2010, "Duplicate order sent.")
        if o.status == "rejected":
            return _err(-2010, "Account has insufficient balance for requested action.")
        out = _order(o)
        out["fills"] = [{"price": str(x.price), "qty": str(x.qty), "commission": str(x.fee),
                         "commissionAsset": "USDT", "tradeId": int(x.trade_id)}
                        for x in self.book.fills if x.venue_id == o.venue_id]
        return out

    def _lookup(self, req: Request) -> BookOrder | None:
        if req.arg("origClientOrderId"):
            return self.book.by_client(req.arg("origClientOrderId") or "")
        return self.book.orders.get(req.arg("orderId") or "")

    def get_order(self, req: Request) -> Any:
        o = self._lookup(req)
        return _order(o) if o else _err(-2013, "Order does not exist.")

    def cancel(self, req: Request) -> Any:
        o = self._lookup(req)
        if o is None or not o.open:
            return _err(-2011, "Unknown order sent.")
        self.book.cancel(o.venue_id)
        return _order(o)

    def open_orders(self, req: Request) -> Any:
        return [_order(o) for o in self.book.orders.values() if o.open]

    def all_orders(self, req: Request) -> Any:
        return [_order(o) for o in self.book.orders.values() if o.symbol == req.arg("symbol")]

    def trades(self, req: Request) -> Any:
        return [{"symbol": f.symbol, "id": int(f.trade_id), "orderId": int(f.venue_id), "orderListId": -1,
                 "price": str(f.price), "qty": str(f.qty), "quoteQty": str(f.qty * f.price),
                 "commission": str(f.fee), "commissionAsset": "USDT", "time": T0 + f.seq,
                 "isBuyer": f.side == "buy", "isMaker": False, "isBestMatch": True}
                for f in self.book.fills if f.symbol == req.arg("symbol")
                and T0 + f.seq >= int(req.arg("startTime", "0") or 0)]
