"""A loopback fake of Kalshi's trade API v2 (the subset KalshiBroker uses).

It checks the RSA-PSS signature over ``timestamp + METHOD + /trade-api/v2<path>`` with the
account's public key, so a wrong key gets a 401 like the real exchange.
"""

from __future__ import annotations

import base64
import uuid
from decimal import Decimal
from typing import Any

from tests.fakes.fake_http import BookOrder, DuplicateClientId, FakeServer, Reply, Request, VenueBook

TS = "2026-11-22T00:00:00Z"
PREFIX = "/trade-api/v2"
_STATUS = {"new": "resting", "partially_filled": "resting", "filled": "executed", "canceled": "canceled",
           "rejected": "canceled"}


def new_rsa_pem() -> tuple[str, Any]:
    """Return a fresh RSA private key PEM and its public key (for tests)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return pem, key.public_key()


def _err(status: int, code: str, message: str) -> Reply:
    return Reply({"error": {"code": code, "message": message}}, status)


class FakeKalshi:
    """Kalshi on 127.0.0.1 backed by a :class:`VenueBook` (cash in dollars, prices in dollars)."""

    def __init__(self, public_key: Any, book: VenueBook | None = None) -> None:
        self.public_key = public_key
        self.book = book or VenueBook(cash=Decimal(1000), prices={"KXBTC-26NOV30-B42000": Decimal("0.42")})
        self.server = FakeServer([
            ("GET", PREFIX + r"/portfolio/balance", self.balance),
            ("POST", PREFIX + r"/portfolio/orders", self.submit),
            ("GET", PREFIX + r"/portfolio/orders", self.orders),
            ("GET", PREFIX + r"/portfolio/orders/([^/]+)", self.get_order),
            ("DELETE", PREFIX + r"/portfolio/orders/([^/]+)", self.cancel),
            ("GET", PREFIX + r"/portfolio/positions", self.positions),
            ("GET", PREFIX + r"/portfolio/fills", self.fills),
            ("GET", PREFIX + r"/markets/trades", self.trades),
            ("GET", PREFIX + r"/markets/([^/]+)/orderbook", self.orderbook),
        ])
        #: public market data: ticker -> {"yes": [[cents, count]..], "no": [[cents, count]..]} (bids of each side)
        self.books: dict[str, dict[str, list[list[int]]]] = {}
        self.public_trades: list[dict[str, Any]] = []
        self.base = self.server.base

    def _verify(self, req: Request) -> Reply | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        ts, sig = req.headers.get("KALSHI-ACCESS-TIMESTAMP", ""), req.headers.get("KALSHI-ACCESS-SIGNATURE", "")
        if not ts or not sig or not req.headers.get("KALSHI-ACCESS-KEY"):
            return _err(401, "authentication_error", "missing auth headers")
        try:
            self.public_key.verify(base64.b64decode(sig), f"{ts}{req.method}{req.path}".encode(),
                                   padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                                   hashes.SHA256())
        except (InvalidSignature, ValueError):
            return _err(401, "authentication_error", "invalid signature")
        return None

    def _order(self, o: BookOrder) -> dict[str, Any]:
        px = int((o.price or self.book.price(o.symbol, None)) * 100)
        return {"order_id": o.venue_id, "client_order_id": o.client_id, "ticker": o.symbol, "side": "yes",
                "action": o.side, "type": "limit" if o.price else "market", "status": _STATUS[o.status],
                "yes_price": px, "no_price": 100 - px, "count": int(o.qty), "remaining_count": int(o.qty - o.filled),
                "created_time": TS, "updated_time": TS}

    def set_book(self, ticker: str, yes: list[tuple[float, int]], no: list[tuple[float, int]]) -> None:
        """Set a market's resting bids: YES bids and NO bids as (dollars, contracts)."""
        self.books[ticker] = {"yes": [[round(p * 100), n] for p, n in sorted(yes)],
                              "no": [[round(p * 100), n] for p, n in sorted(no)]}

    def add_trade(self, ticker: str, yes_price: float, count: int, taker_side: str, created_time: str) -> None:
        """A public trade on ``ticker`` (``taker_side`` yes or no), as GET /markets/trades lists it."""
        cents = round(yes_price * 100)
        self.public_trades.append({"trade_id": str(uuid.uuid4()), "ticker": ticker, "yes_price": cents,
                                   "no_price": 100 - cents, "price": cents, "count": count, "taker_side": taker_side,
                                   "created_time": created_time})

    def orderbook(self, req: Request, ticker: str) -> Any:
        """GET /markets/{ticker}/orderbook: bids of both sides, ascending price, in cents."""
        book = self.books.get(ticker)
        if book is None:
            return _err(404, "not_found", f"market {ticker} not found")
        return {"orderbook": {"yes": book["yes"] or None, "no": book["no"] or None}}

    def trades(self, req: Request) -> Any:
        """GET /markets/trades?ticker=: newest first."""
        ticker = req.arg("ticker")
        rows = [t for t in self.public_trades if ticker in (None, t["ticker"])]
        return {"trades": list(reversed(rows)), "cursor": ""}

    def balance(self, req: Request) -> Any:
        return self._verify(req) or {"balance": int(self.book.cash * 100)}

    def submit(self, req: Request) -> Any:
        bad = self._verify(req)
        if bad:
            return bad
        body = req.json()
        price = Decimal(body["yes_price"]) / 100 if body.get("yes_price") is not None else None
        try:
            o = self.book.place(str(uuid.uuid4()), body.get("client_order_id", ""), body["ticker"], body["action"],
                                Decimal(body["count"]), price)
        except DuplicateClientId:
            return _err(409, "order_already_exists", "an order with this client_order_id already exists")
        if o.status == "rejected":
            return _err(400, "insufficient_balance", "insufficient balance")
        return Reply({"order": self._order(o)}, 201)

    def orders(self, req: Request) -> Any:
        status = req.arg("status")
        rows = [self._order(o) for o in self.book.orders.values()]
        return {"orders": [r for r in rows if status in (None, r["status"])], "cursor": ""}

    def get_order(self, req: Request, oid: str) -> Any:
        o = self.book.orders.get(oid)
        return {"order": self._order(o)} if o else _err(404, "not_found", "order not found")

    def cancel(self, req: Request, oid: str) -> Any:
        o = self.book.orders.get(oid)
        if o is None or not o.open:
            return _err(404, "not_found", "order not found")
        reduced = int(o.qty - o.filled)
        self.book.cancel(oid)
        return {"order": self._order(o), "reduced_by": reduced}

    def positions(self, req: Request) -> Any:
        return {"positions": [{"ticker": s, "event_ticker": s.rsplit("-", 1)[0], "position": int(q),
                               "realized_pnl": 0, "resting_order_count": 0, "fees_paid": 0, "total_cost": 0}
                              for s, q in self.book.positions.items() if q], "cursor": ""}

    def fills(self, req: Request) -> Any:
        return {"fills": [{"fill_id": f.trade_id, "order_id": f.venue_id, "ticker": f.symbol, "side": "yes",
                           "action": f.side, "count": int(f.qty), "price": int(f.price * 100), "is_taker": True,
                           "created_time": TS} for f in self.book.fills], "cursor": ""}
