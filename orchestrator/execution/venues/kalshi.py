"""Kalshi event contracts on kalshi-python (``KalshiClient``, RSA-PSS signed requests).

The instrument symbol is the market ticker and tradefleet trades its YES side: a buy is
``action=buy, side=yes``, a sell is ``action=sell, side=yes``; quantity is a contract count;
prices are dollars (0.01-0.99) at the order boundary and cents at the venue. The client
order id is sent as ``client_order_id`` and orders are found again by listing and matching
it. The generated client retries through urllib3 by default; that is switched off (a POST
must never be resent by a library), and every request gets a timeout.

``api_key`` is the key id and ``api_secret`` the RSA private key PEM (both ``env:`` refs).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.sections import AccountConfig
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.domain import TimeInForce as TIF
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.retry import parse_retry_after
from tradefleet.orchestrator.execution.secrets import resolve_secret
from tradefleet.orchestrator.execution.venues.base import (AdapterOptions, Failure, FailureKind, SymbolMap, VenueBroker,
                                                VenueNotFound, dec, http_failure, status_of)

CENT = Decimal("0.01")


def _client_class() -> type:
    """kalshi-python's KalshiClient, signing with the private key parsed once.

    The stock client re-parses (and re-validates) the RSA PEM on every request, about
    120 ms each here; the signature (RSA-PSS/SHA-256 over ``ts + METHOD + /trade-api/v2 +
    path``) is unchanged."""
    import base64

    import kalshi_python
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    class CachedKeyKalshiClient(kalshi_python.KalshiClient):  # type: ignore[misc]
        _key: Any = None

        def update_params_for_auth(self, headers: Any, queries: Any, auth_settings: Any, resource_path: str,
                                   method: str, body: Any, request_auth: Any = None) -> Any:
            if not self.api_key_id or not self.private_key_pem:
                return super().update_params_for_auth(headers, queries, auth_settings, resource_path, method,
                                                      body, request_auth)
            if self._key is None:
                pem = self.private_key_pem
                self._key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem,
                                                               password=None)
            ts = str(self._now_ms())
            msg = f"{ts}{method.upper()}/trade-api/v2{resource_path}".encode()
            sig = self._key.sign(msg, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                  salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
            headers["KALSHI-ACCESS-KEY"] = self.api_key_id
            headers["KALSHI-ACCESS-SIGNATURE"] = base64.b64encode(sig).decode()
            headers["KALSHI-ACCESS-TIMESTAMP"] = ts
            return kalshi_python.ApiClient.update_params_for_auth(self, headers, queries, auth_settings,
                                                                  resource_path, method, body, request_auth)

        _now_ms: Any = None

    return CachedKeyKalshiClient


class KalshiBroker(VenueBroker):
    """A Kalshi portfolio."""

    name: ClassVar[str] = "kalshi"
    venue: ClassVar[str] = "kalshi"
    native_tif: ClassVar[frozenset[TIF]] = frozenset({TIF.GTC, TIF.GTD})

    def __init__(self, account: str, cfg: AccountConfig, opts: AdapterOptions) -> None:
        super().__init__(account, cfg, opts)
        import kalshi_python

        key_id = resolve_secret(self.require(cfg.api_key, "api_key"), opts.environ)
        pem = resolve_secret(self.require(cfg.api_secret, "api_secret"), opts.environ)
        assert key_id is not None and pem is not None
        default = "https://api.elections.kalshi.com" if cfg.live else "https://demo-api.kalshi.co"
        conf = kalshi_python.Configuration(host=f"{(cfg.base_url or default).rstrip('/')}/trade-api/v2")
        conf.api_key_id = key_id.get_secret_value()
        conf.private_key_pem = pem.get_secret_value()
        conf.retries = 0  # urllib3 would otherwise retry; writes are settled by query instead
        self.client = _client_class()(conf)
        # signatures carry the venue clock's ms timestamp: the injected clock, never time.time()
        self.client._now_ms = lambda: opts.clock.now_ns() // 1_000_000
        rest = self.client.rest_client
        original = rest.request
        timeout = opts.timeout_s

        def request(*args: Any, _request_timeout: Any = None, **kwargs: Any) -> Any:
            return original(*args, _request_timeout=_request_timeout or timeout, **kwargs)

        rest.request = request
        self.symbols = SymbolMap(cfg.extra.get("symbols"))
        self._fills_since: int | None = None

    # -- classification -------------------------------------------------------------
    def classify(self, exc: Exception) -> Failure | None:
        import urllib3
        from kalshi_python.exceptions import ApiException

        if isinstance(exc, ApiException):
            headers = dict(exc.headers or {})
            retry_after = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
            message = (exc.body or exc.reason or "")[:300]
            # 401: bad key or signature; Kalshi also answers 401 when the timestamp is skewed
            return http_failure(exc.status, str(message), retry_after, reject_statuses=(400, 403, 409))
        if isinstance(exc, urllib3.exceptions.HTTPError):
            return Failure(FailureKind.TRANSIENT, f"{type(exc).__name__}: connection failed")
        return None

    # -- conversions ----------------------------------------------------------------
    def _venue_order(self, o: Any) -> VenueOrder:
        count = Decimal(o.count or 0)
        remaining = Decimal(o.remaining_count if o.remaining_count is not None else count)
        filled = count - remaining
        self.remember(o.order_id or "", o.client_order_id or "")
        st = o.status or ""
        status = status_of(count, filled, st == "executed", st == "canceled")
        if st == "executed" and filled >= count:
            status = OrderStatus.FILLED
        side = Side.BUY if (o.action or "buy") == "buy" else Side.SELL
        price = (Decimal(str(o.yes_price)) * CENT) if o.yes_price is not None and filled else None
        return VenueOrder(o.client_order_id or "", o.order_id or "", self.symbols.local(o.ticker or ""), side,
                          count, filled, status, price)

    # -- venue calls ----------------------------------------------------------------
    def _submit(self, order: Order) -> VenueOrder:
        if order.quantity != order.quantity.to_integral_value() or order.quantity < 1:
            from tradefleet.orchestrator.errors import OrderRejected

            raise OrderRejected(f"kalshi: contract count must be a whole number >= 1, got {order.quantity}")
        count = int(order.quantity)
        kwargs: dict[str, Any] = dict(ticker=self.symbols.venue(order.instrument), side="yes",
                                      action=order.side.value, count=count, client_order_id=order.client_order_id)
        if order.order_type is OrderType.LIMIT and order.limit_price is not None:
            kwargs.update(type="limit", yes_price=int((order.limit_price / CENT).to_integral_value()))
            if order.time_in_force is TIF.GTD and order.expire_ns is not None:
                kwargs["expiration_ts"] = order.expire_ns // 1_000_000_000  # the venue expires it
        else:
            kwargs.update(type="market")
            if order.side is Side.BUY:
                kwargs["buy_max_cost"] = count * 99  # cents: never pay more than 0.99 a contract
        resp = self.client.create_order(**kwargs)
        if resp is None or resp.order is None:  # the client maps only 201; anything else is unknown
            raise ConnectionError("create_order returned no order (unexpected status)")
        return self._venue_order(resp.order)

    def _all_orders(self, status: str | None = None) -> list[Any]:
        out: list[Any] = []
        cursor = None
        for _ in range(100):  # pages
            resp = self.client.get_orders(status=status, cursor=cursor, limit=200)
            out.extend(resp.orders or [])
            cursor = resp.cursor
            if not cursor:
                break
        return out

    def _find(self, client_order_id: str) -> Any | None:
        return next((o for o in self._all_orders() if o.client_order_id == client_order_id), None)

    def _query(self, client_order_id: str) -> VenueOrder | None:
        o = self._find(client_order_id)
        return self._venue_order(o) if o is not None else None

    def _cancel(self, client_order_id: str) -> VenueOrder:
        o = self._find(client_order_id)
        if o is None:
            raise VenueNotFound(f"no order with client id {client_order_id}")
        if o.status == "resting":
            resp = self.client.cancel_order(o.order_id)
            if resp is not None and resp.order is not None:
                return self._venue_order(resp.order)
        return self._venue_order(o)

    def _open_orders(self) -> list[VenueOrder]:
        return [self._venue_order(o) for o in self._all_orders(status="resting")]

    def _positions(self) -> dict[str, Decimal]:
        resp = self.client.get_positions(limit=200)
        return {self.symbols.local(p.ticker): Decimal(p.position or 0) for p in resp.positions or []}

    def _account(self) -> AccountSnapshot:
        bal = self.client.get_balance()
        cash = Decimal(bal.balance or 0) * CENT
        return AccountSnapshot(self.name, "USD", cash, cash)

    def _fills(self) -> list[Fill]:
        out = []
        cursor = None
        fills: list[Any] = []
        for _ in range(100):  # pages, from the last fill time seen (inclusive; de-duplicated by id)
            resp = self.client.get_fills(min_ts=self._fills_since, cursor=cursor, limit=200)
            fills.extend(resp.fills or [])
            cursor = resp.cursor
            if not cursor:
                break
        for f in fills:
            ts = dt_to_ns(f.created_time) if f.created_time is not None else 0
            self._fills_since = max(self._fills_since or 0, ts // 1_000_000_000) or None
            out.append(Fill(self.cid_for(f.order_id or ""), self.name, f.order_id or "", f.fill_id or "",
                            self.symbols.local(f.ticker or ""), Side.BUY if f.action == "buy" else Side.SELL,
                            Decimal(f.count or 0), dec(f.price) * CENT, Decimal(0), ts, self.now_ns()))
        return out
