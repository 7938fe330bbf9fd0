"""A small threaded HTTP server on 127.0.0.1 (port 0) with scripted faults, plus the
in-memory matching book every venue fake shares.

Each venue fake maps its API's routes onto :class:`VenueBook` (orders, fills, positions,
cash) and renders the venue's JSON shapes. Faults are queued per route and consumed once:
``drop`` (process the request, then close the socket without answering: the classic
accept-then-drop), ``reset`` (RST before processing), ``status`` (answer e.g. 429 with
Retry-After, 500, 401 without processing). Fill behaviour is scripted per order on the book:
``fill`` (default), ``rest``, ``partial``, ``reject``, ``replay`` (same fill served three
times), ``overfill``, ``replay_new_id`` (half filled, and that fill served again under a new
trade id) and
``changed`` (the same trade id served again with twice the quantity).
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body).items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else default


@dataclass
class Reply:
    """A response: JSON body (or raw text), status and extra headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class Fault:
    """A scripted fault for the next request matching ``method`` and ``path`` (regex)."""

    method: str
    path: str
    kind: str  # "drop" | "reset" | "status"
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


Route = tuple[str, str, Callable[..., Reply | Any]]


class FakeServer:
    """Route table + fault queue + request log, served on 127.0.0.1:0."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = [(m, re.compile(rx), fn) for m, rx, fn in routes]
        self.faults: list[Fault] = []
        self.log: list[Request] = []
        self.lock = threading.RLock()
        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._srv.daemon_threads = True
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._srv.server_address[1]}"

    def close(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    def fault(self, method: str, path: str, kind: str, **kw: Any) -> None:
        """Queue a fault for the next matching request(s)."""
        with self.lock:
            self.faults.append(Fault(method, path, kind, **kw))

    def requests(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Return the logged requests matching ``method`` and the ``path`` regex."""
        return [r for r in self.log if (method is None or r.method == method)
                and (path is None or re.fullmatch(path, r.path))]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.method == method and re.fullmatch(f.path, path):
                    f.times -= 1
                    if f.times <= 0:
                        self.faults.remove(f)
                    return f
        return None

    def _dispatch(self, req: Request) -> Reply:
        for method, rx, fn in self.routes:
            m = rx.fullmatch(req.path)
            if method == req.method and m:
                with self.lock:
                    out = fn(req, *m.groups())
                return out if isinstance(out, Reply) else Reply(out)
        return Reply({"error": "no route", "path": req.path}, 404)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on small writes
            wbufsize = 1 << 16  # headers and body leave in one write (flushed per request)

            def log_message(self, *args: Any) -> None:
                pass

            def _abort(self, rst: bool) -> None:
                self.close_connection = True
                if rst:  # SO_LINGER 0: close sends RST (connection reset by peer)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.connection.close()

            def _handle(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                u = urlsplit(self.path)
                req = Request(self.command, u.path, parse_qs(u.query, keep_blank_values=True),
                              {k: v for k, v in self.headers.items()}, raw.decode("utf-8", "replace"))
                server.log.append(req)
                fault = server._take_fault(req.method, req.path)
                if fault is not None and fault.kind == "reset":
                    return self._abort(rst=True)
                if fault is not None and fault.kind == "status":
                    reply = Reply(fault.body if fault.body is not None else {"message": f"fault {fault.status}"},
                                  fault.status, dict(fault.headers))
                else:
                    try:
                        reply = server._dispatch(req)
                    except Exception as exc:  # a bug in a fake must show up, not hang the client
                        reply = Reply({"message": f"fake error: {type(exc).__name__}: {exc}"}, 599)
                if fault is not None and fault.kind == "drop":
                    return self._abort(rst=False)
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

        return Handler


# -- the shared matching book ----------------------------------------------------------

@dataclass
class BookOrder:
    """An order resting in (or done at) the fake venue."""

    venue_id: str
    client_id: str
    symbol: str
    side: str  # "buy" | "sell"
    qty: Decimal
    price: Decimal | None
    seq: int
    status: str = "new"  # held | new | partially_filled | filled | canceled | rejected
    filled: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    reason: str = ""
    kind: str = ""  # market | limit | stop | stop_limit ("": limit if priced, else market)
    stop: Decimal | None = None
    parent: str | None = None  # venue id of the entry a held child waits for
    oco: str | None = None  # members of one OCO group cancel each other on a fill
    children: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.kind or ("limit" if self.price else "market")

    @property
    def avg(self) -> Decimal | None:
        return self.notional / self.filled if self.filled else None

    @property
    def open(self) -> bool:
        return self.status in ("new", "partially_filled")


@dataclass
class BookFill:
    trade_id: str
    venue_id: str
    client_id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    seq: int


class VenueBook:
    """Orders, fills, positions and cash of one fake account; thread-safe via the server lock.

    ``behaviour`` is consumed once per new order (default ``fill``); ``price_of`` gives the
    execution price per symbol."""

    def __init__(self, cash: Decimal = Decimal(100_000), prices: dict[str, Decimal] | None = None,
                 fee_rate: Decimal = Decimal(0)) -> None:
        self.cash = cash
        self.prices = prices or {}
        self.fee_rate = fee_rate
        self.orders: dict[str, BookOrder] = {}
        self.fills: list[BookFill] = []  # what the venue serves (may hold replays)
        self.positions: dict[str, Decimal] = {}
        self.behaviour: list[str] = []
        self.known_clients: set[str] = set()
        self._ids = itertools.count(1)
        self._trades = itertools.count(1001)
        self.lock = threading.RLock()
        #: units of cash per unit of price and quantity (an option contract: 100 shares)
        self.multiplier_of: Any = lambda _symbol: Decimal(1)

    def next_id(self) -> int:
        return next(self._ids)

    def price(self, symbol: str, limit: Decimal | None) -> Decimal:
        return limit if limit is not None else self.prices.get(symbol, Decimal(100))

    def by_client(self, client_id: str) -> BookOrder | None:
        return next((o for o in self.orders.values() if o.client_id == client_id), None)

    def attach(self, parent: BookOrder, venue_id: str, client_id: str, kind: str, price: Decimal | None,
               stop: Decimal | None, oco: str | None, held: bool = True) -> BookOrder:
        """A linked order the venue holds for ``parent``: a bracket child (``held`` until the
        parent fills, canceled with an unfilled parent) or an OCO sibling (live at once).
        Children of an already filled parent are live at once."""
        with self.lock:
            side = ("sell" if parent.side == "buy" else "buy") if held else parent.side
            waits = held and parent.status != "filled"
            child = BookOrder(venue_id, client_id, parent.symbol, side, parent.qty, price, self.next_id(),
                              status="held" if waits else "new", kind=kind, stop=stop,
                              parent=parent.venue_id if held else None, oco=oco)
            self.known_clients.add(client_id)
            self.orders[venue_id] = child
            parent.children.append(venue_id)
            if parent.status in ("canceled", "rejected") and held:
                child.status, child.reason = "canceled", "parent canceled"
            return child

    def place(self, venue_id: str, client_id: str, symbol: str, side: str, qty: Decimal,
              price: Decimal | None) -> BookOrder:
        """Accept an order and apply the scripted behaviour; duplicate client ids raise."""
        with self.lock:
            if client_id and client_id in self.known_clients:
                raise DuplicateClientId(client_id)
            self.known_clients.add(client_id)
            order = BookOrder(venue_id, client_id, symbol, side, qty, price, self.next_id())
            self.orders[venue_id] = order
            mode = self.behaviour.pop(0) if self.behaviour else "fill"
            if mode.startswith("reject"):
                order.status, order.reason = "rejected", mode.partition(":")[2] or "insufficient funds"
            elif mode == "fill":
                self.execute(order, qty)
            elif mode == "partial":
                self.execute(order, (qty / 2).quantize(Decimal(1)) if qty >= 2 else qty / 2)
            elif mode == "replay":
                fill = self.execute(order, qty)
                self.fills.extend([fill, fill])  # served three times in all
            elif mode == "overfill":
                self.execute(order, qty)
                self.execute(order, qty, force=True)
            elif mode == "replay_new_id":  # half filled, that execution served again under a new trade id
                fill = self.execute(order, (qty / 2).quantize(Decimal(1)) if qty >= 2 else qty / 2)
                self.fills.append(BookFill(str(next(self._trades)), *_fields(fill)[1:]))
            elif mode == "changed":  # the same trade id served again with another quantity
                fill = self.execute(order, qty)
                self.fills.append(BookFill(fill.trade_id, fill.venue_id, fill.client_id, fill.symbol, fill.side,
                                           fill.qty * 2, fill.price, fill.fee, self.next_id()))
            return order

    def execute(self, order: BookOrder, qty: Decimal, price: Decimal | None = None,
                force: bool = False) -> BookFill:
        """Fill ``qty`` of ``order`` (``force`` allows an overfill, as a buggy venue would)."""
        with self.lock:
            if not force:
                qty = min(qty, order.qty - order.filled)
            px = price if price is not None else self.price(order.symbol, order.price)
            sign = 1 if order.side == "buy" else -1
            fee = (qty * px * self.fee_rate).quantize(Decimal("0.0001"))
            fill = BookFill(str(next(self._trades)), order.venue_id, order.client_id, order.symbol,
                            order.side, qty, px, fee, self.next_id())
            self.fills.append(fill)
            order.filled += qty
            order.notional += qty * px
            order.status = "filled" if order.filled >= order.qty else "partially_filled"
            self._linked_after_fill(order)
            self.positions[order.symbol] = self.positions.get(order.symbol, Decimal(0)) + sign * qty
            self.cash -= sign * qty * px * self.multiplier_of(order.symbol) + fee
            return fill

    def _linked_after_fill(self, order: BookOrder) -> None:
        """A fill releases the order's held children and cancels its OCO siblings."""
        if order.status == "filled":
            for vid in order.children:
                child = self.orders[vid]
                if child.status == "held":
                    child.status = "new"
        if order.oco is not None:
            for other in self.orders.values():
                if other is not order and other.oco == order.oco and other.status in ("new", "held"):
                    other.status, other.reason = "canceled", "oco sibling filled"

    def cancel(self, venue_id: str) -> BookOrder | None:
        with self.lock:
            order = self.orders.get(venue_id)
            if order is not None and order.open:
                order.status = "canceled"
                for vid in order.children:  # held bracket children go with their entry
                    child = self.orders[vid]
                    if child.status == "held" or (child.parent == venue_id and child.open and not order.filled):
                        child.status, child.reason = "canceled", "parent canceled"
            elif order is not None and order.status == "held":
                order.status = "canceled"
            return order

    def unique_fills(self) -> list[BookFill]:
        seen: dict[str, BookFill] = {}
        for f in self.fills:
            seen.setdefault(f.trade_id, f)
        return list(seen.values())


def _fields(fill: BookFill) -> tuple[Any, ...]:
    return (fill.trade_id, fill.venue_id, fill.client_id, fill.symbol, fill.side, fill.qty, fill.price, fill.fee,
            fill.seq)


class DuplicateClientId(Exception):
    """The venue already has an order with this client id."""
