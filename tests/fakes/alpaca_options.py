"""A loopback fake of Alpaca's option market data and option contracts APIs.

Speaks the real wire format that alpaca-py 0.44 parses:

``GET /v1beta1/options/snapshots/{underlying}``  chain snapshots, paged (``limit``,
    ``page_token``), filtered by ``type``, ``strike_price_gte/lte``,
    ``expiration_date_gte/lte``
``GET /v2/options/contracts``                    contract master list with open interest,
    paged by ``page_token``
``GET /v2/stocks/trades/latest``                 the underlying's last trade

Requests without the configured key/secret headers get Alpaca's 401 body. Faults (429
with Retry-After, 5xx, dropped connections) are queued on :attr:`server` (see
``tests/fakes/fake_http.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from tests.fakes.fake_http import FakeServer, Reply, Request

STAMP = "2024-01-02T20:59:59.5Z"
UNAUTHORIZED = {"code": 40110000, "message": "request is not authorized"}


@dataclass
class FakeOption:
    """One contract the fake lists, with its market."""

    symbol: str
    underlying: str
    kind: str
    strike: float
    expiry: date
    bid: float | None
    ask: float | None
    iv: float | None
    open_interest: int | None
    last: float | None = None
    style: str = "american"
    size: int = 100
    greeks: dict[str, float] = field(default_factory=dict)

    def snapshot(self) -> dict[str, object]:
        snap: dict[str, object] = {}
        if self.bid is not None or self.ask is not None:
            snap["latestQuote"] = {"ap": self.ask or 0.0, "as": 10, "ax": "C", "bp": self.bid or 0.0,
                                   "bs": 12, "bx": "N", "c": "A", "t": STAMP}
        if self.last is not None:
            snap["latestTrade"] = {"c": "I", "p": self.last, "s": 1, "t": STAMP, "x": "C"}
        if self.iv is not None:
            snap["impliedVolatility"] = self.iv
        if self.greeks:
            snap["greeks"] = self.greeks
        return snap

    def contract(self) -> dict[str, object]:
        return {"id": str(uuid.uuid5(uuid.NAMESPACE_OID, self.symbol)), "symbol": self.symbol,
                "name": f"{self.underlying} {self.expiry:%b %d %Y} {self.strike:g} {self.kind.title()}",
                "status": "active", "tradable": True, "expiration_date": self.expiry.isoformat(),
                "root_symbol": self.underlying, "underlying_symbol": self.underlying,
                "underlying_asset_id": str(uuid.uuid5(uuid.NAMESPACE_OID, self.underlying)),
                "type": self.kind, "style": self.style, "strike_price": f"{self.strike:g}",
                "size": str(self.size),
                "open_interest": None if self.open_interest is None else str(self.open_interest),
                "open_interest_date": "2024-01-02", "close_price": None if self.last is None else f"{self.last:g}",
                "close_price_date": "2024-01-02"}


class FakeAlpacaOptions:
    """The fake server plus the book of options it serves."""

    def __init__(self, options: list[FakeOption], spot: dict[str, float], key: str = "KEY",
                 secret: str = "SECRET", page_size: int | None = None) -> None:
        self.options = options
        self.spot = spot
        self.key, self.secret = key, secret
        self.page_size = page_size  # force small pages to exercise paging
        self.server = FakeServer([
            ("GET", r"/v1beta1/options/snapshots/([^/]+)", self._snapshots),
            ("GET", r"/v2/options/contracts", self._contracts),
            ("GET", r"/v2/stocks/trades/latest", self._latest_trade),
        ])

    @property
    def base(self) -> str:
        return self.server.base

    def close(self) -> None:
        self.server.close()

    def _authorized(self, req: Request) -> bool:
        h = {k.lower(): v for k, v in req.headers.items()}
        return h.get("apca-api-key-id") == self.key and h.get("apca-api-secret-key") == self.secret

    def _page(self, req: Request, items: list[FakeOption], limit_default: int) -> tuple[list[FakeOption], str | None]:
        start = int(req.arg("page_token") or 0)
        limit = int(req.arg("limit") or limit_default)
        if self.page_size:
            limit = min(limit, self.page_size)
        chunk = items[start:start + limit]
        nxt = start + limit
        return chunk, (str(nxt) if nxt < len(items) else None)

    def _filtered(self, req: Request, underlying: str) -> list[FakeOption]:
        def ok(o: FakeOption) -> bool:
            kind = req.arg("type")
            checks = [o.underlying == underlying, kind is None or o.kind == kind]
            for name, value, cmp in (("strike_price_gte", o.strike, 1), ("strike_price_lte", o.strike, -1)):
                raw = req.arg(name)
                if raw is not None:
                    checks.append((value - float(raw)) * cmp >= 0)
            for name, cmp in (("expiration_date_gte", 1), ("expiration_date_lte", -1)):
                raw = req.arg(name)
                if raw is not None:
                    d = date.fromisoformat(raw[:10])
                    checks.append((o.expiry >= d) if cmp > 0 else (o.expiry <= d))
            return all(checks)

        return sorted((o for o in self.options if ok(o)), key=lambda o: o.symbol)

    def _snapshots(self, req: Request, underlying: str) -> Reply:
        if not self._authorized(req):
            return Reply(UNAUTHORIZED, 401)
        chunk, token = self._page(req, self._filtered(req, underlying), 100)
        return Reply({"snapshots": {o.symbol: o.snapshot() for o in chunk}, "next_page_token": token})

    def _contracts(self, req: Request) -> Reply:
        if not self._authorized(req):
            return Reply(UNAUTHORIZED, 401)
        underlying = (req.arg("underlying_symbols") or "").split(",")[0]
        chunk, token = self._page(req, self._filtered(req, underlying), 100)
        return Reply({"option_contracts": [o.contract() for o in chunk], "next_page_token": token})

    def _latest_trade(self, req: Request) -> Reply:
        if not self._authorized(req):
            return Reply(UNAUTHORIZED, 401)
        syms = (req.arg("symbols") or "").split(",")
        trades = {s: {"t": STAMP, "x": "V", "p": self.spot[s], "s": 100, "c": ["@"], "i": 1, "z": "B"}
                  for s in syms if s in self.spot}
        return Reply({"trades": trades})
