"""A loopback fake of Alpaca's trading REST API (the subset AlpacaBroker uses)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.fakes.fake_http import BookOrder, DuplicateClientId, FakeServer, Reply, Request, VenueBook

TS = "2026-11-22T00:00:00Z"
_STATUS = {"held": "held", "new": "new", "partially_filled": "partially_filled", "filled": "filled",
           "canceled": "canceled", "rejected": "rejected"}


def _order(o: BookOrder, book: VenueBook | None = None, order_class: str = "simple") -> dict[str, Any]:
    out = {
        "id": o.venue_id, "client_order_id": o.client_id, "created_at": TS, "updated_at": TS,
        "submitted_at": TS, "symbol": o.symbol, "asset_class": "us_option" if _is_option(o.symbol) else "us_equity",
        "qty": str(o.qty),
        "filled_qty": str(o.filled), "filled_avg_price": str(o.avg) if o.avg is not None else None,
        "order_class": order_class, "order_type": o.type,
        "type": o.type, "side": o.side, "time_in_force": "day",
        "limit_price": str(o.price) if o.price else None, "stop_price": str(o.stop) if o.stop else None,
        "status": _STATUS[o.status], "extended_hours": False,
    }
    if book is not None and o.children:  # legs roll up under their primary order, as Alpaca nests them
        out["legs"] = [_order(book.orders[v]) for v in o.children]
    return out


def _is_option(symbol: str) -> bool:
    import re

    return re.match(r"^[A-Z][A-Z0-9.]{0,5}\d{6}[CP]\d{8}$", symbol or "") is not None


def _mult(symbol: str) -> Decimal:
    """Shares per unit: 100 for an option contract (Alpaca books cash x 100), else 1."""
    return Decimal(100) if _is_option(symbol) else Decimal(1)


class FakeAlpaca:
    """Alpaca trading API on 127.0.0.1 backed by a :class:`VenueBook`.

    Buying power is reported and enforced as Alpaca does: a cash account (``multiplier``
    1) may spend its settled cash (``cash - unsettled``); a margin account (``multiplier``
    2 or 4) ``multiplier x equity - long market value - unsettled`` (Reg T excess equity
    times the multiplier). A buy costing more is refused with 403 "insufficient buying power"."""

    def __init__(self, book: VenueBook | None = None, multiplier: int = 1,
                 unsettled: Decimal = Decimal(0)) -> None:
        self.book = book or VenueBook()
        self.book.multiplier_of = _mult
        self.multiplier = multiplier
        self.unsettled = unsettled
        self.server = FakeServer([
            ("GET", r"/v2/account", self.account),
            ("POST", r"/v2/orders", self.submit),
            ("GET", r"/v2/orders:by_client_order_id", self.by_client),
            ("GET", r"/v2/orders", self.list_orders),
            ("GET", r"/v2/orders/([^/]+)", self.get_order),
            ("DELETE", r"/v2/orders/([^/]+)", self.cancel),
            ("GET", r"/v2/positions", self.positions),
            ("GET", r"/v2/account/activities/FILL", self.activities),
        ])
        self.base = self.server.base

    def _auth(self, req: Request) -> Reply | None:
        if not req.headers.get("APCA-API-KEY-ID") or not req.headers.get("APCA-API-SECRET-KEY"):
            return Reply({"code": 40110000, "message": "request is not authorized"}, 401)
        return None

    def account(self, req: Request) -> Any:
        return self._auth(req) or {
            "id": str(uuid.UUID(int=1)), "account_number": "PA0000001", "status": "ACTIVE", "currency": "USD",
            "cash": str(self.book.cash), "equity": str(self.book.cash + self._mark()),
            "multiplier": str(self.multiplier), "buying_power": str(self.buying_power())}

    def buying_power(self) -> Decimal:
        with self.book.lock:
            mark = self._mark()
            longs = sum((q * self.book.price(s, None) * _mult(s) for s, q in self.book.positions.items() if q > 0),
                        Decimal(0))
            return max(self.multiplier * (self.book.cash + mark) - longs - self.unsettled, Decimal(0))

    def _mark(self) -> Decimal:
        return sum((q * self.book.price(s, None) * _mult(s) for s, q in self.book.positions.items()), Decimal(0))

    def submit(self, req: Request) -> Any:
        body = req.json()
        cid = body.get("client_order_id") or str(uuid.uuid4())
        price = Decimal(str(body["limit_price"])) if body.get("limit_price") is not None else None
        klass = body.get("order_class") or "simple"
        if klass == "mleg":
            return self._mleg(body, cid, price)
        if _is_option(body.get("symbol", "")):
            if body.get("time_in_force") != "day":
                return Reply({"code": 42210000, "message": "options orders must be day orders"}, 422)
            if body.get("type", "market") not in ("market", "limit"):
                return Reply({"code": 42210000, "message": "invalid order type for options"}, 422)
            if Decimal(str(body["qty"])) != Decimal(str(body["qty"])).to_integral_value():
                return Reply({"code": 42210000, "message": "qty must be integer for options"}, 422)
        tp, sl = body.get("take_profit") or {}, body.get("stop_loss") or {}
        if klass in ("bracket", "oco") and not (tp.get("limit_price") and sl.get("stop_price")):
            return Reply({"code": 42210000, "message": f"{klass} orders require take_profit and stop_loss"}, 422)
        if klass == "oto" and not (tp or sl):
            return Reply({"code": 42210000, "message": "oto orders require take_profit or stop_loss"}, 422)
        if klass != "simple" and body.get("time_in_force") not in ("day", "gtc"):
            return Reply({"code": 42210000, "message": "time_in_force must be day or gtc for advanced orders"}, 422)
        if klass == "oco" and body.get("type") != "limit":
            return Reply({"code": 42210000, "message": "oco orders must be limit orders"}, 422)
        if body["side"] == "buy" and Decimal(str(body["qty"])) * self.book.price(body["symbol"], price) \
                * _mult(body["symbol"]) > self.buying_power():
            return Reply({"code": 40310000, "message": "insufficient buying power",
                          "buying_power": str(self.buying_power())}, 403)
        kind = body.get("type", "market")
        stop = Decimal(str(body["stop_price"])) if body.get("stop_price") is not None else None
        if klass in ("bracket", "oto"):
            with self.book.lock:  # the legs exist (held) before the entry can fill
                behaviour = self.book.behaviour.pop(0) if self.book.behaviour else "fill"
                try:
                    self.book.behaviour.insert(0, "rest")
                    o = self.book.place(str(uuid.uuid4()), cid, body["symbol"], body["side"],
                                        Decimal(str(body["qty"])), price)
                except DuplicateClientId:
                    self.book.behaviour.pop(0)
                    return Reply({"code": 40010001, "message": "client_order_id must be unique"}, 422)
                o.kind, o.stop = kind, stop
                oco = f"oco-{o.venue_id}" if klass == "bracket" else None
                if tp:
                    self.book.attach(o, str(uuid.uuid4()), str(uuid.uuid4()), "limit",
                                     Decimal(str(tp["limit_price"])), None, oco)
                if sl:
                    sl_limit = Decimal(str(sl["limit_price"])) if sl.get("limit_price") else None
                    self.book.attach(o, str(uuid.uuid4()), str(uuid.uuid4()), "stop_limit" if sl_limit else "stop",
                                     sl_limit, Decimal(str(sl["stop_price"])), oco)
                if behaviour == "fill":
                    self.book.execute(o, o.qty)
                elif behaviour.startswith("reject"):
                    o.status, o.reason = "rejected", behaviour.partition(":")[2] or "insufficient funds"
                    for v in o.children:
                        self.book.orders[v].status = "rejected"
        else:
            try:
                o = self.book.place(str(uuid.uuid4()), cid, body["symbol"], body["side"], Decimal(str(body["qty"])),
                                    price)
            except DuplicateClientId:
                return Reply({"code": 40010001, "message": "client_order_id must be unique"}, 422)
            o.kind, o.stop = kind, stop
            if klass == "oco" and o.status != "rejected":  # the limit is the primary, the stop its leg
                o.oco = f"oco-{o.venue_id}"
                sl_limit = Decimal(str(sl["limit_price"])) if sl.get("limit_price") else None
                self.book.attach(o, str(uuid.uuid4()), str(uuid.uuid4()), "stop_limit" if sl_limit else "stop",
                                 sl_limit, Decimal(str(sl["stop_price"])), o.oco, held=False)
        if o.status == "rejected":
            return Reply({"code": 40310000, "message": o.reason}, 403)
        return _order(o, self.book, klass)

    def _mleg(self, body: dict[str, Any], cid: str, limit: Decimal | None) -> Any:
        """A multi-leg option order: every leg fills at its price, all together, or the order is
        refused (a limit the legs' net price does not meet is refused here rather than rested)."""
        legs = body.get("legs") or []
        if not 2 <= len(legs) <= 4:
            return Reply({"code": 42210000, "message": "mleg orders take 2 to 4 legs"}, 422)
        if body.get("time_in_force") != "day":
            return Reply({"code": 42210000, "message": "options orders must be day orders"}, 422)
        if any(not _is_option(leg.get("symbol", "")) for leg in legs):
            return Reply({"code": 42210000, "message": "mleg legs must be option contracts"}, 422)
        qty = Decimal(str(body["qty"]))
        net = sum((Decimal(str(leg["ratio_qty"])) * self.book.price(leg["symbol"], None)
                   * (1 if leg["side"] == "buy" else -1) for leg in legs), Decimal(0))
        if limit is not None and net > limit:
            return Reply({"code": 42210000, "message": f"net price {net} worse than limit {limit}"}, 422)
        if net > 0 and qty * net * 100 > self.buying_power():
            return Reply({"code": 40310000, "message": "insufficient buying power",
                          "buying_power": str(self.buying_power())}, 403)
        with self.book.lock:
            behaviour = self.book.behaviour.pop(0) if self.book.behaviour else "fill"
            self.book.behaviour.insert(0, "rest")
            try:
                parent = self.book.place(str(uuid.uuid4()), cid, "", "buy" if net >= 0 else "sell", qty, limit)
            except DuplicateClientId:
                self.book.behaviour.pop(0)
                return Reply({"code": 40010001, "message": "client_order_id must be unique"}, 422)
            parent.kind = body.get("type", "market")
            for leg in legs:
                self.book.behaviour.insert(0, "rest")
                child = self.book.place(str(uuid.uuid4()), str(uuid.uuid4()), leg["symbol"], leg["side"],
                                        qty * Decimal(str(leg["ratio_qty"])), None)
                child.kind = "market"
                parent.children.append(child.venue_id)
            if behaviour.startswith("reject"):
                parent.status, parent.reason = "rejected", behaviour.partition(":")[2] or "insufficient funds"
                for v in parent.children:
                    self.book.orders[v].status = "rejected"
                return Reply({"code": 40310000, "message": parent.reason}, 403)
            if behaviour == "fill":  # all legs at once, as Alpaca executes a multi-leg order
                for v in parent.children:
                    self.book.execute(self.book.orders[v], self.book.orders[v].qty)
                parent.filled, parent.status = qty, "filled"
        out = _order(parent, self.book, "mleg")
        out["symbol"], out["asset_class"] = "", "us_option"
        return out

    def by_client(self, req: Request) -> Any:
        o = self.book.by_client(req.arg("client_order_id") or "")
        return _order(o, self.book) if o else Reply({"code": 40410000, "message": "order not found"}, 404)

    def get_order(self, req: Request, oid: str) -> Any:
        o = self.book.orders.get(oid)
        return _order(o, self.book) if o else Reply({"code": 40410000, "message": "order not found"}, 404)

    def list_orders(self, req: Request) -> Any:
        want_open = req.arg("status", "open") == "open"
        return [_order(o) for o in self.book.orders.values() if o.open or o.status == "held" or not want_open]

    def cancel(self, req: Request, oid: str) -> Reply:
        o = self.book.orders.get(oid)
        if o is None:
            return Reply({"code": 40410000, "message": "order not found"}, 404)
        if not o.open and o.status != "held":
            return Reply({"code": 42210000, "message": f"order is already in \"{o.status}\" state"}, 422)
        self.book.cancel(oid)
        return Reply(raw=b"", status=204)

    def positions(self, req: Request) -> Any:
        out = []
        for sym, qty in self.book.positions.items():
            if qty == 0:
                continue
            px = self.book.price(sym, None)
            crypto = "/" in sym  # Alpaca names a crypto pair BTC/USD in orders but BTCUSD in positions
            out.append({"asset_id": str(uuid.UUID(int=7)), "symbol": sym.replace("/", ""),
                        "exchange": "CRYPTO" if crypto else "NASDAQ", "asset_class": "crypto" if crypto else "us_equity", "avg_entry_price": str(px), "qty": str(abs(qty)),
                        "side": "long" if qty > 0 else "short", "cost_basis": str(abs(qty) * px)})
        return out

    def activities(self, req: Request) -> Any:
        rows = [{"id": f"20261122000000000::{f.trade_id}", "activity_type": "FILL", "transaction_time": TS,
                 "type": "fill", "price": str(f.price), "qty": str(f.qty), "side": f.side,
                 "symbol": f.symbol.replace("/", ""),
                 "leaves_qty": "0", "order_id": f.venue_id, "cum_qty": str(f.qty), "order_status": "filled"}
                for f in self.book.fills]
        token = req.arg("page_token")
        if token:  # activities strictly after the one named (served fills may repeat ids: replays)
            idx = max((i for i, r in enumerate(rows) if r["id"] == token), default=-1)
            rows = rows[idx + 1:]
        return rows[:int(req.arg("page_size", "100") or 100)]
