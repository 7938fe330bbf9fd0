"""A loopback fake serving one bar frame through three venues' market-data APIs:

* Binance spot for ccxt: ``/api/v3/exchangeInfo`` and ``/api/v3/klines`` (open-time rows);
* Alpaca data: ``/v2/stocks/bars`` and ``/v1beta3/crypto/us/bars`` (``t`` = open time, paged);
* OANDA v20: ``/v3/instruments/{instrument}/candles`` (``complete`` false for the bar still
  forming at the fake's ``now_ns``).

Bars are served by open time (close - timeframe) exactly as the venues stamp them; only
bars that have opened by ``now_ns`` exist, and the last one is still forming if its close
is after ``now_ns``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tests.fakes.fake_http import FakeServer, Reply, Request

_BINANCE_INFO = {"timezone": "UTC", "serverTime": 0, "rateLimits": [], "exchangeFilters": [], "symbols": [
    {"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT", "baseAssetPrecision": 8,
     "quotePrecision": 8, "quoteAssetPrecision": 8, "orderTypes": ["LIMIT", "MARKET"], "isSpotTradingAllowed": True,
     "isMarginTradingAllowed": False, "permissions": ["SPOT"], "permissionSets": [["SPOT"]],
     "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
                 {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"}]}]}


class FakeBarsVenue:
    """Serve ``frame`` (close-time index, timeframe ``step``) as venue candles up to ``now_ns``."""

    def __init__(self, frame: pd.DataFrame, step: pd.Timedelta, now_ns: int, page: int = 1000) -> None:
        self.frame = frame
        self.step_ns = int(step.value)
        self.now_ns = now_ns
        self.page = page
        self.close_ns = frame.index.as_unit("ns").asi8
        self.server = FakeServer([
            ("GET", r"/api/v3/exchangeInfo", lambda req: _BINANCE_INFO),
            ("GET", r"/api/v3/klines", self.klines),
            ("GET", r"/v2/stocks/bars", self.alpaca),
            ("GET", r"/v1beta3/crypto/us/bars", self.alpaca),
            ("GET", r"/v3/instruments/([A-Z_]+)/candles", self.oanda),
        ])
        self.base = self.server.base

    def close(self) -> None:
        self.server.close()

    def _rows(self, from_open_ns: int, limit: int) -> list[tuple[int, int, np.ndarray, bool]]:
        """(open, close, ohlcv, complete) of bars opened at/after ``from_open_ns`` and by now."""
        opens = self.close_ns - self.step_ns
        lo = int(np.searchsorted(opens, from_open_ns, side="left"))
        out = []
        vals = self.frame.to_numpy()
        for i in range(lo, len(opens)):
            if opens[i] > self.now_ns or len(out) >= limit:
                break
            out.append((int(opens[i]), int(self.close_ns[i]), vals[i], bool(self.close_ns[i] <= self.now_ns)))
        return out

    def klines(self, req: Request) -> Any:
        start = int(req.arg("startTime") or 0) * 1_000_000
        limit = int(req.arg("limit") or 500)
        return [[o // 1_000_000, f"{v[0]:.8f}", f"{v[1]:.8f}", f"{v[2]:.8f}", f"{v[3]:.8f}", f"{v[4]:.8f}",
                 c // 1_000_000 - 1, "0", 10, "0", "0", "0"] for o, c, v, _ in self._rows(start, limit)]

    def alpaca(self, req: Request) -> Any:
        if "/v2/" in req.path and not req.headers.get("APCA-API-KEY-ID"):
            return Reply({"message": "forbidden."}, 403)
        sym = req.arg("symbols") or ""
        start = int(pd.Timestamp(req.arg("start") or "1970-01-01T00:00:00Z").as_unit("ns").value)
        end = int(pd.Timestamp(req.arg("end")).as_unit("ns").value) if req.arg("end") else None
        token = req.arg("page_token")
        if token:
            start = int(token)
        rows = [r for r in self._rows(start, self.page + 1) if end is None or r[0] <= end]
        nxt = str(rows[self.page][0]) if len(rows) > self.page else None
        bars = [{"t": pd.Timestamp(o, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"), "o": v[0], "h": v[1], "l": v[2],
                 "c": v[3], "v": v[4], "n": 10, "vw": v[3]} for o, _, v, _ in rows[: self.page]]
        return {"bars": {sym: bars}, "next_page_token": nxt}

    def oanda(self, req: Request, instrument: str) -> Any:
        if not req.headers.get("Authorization", "").startswith("Bearer "):
            return Reply({"errorMessage": "Insufficient authorization to perform request."}, 401)
        start = int(pd.Timestamp(req.arg("from")).as_unit("ns").value)
        count = int(req.arg("count") or 500)
        candles = [{"complete": done, "volume": int(v[4]),
                    "time": pd.Timestamp(o, tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.000000000Z"),
                    "mid": {"o": f"{v[0]:.5f}", "h": f"{v[1]:.5f}", "l": f"{v[2]:.5f}", "c": f"{v[3]:.5f}"}}
                   for o, _, v, done in self._rows(start, count)]
        return {"instrument": instrument, "granularity": req.arg("granularity"), "candles": candles}
