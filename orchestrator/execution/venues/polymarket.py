"""Polymarket CLOB on py-clob-client.

Polymarket has no client order id: the venue's order id is the EIP-712 hash of the signed
order. The adapter therefore signs with a **salt derived from the client order id** (so the
same intent always yields the same order and hash), exposes :meth:`prepare` so the order
manager stores that hash *before* the first send, and looks orders up by hash. After a
restart the order manager hands the stored ids back through :meth:`register_ids`.

Instruments are conditional-token ids (or names mapped with ``extra.symbols``); quantities
are shares, prices dollars in (0, 1). Market orders go out as FOK limits at the worst
acceptable price (0.99 to buy, 0.01 to sell, or the order's limit). The client's module-wide
httpx client is replaced by one with the adapter's timeout that records response headers
(for Retry-After).
"""

from __future__ import annotations

import hashlib
import threading
from decimal import Decimal
from typing import Any, ClassVar

from tradefleet.orchestrator.sections import AccountConfig
from tradefleet.orchestrator.domain import Fill, Order, OrderStatus, OrderType, Side
from tradefleet.orchestrator.errors import BrokerError
from tradefleet.orchestrator.execution.broker import AccountSnapshot, VenueOrder
from tradefleet.orchestrator.execution.retry import parse_retry_after
from tradefleet.orchestrator.execution.secrets import resolve_secret
from tradefleet.orchestrator.execution.venues.base import (AdapterOptions, Failure, FailureKind, SymbolMap, VenueBroker,
                                                VenueNotFound, VenueRejected, dec, http_failure, status_of)

USDC = Decimal(1_000_000)
_HEADERS = threading.local()


def salt_for(client_order_id: str) -> int:
    """A deterministic order salt from the client order id (fits the CLOB's uint256)."""
    return int.from_bytes(hashlib.sha256(client_order_id.encode()).digest()[:6], "big")


