"""Live notional threshold: large live orders wait for an operator's confirmation.

When a live entry's notional exceeds ``[risk.confirm].live_notional_threshold`` the risk
gate rejects it with reason ``awaiting_confirmation`` and files a
:class:`PendingConfirmation` here. The dashboard and Telegram call the public API (it is
thread-safe):

* :meth:`ConfirmationBook.pending` lists what waits (id, bot, instrument, side, quantity,
  notional, expiry);
* :meth:`ConfirmationBook.confirm` / :meth:`ConfirmationBook.decline` answer one by id.

A confirmation is valid until it expires (``ttl_seconds`` on the injected clock, never
the wall clock). The next signal of the same bot for the same instrument and direction
then passes up to the confirmed quantity (:meth:`ConfirmationBook.consume`); the engine
may also poll :meth:`ConfirmationBook.take_confirmed` to re-run the signal at once.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from tradefleet.orchestrator.clock import NS, Clock
from tradefleet.orchestrator.errors import TradefleetError
from tradefleet.risk.alerts import AlertSink, RiskAlert


class ConfirmationError(TradefleetError):
    """An unknown, expired or already answered confirmation id."""


class ConfirmStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """One large order waiting for (or holding) an operator's answer."""

    id: str
    bot: str
    instrument: str
    direction: int
    quantity: Decimal
    notional: float
    requested_ns: int
    expires_ns: int
    status: ConfirmStatus = ConfirmStatus.PENDING
    actor: str = ""
    signal_id: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        return self.bot, self.instrument, self.direction


class ConfirmationBook:
    """Pending confirmations with expiry on the clock."""

    def __init__(self, clock: Clock, ttl_seconds: float, alerts: AlertSink | None = None) -> None:
        self.clock = clock
        self.ttl_ns = int(ttl_seconds * NS)
        self.alerts = alerts or AlertSink()
        self._lock = threading.Lock()
        self._items: dict[str, PendingConfirmation] = {}

    def request(self, bot: str, instrument: str, direction: int, quantity: Decimal, notional: float,
                signal_id: str = "") -> PendingConfirmation:
        """File (or return the live one for the same bot/instrument/direction) a request."""
        now = self.clock.now_ns()
        with self._lock:
            self._expire(now)
            for item in self._items.values():
                if item.key == (bot, instrument, direction) and item.status is ConfirmStatus.PENDING:
                    return item
            cid = "cf-" + hashlib.sha1(f"{bot}|{instrument}|{direction}|{now}".encode()).hexdigest()[:12]
            item = PendingConfirmation(cid, bot, instrument, direction, quantity, notional, now,
                                       now + self.ttl_ns, signal_id=signal_id)
            self._items[cid] = item
        self.alerts.emit(RiskAlert("confirmation_requested", f"bot:{bot}",
                                   f"{bot} {'buy' if direction > 0 else 'sell'} {quantity} {instrument} "
                                   f"(~{notional:,.0f}) needs confirmation", now, "",
                                   {"id": cid, "expires_ns": item.expires_ns}))
        return item

    def pending(self) -> list[PendingConfirmation]:
        """Return the requests still waiting for an answer, oldest first."""
        with self._lock:
            self._expire(self.clock.now_ns())
            return sorted((i for i in self._items.values() if i.status is ConfirmStatus.PENDING),
                          key=lambda i: i.requested_ns)

    def get(self, cid: str) -> PendingConfirmation | None:
        with self._lock:
            self._expire(self.clock.now_ns())
            return self._items.get(cid)

    def confirm(self, cid: str, actor: str) -> PendingConfirmation:
        """Approve a pending request (raises ConfirmationError if it cannot be)."""
        return self._answer(cid, actor, ConfirmStatus.CONFIRMED)

    def decline(self, cid: str, actor: str) -> PendingConfirmation:
        """Refuse a pending request."""
        return self._answer(cid, actor, ConfirmStatus.DECLINED)

    def consume(self, bot: str, instrument: str, direction: int) -> PendingConfirmation | None:
        """Use up a live confirmation for this key; return it (None if there is none)."""
        with self._lock:
            self._expire(self.clock.now_ns())
            for cid, item in self._items.items():
                if item.key == (bot, instrument, direction) and item.status is ConfirmStatus.CONFIRMED:
                    self._items[cid] = replace(item, status=ConfirmStatus.USED)
                    return item
        return None

    def take_confirmed(self) -> list[PendingConfirmation]:
        """Return confirmed, unused requests (for the engine to re-run their signals)."""
        with self._lock:
            self._expire(self.clock.now_ns())
            return [i for i in self._items.values() if i.status is ConfirmStatus.CONFIRMED]

    def _answer(self, cid: str, actor: str, status: ConfirmStatus) -> PendingConfirmation:
        with self._lock:
            self._expire(self.clock.now_ns())
            item = self._items.get(cid)
            if item is None:
                raise ConfirmationError(f"confirmation {cid}: no such request")
            if item.status is not ConfirmStatus.PENDING:
                raise ConfirmationError(f"confirmation {cid}: already {item.status.value}")
            self._items[cid] = item = replace(item, status=status, actor=actor)
            return item

    def _expire(self, now: int) -> None:
        for cid, item in list(self._items.items()):
            if item.status in (ConfirmStatus.PENDING, ConfirmStatus.CONFIRMED) and now >= item.expires_ns:
                self._items[cid] = replace(item, status=ConfirmStatus.EXPIRED)
            elif item.status is not ConfirmStatus.PENDING and now >= item.expires_ns + self.ttl_ns:
                del self._items[cid]  # keep answered items one more ttl for the audit view
