"""OANDA v20 (forex) on oandapyV20.

The client order id travels as ``clientExtensions.id`` and orders are addressed as
``@<client id>`` (OANDA's client-id order specifier). Fills are ``ORDER_FILL`` transactions
(transaction id = trade id) read with ``TransactionsSinceID``. oandapyV20 has no URL argument:
a ``base_url`` is registered as its own entry in ``TRADING_ENVIRONMENTS``. The client drops
response headers on errors, so a response hook keeps the last ``Retry-After``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from tradefleet.orchestrator.clock import dt_to_ns
from tradefleet.orchestrator.sections import AccountConfig
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.domain import TimeInForce as TIF
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.linked import Linked
from tradefleet.orchestrator.execution.retry import parse_retry_after
from tradefleet.orchestrator.execution.secrets import resolve_secret
from tradefleet.orchestrator.execution.venues.base import (AdapterOptions, Failure, FailureKind, SymbolMap, VenueBroker,
                                                VenueNotFound, VenueRejected, dec, http_failure)

_STATE = {"PENDING": OrderStatus.ACCEPTED, "FILLED": OrderStatus.FILLED, "TRIGGERED": OrderStatus.FILLED,
          "CANCELLED": OrderStatus.CANCELED}


class OandaBroker(VenueBroker):
    """One OANDA v20 account (``account_id`` is required)."""

    name: ClassVar[str] = "oanda"
    venue: ClassVar[str] = "oanda"
    native_types: ClassVar[frozenset[OrderType]] = frozenset(
        {OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT})
    native_tif: ClassVar[frozenset[TIF]] = frozenset({TIF.GTC, TIF.GTD, TIF.IOC, TIF.FOK})
    native_brackets: ClassVar[bool] = True  # takeProfitOnFill / stopLossOnFill on the entry

    def __init__(self, account: str, cfg: AccountConfig, opts: AdapterOptions) -> None:
        super().__init__(account, cfg, opts)
        import oandapyV20
        import oandapyV20.oandapyV20 as core

        token = resolve_secret(self.require(cfg.api_key, "api_key"), opts.environ)
        assert token is not None
        self.account_id = self.require(cfg.account_id, "account_id")
        env = "live" if cfg.live else "practice"
        if cfg.base_url:
            env = f"tradefleet-{account}"
            core.TRADING_ENVIRONMENTS[env] = {"api": cfg.base_url.rstrip("/"), "stream": cfg.base_url.rstrip("/")}
        self.api = oandapyV20.API(access_token=token.get_secret_value(), environment=env,
                                  request_params={"timeout": opts.timeout_s})
        self._last_headers: Any = {}
        self.api.client.hooks["response"].append(self._keep_headers)
        self.symbols = SymbolMap(cfg.extra.get("symbols"), style=lambda s: s.replace("/", "_"))
        self._last_txn: str = str(cfg.extra.get("since_transaction", "0"))
        self.stream_stale = False

    def _keep_headers(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        self._last_headers = response.headers
        return response

    def _req(self, endpoint: Any) -> Any:
        return self.api.request(endpoint)

    # -- classification -------------------------------------------------------------
    def classify(self, exc: Exception) -> Failure | None:
        from oandapyV20.exceptions import V20Error
        from requests import RequestException

        if isinstance(exc, V20Error):
            msg = str(exc.msg)[:300]
            retry_after = parse_retry_after(self._last_headers.get("Retry-After")) if exc.code == 429 else None
            return http_failure(int(exc.code), msg, retry_after, reject_statuses=(400, 403))
        if isinstance(exc, RequestException):
            return Failure(FailureKind.TRANSIENT, f"{type(exc).__name__}: connection failed")
        return None

    # -- conversions ----------------------------------------------------------------
    def _venue_order(self, o: dict[str, Any], fill_price: Decimal | None = None) -> VenueOrder:
        units = dec(o.get("units"))
        cid = (o.get("clientExtensions") or {}).get("id", "")
        self.remember(str(o["id"]), cid)
        status = _STATE.get(o.get("state", ""), OrderStatus.ACCEPTED)
        instrument = self.symbols.local(o.get("instrument", ""))
        side = Side.BUY if units > 0 else Side.SELL
        ours = self._exit(cid) if "units" not in o else None
        if ours is not None:  # a take-profit/stop-loss closes its trade: no units of its own
            units, side, instrument = ours.quantity, ours.side, ours.instrument
        filled = abs(units) if status is OrderStatus.FILLED else Decimal(0)
        reason = o.get("cancelledReason", "") if status is OrderStatus.CANCELED else ""
        return VenueOrder(cid, str(o["id"]), instrument, side, abs(units), filled, status,
                          fill_price if filled else None, reason)

    def _exit(self, cid: str) -> Order | None:
        group = self.groups.get(cid)
        return next((x for x in group.exits if x.client_order_id == cid), None) if group is not None else None

    # -- take-profit and stop-loss on fill ------------------------------------------------
    def linked_problem(self, group: Linked) -> str | None:
        entry = group.entry
        if entry is None:
            return "oanda attaches exits only to the trade an entry opens"
        if entry.order_type is OrderType.TRAILING_STOP:
            return "oanda has no trailing-stop entry"
        if group.stop_loss is not None and group.stop_loss.order_type is not OrderType.STOP:
            return "oanda's stop-loss on fill has no limit price (a stop-limit exit)"
        return None

    def _submit_linked(self, group: Linked) -> list[VenueOrder]:
        import oandapyV20.endpoints.orders as orders

        entry = group.entry
        assert entry is not None
        body = self._body(entry)
        for key, exit_, price in (("takeProfitOnFill", group.take_profit, "limit_price"),
                                  ("stopLossOnFill", group.stop_loss, "stop_price")):
            if exit_ is not None:
                body[key] = {"price": str(getattr(exit_, price)), "timeInForce": "GTC",
                             "clientExtensions": {"id": exit_.client_order_id, "tag": exit_.bot[:128]}}
        resp = self._req(orders.OrderCreate(self.account_id, data={"order": body}))
        head = self._ack(entry, resp)
        out = [head]
        for x in group.exits:  # they exist once the entry has filled; until then they wait in its spec
            found = self._details(x.client_order_id) if head.filled_quantity else None
            out.append(self._venue_order(found) if found is not None else
                       VenueOrder(x.client_order_id, "", x.instrument, x.side, x.quantity, Decimal(0),
                                  OrderStatus.ACCEPTED, reason="on fill of " + entry.client_order_id))
        return out

    def _pending_exit(self, client_order_id: str) -> VenueOrder | None:
        """An exit OANDA creates only when its entry fills: waiting, or gone with its entry."""
        group, ours = self.groups.get(client_order_id), self._exit(client_order_id)
        if group is None or group.entry is None or ours is None:
            return None
        entry = self._details(group.entry.client_order_id)
        if entry is None:
            return None
        state = entry.get("state")
        if state == "PENDING":
            return VenueOrder(client_order_id, "", ours.instrument, ours.side, ours.quantity, Decimal(0),
                              OrderStatus.ACCEPTED, reason=f"on fill of {group.entry.client_order_id}")
        if state == "CANCELLED":
            return VenueOrder(client_order_id, "", ours.instrument, ours.side, ours.quantity, Decimal(0),
                              OrderStatus.CANCELED, reason=f"entry {group.entry.client_order_id} canceled")
        return None

    def _fill_price(self, o: dict[str, Any]) -> Decimal | None:
        import oandapyV20.endpoints.transactions as tx

        txn_id = o.get("fillingTransactionID")
        if not txn_id:
            return None
        t = self._req(tx.TransactionDetails(self.account_id, txn_id)).get("transaction", {})
        return dec(t.get("price")) if t.get("price") else None

    # -- venue calls ----------------------------------------------------------------
    def _submit(self, order: Order) -> VenueOrder:
        import oandapyV20.endpoints.orders as orders

        resp = self._req(orders.OrderCreate(self.account_id, data={"order": self._body(order)}))
        return self._ack(order, resp)

    def _body(self, order: Order) -> dict[str, Any]:
        units = order.quantity if order.side is Side.BUY else -order.quantity
        body: dict[str, Any] = {"instrument": self.symbols.venue(order.instrument), "units": str(units),
                                "positionFill": "REDUCE_ONLY" if order.reduce_only else "DEFAULT",
                                "clientExtensions": {"id": order.client_order_id, "tag": order.bot[:128]}}
        t = order.order_type
        if t is OrderType.MARKET:
            body.update(type="MARKET", timeInForce="FOK" if order.time_in_force is TIF.GTC else
                        order.time_in_force.value.upper())
        else:
            tif = order.time_in_force.value.upper()
            if t is OrderType.LIMIT:
                body.update(type="LIMIT", price=str(order.limit_price), timeInForce=tif)
            else:  # a stop; a stop-limit is OANDA's STOP with a worst-price bound
                body.update(type="STOP", price=str(order.stop_price), timeInForce=tif)
                if t is OrderType.STOP_LIMIT:
                    body["priceBound"] = str(order.limit_price)
            if order.time_in_force is TIF.GTD and order.expire_ns is not None:
                from tradefleet.orchestrator.clock import ns_to_dt

                body["gtdTime"] = ns_to_dt(order.expire_ns).isoformat().replace("+00:00", "Z")
        return body

    def _ack(self, order: Order, resp: dict[str, Any]) -> VenueOrder:
        created = resp.get("orderCreateTransaction", {})
        vid = str(created.get("id", ""))
        self.remember(vid, order.client_order_id)
        if "orderCancelTransaction" in resp:  # FOK not filled (e.g. INSUFFICIENT_MARGIN, MARKET_HALTED)
            raise VenueRejected(resp["orderCancelTransaction"].get("reason", "CANCELLED"))
        fill = resp.get("orderFillTransaction")
        if fill:
            return VenueOrder(order.client_order_id, vid, order.instrument, order.side, order.quantity,
                              abs(dec(fill.get("units"))), OrderStatus.FILLED if abs(dec(fill.get("units")))
                              >= order.quantity else OrderStatus.PARTIALLY_FILLED, dec(fill.get("price")))
        return VenueOrder(order.client_order_id, vid, order.instrument, order.side, order.quantity, Decimal(0),
                          OrderStatus.ACCEPTED)

    def _details(self, client_order_id: str) -> dict[str, Any] | None:
        import oandapyV20.endpoints.orders as orders
        from oandapyV20.exceptions import V20Error

        try:
            return dict(self._req(orders.OrderDetails(self.account_id, f"@{client_order_id}"))["order"])
        except V20Error as exc:
            if exc.code == 404:
                return None
            raise

    def _query(self, client_order_id: str) -> VenueOrder | None:
        o = self._details(client_order_id)
        if o is None:
            return self._pending_exit(client_order_id)
        return self._venue_order(o, self._fill_price(o) if o.get("state") == "FILLED" else None)

    def _cancel(self, client_order_id: str) -> VenueOrder:
        import oandapyV20.endpoints.orders as orders

        o = self._details(client_order_id)
        if o is None:
            raise VenueNotFound(f"no order with client id {client_order_id}")
        if o.get("state") == "PENDING":
            self._req(orders.OrderCancel(self.account_id, f"@{client_order_id}"))
            o = self._details(client_order_id) or o
        return self._venue_order(o, self._fill_price(o) if o.get("state") == "FILLED" else None)

    def _open_orders(self) -> list[VenueOrder]:
        import oandapyV20.endpoints.orders as orders

        return [self._venue_order(o) for o in self._req(orders.OrdersPending(self.account_id)).get("orders", [])]

    def _positions(self) -> dict[str, Decimal]:
        import oandapyV20.endpoints.positions as positions

        out: dict[str, Decimal] = {}
        for p in self._req(positions.OpenPositions(self.account_id)).get("positions", []):
            net = dec(p.get("long", {}).get("units")) + dec(p.get("short", {}).get("units"))
            out[self.symbols.local(p["instrument"])] = net
        return out

    def _account(self) -> AccountSnapshot:
        import oandapyV20.endpoints.accounts as accounts

        a = self._req(accounts.AccountSummary(self.account_id))["account"]
        return AccountSnapshot(self.name, a.get("currency", "USD"), dec(a.get("balance")), dec(a.get("NAV")))

    def _fill_of(self, t: dict[str, Any]) -> Fill:
        units = dec(t.get("units"))
        return Fill(t.get("clientOrderID") or self.cid_for(str(t.get("orderID"))), self.name, str(t.get("orderID")),
                    str(t["id"]), self.symbols.local(t.get("instrument", "")), Side.BUY if units > 0 else Side.SELL,
                    abs(units), dec(t.get("price")), abs(dec(t.get("commission"))),
                    _oanda_ns(t.get("time", "1970-01-01T00:00:00Z")), self.now_ns())

    def _fills(self) -> list[Fill]:
        import oandapyV20.endpoints.transactions as tx

        resp = self._req(tx.TransactionsSinceID(self.account_id, params={"id": self._last_txn}))
        out = [self._fill_of(t) for t in resp.get("transactions", []) if t.get("type") == "ORDER_FILL"]
        self._last_txn = str(resp.get("lastTransactionID", self._last_txn))
        return out

    # -- the transactions stream ---------------------------------------------------------
    def stream_fills(self, max_messages: int = 10_000, stale_heartbeats: int = 2) -> list[Fill]:
        """Follow the transactions stream and return new fills (de-duplicated with polling).

        OANDA heartbeats carry the account's ``lastTransactionID``. When heartbeats keep
        arriving but report a transaction the stream never delivered (``stale_heartbeats``
        in a row), the stream is frozen: it is dropped, the missing fills are fetched by
        REST, ``stream_stale`` is set and a reconnect is flagged (so the account is
        reconciled). A broken stream is handled the same way."""
        import oandapyV20.endpoints.transactions as tx

        self._check_halt()
        self.stream_stale = False
        seen = int(self._last_txn or 0)
        behind = 0
        found: list[Fill] = []
        stream = None
        try:
            stream = self.api.request(tx.TransactionsStream(self.account_id))
            for i, msg in enumerate(stream):
                if msg.get("type") == "HEARTBEAT":
                    behind = behind + 1 if int(msg.get("lastTransactionID") or 0) > seen else 0
                    if behind >= stale_heartbeats:
                        self.stream_stale = True
                        break
                elif "id" in msg:
                    seen = max(seen, int(msg["id"]))
                    if msg.get("type") == "ORDER_FILL":
                        found.append(self._fill_of(msg))
                if i + 1 >= max_messages:
                    break
        except Exception as exc:
            failure = self._fail(exc)
            if failure.kind is FailureKind.AUTH:
                raise self._halt(failure) from None
            self.stream_stale = True
        finally:
            if stream is not None:
                stream.close()  # closes the HTTP response too
        out = []
        for fill in found:
            reported = self._seen_trades.setdefault((fill.venue_order_id, fill.trade_id), set())
            contents = (fill.side, fill.quantity, fill.price, fill.instrument)
            if contents not in reported:
                reported.add(contents)
                out.append(fill)
        if self.stream_stale:
            self._down = True  # the REST catch-up below flags the reconnect when it succeeds
            out.extend(self.poll_fills())
        else:
            self._last_txn = str(max(seen, int(self._last_txn or 0)))
        return out


def _oanda_ns(text: str) -> int:
    """Parse OANDA's RFC 3339 time with nanoseconds."""
    from datetime import datetime

    head, _, frac = text.rstrip("Z").partition(".")
    base = dt_to_ns(datetime.fromisoformat(head + "+00:00"))
    return base + int((frac + "000000000")[:9]) if frac else base
