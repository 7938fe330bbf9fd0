"""Sizing from the venue accounts: in paper and live the book's cash is what the venues
report, not the configured ``starting_cash`` (which only seeds replay and the first run's
paper account).

:func:`sync_cash` asks every account of the order manager for its snapshot and sets the
engine's cash to the sum (the in-process paper account reports its own book), so equity,
exposure caps and sizing read the money that is really there. The live runner calls it
after every reconciliation and after fills from a venue account.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from tradefleet.orchestrator.errors import BrokerError
from tradefleet.orchestrator.execution.secrets import redact

if TYPE_CHECKING:
    from tradefleet.orchestrator.kernel import Kernel

_log = logging.getLogger("tradefleet.accounts")


def sync_cash(kernel: Kernel) -> Decimal | None:
    """Set the book's cash (and each account's buying power) from every venue account; return the cash,
    or None when an account could not be read (the book keeps its own figure then)."""
    snaps = {}
    for account in kernel.oms.accounts():
        try:
            snaps[account] = kernel.oms.broker(account).account()
        except BrokerError as exc:
            _log.warning("account %s: cash not refreshed (%s); sizing keeps the book's figure", account, redact(exc))
            return None
    ledger = kernel.engine.ledger
    cash = sum((s.cash for s in snaps.values()), Decimal(0))
    ledger.set_cash(cash)
    for account, snap in snaps.items():  # buys are capped per account by what its venue lets it spend
        ledger.set_buying_power(account, snap.buying_power if snap.buying_power is not None else snap.cash)
    return cash
