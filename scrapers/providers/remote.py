"""Venue providers through the venues' official clients: ccxt OHLCV, Alpaca bars, OANDA candles.

All three stamp bars by their *open* time; here bars are re-stamped at their close and the
candle still forming is dropped (its close lies after ``end_ns``, or OANDA marks it
``complete: false``). Every client gets a request timeout and a base-URL override.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tradefleet.orchestrator.clock import NS, Clock, ns_to_dt
from tradefleet.orchestrator.duration import parse_timeframe
from tradefleet.orchestrator.errors import DataError
from tradefleet.scrapers.limits import TransientDataError
from tradefleet.scrapers.providers import ProviderBase, cut, frame_from_rows, open_to_close_ns

if TYPE_CHECKING:
    import pandas as pd

    from tradefleet.scrapers.config import DataConfig

_CCXT_TF = {"mo": "M"}


def point_ccxt_at(exchange: Any, base: str) -> None:
    """Send every REST endpoint of a ccxt exchange to ``base``, keeping each path."""
    def rw(v: Any) -> Any:
        if isinstance(v, str):
            return re.sub(r"^(https?|wss?)://[^/]+", base.rstrip("/"), v)
        if isinstance(v, dict):
            return {k: rw(x) for k, x in v.items()}
        return v

    exchange.urls["api"] = rw(exchange.urls["api"])


def make_ccxt(exchange: str, timeout_s: float, base_url: str | None, options: dict[str, Any] | None = None) -> Any:
    """A sync ccxt exchange with a timeout, optionally pointed at ``base_url``."""
    import ccxt

    cls = getattr(ccxt, exchange, None)
    if cls is None:
        raise DataError(f"ccxt has no exchange {exchange!r} ([data].ccxt_exchange)")
    ex = cls({"timeout": int(timeout_s * 1000), "enableRateLimit": False, "options": options or {}})
    if base_url:
        point_ccxt_at(ex, base_url)
    return ex


class CcxtOhlcvProvider(ProviderBase):
    """Provider ``ccxt``: ``fetch_ohlcv`` on any ccxt exchange (public data, no key)."""

    name: ClassVar[str] = "ccxt"
    remote: ClassVar[bool] = True
    page: ClassVar[int] = 1000

    def __init__(self, exchange: Any) -> None:
        self.exchange = exchange

    @classmethod
    def from_config(cls, config: DataConfig, clock: Clock) -> CcxtOhlcvProvider:
        pol = config.policy("ccxt")
        return cls(make_ccxt(config.ccxt_exchange, pol.timeout_seconds, config.base_urls.get("ccxt"),
                             {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}))

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
        d = parse_timeframe(tf)
        ctf = f"{d.count}{_CCXT_TF.get(d.unit, d.unit)}"
        step = d.ns
        since = (start_ns - step) // 1_000_000 if start_ns is not None else (end_ns - step * self.page) // 1_000_000
        rows: list[list[float]] = []
        try:
            while True:
                page = self.exchange.fetch_ohlcv(symbol, ctf, since=since, limit=self.page)
                page = [r for r in page if not rows or r[0] > rows[-1][0]]
                rows.extend(page)
                if len(page) < self.page or rows[-1][0] * 1_000_000 >= end_ns:
                    break
                since = int(rows[-1][0]) + 1
        except Exception as exc:  # ccxt raises NetworkError, ExchangeError, BadSymbol ...
            raise ccxt_error(exc, self.exchange, f"ccxt {self.exchange.id}: fetch_ohlcv {symbol} {ctf}") from None
        arr = np.asarray(rows, dtype="float64").reshape(-1, 6)  # no rows: an empty frame; the chain judges it
        close = open_to_close_ns(arr[:, 0].astype("int64") * 1_000_000, tf)
        return cut(frame_from_rows(close, arr[:, 1:6], self.name), start_ns, end_ns)


class AlpacaBarsProvider(ProviderBase):
    """Provider ``alpaca``: stock bars (``/v2/stocks/bars``) and crypto bars (``/v1beta3``, symbols with '/')."""

    name: ClassVar[str] = "alpaca"
    remote: ClassVar[bool] = True

    def __init__(self, key: str | None, secret: str | None, base_url: str | None, timeout_s: float) -> None:
        self.key, self.secret, self.base_url, self.timeout_s = key, secret, base_url, timeout_s
        self._stock: Any = None
        self._crypto: Any = None

    @classmethod
    def from_config(cls, config: DataConfig, clock: Clock) -> AlpacaBarsProvider:
        key, secret = _env(config, "alpaca_key"), _env(config, "alpaca_secret")
        return cls(key, secret, config.base_urls.get("alpaca"), config.policy("alpaca").timeout_seconds)

    def _client(self, crypto: bool) -> Any:
        from alpaca.data.historical import CryptoHistoricalDataClient, StockHistoricalDataClient

        if crypto and self._crypto is None:
            self._crypto = _bounded(CryptoHistoricalDataClient(self.key, self.secret, url_override=self.base_url),
                                    self.timeout_s)
        if not crypto and self._stock is None:
            if not self.key or not self.secret:
                raise DataError("alpaca: no API key (set ALPACA_API_KEY and ALPACA_API_SECRET)")
            self._stock = _bounded(StockHistoricalDataClient(self.key, self.secret, url_override=self.base_url),
                                   self.timeout_s)
        return self._crypto if crypto else self._stock

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
        from alpaca.data.requests import CryptoBarsRequest, StockBarsRequest
        from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

        d = parse_timeframe(tf)
        n, unit = d.count, d.unit
        units = {"m": TimeFrameUnit.Minute, "h": TimeFrameUnit.Hour, "d": TimeFrameUnit.Day,
                 "w": TimeFrameUnit.Week, "mo": TimeFrameUnit.Month}
        step = d.ns
        start = ns_to_dt((start_ns if start_ns is not None else end_ns - 1000 * step) - step)
        crypto = "/" in symbol
        req_cls = CryptoBarsRequest if crypto else StockBarsRequest
        req = req_cls(symbol_or_symbols=symbol, timeframe=TimeFrame(n, units[unit]), start=start, end=ns_to_dt(end_ns))
        client = self._client(crypto)
        try:
            barset = client.get_crypto_bars(req) if crypto else client.get_stock_bars(req)
        except Exception as exc:  # APIError, requests exceptions, validation errors
            raise _http_error(exc, getattr(exc, "status_code", None), f"alpaca: bars {symbol} {tf}") from None
        bars = barset.data.get(symbol, [])  # none: an empty frame; the chain judges it
        opens = np.array([int(b.timestamp.timestamp() * 1_000_000) * 1000 for b in bars], dtype="int64")
        rows = np.array([[b.open, b.high, b.low, b.close, b.volume] for b in bars], dtype="float64").reshape(-1, 5)
        return cut(frame_from_rows(open_to_close_ns(opens, tf), rows, self.name), start_ns, end_ns)


class OandaCandlesProvider(ProviderBase):
    """Provider ``oanda``: mid candles from ``/v3/instruments/{instrument}/candles`` (oandapyV20)."""

    name: ClassVar[str] = "oanda"
    remote: ClassVar[bool] = True
    page: ClassVar[int] = 5000
    _GRAN: ClassVar[dict[str, str]] = {"1m": "M1", "5m": "M5", "15m": "M15", "30m": "M30", "1h": "H1",
                                       "4h": "H4", "1d": "D", "1w": "W", "1mo": "M"}

    def __init__(self, token: str | None, base_url: str | None, timeout_s: float) -> None:
        self.token, self.base_url, self.timeout_s = token, base_url, timeout_s
        self._api: Any = None

    @classmethod
    def from_config(cls, config: DataConfig, clock: Clock) -> OandaCandlesProvider:
        return cls(_env(config, "oanda"), config.base_urls.get("oanda"), config.policy("oanda").timeout_seconds)

    def _client(self) -> Any:
        if self._api is None:
            if not self.token:
                raise DataError("oanda: no API token (set OANDA_TOKEN)")
            import oandapyV20
            import oandapyV20.oandapyV20 as core

            env = "practice"
            if self.base_url:
                env = f"custom:{self.base_url}"
                core.TRADING_ENVIRONMENTS[env] = {"api": self.base_url.rstrip("/"), "stream": self.base_url.rstrip("/")}
            self._api = oandapyV20.API(access_token=self.token, environment=env,
                                       request_params={"timeout": self.timeout_s})
        return self._api

    def bars(self, symbol: str, tf: str, start_ns: int | None, end_ns: int) -> pd.DataFrame:
        import oandapyV20.endpoints.instruments as instruments

        gran = self._GRAN.get(str(parse_timeframe(tf)))
        if gran is None:
            raise DataError(f"oanda: no granularity for timeframe {tf} (have {', '.join(self._GRAN)})")
        instrument = symbol.replace("/", "_")
        step = parse_timeframe(tf).ns
        since = (start_ns if start_ns is not None else end_ns - 500 * step) - step
        opens: list[int] = []
        rows: list[list[float]] = []
        while True:
            params = {"granularity": gran, "price": "M", "from": _rfc3339(since), "count": self.page}
            try:
                resp = self._client().request(instruments.InstrumentsCandles(instrument, params=params))
            except Exception as exc:  # V20Error, requests exceptions
                raise _http_error(exc, _int(getattr(exc, "code", None)), f"oanda: candles {instrument} {gran}") from None
            candles = resp.get("candles", [])
            for c in candles:
                if not c.get("complete", False):
                    continue  # the candle still forming is never a bar
                t = _parse_ts(c["time"])
                if opens and t <= opens[-1]:
                    continue
                m = c["mid"]
                opens.append(t)
                rows.append([float(m["o"]), float(m["h"]), float(m["l"]), float(m["c"]), float(c.get("volume", 0))])
            if len(candles) < self.page or not opens or opens[-1] + step >= end_ns:
                break
            since = opens[-1] + 1
        close = open_to_close_ns(np.asarray(opens, dtype="int64"), tf)  # none: an empty frame; the chain judges it
        return cut(frame_from_rows(close, np.asarray(rows, dtype="float64").reshape(-1, 5), self.name), start_ns, end_ns)


def ccxt_error(exc: Exception, exchange: Any, what: str) -> DataError:
    """ccxt's NetworkError family (timeouts, 5xx) is transient; DDoSProtection (HTTP 429, and its
    subclass RateLimitExceeded) starts a cooldown, honouring the answer's Retry-After."""
    import ccxt

    msg = f"{what}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    if isinstance(exc, ccxt.DDoSProtection):
        headers = {str(k).lower(): v for k, v in (getattr(exchange, "last_response_headers", None) or {}).items()}
        try:
            retry_after: float | None = float(headers["retry-after"])
        except (KeyError, TypeError, ValueError):
            retry_after = None
        return TransientDataError(msg, retry_after, rate_limited=True)
    if isinstance(exc, ccxt.NetworkError):
        return TransientDataError(msg)
    return DataError(msg)


