"""Live notional confirmations: request, confirm, consume, expiry on the clock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradefleet.orchestrator.clock import SimClock
from tradefleet.risk.confirm import ConfirmationBook, ConfirmationError, ConfirmStatus


def test_confirm_then_consume_once() -> None:
    clock = SimClock(1_000)
    book = ConfirmationBook(clock, ttl_seconds=60)
    req = book.request("b", "SPY", 1, Decimal(100), 50_000.0)
    assert book.request("b", "SPY", 1, Decimal(100), 50_000.0).id == req.id  # no duplicates
    assert [p.id for p in book.pending()] == [req.id]
    assert book.consume("b", "SPY", 1) is None
    book.confirm(req.id, "telegram")
    assert book.pending() == []
    assert [c.id for c in book.take_confirmed()] == [req.id]
    used = book.consume("b", "SPY", 1)
    assert used is not None and used.quantity == 100
    assert book.consume("b", "SPY", 1) is None
    with pytest.raises(ConfirmationError, match="already"):
        book.confirm(req.id, "telegram")


def test_confirmation_expires_on_the_clock() -> None:
    clock = SimClock(0)
    book = ConfirmationBook(clock, ttl_seconds=60)
    req = book.request("b", "SPY", -1, Decimal(5), 30_000.0)
    clock.advance(60)
    assert book.pending() == []
    assert book.get(req.id).status is ConfirmStatus.EXPIRED  # type: ignore[union-attr]
    with pytest.raises(ConfirmationError):
        book.confirm(req.id, "dashboard")


def test_confirmed_but_unused_expires_too() -> None:
    clock = SimClock(0)
    book = ConfirmationBook(clock, ttl_seconds=10)
    req = book.request("b", "SPY", 1, Decimal(1), 1.0)
    book.confirm(req.id, "op")
    clock.advance(11)
    assert book.consume("b", "SPY", 1) is None


def test_decline_and_unknown_id() -> None:
    book = ConfirmationBook(SimClock(0), ttl_seconds=10)
    req = book.request("b", "X", 1, Decimal(1), 1.0)
    assert book.decline(req.id, "op").status is ConfirmStatus.DECLINED
    with pytest.raises(ConfirmationError, match="no such"):
        book.confirm("cf-nope", "op")
