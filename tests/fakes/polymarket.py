"""A loopback fake of the Polymarket CLOB (the subset PolymarketBroker uses).

The order id it assigns is the EIP-712 hash of the posted order, computed the way the
exchange does, so the adapter's locally computed hash must match it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes.fake_http import BookOrder, DuplicateClientId, FakeServer, Reply, Request, VenueBook

TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
USDC = Decimal(1_000_000)
_STATUS = {"new": "LIVE", "partially_filled": "LIVE", "filled": "MATCHED", "canceled": "CANCELED",
           "rejected": "CANCELED"}


def order_hash(order: dict[str, Any], chain_id: int = 137, neg_risk: bool = False) -> str:
    """EIP-712 hash of a posted CLOB order."""
    from eth_utils import keccak
    from poly_eip712_structs import make_domain
    from py_clob_client.config import get_contract_config
    from py_order_utils.model.order import Order

    fields = {k: order[k] for k in ("maker", "signer", "taker", "expiration", "nonce", "feeRateBps",
                                    "signatureType", "makerAmount", "takerAmount", "tokenId")}
    side = 0 if order["side"] == "BUY" else 1
    o = Order(salt=int(order["salt"]), maker=fields["maker"], signer=fields["signer"], taker=fields["taker"],
              tokenId=int(fields["tokenId"]), makerAmount=int(fields["makerAmount"]),
              takerAmount=int(fields["takerAmount"]), expiration=int(fields["expiration"]),
              nonce=int(fields["nonce"]), feeRateBps=int(fields["feeRateBps"]), side=side,
              signatureType=int(fields["signatureType"]))
    domain = make_domain(name="Polymarket CTF Exchange", version="1", chainId=str(chain_id),
                         verifyingContract=get_contract_config(chain_id, neg_risk).exchange)
    return "0x" + keccak(o.signable_bytes(domain=domain)).hex()


class FakePolymarket:
    """Polymarket CLOB on 127.0.0.1 backed by a :class:`VenueBook` (cash in USDC)."""

    def __init__(self, book: VenueBook | None = None) -> None:
        self.book = book or VenueBook(cash=Decimal(1000), prices={TOKEN: Decimal("0.50")})
        self.server = FakeServer([
            ("GET", r"/tick-size", lambda r: {"minimum_tick_size": 0.01}),
            ("GET", r"/neg-risk", lambda r: {"neg_risk": False}),
            ("GET", r"/fee-rate", lambda r: {"base_fee": 0}),
            ("GET", r"/balance-allowance", self.balance),
            ("POST", r"/order", self.submit),
            ("GET", r"/data/order/([^/]+)", self.get_order),
            ("GET", r"/data/orders", self.orders),
            ("DELETE", r"/order", self.cancel),
            ("GET", r"/data/trades", self.trades),
            ("GET", r"/book", self.book_summary),
            ("GET", r"/last-trade-price", self.last_trade_price),
        ])
        #: public market data: token id -> {"bids": [(price, size)..], "asks": [(price, size)..], "last": price}
        self.books: dict[str, dict[str, Any]] = {}
        self.base = self.server.base

    def set_book(self, token_id: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]],
                 last: float | None = None) -> None:
        """Set a token's resting orders as (price, shares)."""
        self.books[token_id] = {"bids": bids, "asks": asks, "last": last}

    def book_summary(self, req: Request) -> Any:
        """GET /book?token_id=: the CLOB's order book summary (bids ascending, asks descending)."""
        token = req.arg("token_id") or ""
        b = self.books.get(token)
        if b is None:
            return Reply({"error": "No orderbook exists for the requested token id"}, 404)
        return {"market": "0xcond", "asset_id": token, "timestamp": "1795305600000", "hash": "0xhash",
                "bids": [{"price": str(p), "size": str(s)} for p, s in sorted(b["bids"])],
                "asks": [{"price": str(p), "size": str(s)} for p, s in sorted(b["asks"], reverse=True)],
                "min_order_size": "5", "neg_risk": False, "tick_size": "0.01",
                "last_trade_price": str(b["last"]) if b["last"] is not None else "0.5"}

    def last_trade_price(self, req: Request) -> Any:
        b = self.books.get(req.arg("token_id") or "")
        if b is None or b["last"] is None:
            return Reply({"error": "no trades"}, 404)
        return {"price": str(b["last"]), "side": "BUY"}

    def _auth(self, req: Request) -> Reply | None:
        if not all(req.headers.get(h) for h in ("POLY_API_KEY", "POLY_SIGNATURE", "POLY_PASSPHRASE")):
            return Reply({"error": "Unauthorized/Invalid api key"}, 401)
        return None

    def _order(self, o: BookOrder) -> dict[str, Any]:
        return {"id": o.venue_id, "status": _STATUS[o.status], "owner": "k", "maker_address": "0x0",
                "market": "0xcond", "asset_id": o.symbol, "side": o.side.upper(), "original_size": str(o.qty),
                "size_matched": str(o.filled), "price": str(o.price), "outcome": "Yes", "created_at": 1795305600,
                "expiration": "0", "order_type": "GTC", "associate_trades": []}

    def balance(self, req: Request) -> Any:
        bad = self._auth(req)
        if bad:
            return bad
        if req.arg("asset_type") == "CONDITIONAL":
            q = self.book.positions.get(req.arg("token_id") or "", Decimal(0))
            return {"balance": str(int(q * USDC)), "allowances": {}}
        return {"balance": str(int(self.book.cash * USDC)), "allowances": {}}

    def submit(self, req: Request) -> Any:
        bad = self._auth(req)
        if bad:
            return bad
        body = req.json()
        od = body["order"]
        digest = order_hash(od)
        maker, taker = Decimal(od["makerAmount"]), Decimal(od["takerAmount"])
        if od["side"] == "BUY":
            size, price = taker / USDC, (maker / taker).quantize(Decimal("0.01"))
        else:
            size, price = maker / USDC, (taker / maker).quantize(Decimal("0.01"))
        try:
            # the book fills at the market price, capped by the order's limit
            mkt = self.book.price(od["tokenId"], None)
            px = min(price, mkt) if od["side"] == "BUY" else max(price, mkt)
            o = self.book.place(digest, digest, od["tokenId"], od["side"].lower(), size, price)
            for f in self.book.fills:
                if f.venue_id == digest:
                    f.price = px
            if o.filled:
                o.notional = o.filled * px
        except DuplicateClientId:
            return Reply({"success": False, "errorMsg": "order already exists", "orderID": digest}, 400)
        if o.status == "rejected":
            return Reply({"success": False, "errorMsg": "not enough balance / allowance", "orderID": ""}, 400)
        status = "matched" if o.status == "filled" else "live"
        return {"success": True, "errorMsg": "", "orderID": digest, "status": status, "transactionsHashes": [],
                "takingAmount": "", "makingAmount": ""}

    def get_order(self, req: Request, oid: str) -> Any:
        o = self.book.orders.get(oid)
        return self._order(o) if o else Reply({"error": "order not found"}, 404)

    def orders(self, req: Request) -> Any:
        return {"data": [self._order(o) for o in self.book.orders.values() if o.open], "next_cursor": "LTE=",
                "limit": 100, "count": 0}

    def cancel(self, req: Request) -> Any:
        oid = req.json().get("orderID", "")
        o = self.book.orders.get(oid)
        if o is None or not o.open:
            return {"canceled": [], "not_canceled": {oid: "order can't be found - already canceled or matched"}}
        self.book.cancel(oid)
        return {"canceled": [oid], "not_canceled": {}}

    def trades(self, req: Request) -> Any:
        return {"data": [{"id": f"t{f.trade_id}", "taker_order_id": f.venue_id, "market": "0xcond",
                          "asset_id": f.symbol, "side": f.side.upper(), "size": str(f.qty), "fee_rate_bps": "0",
                          "price": str(f.price), "status": "MATCHED", "match_time": str(1795305600 + f.seq),
                          "outcome": "Yes", "trader_side": "TAKER", "maker_orders": []} for f in self.book.fills
                         if 1795305600 + f.seq > int(req.arg("after", "0") or 0)],
                "next_cursor": "LTE=", "limit": 100, "count": len(self.book.fills)}