class PolymarketBroker(VenueBroker):
    """A Polymarket CLOB account (Level-2 auth: wallet key + API creds)."""

    name: ClassVar[str] = "polymarket"
    venue: ClassVar[str] = "polymarket"
    post_only: ClassVar[bool] = True

    def __init__(self, account: str, cfg: AccountConfig, opts: AdapterOptions) -> None:
        super().__init__(account, cfg, opts)
        import httpx
        from py_clob_client.client import ClobClient
        from py_clob_client.clob_types import ApiCreds
        from py_clob_client.http_helpers import helpers

        key = resolve_secret(self.require(cfg.api_key, "api_key"), opts.environ)
        secret = resolve_secret(self.require(cfg.api_secret, "api_secret"), opts.environ)
        passphrase = resolve_secret(self.require(cfg.extra.get("passphrase"), "extra.passphrase"), opts.environ)
        wallet = resolve_secret(self.require(cfg.extra.get("private_key"), "extra.private_key"), opts.environ)
        assert key and secret and passphrase and wallet
        if not cfg.base_url and not cfg.live:
            from tradefleet.orchestrator.errors import ConfigError

            raise ConfigError(f"[accounts.{account}] Polymarket has no sandbox: set base_url to a test endpoint, "
                              "or live = true (and run with --live)")
        host = (cfg.base_url or "https://clob.polymarket.com").rstrip("/")
        self.chain_id = int(cfg.extra.get("chain_id", 137))
        self.client = ClobClient(host, chain_id=self.chain_id, key=wallet.get_secret_value(),
                                 creds=ApiCreds(key.get_secret_value(), secret.get_secret_value(),
                                                passphrase.get_secret_value()))
        helpers._http_client = httpx.Client(timeout=opts.timeout_s,
                                            event_hooks={"response": [_keep_headers]})
        self.symbols = SymbolMap(cfg.extra.get("symbols"))
        self.markets: list[str] = list(cfg.extra.get("markets", []))
        self._hash_of: dict[str, str] = {}
        self._trades_after = 0
        self._signed: dict[str, Any] = {}

    # -- ids --------------------------------------------------------------------------
    def prepare(self, order: Order) -> str:
        """Sign ``order`` (deterministically) and return its hash, the venue order id."""
        if order.client_order_id not in self._signed:
            signed, digest = self._sign(order)
            self._signed[order.client_order_id] = signed
            self._hash_of[order.client_order_id] = digest
            self.remember(digest, order.client_order_id)
        return self._hash_of[order.client_order_id]

    def register_ids(self, ids: dict[str, str]) -> None:
        """Learn client id -> order hash pairs kept by the store (after a restart)."""
        for cid, digest in ids.items():
            if digest:
                self._hash_of[cid] = digest
                self.remember(digest, cid)

    def _sign(self, order: Order) -> tuple[Any, str]:
        """Build and sign the CLOB order once, with the client-id salt (the client's own
        ``create_order`` would draw a random salt and sign, so it cannot be used as is)."""
        from py_clob_client.config import get_contract_config
        from py_clob_client.order_builder.builder import ROUNDING_CONFIG
        from py_clob_client.order_builder.constants import BUY, SELL
        from py_clob_client.utilities import price_valid
        from py_order_utils.builders import OrderBuilder as UtilsOrderBuilder
        from py_order_utils.model.order import OrderData, SignedOrder
        from py_order_utils.signer import Signer as UtilsSigner

        if order.order_type is OrderType.LIMIT and order.limit_price is not None:
            price = order.limit_price
        else:
            price = Decimal("0.99") if order.side is Side.BUY else Decimal("0.01")
        token = self.symbols.venue(order.instrument)
        tick = self.client.get_tick_size(token)
        if not price_valid(float(price), tick):
            raise VenueRejected(f"price {price} outside ({tick}, 1 - {tick}) for token {token}")
        neg_risk = self.client.get_neg_risk(token)
        builder = self.client.builder
        side, maker_amount, taker_amount = builder.get_order_amounts(
            BUY if order.side is Side.BUY else SELL, float(order.quantity), float(price), ROUNDING_CONFIG[tick])
        data = OrderData(maker=builder.funder, tokenId=token, makerAmount=str(maker_amount),
                         takerAmount=str(taker_amount), side=side,
                         feeRateBps=str(self.client.get_fee_rate_bps(token)), nonce="0",
                         signer=builder.signer.address(), expiration="0", signatureType=builder.sig_type)
        salt = salt_for(order.client_order_id)  # the same intent always signs the same order
        utils = UtilsOrderBuilder(get_contract_config(self.chain_id, neg_risk).exchange, self.chain_id,
                                  UtilsSigner(key=builder.signer.private_key), salt_generator=lambda: salt)
        raw = utils.build_order(data)
        digest = utils._create_struct_hash(raw)
        return SignedOrder(raw, prepend_0x(utils.sign(digest))), digest

    # -- classification -------------------------------------------------------------
    def classify(self, exc: Exception) -> Failure | None:
        from py_clob_client.exceptions import PolyApiException

        if isinstance(exc, PolyApiException):
            if exc.status_code is None:  # httpx.RequestError: timeout, reset, refused
                return Failure(FailureKind.TRANSIENT, str(exc.error_msg))
            headers = getattr(_HEADERS, "last", {}) or {}
            retry_after = parse_retry_after(headers.get("retry-after"))
            return http_failure(exc.status_code, str(exc.error_msg)[:300], retry_after,
                                reject_statuses=(400, 403, 422))
        return None

    # -- conversions ----------------------------------------------------------------
    def _venue_order(self, o: dict[str, Any]) -> VenueOrder:
        digest = str(o.get("id", ""))
        qty, filled = dec(o.get("original_size")), dec(o.get("size_matched"))
        st = str(o.get("status", "")).upper()
        status = status_of(qty, filled, st == "MATCHED", st in ("CANCELED", "CANCELLED", "CANCELED_MARKET_RESOLVED"))
        side = Side.BUY if str(o.get("side", "BUY")).upper() == "BUY" else Side.SELL
        return VenueOrder(self.cid_for(digest), digest, self.symbols.local(str(o.get("asset_id", ""))), side, qty,
                          filled, status, dec(o.get("price")) if filled else None)

    # -- venue calls ----------------------------------------------------------------
    def _submit(self, order: Order) -> VenueOrder:
        from py_clob_client.clob_types import OrderType as PolyOrderType

        digest = self.prepare(order)
        kind = PolyOrderType.GTC if order.order_type is OrderType.LIMIT else PolyOrderType.FOK
        if order.post_only:  # the CLOB refuses a post-only order that would cross
            resp = self.client.post_order(self._signed[order.client_order_id], kind, post_only=True)
        else:
            resp = self.client.post_order(self._signed[order.client_order_id], kind)
        if not resp.get("success", False):
            raise VenueRejected(resp.get("errorMsg") or "order not accepted")
        if resp.get("orderID") and resp["orderID"].lower() != digest.lower():
            raise BrokerError(f"polymarket returned order id {resp['orderID']} for hash {digest}")
        status = {"matched": OrderStatus.FILLED, "live": OrderStatus.ACCEPTED, "delayed": OrderStatus.SUBMITTED,
                  "unmatched": OrderStatus.ACCEPTED}.get(str(resp.get("status", "")), OrderStatus.SUBMITTED)
        filled = order.quantity if status is OrderStatus.FILLED else Decimal(0)
        return VenueOrder(order.client_order_id, digest, order.instrument, order.side, order.quantity, filled, status)

    def _get(self, client_order_id: str) -> dict[str, Any] | None:
        from py_clob_client.exceptions import PolyApiException

        digest = self._hash_of.get(client_order_id)
        if digest is None:
            raise BrokerError(f"polymarket: no order hash known for client id {client_order_id}; "
                              "the store must register it (register_ids) before querying")
        try:
            o = self.client.get_order(digest)
        except PolyApiException as exc:
            if exc.status_code == 404:
                return None
            raise
        return o if isinstance(o, dict) and o.get("id") else None

    def _query(self, client_order_id: str) -> VenueOrder | None:
        o = self._get(client_order_id)
        return self._venue_order(o) if o else None

    def _cancel(self, client_order_id: str) -> VenueOrder:
        o = self._get(client_order_id)
        if o is None:
            raise VenueNotFound(f"no order with client id {client_order_id}")
        if self._venue_order(o).status.is_open:
            self.client.cancel(o["id"])
            o = self._get(client_order_id) or o
        return self._venue_order(o)

    def _open_orders(self) -> list[VenueOrder]:
        from py_clob_client.clob_types import OpenOrderParams

        return [self._venue_order(o) for o in self.client.get_orders(OpenOrderParams())]

    def _balance(self, asset_type: str, token: str | None = None) -> Decimal:
        from py_clob_client.clob_types import AssetType, BalanceAllowanceParams

        resp = self.client.get_balance_allowance(BalanceAllowanceParams(asset_type=getattr(AssetType, asset_type),
                                                                        token_id=token))
        return dec(resp.get("balance")) / USDC

    def _positions(self) -> dict[str, Decimal]:
        return {m: self._balance("CONDITIONAL", self.symbols.venue(m)) for m in self.markets}

    def _account(self) -> AccountSnapshot:
        cash = self._balance("COLLATERAL")
        return AccountSnapshot(self.name, "USDC", cash, cash)

    def _fills(self) -> list[Fill]:
        out = []
        from py_clob_client.clob_types import TradeParams

        params = TradeParams(after=self._trades_after - 1) if self._trades_after else None
        for t in self.client.get_trades(params):
            self._trades_after = max(self._trades_after, int(t.get("match_time") or 0))
            if str(t.get("trader_side", "TAKER")).upper() != "TAKER":
                continue
            oid = str(t["taker_order_id"])
            ts = int(t.get("match_time") or 0) * 1_000_000_000
            out.append(Fill(self.cid_for(oid), self.name, oid, str(t["id"]), self.symbols.local(str(t["asset_id"])),
                            Side.BUY if str(t["side"]).upper() == "BUY" else Side.SELL, dec(t["size"]),
                            dec(t["price"]), dec(t.get("fee", 0)), ts, self.now_ns()))
        return out


def prepend_0x(sig: str) -> str:
    return sig if sig.startswith("0x") else "0x" + sig


def _keep_headers(response: Any) -> None:
    _HEADERS.last = {k.lower(): v for k, v in response.headers.items()}
