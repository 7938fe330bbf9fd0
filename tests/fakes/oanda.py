"""A loopback fake of OANDA v20 REST (the subset OandaBroker uses)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes.fake_http import BookOrder, DuplicateClientId, FakeServer, Reply, Request, VenueBook

TS = "2026-11-22T00:00:00.000000000Z"
ACCOUNT = "101-004-1234567-001"
_STATE = {"held": "PENDING", "new": "PENDING", "partially_filled": "PENDING", "filled": "FILLED", "canceled": "CANCELLED",
          "rejected": "CANCELLED"}


class FakeOanda:
    """OANDA v20 on 127.0.0.1 backed by a :class:`VenueBook`."""

    def __init__(self, book: VenueBook | None = None) -> None:
        self.book = book or VenueBook(prices={"EUR_USD": Decimal("1.10000")})
        a = rf"/v3/accounts/{ACCOUNT}"
        self.server = FakeServer([
            ("GET", a + r"/summary", self.summary),
            ("POST", a + r"/orders", self.submit),
            ("GET", a + r"/orders/([^/]+)", self.get_order),
            ("PUT", a + r"/orders/([^/]+)/cancel", self.cancel),
            ("GET", a + r"/pendingOrders", self.pending),
            ("GET", a + r"/openPositions", self.positions),
            ("GET", a + r"/transactions/sinceid", self.since),
            ("GET", a + r"/transactions/stream", self.stream),
            ("GET", a + r"/transactions/(\d+)", self.txn),
        ])
        self.base = self.server.base
        self.stream_from = 0        # the stream delivers transactions with id > this
        self.freeze_stream = False  # True: only heartbeats (still reporting lastTransactionID)

    def _auth(self, req: Request) -> Reply | None:
        if not req.headers.get("Authorization", "").startswith("Bearer "):
            return Reply({"errorMessage": "Insufficient authorization to perform request."}, 401)
        return None

    def _order(self, o: BookOrder) -> dict[str, Any]:
        units = o.qty if o.side == "buy" else -o.qty
        if o.parent is not None:  # a take-profit/stop-loss on the trade its entry opened: no units
            entry = self.book.orders[o.parent]
            out = {"id": o.venue_id, "createTime": TS, "type": "TAKE_PROFIT" if o.type == "limit" else "STOP_LOSS",
                   "tradeID": entry.venue_id, "price": str(o.price if o.type == "limit" else o.stop),
                   "state": _STATE[o.status], "timeInForce": "GTC", "triggerCondition": "DEFAULT",
                   "clientExtensions": {"id": o.client_id}}
            fills = [f for f in self.book.fills if f.venue_id == o.venue_id]
            if o.status == "filled" and fills:
                out["fillingTransactionID"] = fills[-1].trade_id
            if o.status == "canceled":
                out["cancelledReason"] = "LINKED_TRADE_CLOSED" if o.reason == "oco sibling filled" else "CLIENT_REQUEST"
            return out
        out: dict[str, Any] = {"id": o.venue_id, "createTime": TS, "type": o.type.upper() if o.kind else
                               ("LIMIT" if o.price else "MARKET"),
                               "instrument": o.symbol, "units": str(units), "state": _STATE[o.status],
                               "timeInForce": "GTC" if o.price or o.stop else "FOK", "positionFill": "DEFAULT",
                               "clientExtensions": {"id": o.client_id}}
        if o.price or o.stop:
            out["price"] = str(o.stop if o.kind == "stop" else o.price)
        for key, kind in (("takeProfitOnFill", "limit"), ("stopLossOnFill", "stop")):
            for v in o.children:
                child = self.book.orders[v]
                if child.type == kind:
                    out[key] = {"price": str(child.price if kind == "limit" else child.stop), "timeInForce": "GTC",
                                "clientExtensions": {"id": child.client_id}}
        fills = [f for f in self.book.fills if f.venue_id == o.venue_id]
        if o.status == "filled" and fills:
            out["fillingTransactionID"] = fills[-1].trade_id
            out["filledTime"] = TS
        if o.status in ("canceled", "rejected"):
            out["cancelledReason"] = o.reason or "CLIENT_REQUEST"
        return out

    def _fill_txn(self, f: Any) -> dict[str, Any]:
        units = f.qty if f.side == "buy" else -f.qty
        return {"id": f.trade_id, "type": "ORDER_FILL", "orderID": f.venue_id, "clientOrderID": f.client_id,
                "instrument": f.symbol, "units": str(units), "price": str(f.price), "commission": str(f.fee),
                "financing": "0.0000", "pl": "0.0000", "time": TS, "accountID": ACCOUNT,
                "reason": "MARKET_ORDER" if True else ""}

    def _find(self, spec: str) -> BookOrder | None:
        o = self.book.by_client(spec[1:]) if spec.startswith("@") else self.book.orders.get(spec)
        # a take-profit/stop-loss on fill does not exist until its entry fills
        return None if o is not None and o.status == "held" else o

    def summary(self, req: Request) -> Any:
        bad = self._auth(req)
        if bad:
            return bad
        last = self._last()
        return {"account": {"id": ACCOUNT, "currency": "USD", "balance": str(self.book.cash), "NAV": str(self.book.cash),
                            "unrealizedPL": "0.0000", "marginUsed": "0.0000", "marginAvailable": str(self.book.cash),
                            "openTradeCount": 0, "openPositionCount": len(self.book.positions),
                            "pendingOrderCount": 0, "lastTransactionID": last}, "lastTransactionID": last}

    def _last(self) -> str:
        return str(max([int(f.trade_id) for f in self.book.fills] + [int(o.venue_id) for o in self.book.orders.values()]
                       + [1]))

    def submit(self, req: Request) -> Any:
        bad = self._auth(req)
        if bad:
            return bad
        body = req.json()["order"]
        units = Decimal(body["units"])
        price = Decimal(body["price"]) if body.get("price") else None
        cid = (body.get("clientExtensions") or {}).get("id", "")
        on_fill = [(body[k], kind) for k, kind in (("takeProfitOnFill", "limit"), ("stopLossOnFill", "stop"))
                   if body.get(k)]
        for spec, _ in on_fill:
            if self.book.by_client((spec.get("clientExtensions") or {}).get("id", "")) is not None:
                return Reply({"errorCode": "CLIENT_ORDER_ID_ALREADY_EXISTS",
                              "errorMessage": "The client order ID specified is already assigned"}, 400)
        kind = "stop" if body.get("type") == "STOP" else ""
        with self.book.lock:  # the exits are known (held in the entry's spec) before it can fill
            behaviour = self.book.behaviour.pop(0) if self.book.behaviour else "fill"
            self.book.behaviour.insert(0, "rest" if on_fill and behaviour == "fill" else behaviour)
            try:
                o = self.book.place(str(self.book.next_id()), cid, body["instrument"], "buy" if units > 0 else "sell",
                                    abs(units), price)
            except DuplicateClientId:
                self.book.behaviour.pop(0)
                return Reply({"errorCode": "CLIENT_ORDER_ID_ALREADY_EXISTS",
                              "errorMessage": "The client order ID specified is already assigned"}, 400)
            if kind:
                o.kind, o.stop = kind, price
            oco = f"trade-{o.venue_id}" if on_fill else None
            for spec, k in on_fill:
                px = Decimal(spec["price"])
                self.book.attach(o, str(self.book.next_id()), spec["clientExtensions"]["id"], k,
                                 px if k == "limit" else None, px if k == "stop" else None, oco)
            if on_fill and behaviour == "fill":
                self.book.execute(o, o.qty)
        created = {"id": o.venue_id, "type": f"{body['type']}_ORDER", "instrument": o.symbol, "units": body["units"],
                   "timeInForce": body.get("timeInForce", "FOK"), "clientExtensions": {"id": cid}, "time": TS}
        out: dict[str, Any] = {"orderCreateTransaction": created, "relatedTransactionIDs": [o.venue_id]}
        if o.status == "rejected":
            out["orderCancelTransaction"] = {"id": str(self.book.next_id()), "type": "ORDER_CANCEL",
                                             "orderID": o.venue_id, "reason": "INSUFFICIENT_MARGIN", "time": TS}
        fills = [f for f in self.book.fills if f.venue_id == o.venue_id]
        if fills:
            out["orderFillTransaction"] = self._fill_txn(fills[0]) | {
                "units": str(sum(f.qty for f in fills) * (1 if o.side == "buy" else -1))}
        out["lastTransactionID"] = self._last()
        return Reply(out, 201)

    def get_order(self, req: Request, spec: str) -> Any:
        o = self._find(spec)
        if o is None:
            return Reply({"errorMessage": "The order ID specified does not exist", "errorCode": "ORDER_DOESNT_EXIST"}, 404)
        return {"order": self._order(o), "lastTransactionID": self._last()}

    def cancel(self, req: Request, spec: str) -> Any:
        o = self._find(spec)
        if o is None or not o.open:
            return Reply({"errorMessage": "The order ID specified does not exist", "errorCode": "ORDER_DOESNT_EXIST"}, 404)
        self.book.cancel(o.venue_id)
        return {"orderCancelTransaction": {"id": str(self.book.next_id()), "type": "ORDER_CANCEL",
                                           "orderID": o.venue_id, "reason": "CLIENT_REQUEST", "time": TS}}

    def pending(self, req: Request) -> Any:
        return {"orders": [self._order(o) for o in self.book.orders.values() if o.open],
                "lastTransactionID": self._last()}

    def positions(self, req: Request) -> Any:
        out = []
        for sym, q in self.book.positions.items():
            if q == 0:
                continue
            out.append({"instrument": sym, "long": {"units": str(q) if q > 0 else "0"},
                        "short": {"units": str(q) if q < 0 else "0"}, "pl": "0", "unrealizedPL": "0"})
        return {"positions": out, "lastTransactionID": self._last()}

    def since(self, req: Request) -> Any:
        since = int(req.arg("id", "0") or 0)
        txns = [self._fill_txn(f) for f in self.book.fills if int(f.trade_id) > since]
        return {"transactions": txns, "lastTransactionID": self._last()}

    def stream(self, req: Request) -> Reply:
        """The transactions stream: newline-delimited JSON, ending after a few heartbeats."""
        import json as _json

        lines = [] if self.freeze_stream else [self._fill_txn(f) for f in self.book.fills
                                                if int(f.trade_id) > self.stream_from]
        beat = {"type": "HEARTBEAT", "lastTransactionID": self._last(), "time": TS}
        lines += [beat, beat, beat]
        return Reply(raw="\n".join(_json.dumps(x) for x in lines).encode() + b"\n")

    def txn(self, req: Request, tid: str) -> Any:
        for f in self.book.fills:
            if f.trade_id == tid:
                return {"transaction": self._fill_txn(f), "lastTransactionID": self._last()}
        return Reply({"errorMessage": "Transaction not found"}, 404)