def _http_error(exc: Exception, status: int | None, what: str) -> DataError:
    """requests-level failures and 5xx are transient, 429 rate-limited, anything else final."""
    import requests

    msg = f"{what}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    if status == 429:
        return TransientDataError(msg, rate_limited=True)
    if (status is not None and status >= 500) or isinstance(exc, requests.ConnectionError | requests.Timeout):
        return TransientDataError(msg)
    return DataError(msg)


def _int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _bounded(client: Any, timeout_s: float) -> Any:
    """Give an alpaca-py client a request timeout; leave retries to the chain (its own sleep 3 s)."""
    client._session.request = partial(client._session.request, timeout=timeout_s)
    client._retry = 0
    return client


def _env(config: DataConfig, key: str) -> str | None:
    import os

    ref = config.key(key)
    if ref is None:
        return None
    return os.environ.get(ref.removeprefix("env:")) or None


def _rfc3339(ns: int) -> str:
    return ns_to_dt(ns).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def _parse_ts(text: str) -> int:
    """OANDA RFC3339 with nanoseconds (or UNIX seconds with a fraction) to int ns."""
    import pandas as pd

    if re.fullmatch(r"\d+(\.\d+)?", text):
        sec, _, frac = text.partition(".")
        return int(sec) * NS + int((frac + "000000000")[:9])
    return int(pd.Timestamp(text).as_unit("ns").value)
